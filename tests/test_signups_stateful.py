"""A Hypothesis state machine over the booking services.

Random sequences of sign-up, cancel, assign, unassign, approve, decline, promote and
capacity changes, by volunteers and a coordinator, on open and approval slots (two of
them overlapping). After every step: ``0 <= taken = confirmed <= capacity`` on every
slot, nobody holds two overlapping active sign-ups, and no seat is free while someone
waits on the list.
"""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from tests.factories import make_user
from tests.factories_signups import (
    assert_invariant,
    assert_no_overlaps,
    make_activity,
    make_slot,
    world,
)
from tests.factories_volunteers import choose
from volunteer_app.activities.models import Slot
from volunteer_app.audit.models import AuditEntry
from volunteer_app.notifications.models import OutboxMessage
from volunteer_app.signups import services
from volunteer_app.signups.models import Signup

EXPECTED_REFUSALS = (
    services.SlotFull,
    services.OverlapError,
    services.AlreadySignedUp,
    services.WrongState,
    services.CapacityTooLow,
    services.DeadlinePassed,
)

VOLUNTEERS = 4


def test_booking_services_keep_their_invariants(conn):
    centre, coordinator, open_activity, _vol = world()
    approval_activity = make_activity(open_activity.centre, signup_mode="approval")
    people = [make_user(locale="en") for _ in range(VOLUNTEERS)]
    for p in people:
        choose(p, centre)  # the coordinator may see (and so assign) them
    slots = [
        make_slot(open_activity, hours_ahead=50, length=2, capacity=2),
        make_slot(open_activity, hours_ahead=51, length=2, capacity=1),  # overlaps the first
        make_slot(approval_activity, hours_ahead=80, length=2, capacity=1),
        make_slot(open_activity, hours_ahead=120, length=3, capacity=2),
    ]
    capacities = {s.id: s.capacity for s in slots}
    person = st.sampled_from(people)
    slot = st.sampled_from(slots)

    class Booking(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            # Each example starts from empty slots.
            Signup.delete().execute()
            OutboxMessage.delete().execute()
            AuditEntry.delete().execute()
            for slot_id, capacity in capacities.items():
                Slot.update(taken=0, capacity=capacity).where(Slot.id == slot_id).execute()

        def _signup(self, volunteer, slot_):
            return Signup.get_or_none(
                (Signup.slot == slot_.id) & (Signup.volunteer == volunteer.id)
            )

        def _attempt(self, call):
            with contextlib.suppress(EXPECTED_REFUSALS):
                call()

        def _on_signup(self, volunteer, slot_, action):
            signup = self._signup(volunteer, slot_)
            if signup is not None:
                self._attempt(lambda: action(signup.id))

        @rule(volunteer=person, slot_=slot)
        def sign_up(self, volunteer, slot_):
            self._attempt(lambda: services.sign_up(slot_.id, actor=volunteer))

        @rule(volunteer=person, slot_=slot)
        def cancel(self, volunteer, slot_):
            self._on_signup(volunteer, slot_, lambda i: services.cancel_signup(i, actor=volunteer))

        @rule(volunteer=person, slot_=slot)
        def assign(self, volunteer, slot_):
            self._attempt(lambda: services.assign(slot_.id, volunteer.id, actor=coordinator))

        @rule(volunteer=person, slot_=slot)
        def unassign(self, volunteer, slot_):
            self._on_signup(volunteer, slot_, lambda i: services.unassign(i, actor=coordinator))

        @rule(volunteer=person, slot_=slot)
        def approve(self, volunteer, slot_):
            self._on_signup(volunteer, slot_, lambda i: services.approve(i, actor=coordinator))

        @rule(volunteer=person, slot_=slot)
        def decline(self, volunteer, slot_):
            self._on_signup(volunteer, slot_, lambda i: services.decline(i, actor=coordinator))

        @rule(volunteer=person, slot_=slot)
        def promote(self, volunteer, slot_):
            self._on_signup(volunteer, slot_, lambda i: services.promote(i, actor=coordinator))

        @rule(slot_=slot, capacity=st.integers(min_value=1, max_value=4))
        def change_capacity(self, slot_, capacity):
            self._attempt(lambda: services.change_capacity(slot_.id, capacity, actor=coordinator))

        @invariant()
        def seats_match_confirmed(self):
            assert_invariant()

        @invariant()
        def nobody_is_in_two_places(self):
            assert_no_overlaps()

        @invariant()
        def no_free_seat_while_someone_waits(self):
            for s in Slot.select():
                waiting = Signup.select().where(
                    (Signup.slot == s.id) & (Signup.status == "waitlisted")
                )
                assert not (s.taken < s.capacity and waiting.exists()), s.id

    run_state_machine_as_test(
        Booking,
        settings=settings(
            max_examples=20,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
