"""profile_for / profiles_for (what matching and "fits me" read) and the service's rules."""

from __future__ import annotations

import datetime as dt

import peewee as pw
import pytest

from tests.factories import make_centre, make_user
from tests.factories_centres import count_queries
from tests.factories_volunteers import builtin, make_category
from volunteer_app.common.errors import Conflict, NotAllowed
from volunteer_app.volunteers import services
from volunteer_app.volunteers.models import Interest, ReachableCentre, VolunteerProfile
from volunteer_app.volunteers.queries import (
    ProfileData,
    Window,
    interest_choices,
    profile_for,
    profiles_for,
)
from volunteer_app.volunteers.services import PreferencesInput, PreferencesInvalid, window

pytestmark = pytest.mark.dates  # depends on today: CI reruns it at fixed days


def preferences(centres, **fields) -> PreferencesInput:
    data = {
        "interest_ids": [builtin("reading").id],
        "centre_ids": [c.id for c in centres],
        "windows": [window(0, "10:00", "12:00")],
        "max_per_week": 2,
        "max_per_month": 4,
        "languages": ["de"],
        "reminder_hours": 24,
    }
    data.update(fields)
    return PreferencesInput(**data)


def test_profile_for_someone_who_never_saved_is_the_defaults(conn):
    user = make_user()
    p = profile_for(user.id)
    assert p == ProfileData(user_id=user.id)
    assert not p.exists and p.reminder_hours == 24 and p.languages == ("de",)
    assert p.centre_ids == frozenset() and not p.fits_centre(1)


def test_profile_for_returns_plain_data(conn):
    centre = make_centre()
    user = make_user()
    services.update_preferences(
        user,
        preferences(
            [centre],
            windows=[window(4, "15:00", "17:00"), window(0, "10:00", "12:00")],
            languages=["uk", "de"],
        ),
    )
    p = profile_for(user.id)
    assert p.exists and p.interest_ids == {builtin("reading").id}
    assert p.windows == (Window(0, dt.time(10), dt.time(12)), Window(4, dt.time(15), dt.time(17)))
    # Stored in the page's order, whatever order they came in.
    assert p.languages == ("de", "uk")
    assert VolunteerProfile.get(VolunteerProfile.user == user.id).languages == "de,uk"
    with pytest.raises(AttributeError):
        p.max_per_week = 3  # frozen


@pytest.mark.parametrize("users", [10, 60])
def test_bulk_profiles_take_a_fixed_number_of_queries(conn, users):
    centres = [make_centre() for _ in range(3)]
    people = [make_user() for _ in range(users)]
    for i, person in enumerate(people):
        if i % 5:  # every fifth never saved a profile
            services.update_preferences(person, preferences(centres[: 1 + i % 3]))
    with count_queries() as counter:
        result = profiles_for([p.id for p in people])
    assert counter.count == 4
    assert set(result) == {p.id for p in people}
    assert sum(1 for p in result.values() if p.exists) == users - users // 5
    assert result[people[2].id].centre_ids == {centres[0].id, centres[1].id, centres[2].id}
    assert not result[people[0].id].exists
    assert profiles_for([]) == {}


def test_fits_time_compares_in_berlin_time_across_dst(conn):
    p = ProfileData(user_id=1, exists=True, windows=(Window(0, dt.time(10), dt.time(12)),))
    # Monday 10–12 in winter (UTC+1) and in summer (UTC+2).
    assert p.fits_time(dt.datetime(2026, 1, 5, 9), dt.datetime(2026, 1, 5, 11))
    assert p.fits_time(dt.datetime(2026, 7, 6, 8), dt.datetime(2026, 7, 6, 10))
    # The same UTC hours in summer are 11–13 Berlin: outside the window.
    assert not p.fits_time(dt.datetime(2026, 7, 6, 9), dt.datetime(2026, 7, 6, 11))
    # Monday after the October change: 10:00 CET = 09:00 UTC.
    assert p.fits_time(dt.datetime(2026, 10, 26, 9), dt.datetime(2026, 10, 26, 10))
    # Tuesday does not fit a Monday window.
    assert not p.fits_time(dt.datetime(2026, 1, 6, 9), dt.datetime(2026, 1, 6, 10))


