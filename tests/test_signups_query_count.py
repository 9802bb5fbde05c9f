"""The statements of one sign-up, pinned: a change that adds one shows here.

``POST /termine/<id>/anmelden`` (counted by peewee's log, so without BEGIN and COMMIT):

1. the logged-in user (Flask-Login's user loader);
2. the person's row locked (PostgreSQL only);
3. in one statement: the slot with its activity and centre (read, not locked), the person's
   own row for this slot and their sign-ups at an overlapping time;
4. the conditional ``UPDATE`` that takes the seat if the slot is still as read (it locks
   the slot; its row count decides);
5. the sign-up ``INSERT``;
6. the confirmation mail into the outbox: only its template and the sign-up's id (the job
   that sends it writes it).

On PostgreSQL 4 to 6 are one statement (``WITH`` parts that write, run only if the seat was
taken): 4 statements there, 5 on SQLite. A full slot adds the slot locked and read again
(PostgreSQL) and the waiting-list position (once, for the mail and the message). A refusal
for a clash reads the clashing date's start and title. Whatever the person already has
booked, the count stays the same.
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


def test_a_confirmed_sign_up_runs_five_statements_four_on_postgresql(client, login_as, w):
    slot = make_slot(w.act, hours_ahead=72, capacity=2)
    # Other dates of the person, one of them on the same day: the clash check is one query
    # whatever they have booked.
    for hours in (24, 76, 120, 200):
        make_signup(make_slot(w.act, hours_ahead=hours), w.vol, status="confirmed")
    as_user(login_as, w.vol)
    statements = _statements(client, slot)
    assert len(statements) == (5 if is_sqlite() else 4), "\n".join(statements)
    assert status_of(slot, w.vol) == "confirmed"
    assert fresh(slot).taken == 1
    # On PostgreSQL the statements are prepared on the server: logged by their names.
    seat = "seat" if is_sqlite() else "signup_at_once"
    updates = [s for s in statements if 'UPDATE "slot"' in s or f"EXECUTE {seat}_" in s]
    assert len(updates) == 1
    assert not is_sqlite() or "FOR UPDATE" not in "".join(statements)
    mails = "outbox_message" if is_sqlite() else "EXECUTE signup_at_once_"
    [mail] = [s for s in statements if mails in s]
    assert "signup_confirmed" in mail and "Gartentag" not in mail  # written when it is sent


def test_a_waitlisted_sign_up_adds_the_position(client, login_as, w):
    slot = make_slot(w.act, hours_ahead=72, capacity=1)
    make_signup(slot, world()[3], status="confirmed")
    as_user(login_as, w.vol)
    statements = _statements(client, slot)
    # The slot locked and read again (PostgreSQL), and the position for mail and message.
    assert len(statements) == (6 if is_sqlite() else 8), "\n".join(statements)
    assert status_of(slot, w.vol) == "waitlisted"


def test_a_refused_sign_up_stops_early(client, login_as, w):
    slot = make_slot(w.act, hours_ahead=72, capacity=2)
    make_signup(make_slot(w.act, hours_ahead=73), w.vol, status="confirmed")  # overlaps
    as_user(login_as, w.vol)
    statements = _statements(client, slot)
    assert len(statements) == (3 if is_sqlite() else 4), "\n".join(statements)  # the clash details
    assert status_of(slot, w.vol) is None
