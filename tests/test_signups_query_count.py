"""The statements of one sign-up, pinned: a change that adds one shows here.

``POST /termine/<id>/anmelden`` (counted by peewee's log, so without BEGIN and COMMIT):

1. the logged-in user (Flask-Login's user loader);
2. PostgreSQL only: the person's row locked (``SELECT … FOR UPDATE``);
3. the slot with its activity and centre (locked on PostgreSQL);
4. in one query, the person's own row for this slot and their first clash;
5. the conditional ``UPDATE`` that takes the seat (its row count decides);
6. the sign-up ``INSERT``;
7. the confirmation mail into the outbox.

A full slot adds the waiting-list position (once in the service for the mail, once in the
view for the message). Whatever the person already has booked, the count stays the same.
"""

from __future__ import annotations

import pytest

from tests.factories_centres import count_queries
from tests.factories_signups import (
    as_user,
    fresh,
    invariant_after_each_test,  # noqa: F401 (autouse fixture)
    make_signup,
    make_slot,
    status_of,
    world,
)
from volunteer_app.db import is_sqlite

pytestmark = pytest.mark.dates  # depends on today: CI reruns it at fixed days


@pytest.fixture
def w(conn):
    centre, coordinator, activity, volunteer = world(title="Gartentag")
    return type("W", (), dict(centre=centre, coord=coordinator, act=activity, vol=volunteer))


def _statements(client, slot) -> list[str]:
    with count_queries() as counter:
        response = client.post(f"/termine/{slot.id}/anmelden")
    assert response.status_code == 302
    return counter.queries


def _expected(base: int) -> int:
    return base - 1 if is_sqlite() else base  # no row lock on SQLite (its write lock serialises)


def test_a_confirmed_sign_up_runs_seven_statements(client, login_as, w):
    slot = make_slot(w.act, hours_ahead=72, capacity=2)
    # Other dates of the person, one of them on the same day: the clash check is one query
    # whatever they have booked.
    for hours in (24, 76, 120, 200):
        make_signup(make_slot(w.act, hours_ahead=hours), w.vol, status="confirmed")
    as_user(login_as, w.vol)
    statements = _statements(client, slot)
    assert len(statements) == _expected(7), "\n".join(statements)
    assert status_of(slot, w.vol) == "confirmed"
    assert fresh(slot).taken == 1
    updates = [s for s in statements if s.startswith("('UPDATE")]
    assert len(updates) == 1 and '"taken" < "slot"."capacity"' in updates[0]


def test_a_waitlisted_sign_up_adds_the_position(client, login_as, w):
    slot = make_slot(w.act, hours_ahead=72, capacity=1)
    make_signup(slot, world()[3], status="confirmed")
    as_user(login_as, w.vol)
    statements = _statements(client, slot)
    assert len(statements) == _expected(9), "\n".join(statements)
    assert status_of(slot, w.vol) == "waitlisted"


def test_a_refused_sign_up_stops_early(client, login_as, w):
    slot = make_slot(w.act, hours_ahead=72, capacity=2)
    make_signup(make_slot(w.act, hours_ahead=73), w.vol, status="confirmed")  # overlaps
    as_user(login_as, w.vol)
    statements = _statements(client, slot)
    assert len(statements) == _expected(4), "\n".join(statements)
    assert status_of(slot, w.vol) is None
