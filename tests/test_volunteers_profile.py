"""The volunteer profile page: what is saved, what is refused, and that nothing is half-written."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.factories import make_centre, make_coordinator, make_user
from tests.factories_centres import english
from tests.factories_volunteers import builtin, make_category
from volunteer_app.volunteers.models import (
    AvailabilityWindow,
    Interest,
    ReachableCentre,
    VolunteerProfile,
)
from volunteer_app.volunteers.queries import Window, needs_profile, profile_for

URL = "/mein-engagement/profil"


@pytest.fixture
def world(conn):
    erfurt = make_centre(name="ThEKiZ Am Anger", town="Erfurt")
    jena = make_centre(name="ThEKiZ Lobeda", town="Jena")
    weimar = make_centre(name="ThEKiZ Schöndorf", town="Weimar")
    return {"erfurt": erfurt, "jena": jena, "weimar": weimar, "user": make_user(name="Vera Voll")}


def form_data(centres, **overrides) -> dict:
    """A valid profile: reading and baking, Tuesday afternoons, German and Ukrainian."""
    data = {
        "interest_ids": [str(builtin("reading").id), str(builtin("baking").id)],
        "centre_ids": [str(c.id) for c in centres],
        "windows-0-weekday": "1",
        "windows-0-start": "14:00",
        "windows-0-end": "18:00",
        "windows-1-weekday": "",
        "windows-1-start": "",
        "windows-1-end": "",
        "max_per_week": "2",
        "max_per_month": "5",
        "languages": ["de", "uk"],
        "reminder_hours": "24",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def stored(user) -> tuple:
    """Everything stored for a user's profile, comparable before and after."""
    p = profile_for(user.id)
    return (
        p.exists,
        p.open_to_anything,
        p.interest_ids,
        p.windows,
        p.centre_ids,
        p.max_per_week,
        p.max_per_month,
        p.languages,
        p.reminder_hours,
    )


def page(client, user):
    return english(client).get(URL)


# --- Access --------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, conn):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/konto/anmelden")
    assert client.post(URL, data={}).status_code == 302
    assert VolunteerProfile.select().count() == 0


def test_staff_may_have_a_profile_too(client, login_as, world):
    coordinator = make_coordinator(world["jena"])
    login_as(coordinator)
    response = client.post(URL, data=form_data([world["jena"]]))
    assert response.status_code == 302
    assert profile_for(coordinator.id).centre_ids == {world["jena"].id}


# --- The page ------------------------------------------------------------------------------


def test_empty_profile_asks_to_fill_it_in(client, login_as, world):
    login_as(world["user"])
    assert needs_profile(world["user"])
    html = page(client, world["user"]).get_data(as_text=True)
    assert "Welcome! Tell us a little about yourself" in html
    # The defaults: German ticked, reminder 24 h before, 2 a week / 6 a month.
    assert 'value="de" checked' in html
    assert re.search(r'<input checked [^>]*name="reminder_hours" [^>]*value="24">', html)
    assert 'name="max_per_week" required type="number" value="2"' in html
    # Centres grouped by town, towns in order.
    assert html.index("<legend>Erfurt</legend>") < html.index("<legend>Jena</legend>")
    assert html.index("<legend>Jena</legend>") < html.index("<legend>Weimar</legend>")
    # Two empty rows for weekly times.
    assert 'name="windows-1-weekday"' in html and 'name="windows-2-weekday"' not in html


def test_saved_profile_no_longer_asks(client, login_as, world):
    login_as(world["user"])
    client.post(URL, data=form_data([world["jena"]]))
    assert not needs_profile(world["user"])
    html = page(client, world["user"]).get_data(as_text=True)
    assert "Welcome!" not in html
    assert "Ihr Profil ist gespeichert" in html  # flashed while the page was German
    assert 'name="windows-0-start" step="300" type="time" value="14:00"' in html


