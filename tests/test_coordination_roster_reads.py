"""The roster's reads: the people with their checks, check-ins and children along in one
query; the slot's SQL written once (``db.Prepared``) and its rows those of the query."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import make_centre, make_coordinator, make_user
from tests.factories_centres import count_queries, english
from tests.factories_coordination import make_activity, make_signup, make_slot
from volunteer_app.checkin.models import Checkin
from volunteer_app.companions.models import ComingAlong
from volunteer_app.coordination import queries
from volunteer_app.db import utcnow

pytestmark = pytest.mark.dates  # depends on today: CI reruns it at fixed days


@pytest.fixture
def world(conn):
    centre = make_centre(name="Zentrum A", slug="zentrum-a")
    coordinator = make_coordinator(centre, name="Clara Koordinatorin")
    activity = make_activity(
        centre, title="Waldtag", companion_children=True, responsible=coordinator
    )
    slot = make_slot(activity, 0, hour=0, capacity=4)  # began today at midnight: check-ins
    return centre, coordinator, slot


def test_check_ins_and_children_come_with_the_people(client, login_as, world):
    _, coordinator, slot = world
    now = utcnow()
    anna, ben, cem = (make_user(name=n) for n in ("Anna Arnold", "Ben Brandt", "Cem Celik"))
    arrived = make_signup(slot, anna, queued_at=now - dt.timedelta(days=2))
    Checkin.create(signup=arrived, checked_in_at=now - dt.timedelta(hours=1), method="poster")
    earlier_life = make_signup(slot, ben, queued_at=now - dt.timedelta(hours=2))
    # Checked in before this sign-up was made (an earlier, cancelled one): does not count.
    Checkin.create(signup=earlier_life, checked_in_at=now - dt.timedelta(days=1), method="tablet")
    ComingAlong.create(signup=arrived, children=2)
    ComingAlong.create(signup=make_signup(slot, cem), children=0)
    english(login_as(coordinator))
    with count_queries() as counter:
        body = client.get(f"/termine/{slot.id}/besetzung").get_data(as_text=True)
    # Login user, slot, membership check, the people with all they bring along.
    assert counter.count == 4
    assert body.count("Checked in at") == 1 and "(poster)" in body
    assert "with 2 children" in body
    assert "2 in total (not counted as volunteers)" in body
    assert "Clara Koordinatorin" in body  # the responsible person, of whom only the name is read

    roster = queries.roster(queries.roster_slot(slot.id))
    assert set(roster.checkins) == {arrived.id}
    assert roster.children == {arrived.id: 2, roster.confirmed[2].signup.id: 0}
    assert [line.person.name for line in roster.confirmed] == [
        "Anna Arnold",
        "Ben Brandt",
        "Cem Celik",
    ]


def test_the_roster_of_another_centre_is_not_mixed_in(conn, world):
    _, _, slot = world
    other = make_centre(slug="anderswo")
    elsewhere = make_slot(make_activity(other, companion_children=True), 1)
    person = make_user()
    ComingAlong.create(signup=make_signup(elsewhere, person), children=3)
    mine = make_signup(slot, person)
    roster = queries.roster(queries.roster_slot(slot.id))
    assert [line.signup.id for line in roster.lines] == [mine.id]
    assert roster.children == {}
    assert queries.roster_slot(999_999) is None
