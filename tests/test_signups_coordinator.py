"""Coordinator actions on sign-ups: assign, unassign, approve, decline, promote, attendance,
capacity, slot cancellation — and that only the centre's coordinators (and admins) may."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.factories import make_centre, make_check, make_coordinator, make_user
from tests.factories_signups import (
    english_service_messages,  # noqa: F401 (autouse fixture)
    fresh,
    invariant_after_each_test,  # noqa: F401 (autouse fixture)
    mails_to,
    make_activity,
    make_signup,
    make_slot,
    signup_world,  # noqa: F401 (the fixture ``w``)
    status_of,
    world,
)
from tests.factories_volunteers import choose
from volunteer_app.activities.models import Slot
from volunteer_app.audit.models import AuditEntry
from volunteer_app.common.errors import NotAllowed, NotFound
from volunteer_app.db import db
from volunteer_app.notifications.models import OutboxMessage
from volunteer_app.signups import services
from volunteer_app.signups.models import Signup


@pytest.fixture(autouse=True)
def _volunteer_chose_the_centre(request):
    """The world's volunteer chose its centre, so that its coordinator may assign them."""
    if "w" in request.fixturenames:
        w = request.getfixturevalue("w")
        choose(w.vol, w.centre)


def _audit(action):
    return list(AuditEntry.select().where(AuditEntry.action == action))


# --- Assign and unassign -------------------------------------------------------------------


def test_assign_confirms_mails_and_audits(w):
    slot = make_slot(w.act)
    signup = services.assign(slot.id, w.vol.id, actor=w.coord)
    assert signup.status == "confirmed"
    row = fresh(signup)
    assert row.assigned_by_id == w.coord.id and row.decided_by_id == w.coord.id
    assert fresh(slot).taken == 1
    [mail] = mails_to(w.vol)
    assert mail.subject.startswith("You are signed up:")
    assert w.coord.name in mail.body_text
    [entry] = _audit("signup.assigned")
    assert (entry.actor_id, entry.subject_id, entry.slot_id, entry.centre_id) == (
        w.coord.id,
        w.vol.id,
        slot.id,
        w.centre.id,
    )


@pytest.mark.parametrize("status", ["waitlisted", "pending", "cancelled", "declined"])
def test_assign_upgrades_or_reactivates_the_existing_row(w, status):
    slot = make_slot(w.act, capacity=2)
    existing = make_signup(slot, w.vol, status=status)
    signup = services.assign(slot.id, w.vol.id, actor=w.coord)
    assert signup.id == existing.id
    assert fresh(existing).status == "confirmed"
    assert Signup.select().count() == 1


def test_assign_refuses_full_overlap_missing_certificate_and_duplicates(w):
    full = make_slot(w.act, capacity=1, hours_ahead=30)
    make_signup(full, make_user())
    with pytest.raises(services.SlotFull):
        services.assign(full.id, w.vol.id, actor=w.coord)

    busy = make_slot(w.act, hours_ahead=60)
    make_signup(busy, w.vol)
    clash = make_slot(w.act, hours_ahead=61)
    with pytest.raises(services.OverlapError, match=w.vol.name):
        services.assign(clash.id, w.vol.id, actor=w.coord)

    reading = make_slot(make_activity(w.centre, is_child_facing=True), hours_ahead=90)
    with pytest.raises(services.CertificateRequired, match="record the inspection"):
        services.assign(reading.id, w.vol.id, actor=w.coord)
    make_check(w.vol, w.centre)
    services.assign(reading.id, w.vol.id, actor=w.coord)
    with pytest.raises(services.AlreadySignedUp):
        services.assign(reading.id, w.vol.id, actor=w.coord)

    for slot in (full, clash):
        assert status_of(slot, w.vol) is None
    assert _audit("signup.assigned") and len(_audit("signup.assigned")) == 1


def test_assign_refuses_cancelled_and_past_slots_and_unknown_people(w):
    with pytest.raises(services.SlotCancelled):
        services.assign(make_slot(w.act, status="cancelled").id, w.vol.id, actor=w.coord)
    with pytest.raises(services.SlotStarted):
        services.assign(make_slot(w.act, hours_ahead=-2).id, w.vol.id, actor=w.coord)
    with pytest.raises(NotFound):
        services.assign(make_slot(w.act).id, 987_654, actor=w.coord)
    inactive = make_user(is_active=False)
    choose(inactive, w.centre)  # chosen, so only being inactive refuses them
    with pytest.raises(NotFound):
        services.assign(make_slot(w.act).id, inactive.id, actor=w.coord)
    assert Signup.select().count() == 0


