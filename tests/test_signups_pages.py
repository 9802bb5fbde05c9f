"""Volunteer pages: browsing open dates (filters, "fits me", paging, query counts), a slot's
page, signing up and cancelling through the forms, and "my dates"."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.factories import builtin, make_centre, make_check, make_user
from tests.factories_activities import next_weekday
from tests.factories_centres import count_queries
from tests.factories_signups import (
    as_user,
    fresh,
    invariant_after_each_test,  # noqa: F401 (autouse fixture)
    make_activity,
    make_signup,
    make_slot,
    status_of,
    world,
)
from volunteer_app.activities.models import Category, Slot
from volunteer_app.common.time import BERLIN, UTC, berlin_to_utc
from volunteer_app.db import db
from volunteer_app.signups.models import Signup
from volunteer_app.volunteers.models import (
    AvailabilityWindow,
    Interest,
    ReachableCentre,
    VolunteerProfile,
)

pytestmark = pytest.mark.dates  # depends on today: CI reruns it at fixed days


@pytest.fixture
def w(conn):
    centre, coordinator, activity, volunteer = world(title="Gartentag im Kräuterbeet")
    return type("W", (), dict(centre=centre, coord=coordinator, act=activity, vol=volunteer))


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def _titles(response) -> list[str]:
    return re.findall(
        r'<h3><a href="/termine/\d+"[^>]*>([^<]+)</a></h3>', response.get_data(as_text=True)
    )


# --- Who may open what ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/termine/"),
        ("get", "/termine/{id}"),
        ("get", "/meine-termine"),
        ("post", "/termine/{id}/anmelden"),
        ("post", "/termine/{id}/abmelden"),
    ],
)
def test_anonymous_is_sent_to_login_and_nothing_changes(client, w, method, url):
    slot = make_slot(w.act)
    response = getattr(client, method)(url.format(id=slot.id))
    assert response.status_code == 302
    assert "/konto/anmelden" in response.headers["Location"]
    assert Signup.select().count() == 0


def test_state_changes_need_post(client, login_as, w):
    slot = make_slot(w.act)
    as_user(login_as, w.vol)
    assert client.get(f"/termine/{slot.id}/anmelden").status_code == 405
    assert client.get(f"/termine/{slot.id}/abmelden").status_code == 405
    assert Signup.select().count() == 0


def test_sign_up_without_csrf_token_is_refused(app, client, login_as, w):
    slot = make_slot(w.act)
    as_user(login_as, w.vol)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post(f"/termine/{slot.id}/anmelden")
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400
    assert Signup.select().count() == 0


def test_unknown_slot_is_404(client, login_as, w):
    as_user(login_as, w.vol)
    assert client.get("/termine/999999").status_code == 404
    assert client.post("/termine/999999/anmelden").status_code == 404
    assert client.post("/termine/999999/abmelden").status_code == 404


# --- Browsing ------------------------------------------------------------------------------


def test_browse_shows_open_dates_with_free_places_and_hides_cancelled_and_past(client, login_as, w):
    make_slot(w.act, capacity=3)
    full = make_slot(make_activity(w.centre, title="Backen mit Kindern"), capacity=1)
    make_signup(full, make_user())
    make_signup(full, make_user(), status="waitlisted")
    make_slot(make_activity(w.centre, title="Abgesagter Termin"), status="cancelled")
    make_slot(make_activity(w.centre, title="Vorbei"), hours_ahead=-1)
    as_user(login_as, w.vol)
    response = client.get("/termine/")
    assert response.status_code == 200
    assert _titles(response) == ["Gartentag im Kräuterbeet", "Backen mit Kindern"]
    text = _text(response)
    assert "3 places free" in text
    assert "Full · 1 person on the waitlist" in text
    assert "Abgesagter Termin" not in text and "Vorbei" not in text
    assert response.headers["Cache-Control"] == "no-store"


def test_browse_marks_my_status(client, login_as, w):
    slot = make_slot(w.act)
    make_signup(slot, w.vol, status="waitlisted")
    as_user(login_as, w.vol)
    assert "On the waitlist" in _text(client.get("/termine/"))


def test_browse_filters_by_centre_category_and_dates(client, login_as, w):
    other_centre = make_centre(name="Zentrum Weimar")
    reading = builtin("reading")
    make_slot(
        make_activity(other_centre, title="Lesen in Weimar", category=reading), hours_ahead=30
    )
    make_slot(w.act, hours_ahead=24 * 10)
    as_user(login_as, w.vol)

    by_centre = client.get(f"/termine/?centre={other_centre.id}")
    assert _titles(by_centre) == ["Lesen in Weimar"]
    by_category = client.get(f"/termine/?category={builtin('gardening').id}")
    assert _titles(by_category) == ["Gartentag im Kräuterbeet"]
    in_ten_days = (dt.datetime.now(BERLIN) + dt.timedelta(days=10)).date()
    by_dates = client.get(f"/termine/?date_from={in_ten_days}&date_to={in_ten_days}")
    assert _titles(by_dates) == ["Gartentag im Kräuterbeet"]
    until = (dt.datetime.now(BERLIN) + dt.timedelta(days=3)).date()
    assert _titles(client.get(f"/termine/?date_to={until}")) == ["Lesen in Weimar"]


@pytest.mark.parametrize(
    "query",
    [
        "centre=abc",
        "centre=99999",
        "category=%00",
        "date_from=2026-13-45",
        "date_from=0001-01-01",
        "date_to=9999-12-31",
        "date_from=2030-01-10&date_to=2030-01-01",
        "date_from=2030-01-01&date_to=2032-01-01",
        "seite=-5",
        "seite=abc",
        "seite=99999999999999999999",
        "fits_me=%0D%0A",
        "_external=1&_scheme=javascript&centre=" + "9" * 5000,
    ],
)
def test_browse_survives_bad_filters(client, login_as, w, query):
    make_slot(w.act)
    as_user(login_as, w.vol)
    response = client.get(f"/termine/?{query}")
    assert response.status_code == 200
    assert "javascript:" not in response.get_data(as_text=True)


def test_bad_filter_shows_an_error_and_lists_unfiltered(client, login_as, w):
    make_slot(w.act)
    as_user(login_as, w.vol)
    response = client.get("/termine/?date_from=2030-01-10&date_to=2030-01-01")
    assert "The end date must not be before the start date." in _text(response)
    assert _titles(response) == ["Gartentag im Kräuterbeet"]


def test_browse_pages_through_many_dates(client, login_as, w):
    for n in range(35):
        make_slot(w.act, hours_ahead=10 + n)
    as_user(login_as, w.vol)
    first = client.get(f"/termine/?centre={w.centre.id}")
    assert len(_titles(first)) == 30
    assert f"/termine/?seite=2&amp;centre={w.centre.id}" in first.get_data(as_text=True)
    second = client.get(f"/termine/?centre={w.centre.id}&seite=2")
    assert len(_titles(second)) == 5
    assert "Later dates" not in _text(second) and "Earlier dates" in _text(second)


def _berlin_utc(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    local = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=BERLIN)
    return local.astimezone(UTC).replace(tzinfo=None)


def _tuesdays():
    """A Tuesday in summer time and one in winter time, both within the next year."""
    today = dt.date.today()
    days = [today + dt.timedelta(days=n) for n in range(3, 360)]
    tuesdays = [d for d in days if d.weekday() == 1]

    def offset(d):
        return dt.datetime.combine(d, dt.time(12), tzinfo=BERLIN).utcoffset()

    summer = next(d for d in tuesdays if offset(d) == dt.timedelta(hours=2))
    winter = next(d for d in tuesdays if offset(d) == dt.timedelta(hours=1))
    return summer, winter


def test_fits_me_matches_interests_windows_in_berlin_time_and_reachable_centres(
    client, login_as, w
):
    summer, winter = _tuesdays()
    far = make_centre(name="Zentrum Fern")
    baking = builtin("baking")
    gardening = builtin("gardening")

    def slot(title, day, hour, minute=0, length=2, centre=None, category=gardening):
        activity = make_activity(centre or w.centre, title=title, category=category)
        start = _berlin_utc(day, hour, minute)
        return make_slot(activity, starts_at=start, ends_at=start + dt.timedelta(hours=length))

    slot("Sommer am Fensteranfang", summer, 14)
    slot("Winter am Fensteranfang", winter, 14)
    slot("Endet nach dem Fenster", summer, 17)
    slot("Beginnt zu früh", winter, 13, 30)
    slot("Falscher Wochentag", summer + dt.timedelta(days=1), 14)
    slot("Falsche Kategorie", winter, 14, category=baking)
    slot("Falsches Zentrum", summer, 14, centre=far)

    VolunteerProfile.create(user=w.vol)
    Interest.create(user=w.vol, category=gardening)
    ReachableCentre.create(user=w.vol, centre=w.centre)
    AvailabilityWindow.create(user=w.vol, weekday=1, start_time=dt.time(14), end_time=dt.time(18))
    as_user(login_as, w.vol)
    titles = _titles(client.get("/termine/?fits_me=y"))
    assert sorted(titles) == ["Sommer am Fensteranfang", "Winter am Fensteranfang"]
    # Without "fits me" every open date is listed.
    assert len(_titles(client.get("/termine/"))) == 7

    # Open to anything: the category no longer limits.
    VolunteerProfile.update(open_to_anything=True).execute()
    titles = _titles(client.get("/termine/?fits_me=y"))
    assert "Falsche Kategorie" in titles and "Falsches Zentrum" not in titles


def test_fits_me_with_an_empty_profile_shows_everything_and_says_so(client, login_as, w):
    make_slot(w.act)
    as_user(login_as, w.vol)
    response = client.get("/termine/?fits_me=y")
    assert _titles(response) == ["Gartentag im Kräuterbeet"]
    assert "no preferences yet" in _text(response)


def _many_slots(activity, n: int, volunteer) -> None:
    # From a Tuesday 09:00 in Berlin, so that the first dates fall into the volunteer's
    # Tuesday window and "fits me" lists some whatever day the test runs on.
    start = berlin_to_utc(dt.datetime.combine(next_weekday(1), dt.time(9)))
    rows = [
        {
            "activity": activity.id,
            "starts_at": start + dt.timedelta(hours=3 * i),
            "ends_at": start + dt.timedelta(hours=3 * i + 2),
            "capacity": 2,
            "taken": 1,
        }
        for i in range(n)
    ]
    with db.atomic():
        for chunk in range(0, n, 100):
            Slot.insert_many(rows[chunk : chunk + 100]).execute()
    ids = [s.id for s in Slot.select(Slot.id).where(Slot.activity == activity.id)]
    signups = [{"slot": i, "volunteer": volunteer.id, "status": "confirmed"} for i in ids]
    with db.atomic():
        for chunk in range(0, n, 100):
            Signup.insert_many(signups[chunk : chunk + 100]).execute()


@pytest.mark.parametrize(
    "url", ["/termine/", "/termine/?fits_me=y", "/meine-termine", "/termine/?centre={centre}"]
)
def test_list_pages_use_a_fixed_number_of_queries(client, login_as, w, url):
    VolunteerProfile.create(user=w.vol)
    Interest.create(user=w.vol, category=builtin("gardening"))
    AvailabilityWindow.create(user=w.vol, weekday=1, start_time=dt.time(8), end_time=dt.time(20))
    client = as_user(login_as, w.vol)
    url = url.format(centre=w.centre.id)
    client.get(url)  # the first visit reads what pages keep (the filters' choices)
    counts = []
    for n in (10, 500):
        Signup.delete().execute()
        Slot.delete().execute()
        _many_slots(w.act, n, w.vol)
        # A few past ones with hours, for "my dates".
        for hours_ago in (30, 60):
            past = make_slot(w.act, hours_ahead=-hours_ago)
            make_signup(past, w.vol, attendance="attended", hours=2)
        with count_queries() as counter:
            response = client.get(url)
        assert response.status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1], counts
    assert counts[0] <= 10, counts


# --- A slot's page -------------------------------------------------------------------------


def test_slot_page_shows_details_and_the_sign_up_button(client, login_as, w):
    w.act.description = "Wir pflanzen Kräuter.\n\nBitte Handschuhe mitbringen."
    w.act.audience = "Familien mit Kindern ab 3"
    w.act.save()
    slot = make_slot(w.act, capacity=2)
    make_signup(slot, make_user())
    as_user(login_as, w.vol)
    text = _text(client.get(f"/termine/{slot.id}"))
    assert '<h1 lang="de">Gartentag im Kräuterbeet</h1>' in text  # German on an English page
    assert "Garten hinter dem Haus" in text and w.centre.name in text
    assert "Familien mit Kindern ab 3" in text and "Bitte Handschuhe mitbringen." in text
    assert "1 of 2 places taken" in text
    assert "1 place is still free." in text
    assert f'action="/termine/{slot.id}/anmelden"' in text and ">Sign up</button>" in text


def test_slot_page_offers_the_waitlist_when_full(client, login_as, w):
    slot = make_slot(w.act, capacity=1)
    make_signup(slot, make_user())
    as_user(login_as, w.vol)
    text = _text(client.get(f"/termine/{slot.id}"))
    assert ">Join the waitlist</button>" in text


def test_slot_page_explains_the_certificate_for_child_facing_activities(client, login_as, w):
    slot = make_slot(make_activity(w.centre, is_child_facing=True))
    as_user(login_as, w.vol)
    text = _text(client.get(f"/termine/{slot.id}"))
    assert "police certificate" in text and "free of charge" in text
    assert "anmelden" not in re.findall(r'action="([^"]+)"', text)[-1]
    make_check(w.vol, w.centre)
    assert ">Sign up</button>" in _text(client.get(f"/termine/{slot.id}"))


def test_slot_page_of_cancelled_and_past_slots_has_no_button(client, login_as, w):
    cancelled = make_slot(w.act, status="cancelled")
    past = make_slot(w.act, hours_ahead=-2)
    as_user(login_as, w.vol)
    text = _text(client.get(f"/termine/{cancelled.id}"))
    assert "called off" in text and "/anmelden" not in text
    text = _text(client.get(f"/termine/{past.id}"))
    assert "already started or is over" in text and "/anmelden" not in text


def test_slot_page_after_the_deadline_shows_how_to_reach_the_centre(client, login_as, w):
    slot = make_slot(w.act, hours_ahead=3)  # deadline: 24 hours before
    make_signup(slot, w.vol)
    as_user(login_as, w.vol)
    text = _text(client.get(f"/termine/{slot.id}"))
    assert "cancelling online has passed" in text
    assert "+49 361 555-0101" in text and f"/termine/{slot.id}/abmelden" not in text


# --- Signing up and cancelling through the pages -------------------------------------------


def _flash(client, response) -> str:
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    found = re.findall(r'<p class="flash flash-(\w+)">([^<]*)</p>', page.get_data(as_text=True))
    assert len(found) == 1, found
    return "{}: {}".format(*found[0])


def test_sign_up_through_the_page(client, login_as, w):
    slot = make_slot(w.act, capacity=1)
    as_user(login_as, w.vol)
    message = _flash(client, client.post(f"/termine/{slot.id}/anmelden"))
    assert message.startswith("success: You are signed up.")
    assert status_of(slot, w.vol) == "confirmed"
    # Again: a clear refusal, nothing changes.
    message = _flash(client, client.post(f"/termine/{slot.id}/anmelden"))
    assert message == "error: You are already signed up for this slot."
    assert fresh(slot).taken == 1


def test_waitlist_and_pending_through_the_page(client, login_as, w):
    slot = make_slot(w.act, capacity=1)
    make_signup(slot, make_user())
    as_user(login_as, w.vol)
    message = _flash(client, client.post(f"/termine/{slot.id}/anmelden"))
    assert message.startswith("warning: This slot is full, so you are on the waitlist (place 1)")
    assert "You are on the waitlist, place 1." in _text(client.get(f"/termine/{slot.id}"))

    approval = make_slot(make_activity(w.centre, signup_mode="approval"), hours_ahead=200)
    message = _flash(client, client.post(f"/termine/{approval.id}/anmelden"))
    assert message.startswith("success: Thank you! The coordinators will confirm")
    assert status_of(approval, w.vol) == "pending"


@pytest.mark.parametrize("case", ["cancelled", "past", "overlap", "certificate"])
def test_refusals_are_flashed(client, login_as, w, case):
    if case == "cancelled":
        slot = make_slot(w.act, status="cancelled")
    elif case == "past":
        slot = make_slot(w.act, hours_ahead=-1)
    elif case == "overlap":
        make_signup(make_slot(w.act, hours_ahead=40), w.vol)
        slot = make_slot(w.act, hours_ahead=41)
    else:
        slot = make_slot(make_activity(w.centre, is_child_facing=True))
    as_user(login_as, w.vol)
    message = _flash(client, client.post(f"/termine/{slot.id}/anmelden"))
    expected = {
        "cancelled": "This slot has been cancelled.",
        "past": "This slot has already started or is over.",
        "overlap": "You are already signed up for",
        "certificate": "This activity is with children",
    }[case]
    assert message.startswith("error: " + expected)
    assert status_of(slot, w.vol) is None


def test_cancel_through_the_page_moves_the_next_person_up(client, login_as, w):
    slot = make_slot(w.act, capacity=1)
    make_signup(slot, w.vol)
    waiting = make_user()
    make_signup(slot, waiting, status="waitlisted")
    as_user(login_as, w.vol)
    message = _flash(client, client.post(f"/termine/{slot.id}/abmelden"))
    assert message.startswith("success: Your sign-up has been cancelled.")
    assert status_of(slot, w.vol) == "cancelled"
    assert status_of(slot, waiting) == "confirmed"


def test_cancel_after_the_deadline_is_refused_on_the_page(client, login_as, w):
    slot = make_slot(w.act, hours_ahead=2)
    make_signup(slot, w.vol)
    as_user(login_as, w.vol)
    message = _flash(client, client.post(f"/termine/{slot.id}/abmelden"))
    assert message.startswith("error: Cancelling online is possible until 24 hours")
    assert "+49 361 555-0101" in message
    assert status_of(slot, w.vol) == "confirmed"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/meine-termine", "/meine-termine"),
        ("//evil.example/x", None),
        ("https://evil.example", None),
    ],
)
def test_cancel_goes_back_only_to_local_pages(client, login_as, w, target, expected):
    slot = make_slot(w.act)
    make_signup(slot, w.vol)
    as_user(login_as, w.vol)
    response = client.post(f"/termine/{slot.id}/abmelden", data={"next": target})
    assert response.headers["Location"] == (expected or f"/termine/{slot.id}")


def test_cancel_without_a_signup_is_404(client, login_as, w):
    slot = make_slot(w.act)
    make_signup(slot, make_user())
    as_user(login_as, w.vol)
    assert client.post(f"/termine/{slot.id}/abmelden").status_code == 404
    assert fresh(slot).taken == 1


# --- My dates ------------------------------------------------------------------------------


def test_my_dates_lists_upcoming_with_status_and_past_with_hours(client, login_as, w):
    confirmed = make_slot(make_activity(w.centre, title="Kommt bald"), hours_ahead=30)
    make_signup(confirmed, w.vol)
    waiting = make_slot(make_activity(w.centre, title="Warteliste"), hours_ahead=60, capacity=0)
    make_signup(waiting, w.vol, status="waitlisted")
    called_off = make_slot(make_activity(w.centre, title="Abgesagt"), status="cancelled")
    make_signup(called_off, w.vol, status="cancelled")
    own_cancel = make_slot(make_activity(w.centre, title="Selbst abgesagt"), hours_ahead=100)
    make_signup(own_cancel, w.vol, status="cancelled")
    done = make_slot(make_activity(w.centre, title="Erledigt"), hours_ahead=-50)
    make_signup(done, w.vol, attendance="attended", hours="2.5")
    done2 = make_slot(make_activity(w.centre, title="Auch erledigt"), hours_ahead=-100)
    make_signup(done2, w.vol, attendance="attended", hours="1.25")
    missed = make_slot(make_activity(w.centre, title="Verpasst"), hours_ahead=-150)
    make_signup(missed, w.vol, attendance="no_show", hours=0)
    someone_else = make_slot(make_activity(w.centre, title="Fremd"), hours_ahead=-20)
    make_signup(someone_else, make_user(), attendance="attended", hours=5)

    as_user(login_as, w.vol)
    text = _text(client.get("/meine-termine"))
    assert "<h1>My dates</h1>" in text
    assert "Kommt bald" in text and "You are signed up" in text
    assert "Warteliste" in text and "On the waitlist" in text
    assert "Abgesagt" in text and "Called off" in text
    assert "Selbst abgesagt" not in text and "Fremd" not in text
    assert "Hours volunteered in total: 3.75" in text
    assert "Took part" in text and "Did not come" in text
    assert text.index("Erledigt") < text.index("Auch erledigt") < text.index("Verpasst")


def test_my_dates_when_empty(client, login_as, w):
    as_user(login_as, w.vol)
    text = _text(client.get("/meine-termine"))
    assert "You have no dates coming up." in text and "Hours volunteered in total: 0" in text


def test_built_in_categories_are_shown_and_custom_ones_name_their_centre(client, login_as, w):
    Category.create(name="Handwerk", centre=w.centre)
    as_user(login_as, w.vol)
    text = _text(client.get("/termine/"))
    assert f"Handwerk ({w.centre.name})" in text