def test_language_and_day_names_are_translated(client, login_as, world):
    login_as(world["user"])
    german = client.get(URL).get_data(as_text=True)
    assert "Ukrainisch" in german and "Dienstag" in german
    assert '<span class="muted" lang="uk" dir="auto">(українська)</span>' in german
    english_page = page(client, world["user"]).get_data(as_text=True)
    assert "Ukrainian" in english_page and "Tuesday" in english_page


def test_custom_categories_of_reachable_centres_only(client, login_as, world):
    own = make_category(world["jena"], "Handwerk")
    other = make_category(world["weimar"], "Begleitung")
    login_as(world["user"])
    html = page(client, world["user"]).get_data(as_text=True)
    assert "Handwerk" not in html  # no centres chosen yet
    client.post(URL, data=form_data([world["jena"]]))
    html = page(client, world["user"]).get_data(as_text=True)
    assert f'value="{own.id}"' in html and "Handwerk (ThEKiZ Lobeda)" in html
    assert "Begleitung" not in html and f'name="interest_ids" value="{other.id}"' not in html


# --- Saving --------------------------------------------------------------------------------


def test_saves_every_part(client, login_as, world):
    login_as(world["user"])
    data = form_data(
        [world["erfurt"], world["jena"]],
        **{
            "windows-1-weekday": "5",
            "windows-1-start": "09:30",
            "windows-1-end": "12:00",
            "reminder_hours": "48",
            "max_per_week": "3",
            "max_per_month": "10",
        },
    )
    response = client.post(URL, data=data)
    assert response.status_code == 302 and response.headers["Location"] == URL
    p = profile_for(world["user"].id)
    assert p.exists and not p.open_to_anything
    assert p.interest_ids == {builtin("reading").id, builtin("baking").id}
    assert p.windows == (
        Window(1, dt.time(14), dt.time(18)),
        Window(5, dt.time(9, 30), dt.time(12)),
    )
    assert p.centre_ids == {world["erfurt"].id, world["jena"].id}
    assert (p.max_per_week, p.max_per_month, p.reminder_hours) == (3, 10, 48)
    assert p.languages == ("de", "uk")


def test_saving_again_replaces_every_set(client, login_as, world):
    login_as(world["user"])
    client.post(URL, data=form_data([world["erfurt"], world["jena"]]))
    data = form_data(
        [world["weimar"]],
        interest_ids=None,
        open_to_anything="y",
        languages=["ar"],
        reminder_hours="0",
        **{"windows-0-weekday": "3", "windows-0-start": "08:00", "windows-0-end": "10:00"},
    )
    assert client.post(URL, data=data).status_code == 302
    p = profile_for(world["user"].id)
    assert p.open_to_anything and p.interest_ids == frozenset()
    assert p.windows == (Window(3, dt.time(8), dt.time(10)),)
    assert p.centre_ids == {world["weimar"].id}
    assert p.languages == ("ar",) and p.reminder_hours == 0
    uid = world["user"].id
    assert Interest.select().where(Interest.user == uid).count() == 0
    assert AvailabilityWindow.select().where(AvailabilityWindow.user == uid).count() == 1
    assert ReachableCentre.select().where(ReachableCentre.user == uid).count() == 1
    assert VolunteerProfile.select().count() == 1


def test_remove_and_clear_windows(client, login_as, world):
    login_as(world["user"])
    data = form_data(
        [world["jena"]],
        **{"windows-1-weekday": "4", "windows-1-start": "10:00", "windows-1-end": "11:00"},
    )
    client.post(URL, data=data)
    assert len(profile_for(world["user"].id).windows) == 2
    data["windows-0-remove"] = "y"
    client.post(URL, data=data)
    assert profile_for(world["user"].id).windows == (Window(4, dt.time(10), dt.time(11)),)
    # Emptying the last row leaves no fixed times (any time fits).
    data = form_data([world["jena"]], **{"windows-0-weekday": "", "windows-0-start": ""})
    data["windows-0-end"] = ""
    assert client.post(URL, data=data).status_code == 302
    p = profile_for(world["user"].id)
    assert p.windows == () and p.fits_time(dt.datetime(2026, 1, 4, 3), dt.datetime(2026, 1, 4, 4))