def test_fits_category_and_centre():
    p = ProfileData(user_id=1, exists=True, interest_ids=frozenset({3}), centre_ids=frozenset({7}))
    assert p.fits_category(3) and not p.fits_category(4)
    assert ProfileData(user_id=1, open_to_anything=True).fits_category(4)
    start = dt.datetime(2026, 1, 5, 9)
    assert p.fits(3, 7, start, start + dt.timedelta(hours=1))
    assert not p.fits(3, 8, start, start + dt.timedelta(hours=1))


def test_interest_choices_builtins_first_then_own_centres(conn):
    jena, weimar = make_centre(name="Jena"), make_centre(name="Weimar")
    crafts = make_category(jena, "Handwerk")
    escort = make_category(weimar, "Begleitung")
    choices = interest_choices([jena.id])
    keys = [c.id for c in choices]
    assert keys[:5] == [
        builtin(k).id for k in ("gardening", "reading", "hiking", "baking", "cooking")
    ]
    assert crafts.id in keys and escort.id not in keys
    assert escort.id in [c.id for c in interest_choices([], keep_ids=[escort.id])]


# --- The service -----------------------------------------------------------------------------


def test_only_the_person_or_an_admin_may_change_a_profile(conn):
    centre = make_centre()
    user, other, admin = make_user(), make_user(), make_user(role="admin")
    with pytest.raises(NotAllowed):
        services.update_preferences(user, preferences([centre]), actor=other)
    assert VolunteerProfile.select().count() == 0
    services.update_preferences(user, preferences([centre]), actor=admin)
    assert profile_for(user.id).exists


def test_service_checks_windows_itself(conn):
    centre = make_centre()
    user = make_user()
    bad = {
        "end before start": [window(0, "12:00", "10:00")],
        "empty": [window(0, "12:00", "12:00")],
        "overlap": [window(0, "10:00", "12:00"), window(0, "11:59", "13:00")],
        "weekday": [Window(7, dt.time(10), dt.time(11))],
        "too many": [window(d % 7, f"{d // 7:02d}:00", f"{d // 7:02d}:30") for d in range(29)],
    }
    for windows in bad.values():
        with pytest.raises(PreferencesInvalid) as exc:
            services.update_preferences(user, preferences([centre], windows=windows))
        assert set(exc.value.errors) == {"windows"}
    assert VolunteerProfile.select().count() == 0


@pytest.mark.parametrize(
    "fields",
    [
        {"max_per_week": 22},
        {"max_per_week": -1},
        {"max_per_month": 61},
        {"max_per_week": 5, "max_per_month": 4},
        {"reminder_hours": 3},
        {"reminder_hours": 168},
        {"languages": []},
        {"languages": ["de", "de"]},
        {"centre_ids": [999999]},
        {"interest_ids": [999999]},
    ],
)
def test_service_refuses_out_of_range_values(conn, fields):
    centre = make_centre()
    user = make_user()
    with pytest.raises(PreferencesInvalid):
        services.update_preferences(user, preferences([centre], **fields))
    assert VolunteerProfile.select().count() == 0


def test_a_failure_half_way_writes_nothing(conn, monkeypatch):
    first, second = make_centre(), make_centre()
    user = make_user()
    services.update_preferences(user, preferences([first]))
    before = profile_for(user.id)

    def broken(*args, **kwargs):
        raise pw.IntegrityError("simulated failure after interests and windows were replaced")

    monkeypatch.setattr(ReachableCentre, "insert_many", broken)
    new = preferences([second], interest_ids=[builtin("baking").id], windows=[], max_per_week=5)
    new.max_per_month = 9
    with pytest.raises(Conflict):
        services.update_preferences(user, new)
    after = profile_for(user.id)
    assert after.interest_ids == before.interest_ids == {builtin("reading").id}
    assert after.windows == before.windows and after.max_per_week == 2
    assert Interest.select().count() == 1