def test_unassign_refills_from_the_waitlist_and_tells_both(w):
    slot = make_slot(w.act, capacity=1)
    seated = make_signup(slot, w.vol)
    waiting_person = make_user(locale="en")
    make_signup(slot, waiting_person, status="waitlisted")
    services.unassign(seated.id, actor=w.coord)
    assert fresh(seated).status == "cancelled"
    assert status_of(slot, waiting_person) == "confirmed"
    assert fresh(slot).taken == 1
    assert mails_to(w.vol)[-1].subject.startswith("Cancelled:")
    assert "taken you off" in mails_to(w.vol)[-1].body_text
    assert mails_to(waiting_person)[-1].subject.startswith("A place for you:")
    assert len(_audit("signup.unassigned")) == 1
    assert len(_audit("signup.promoted")) == 1


def test_unassign_refuses_inactive_and_started(w):
    slot = make_slot(w.act)
    gone = make_signup(slot, w.vol, status="cancelled")
    with pytest.raises(services.WrongState):
        services.unassign(gone.id, actor=w.coord)
    past = make_signup(make_slot(w.act, hours_ahead=-3), make_user())
    with pytest.raises(services.SlotStarted, match="attendance"):
        services.unassign(past.id, actor=w.coord)
    assert fresh(past).status == "confirmed"


# --- Approve, decline, promote -------------------------------------------------------------


@pytest.fixture
def approval(conn):
    centre, coordinator, activity, volunteer = world(signup_mode="approval")
    return centre, coordinator, activity, volunteer


def test_approve_confirms_when_a_seat_is_free_else_waitlists(approval):
    _centre, coord, activity, volunteer = approval
    slot = make_slot(activity, capacity=1)
    first = services.sign_up(slot.id, actor=volunteer).signup
    second_person = make_user(locale="en")
    second = services.sign_up(slot.id, actor=second_person).signup
    assert fresh(slot).taken == 0

    assert services.approve(first.id, actor=coord).status == "confirmed"
    assert services.approve(second.id, actor=coord).status == "waitlisted"
    assert fresh(slot).taken == 1
    assert mails_to(volunteer)[-1].subject.startswith("Approved:")
    assert "You are signed up" in mails_to(volunteer)[-1].body_text
    assert "waitlist (place 1)" in mails_to(second_person)[-1].body_text
    with pytest.raises(services.WrongState):
        services.approve(first.id, actor=coord)
    assert [e.detail for e in _audit("signup.approved")] == ["confirmed", "waitlisted"]


def test_approved_waitlist_moves_up_when_a_seat_frees(approval):
    _centre, coord, activity, volunteer = approval
    slot = make_slot(activity, capacity=1)
    seated = make_signup(slot, make_user())
    waiting = services.sign_up(slot.id, actor=volunteer).signup
    services.approve(waiting.id, actor=coord)
    services.unassign(seated.id, actor=coord)
    assert fresh(waiting).status == "confirmed"


def test_decline_pending_or_waitlisted_only(approval):
    _centre, coord, activity, volunteer = approval
    slot = make_slot(activity)
    pending = services.sign_up(slot.id, actor=volunteer).signup
    declined = services.decline(pending.id, actor=coord)
    assert declined.status == "declined" and fresh(pending).decided_by_id == coord.id
    assert mails_to(volunteer)[-1].subject.startswith("Not this time:")
    confirmed = make_signup(slot, make_user())
    with pytest.raises(services.WrongState):
        services.decline(confirmed.id, actor=coord)
    with pytest.raises(services.WrongState):
        services.decline(pending.id, actor=coord)
    assert fresh(confirmed).status == "confirmed"
    assert len(_audit("signup.declined")) == 1


def test_promote_needs_a_free_seat(w):
    slot = make_slot(w.act, capacity=1)
    waiting = make_signup(slot, w.vol, status="waitlisted")
    blocker = make_signup(slot, make_user())
    with pytest.raises(services.SlotFull):
        services.promote(waiting.id, actor=w.coord)
    assert fresh(waiting).status == "waitlisted"
    # A free seat next to a waitlist (e.g. rows written by hand): promotion takes it.
    Signup.update(status="cancelled").where(Signup.id == blocker.id).execute()
    Slot.update(taken=0).where(Slot.id == slot.id).execute()
    assert services.promote(waiting.id, actor=w.coord).status == "confirmed"
    assert fresh(slot).taken == 1
    assert mails_to(w.vol)[-1].subject.startswith("A place for you:")
    with pytest.raises(services.WrongState):
        services.promote(blocker.id, actor=w.coord)


