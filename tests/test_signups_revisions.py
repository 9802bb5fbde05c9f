"""What a sign-up moves of the revisions (volunteer_app/revisions/triggers.py), on both backends.

The seat (``slot.taken``) changes only together with a sign-up of the same slot, whose own
trigger moves the centre's ``staff`` revision and the person's: the slot's trigger does not
fire for a change of ``taken`` alone, so a sign-up moves each revision once. Any other
change of the slot still moves ``public`` and ``staff``.
"""

from __future__ import annotations

import json

import pytest

from tests.factories_signups import (
    fresh,
    invariant_after_each_test,  # noqa: F401 (autouse fixture)
    make_signup,
    make_slot,
    signup_world,  # noqa: F401 (the fixture ``w``)
    world,
)
from volunteer_app.activities.models import Slot
from volunteer_app.notifications.models import OutboxMessage
from volunteer_app.notifications.services import written
from volunteer_app.revisions.models import ContentRevision
from volunteer_app.signups import services

pytestmark = pytest.mark.dates  # depends on today: CI reruns it at fixed days


def _revisions(w) -> dict[str, int]:
    """The centre's public and staff revision and the volunteer's own, by scope."""
    owners = {"public": w.centre.id, "staff": w.centre.id, "person": w.vol.id}
    found = {scope: 0 for scope in owners}
    for row in ContentRevision.select():
        if owners.get(row.scope) == row.owner_id:
            found[row.scope] = row.value
    return found


def _moved(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {scope: after[scope] - before[scope] for scope in before}


def test_a_sign_up_moves_staff_and_the_person_once_and_not_public(w):
    slot = make_slot(w.act, capacity=2, hours_ahead=100)
    before = _revisions(w)
    assert services.sign_up(slot.id, actor=w.vol).outcome == "confirmed"
    assert fresh(slot).taken == 1
    assert _moved(before, _revisions(w)) == {"public": 0, "staff": 1, "person": 1}


def test_a_waitlisted_sign_up_moves_the_same(w):
    slot = make_slot(w.act, capacity=1, hours_ahead=100)
    make_signup(slot, world()[3], status="confirmed")
    before = _revisions(w)
    assert services.sign_up(slot.id, actor=w.vol).outcome == "waitlisted"
    assert _moved(before, _revisions(w)) == {"public": 0, "staff": 1, "person": 1}


def test_cancelling_frees_the_seat_and_moves_staff_and_the_person(w):
    slot = make_slot(w.act, capacity=2, hours_ahead=100)
    signup = services.sign_up(slot.id, actor=w.vol).signup
    before = _revisions(w)
    services.cancel_signup(signup.id, actor=w.vol)
    assert fresh(slot).taken == 0
    moved = _moved(before, _revisions(w))
    assert moved["public"] == 0 and moved["staff"] >= 1 and moved["person"] >= 1


def test_a_change_of_taken_alone_moves_nothing(w):
    """Only the sign-up services change ``taken``, and always with a sign-up of the slot."""
    slot = make_slot(w.act, capacity=3, hours_ahead=100)
    before = _revisions(w)
    Slot.update(taken=Slot.taken + 1).where(Slot.id == slot.id).execute()
    assert _moved(before, _revisions(w)) == {"public": 0, "staff": 0, "person": 0}
    Slot.update(taken=Slot.taken - 1).where(Slot.id == slot.id).execute()


@pytest.mark.parametrize(
    "change",
    [
        {"capacity": 5},
        {"taken": 1, "capacity": 5},  # a seat and something else at once
        {"cancel_reason": "Regen"},
        {"taken": 0},  # not a change of ``taken``: an update like any other
    ],
)
def test_any_other_change_of_the_slot_moves_public_and_staff(w, change):
    slot = make_slot(w.act, capacity=3, hours_ahead=100)
    before = _revisions(w)
    Slot.update(**change).where(Slot.id == slot.id).execute()
    moved = _moved(before, _revisions(w))
    assert moved["public"] == 1 and moved["staff"] == 1 and moved["person"] == 0
    Slot.update(taken=0).where(Slot.id == slot.id).execute()


def test_a_sign_up_queues_the_mail_its_sending_job_writes(w):
    """On PostgreSQL seat, sign-up and mail are one statement: the row is the same."""
    slot = make_slot(w.act, capacity=2, hours_ahead=100)
    result = services.sign_up(slot.id, actor=w.vol)
    row = OutboxMessage.select().order_by(OutboxMessage.id.desc()).first()
    assert (row.recipient, row.locale, row.template) == (
        w.vol.email,
        w.vol.locale,
        "signup_confirmed",
    )
    assert json.loads(row.params) == {"signup": result.signup.id}
    assert (row.status, row.attempts, row.subject, row.body_text) == ("pending", 0, "", "")
    assert row.next_attempt_at == row.created_at
    subject, text, _html = written(row)
    assert subject and w.act.title in text
    assert result.signup.slot.taken == 1 == fresh(slot).taken
    assert result.signup.created_at == result.signup.queued_at