def test_touching_windows_are_fine_and_seconds_accepted(client, login_as, world):
    login_as(world["user"])
    data = form_data(
        [world["jena"]],
        **{
            "windows-0-start": "10:00:00",
            "windows-0-end": "12:00:00",
            "windows-1-weekday": "1",
            "windows-1-start": "12:00",
            "windows-1-end": "14:00",
        },
    )
    assert client.post(URL, data=data).status_code == 302
    assert len(profile_for(world["user"].id).windows) == 2


def test_add_row_button_saves_nothing(client, login_as, world):
    login_as(world["user"])
    data = form_data([world["jena"]], add_window="1")
    response = english(client).post(URL, data=data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'name="windows-2-weekday"' in html and 'name="windows-3-weekday"' not in html
    assert 'value="14:00"' in html  # what was typed stays
    assert VolunteerProfile.select().count() == 0


def test_custom_category_of_a_chosen_centre_is_accepted(client, login_as, world):
    crafts = make_category(world["jena"], "Handwerk")
    login_as(world["user"])
    data = form_data([world["jena"]], interest_ids=[str(crafts.id)])
    assert client.post(URL, data=data).status_code == 302
    assert profile_for(world["user"].id).interest_ids == {crafts.id}


# --- Bad input: a clear message, and what was stored stays as it was --------------------------


def _bad_cases(w):
    crafts_weimar = make_category(w["weimar"], "Begleitung")
    reading = str(builtin("reading").id)
    return {
        "no interest": ({"interest_ids": None}, "Please choose at least one thing you like to do"),
        "both open and interests": (
            {"open_to_anything": "y"},
            "either tick “open to anything” or choose interests",
        ),
        "unknown category": ({"interest_ids": [reading, "999999"]}, "choose interests from"),
        "category not a number": ({"interest_ids": ["lesen"]}, "choose one of the options"),
        "category of a centre not chosen": (
            {"interest_ids": [str(crafts_weimar.id)]},
            "“Begleitung” is only offered by a centre you have not chosen",
        ),
        "no centre": ({"centre_ids": None}, "choose at least one centre"),
        "unknown centre": ({"centre_ids": ["999999"]}, "choose centres from the list"),
        # Found by fuzzing: an id too large for the database driver.
        "centre id too large": ({"centre_ids": ["9" * 30]}, "choose one of the options"),
        "category id too large": ({"interest_ids": [str(2**31)]}, "choose one of the options"),
        "end before start": ({"windows-0-end": "13:00"}, "The end must be after the start."),
        "empty window": ({"windows-0-end": "14:00"}, "The end must be after the start."),
        "overlapping windows": (
            {"windows-1-weekday": "1", "windows-1-start": "17:00", "windows-1-end": "19:00"},
            "overlap. Please join them into one.",
        ),
        "row without day": ({"windows-0-weekday": ""}, "Please choose a day."),
        "row without end": ({"windows-0-end": ""}, "Please enter an end time."),
        "row without start": ({"windows-0-start": ""}, "Please enter a start time."),
        "day out of range": ({"windows-0-weekday": "9"}, "Please choose a day."),
        "time out of range": ({"windows-0-start": "25:00"}, "a valid time, like 10:00."),
        "time with control character": ({"windows-0-start": "14:00\x00"}, "a valid time"),
        "time over-long": ({"windows-0-start": "1" * 5000}, "Please enter a valid time"),
        "week negative": ({"max_per_week": "-1"}, "from 0 to 21"),
        "week too many": ({"max_per_week": "22"}, "from 0 to 21"),
        "week huge": ({"max_per_week": "9" * 40}, "from 0 to 21"),
        # Found by fuzzing: WTForms' NumberRange overflowed converting this to a float.
        "week absurdly long": ({"max_per_week": "9" * 400}, "from 0 to 21"),
        "week not a number": ({"max_per_week": "zwei"}, "Please enter a whole number."),
        "week empty": ({"max_per_week": ""}, "Please enter a number."),
        "month too many": ({"max_per_month": "61"}, "from 0 to 60"),
        "month below week": (
            {"max_per_week": "4", "max_per_month": "3"},
            "at least as many dates a month as a week",
        ),
        "no language": ({"languages": None}, "choose at least one language"),
        "unknown language": ({"languages": ["de", "xx"]}, "choose languages from the list"),
        "over-long language": ({"languages": ["d" * 300]}, "choose languages from the list"),
        "reminder not offered": ({"reminder_hours": "5"}, "Please choose one of the options."),
        "reminder not a number": ({"reminder_hours": "bald"}, "Please choose one of the options."),
        "reminder missing": ({"reminder_hours": None}, "Please choose when we should remind you."),
    }


CASES = [
    "no interest",
    "both open and interests",
    "unknown category",
    "category not a number",
    "category of a centre not chosen",
    "no centre",
    "unknown centre",
    "centre id too large",
    "category id too large",
    "end before start",
    "empty window",
    "overlapping windows",
    "row without day",
    "row without end",
    "row without start",
    "day out of range",
    "time out of range",
    "time with control character",
    "time over-long",
    "week negative",
    "week too many",
    "week huge",
    "week absurdly long",
    "week not a number",
    "week empty",
    "month too many",
    "month below week",
    "no language",
    "unknown language",
    "over-long language",
    "reminder not offered",
    "reminder not a number",
    "reminder missing",
]


@pytest.mark.parametrize("case", CASES)
def test_bad_input_is_refused_and_nothing_changes(client, login_as, world, case):
    login_as(world["user"])
    saved = form_data([world["erfurt"]], **{"windows-0-weekday": "0"})
    assert client.post(URL, data=saved).status_code == 302
    before = stored(world["user"])
    overrides, message = _bad_cases(world)[case]
    data = form_data([world["jena"]], **overrides)
    english(client)
    response = client.post(URL, data=data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert message in html, html[html.find("form-errors") :][:3000]
    assert 'class="form-errors" role="alert"' in html
    assert stored(world["user"]) == before


def test_all_problems_are_shown_together(client, login_as, world):
    login_as(world["user"])
    english(client)
    data = form_data([], interest_ids=None, languages=None, max_per_month="1", max_per_week="2")
    html = client.post(URL, data=data).get_data(as_text=True)
    for message in (
        "Please choose at least one thing you like to do",
        "Please choose at least one centre you can reach.",
        "Please choose at least one language you speak.",
        "at least as many dates a month as a week",
    ):
        assert message in html
    assert 'aria-describedby="centre_ids-error"' in html
    assert VolunteerProfile.select().count() == 0


def test_overlap_message_names_both_windows(client, login_as, world):
    login_as(world["user"])
    english(client)
    data = form_data(
        [world["jena"]],
        **{"windows-1-weekday": "1", "windows-1-start": "09:00", "windows-1-end": "14:05"},
    )
    html = client.post(URL, data=data).get_data(as_text=True)
    assert "Tuesday 9:00\u202fAM–2:05\u202fPM and Tuesday 2:00\u202fPM–6:00\u202fPM overlap" in html


def test_too_many_rows_are_cut_off(client, login_as, world):
    login_as(world["user"])
    data = form_data([world["jena"]])
    for i in range(40):
        data[f"windows-{i}-weekday"] = str(i % 7)
        data[f"windows-{i}-start"] = f"{i // 7:02d}:00"
        data[f"windows-{i}-end"] = f"{i // 7:02d}:30"
    assert client.post(URL, data=data).status_code == 302
    assert len(profile_for(world["user"].id).windows) == 28