# --- Attendance ----------------------------------------------------------------------------


def test_attendance_only_for_started_slots_and_confirmed_people(w):
    future = make_signup(make_slot(w.act, hours_ahead=5), w.vol)
    with pytest.raises(services.SlotStarted, match="once the slot has started"):
        services.record_attendance(future.id, "attended", 2, actor=w.coord)
    past_slot = make_slot(w.act, hours_ahead=-5, length=3)
    waiting = make_signup(past_slot, make_user(), status="waitlisted")
    with pytest.raises(services.WrongState):
        services.record_attendance(waiting.id, "attended", 2, actor=w.coord)
    assert fresh(future).attendance is None and fresh(waiting).attendance is None


def test_attendance_hours_and_no_show(w):
    past_slot = make_slot(w.act, hours_ahead=-5, length=2.5)
    here = make_signup(past_slot, w.vol)
    away = make_signup(past_slot, make_user())
    services.record_attendance(here.id, "attended", "3.25", actor=w.coord)
    assert (fresh(here).attendance, fresh(here).hours) == ("attended", Decimal("3.25"))
    services.record_attendance(here.id, "attended", None, actor=w.coord)  # default: length
    assert fresh(here).hours == Decimal("2.50")
    services.record_attendance(away.id, "no_show", 4, actor=w.coord)
    assert (fresh(away).attendance, fresh(away).hours) == ("no_show", Decimal("0"))
    assert len(_audit("signup.attendance")) == 3
    assert fresh(past_slot).taken == 2  # attendance never changes seats


@pytest.mark.parametrize("hours", [-1, "24.01", 25, "abc", "NaN", "Infinity", "1e400", "", " "])
def test_attendance_refuses_bad_hours(w, hours):
    signup = make_signup(make_slot(w.act, hours_ahead=-5), w.vol)
    if hours == "":
        # Empty means "the slot's length", which is fine.
        services.record_attendance(signup.id, "attended", hours, actor=w.coord)
        return
    with pytest.raises(services.InvalidInput):
        services.record_attendance(signup.id, "attended", hours, actor=w.coord)
    assert fresh(signup).attendance is None


@pytest.mark.parametrize("value", ["", "present", "ATTENDED", None, "no_show\n"])
def test_attendance_refuses_unknown_values(w, value):
    signup = make_signup(make_slot(w.act, hours_ahead=-5), w.vol)
    with pytest.raises(services.InvalidInput):
        services.record_attendance(signup.id, value, 1, actor=w.coord)
    assert fresh(signup).attendance is None


# --- Capacity ------------------------------------------------------------------------------


def test_raising_capacity_fills_from_the_waitlist_in_order(w):
    slot = make_slot(w.act, capacity=1)
    make_signup(slot, make_user())
    people = [make_user(locale="en") for _ in range(3)]
    for person in people:
        services.sign_up(slot.id, actor=person)
    services.change_capacity(slot.id, 3, actor=w.coord)
    assert [status_of(slot, p) for p in people] == ["confirmed", "confirmed", "waitlisted"]
    assert fresh(slot).capacity == 3 and fresh(slot).taken == 3
    assert mails_to(people[0])[-1].subject.startswith("A place for you:")


def test_lowering_capacity_below_the_confirmed_count_is_refused(w):
    slot = make_slot(w.act, capacity=3)
    make_signup(slot, make_user())
    make_signup(slot, make_user())
    with pytest.raises(services.CapacityTooLow, match="2 volunteers are confirmed"):
        services.change_capacity(slot.id, 1, actor=w.coord)
    assert fresh(slot).capacity == 3
    services.change_capacity(slot.id, 2, actor=w.coord)
    assert fresh(slot).capacity == 2


@pytest.mark.parametrize("value", [0, -1, 51, True, "3", 2.5, None])
def test_capacity_must_be_a_sensible_whole_number(w, value):
    slot = make_slot(w.act, capacity=2)
    with pytest.raises(services.InvalidInput):
        services.change_capacity(slot.id, value, actor=w.coord)
    assert fresh(slot).capacity == 2


def test_capacity_of_cancelled_or_past_slots_stays(w):
    with pytest.raises(services.SlotCancelled):
        services.change_capacity(make_slot(w.act, status="cancelled").id, 3, actor=w.coord)
    with pytest.raises(services.SlotStarted):
        services.change_capacity(make_slot(w.act, hours_ahead=-1).id, 3, actor=w.coord)


# --- Slot cancelled ------------------------------------------------------------------------


def test_cancel_slot_signups_ends_every_active_signup_and_tells_each(w):
    slot = make_slot(w.act, capacity=1)
    people = [make_user(locale="en") for _ in range(4)]
    make_signup(slot, people[0])
    make_signup(slot, people[1], status="waitlisted")
    make_signup(slot, people[2], status="pending")
    make_signup(slot, people[3], status="declined")
    with db.atomic():  # as inside the activities feature's transaction
        Slot.update(status="cancelled").where(Slot.id == slot.id).execute()
        affected = services.cancel_slot_signups(slot, actor=w.coord)
    assert sorted(s.previous_status for s in affected) == ["confirmed", "pending", "waitlisted"]
    assert slot.taken == 0 and fresh(slot).taken == 0
    assert [status_of(slot, p) for p in people] == ["cancelled"] * 3 + ["declined"]
    for person in people[:3]:
        assert mails_to(person)[-1].subject.startswith("Called off:")
    assert mails_to(people[3]) == []


# --- Permissions ---------------------------------------------------------------------------


def _snapshot():
    return (
        sorted((s.id, s.status, s.attendance) for s in Signup.select()),
        sorted((s.id, s.taken, s.capacity) for s in Slot.select()),
        OutboxMessage.select().count(),
        AuditEntry.select().count(),
    )


ACTIONS = {
    "assign": lambda ids, actor: services.assign(ids["slot"], ids["free"], actor=actor),
    "unassign": lambda ids, actor: services.unassign(ids["confirmed"], actor=actor),
    "approve": lambda ids, actor: services.approve(ids["pending"], actor=actor),
    "decline": lambda ids, actor: services.decline(ids["pending"], actor=actor),
    "promote": lambda ids, actor: services.promote(ids["waitlisted"], actor=actor),
    "attendance": lambda ids, actor: services.record_attendance(
        ids["past"], "attended", 2, actor=actor
    ),
    "capacity": lambda ids, actor: services.change_capacity(ids["slot"], 5, actor=actor),
    "cancel_slot": lambda ids, actor: services.cancel_slot_signups(
        Slot.get_by_id(ids["slot"]), actor=actor
    ),
}


def _chosen(centre):
    """A volunteer who chose the centre: its coordinators may see and assign them."""
    person = make_user()
    choose(person, centre)
    return person


@pytest.fixture
def scene(conn):
    centre = make_centre()
    activity = make_activity(centre)
    slot = make_slot(activity, capacity=3)
    past = make_slot(activity, hours_ahead=-4)
    ids = {
        "slot": slot.id,
        "free": _chosen(centre).id,
        "confirmed": make_signup(slot, make_user()).id,
        "pending": make_signup(slot, make_user(), status="pending").id,
        "waitlisted": make_signup(slot, make_user(), status="waitlisted").id,
        "past": make_signup(past, make_user()).id,
    }
    return centre, ids


@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize("who", ["other_coordinator", "volunteer", "coordinator_without_centre"])
def test_only_the_centres_coordinators_may_act(scene, action, who):
    _centre, ids = scene
    actor = {
        "other_coordinator": lambda: make_coordinator(make_centre()),
        "volunteer": lambda: make_user(),
        "coordinator_without_centre": lambda: make_user(role="coordinator"),
    }[who]()
    before = _snapshot()
    with pytest.raises(NotAllowed):
        ACTIONS[action](ids, actor)
    assert _snapshot() == before


@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize("who", ["coordinator", "admin"])
def test_the_centres_coordinator_and_admins_may_act(scene, action, who):
    centre, ids = scene
    actor = make_coordinator(centre) if who == "coordinator" else make_user(role="admin")
    before = _snapshot()
    ACTIONS[action](ids, actor)
    assert _snapshot() != before
    # The activities feature audits the slot's cancellation itself.
    assert AuditEntry.select().count() >= (0 if action in ("capacity", "cancel_slot") else 1)


def test_unknown_ids_are_not_found(w):
    for call in (
        lambda: services.unassign(424242, actor=w.coord),
        lambda: services.approve(424242, actor=w.coord),
        lambda: services.decline(424242, actor=w.coord),
        lambda: services.promote(424242, actor=w.coord),
        lambda: services.record_attendance(424242, "attended", 1, actor=w.coord),
        lambda: services.change_capacity(424242, 3, actor=w.coord),
        lambda: services.assign(424242, w.vol.id, actor=w.coord),
    ):
        with pytest.raises(NotFound):
            call()
