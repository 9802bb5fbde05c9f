"""Sign-up state changes. Every function owns its transaction (``write_transaction``).

Invariants, kept here and in the database: ``0 <= slot.taken = confirmed sign-ups <= capacity``
(conditional UPDATE … WHERE taken < capacity, whose row count decides, plus a CHECK);
one row per (slot, volunteer) (UNIQUE); no two overlapping active sign-ups of one
volunteer (checked under the volunteer's row lock / SQLite's write lock).

Locking (PostgreSQL; on SQLite the IMMEDIATE transaction serialises every writer):
a function that may create an active sign-up first locks the volunteer's user row,
then every function locks the slot row before it reads or changes the slot's sign-ups.
The order is always person -> slot -> sign-up rows, so two transactions never wait for
each other in a circle, and everything that touches one slot's seats and waitlist runs
one after the other.

Interface agreed between features — implementation by the sign-ups feature.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import peewee as pw
from flask import current_app
from flask_babel import format_datetime, ngettext
from flask_babel import gettext as _

from volunteer_app.accounts.models import User
from volunteer_app.activities.models import Activity, Slot
from volunteer_app.audit import services as audit
from volunteer_app.centres.models import Centre
from volunteer_app.centres.queries import can_manage
from volunteer_app.checks.queries import has_valid_certificate
from volunteer_app.common.errors import Conflict, DomainError, NotAllowed, NotFound
from volunteer_app.common.time import to_berlin
from volunteer_app.common.urls import base_url, external_url
from volunteer_app.db import Prepared, db, is_sqlite, utcnow, write_transaction
from volunteer_app.notifications.models import OutboxMessage
from volunteer_app.notifications.services import (
    later_address,
    later_insert_from,
    queue_later,
    queue_mail,
    tell_coordinators,
    writes_later,
    written_later,
)
from volunteer_app.signups.models import ACTIVE, ATTENDANCE, REASON_MAX_LENGTH, CantCome, Signup
from volunteer_app.signups.queries import waitlist_position
from volunteer_app.volunteers.queries import visible_volunteers

MIN_CAPACITY = 1
MAX_CAPACITY = 50  # the same bounds as Activity.volunteers_needed
MAX_HOURS = Decimal(24)


# --- Refusals ------------------------------------------------------------------------------


class SlotCancelled(Conflict):
    """The slot has been cancelled."""


class SlotStarted(Conflict):
    """The slot has started or is over (or, for attendance: has not started yet)."""


class OverlapError(Conflict):
    """The volunteer is already active on another slot at that time."""


class CertificateRequired(DomainError):
    """A child-facing activity and no valid certificate for the centre on that date."""


class AlreadySignedUp(Conflict):
    """An active (or declined) sign-up exists for this slot and person."""


class DeadlinePassed(Conflict):
    """Too late to cancel online."""


class SlotFull(Conflict):
    """No free seat for a coordinator's assignment or promotion."""


class WrongState(Conflict):
    """The sign-up is not in a state this action applies to."""


class CapacityTooLow(Conflict):
    """The new capacity is below the number of confirmed volunteers."""


class InvalidInput(DomainError):
    """A value outside what the action accepts."""


@dataclass(frozen=True)
class SignupResult:
    signup: Signup
    outcome: str  # "confirmed" | "pending" | "waitlisted"
    position: int | None = None  # the place on the waitlist ("waitlisted")


# --- Volunteer actions ---------------------------------------------------------------------


def sign_up(slot_id: int, *, actor: User) -> SignupResult:
    """The volunteer (actor) signs up: confirmed if a seat is free and the mode is open,
    pending if the activity needs approval, waitlisted if full. Raises DomainError subclasses
    for: cancelled slot, slot in the past, overlap with another of the actor's slots,
    child-facing activity without a valid certificate, already signed up."""
    with write_transaction():
        _lock_person(actor.id)
        # The slot read (not locked) with the person's own row and any clash, in one query.
        slot, existing, clash = _booking(slot_id, actor.id)
        _check_sign_up(slot, actor, existing, clash)
        open_signup = slot.activity.signup_mode == "open"
        if open_signup and existing is None and _at_once():
            # The usual case on PostgreSQL: the seat, the sign-up and its mail in one statement;
            # if the slot had no seat as read, it wrote nothing, and the slot is locked below.
            signup = _confirm_at_once(slot, actor)
            if signup is not None:
                return SignupResult(signup, "confirmed")
            seated = False
        else:
            seated = open_signup and _take_seen_seat(slot)
        if seated:
            outcome = "confirmed"  # the seat's UPDATE locked the slot, as it was checked
        else:
            if not is_sqlite():
                # Approval, or no seat as the slot was read (full, or changed meanwhile):
                # lock it, read it again and check again what changed. (SQLite's write
                # lock, taken at BEGIN, kept everything as read.)
                seen, slot = slot, _locked_slot(slot_id)
                if _changed(seen, slot):
                    existing, clash = _own_and_clash(slot, actor.id)
                    _check_sign_up(slot, actor, existing, clash)
            if slot.activity.signup_mode == "approval":
                outcome = "pending"
            elif slot.taken < slot.capacity and _take_seat(slot):
                outcome = "confirmed"
            else:
                outcome = "waitlisted"
        signup = _store(slot, actor, existing, outcome)
        position = waitlist_position(signup) if outcome == "waitlisted" else None
        # Written by the job that sends it (_signup_mail): a rush of sign-ups does not wait
        # for three rendered parts each.
        queue_later(
            actor.email, f"signup_{outcome}", actor.locale, signup=signup.id, position=position
        )
        if outcome == "pending":
            _tell_coordinators_pending(actor, slot)
    return SignupResult(signup, outcome, position)


def _check_sign_up(slot: Slot, actor: User, existing: Signup | None, clash) -> None:
    """The volunteer's refusals, in this order: the slot (cancelled, started), their own row
    (active or declined), a clash, the certificate."""
    _check_bookable(slot)
    if existing is not None and existing.status in ACTIVE:
        raise AlreadySignedUp(_already_message(existing.status))
    if existing is not None and existing.status == "declined":
        raise AlreadySignedUp(
            _(
                "The coordinators have declined your sign-up for this slot. If you have "
                "questions, please contact %(contact)s.",
                contact=_centre_contact(slot.activity.centre),
            )
        )
    _refuse_clash(clash, actor, by_coordinator=False)
    _check_certificate(actor, slot, by_coordinator=False)


def cancel_signup(signup_id: int, *, actor: User) -> None:
    """The volunteer cancels (until the activity's deadline); a freed seat goes to the
    first on the waitlist automatically, who is told.

    The deadline protects the coordinators from a last-minute gap, so it applies to a
    confirmed seat; leaving a waitlist or withdrawing a pending request is possible until
    the slot starts.
    """
    with write_transaction():
        row = Signup.get_or_none(Signup.id == signup_id)
        if row is None or row.volunteer_id != actor.id:
            raise NotFound(_("We could not find this sign-up."))
        slot = _locked_slot(row.slot_id)
        signup = _reload(signup_id)
        if signup.status not in ACTIVE:
            raise WrongState(_("This sign-up is not active any more."))
        now = utcnow()
        if slot.starts_at <= now:
            raise SlotStarted(
                _(
                    "This slot has already started, so it can no longer be cancelled here. "
                    "Please contact %(contact)s.",
                    contact=_centre_contact(slot.activity.centre),
                )
            )
        if signup.status == "confirmed" and now > cancel_deadline(slot):
            raise DeadlinePassed(
                ngettext(
                    "Cancelling online is possible until %(num)s hour before the start. "
                    "Please tell the centre directly that you cannot come: %(contact)s.",
                    "Cancelling online is possible until %(num)s hours before the start. "
                    "Please tell the centre directly that you cannot come: %(contact)s.",
                    slot.activity.cancel_deadline_hours,
                    contact=_centre_contact(slot.activity.centre),
                )
            )
        was_confirmed = signup.status == "confirmed"
        _transition(signup, "cancelled")
        audit.record(
            slot.activity.centre_id,
            actor,
            "signup.cancelled",
            subject=actor,
            slot_id=slot.id,
            detail="by volunteer",
        )
        _notify(actor, slot, "signup_cancelled", signup=signup, by_coordinator=False)
        if was_confirmed:
            _free_seat(slot)
            _fill_from_waitlist(slot)


def cant_come(signup_id: int, reason: str = "", *, actor: User) -> CantCome:
    """The volunteer says they cannot come after all, once the cancellation deadline has
    passed (before it, ``cancel_signup`` applies; once the slot has started, neither).

    In one step: the sign-up is cancelled (no hours), the freed seat goes to the first on
    the waitlist (who is told), the volunteer gets the usual confirmation, and every
    coordinator of the centre is told at once by mail, with the optional reason, and on
    the coordination desk until one of them deals with it (``CantCome``)."""
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX_LENGTH:
        raise InvalidInput(
            _("Please use at most %(max)d characters.", max=REASON_MAX_LENGTH), field="reason"
        )
    with write_transaction():
        row = Signup.get_or_none(Signup.id == signup_id)
        if row is None or row.volunteer_id != actor.id:
            raise NotFound(_("We could not find this sign-up."))
        slot = _locked_slot(row.slot_id)
        signup = _reload(signup_id)
        if signup.status != "confirmed":
            raise WrongState(_("This sign-up is not confirmed, so you can simply cancel it."))
        now = utcnow()
        if slot.starts_at <= now:
            raise SlotStarted(
                _(
                    "This slot has already started, so it can no longer be cancelled here. "
                    "Please contact %(contact)s.",
                    contact=_centre_contact(slot.activity.centre),
                )
            )
        if now <= cancel_deadline(slot):
            raise WrongState(
                _("You can still cancel this date online: please use “Cancel my sign-up”.")
            )
        _transition(signup, "cancelled")
        audit.record(
            slot.activity.centre_id,
            actor,
            "signup.cancelled",
            subject=actor,
            slot_id=slot.id,
            detail="by volunteer after the deadline: cannot come",
        )
        notice = CantCome.create(signup=signup.id, reason=reason, created_at=now)
        _notify(actor, slot, "signup_cancelled", signup=signup, by_coordinator=False)
        _free_seat(slot)
        promoted = _fill_from_waitlist(slot)
        activity = slot.activity
        tell_coordinators(
            activity.centre_id,
            "cant_come",
            volunteer=actor,
            reason=reason,
            promoted=[p.volunteer for p in promoted],
            slot=slot,
            activity=activity,
            centre=activity.centre,
            link=external_url("proposals.slot_funnel", slot_id=slot.id),
        )
    return notice


# --- Coordinator actions -------------------------------------------------------------------


def assign(slot_id: int, volunteer_id: int, *, actor: User, invited: bool = False) -> Signup:
    """A coordinator assigns a volunteer directly (confirmed; refuses when full/overlap).

    A waitlisted or pending sign-up of the person is upgraded; a cancelled or declined
    one is reactivated. Someone the coordinator may not see (``visible_volunteers``) is
    "not found", whatever id was posted; ``invited``: the person accepted the centre's
    invitation themselves, which they may do even if they have since dropped the centre."""
    with write_transaction():
        _require_manager(actor, _slot_or_404(slot_id).activity.centre)
        visible = pw.SQL("1 = 1") if invited else visible_volunteers(actor)
        volunteer = User.get_or_none(
            (User.id == volunteer_id) & (User.is_active == True) & visible  # noqa: E712
        )
        if volunteer is None:
            raise NotFound(_("This person was not found."))
        _lock_person(volunteer.id)
        slot = _locked_slot(slot_id)
        _check_bookable(slot)
        existing, clash = _own_and_clash(slot, volunteer.id)
        if existing is not None and existing.status == "confirmed":
            raise AlreadySignedUp(
                _("%(name)s is already confirmed for this slot.", name=volunteer.name)
            )
        _refuse_clash(clash, volunteer, by_coordinator=True)
        _check_certificate(volunteer, slot, by_coordinator=True)
        if not _take_seat(slot):
            raise SlotFull(
                _(
                    "This slot is full. Raise the number of volunteers needed or remove "
                    "someone first."
                )
            )
        signup = _store(slot, volunteer, existing, "confirmed", assigned_by=actor)
        audit.record(
            slot.activity.centre_id, actor, "signup.assigned", subject=volunteer, slot_id=slot.id
        )
        _notify(volunteer, slot, "signup_assigned", signup=signup, actor=actor)
    return signup


def unassign(signup_id: int, *, actor: User) -> None:
    """A coordinator removes a confirmed/pending/waitlisted volunteer; the seat is refilled
    from the waitlist."""
    with write_transaction():
        signup, slot = _managed_signup(signup_id, actor)
        if signup.status not in ACTIVE:
            raise WrongState(_("This sign-up is not active any more."))
        if slot.starts_at <= utcnow():
            raise SlotStarted(_("This slot has already started. Please record attendance instead."))
        was_confirmed = signup.status == "confirmed"
        _transition(signup, "cancelled", decided_at=utcnow(), decided_by=actor.id)
        audit.record(
            slot.activity.centre_id,
            actor,
            "signup.unassigned",
            subject=signup.volunteer,
            slot_id=slot.id,
            detail=f"was {'confirmed' if was_confirmed else 'not confirmed'}",
        )
        _notify(signup.volunteer, slot, "signup_cancelled", signup=signup, by_coordinator=True)
        if was_confirmed:
            _free_seat(slot)
            _fill_from_waitlist(slot)


def approve(signup_id: int, *, actor: User) -> Signup:
    """Approve a pending sign-up (confirmed if a seat is free, else waitlisted)."""
    with write_transaction():
        signup, slot = _managed_signup(signup_id, actor)
        if signup.status != "pending":
            raise WrongState(_("Only a sign-up that waits for approval can be approved."))
        _check_bookable(slot)
        outcome = "confirmed" if _take_seat(slot) else "waitlisted"
        now = utcnow()
        # A waitlist place is counted from the moment the person is put on the list.
        _transition(signup, outcome, decided_at=now, decided_by=actor.id, queued_at=now)
        audit.record(
            slot.activity.centre_id,
            actor,
            "signup.approved",
            subject=signup.volunteer,
            slot_id=slot.id,
            detail=outcome,
        )
        position = waitlist_position(signup) if outcome == "waitlisted" else None
        _notify(signup.volunteer, slot, "signup_approved", signup=signup, position=position)
    return signup


def decline(signup_id: int, *, actor: User) -> Signup:
    """Decline a pending or waitlisted sign-up."""
    with write_transaction():
        signup, slot = _managed_signup(signup_id, actor)
        if signup.status not in ("pending", "waitlisted"):
            raise WrongState(
                _("Only a sign-up that waits for approval or a place can be declined.")
            )
        _transition(signup, "declined", decided_at=utcnow(), decided_by=actor.id)
        audit.record(
            slot.activity.centre_id,
            actor,
            "signup.declined",
            subject=signup.volunteer,
            slot_id=slot.id,
        )
        _notify(signup.volunteer, slot, "signup_declined", signup=signup)
    return signup


def promote(signup_id: int, *, actor: User) -> Signup:
    """Move a waitlisted person up (needs a free seat)."""
    with write_transaction():
        signup, slot = _managed_signup(signup_id, actor)
        if signup.status != "waitlisted":
            raise WrongState(_("Only a person on the waitlist can be moved up."))
        _check_bookable(slot)
        if not _take_seat(slot):
            raise SlotFull(
                _(
                    "There is no free place. Raise the number of volunteers needed or "
                    "remove someone first."
                )
            )
        _transition(signup, "confirmed", decided_at=utcnow(), decided_by=actor.id)
        audit.record(
            slot.activity.centre_id,
            actor,
            "signup.promoted",
            subject=signup.volunteer,
            slot_id=slot.id,
        )
        _notify(signup.volunteer, slot, "signup_moved_up", signup=signup)
    return signup


def record_attendance(signup_id: int, attendance: str, hours, *, actor: User) -> Signup:
    """attended / no_show, with hours (0–24) for a past slot's confirmed sign-up.

    Without hours, "attended" counts the slot's length (at most 24); a no-show counts 0.
    """
    with write_transaction():
        signup, slot = _managed_signup(signup_id, actor)
        if attendance not in ATTENDANCE:
            raise InvalidInput(_("Please choose attended or did not come."), field="attendance")
        if signup.status != "confirmed":
            raise WrongState(_("Attendance can only be recorded for confirmed volunteers."))
        if slot.starts_at > utcnow():
            raise SlotStarted(_("Attendance can be recorded once the slot has started."))
        value = _hours(hours, slot) if attendance == "attended" else Decimal("0.00")
        _transition(signup, "confirmed", attendance=attendance, hours=value)
        audit.record(
            slot.activity.centre_id,
            actor,
            "signup.attendance",
            subject=signup.volunteer,
            slot_id=slot.id,
            detail=f"{attendance} {value}",
        )
    return signup


def change_capacity(slot_id: int, capacity: int, *, actor: User) -> Slot:
    """Raise (fills from the waitlist) or lower (refused below the confirmed count)."""
    with write_transaction():
        slot = _locked_slot(slot_id)
        _require_manager(actor, slot.activity.centre)
        if (
            not isinstance(capacity, int)
            or isinstance(capacity, bool)
            or not MIN_CAPACITY <= capacity <= MAX_CAPACITY
        ):
            raise InvalidInput(
                _(
                    "Please enter a number of volunteers from %(min)s to %(max)s.",
                    min=MIN_CAPACITY,
                    max=MAX_CAPACITY,
                ),
                field="capacity",
            )
        if slot.status != "scheduled":
            raise SlotCancelled(_("This slot has been cancelled."))
        if slot.starts_at <= utcnow():
            raise SlotStarted(_("This slot has already started or is over."))
        changed = (
            Slot.update(capacity=capacity, updated_at=utcnow())
            .where((Slot.id == slot.id) & (Slot.taken <= capacity))
            .execute()
        )
        if not changed:
            raise CapacityTooLow(
                ngettext(
                    "%(num)s volunteer is confirmed for this slot. Please remove someone "
                    "before you lower the number to %(capacity)s.",
                    "%(num)s volunteers are confirmed for this slot. Please remove someone "
                    "before you lower the number to %(capacity)s.",
                    slot.taken,
                    capacity=capacity,
                ),
                field="capacity",
            )
        previous, slot.capacity = slot.capacity, capacity
        if _CAPACITY_ACTION in audit.ACTIONS:
            audit.record(
                slot.activity.centre_id,
                actor,
                _CAPACITY_ACTION,
                slot_id=slot.id,
                detail=f"{previous} -> {capacity}",
            )
        _fill_from_waitlist(slot)
    return slot


# The audit log has no action for a capacity change yet (audit/services.py is shared);
# the entry is written as soon as the action is added there.
_CAPACITY_ACTION = "slot.capacity"


def cancel_slot_signups(slot: Slot, *, actor: User) -> list[Signup]:
    """Called by the activities feature inside its transaction when a slot is cancelled:
    tells everyone active on it. Returns the sign-ups affected.

    Each returned sign-up has status "cancelled" and keeps its earlier status in
    ``previous_status``. ``slot.taken`` is set to 0 in the database and on the object.
    """
    with write_transaction():
        locked = _locked_slot(slot.id)
        _require_manager(actor, locked.activity.centre)
        affected = list(
            Signup.select(Signup, User)
            .join(User, on=(Signup.volunteer == User.id))
            .where((Signup.slot == locked.id) & Signup.status.in_(ACTIVE))
            .order_by(Signup.id)
        )
        if affected:
            Signup.update(status="cancelled").where(
                Signup.id.in_([s.id for s in affected])
            ).execute()
        Slot.update(taken=0).where(Slot.id == locked.id).execute()
        slot.taken = locked.taken = 0
        for signup in affected:
            signup.previous_status, signup.status = signup.status, "cancelled"
            _notify(signup.volunteer, locked, "signup_slot_cancelled", signup=signup)
    return affected


def withdraw_for_erasure(volunteer: User) -> list[Signup]:
    """Called by the erasure feature inside its transaction, before an account is erased:
    every active sign-up of the person for a slot that has not started is cancelled, a freed
    seat goes to the first on the waitlist (who is told), and the person gets no mail.

    Returns the cancelled sign-ups, each with its locked ``slot`` (activity and centre
    joined) and its earlier status in ``previous_status``; ``promoted`` lists who moved up.
    """
    with write_transaction():
        _lock_person(volunteer.id)
        now = utcnow()
        slot_ids = [
            row.slot_id
            for row in Signup.select(Signup.slot)
            .join(Slot, on=(Signup.slot == Slot.id))
            .where(
                (Signup.volunteer == volunteer.id)
                & Signup.status.in_(ACTIVE)
                & (Slot.starts_at > now)
            )
            .order_by(Signup.slot)  # slots are locked in one order by everybody
        ]
        cancelled = []
        for slot_id in slot_ids:
            slot = _locked_slot(slot_id)
            signup = _signup_of(slot.id, volunteer.id)
            if signup is None or signup.status not in ACTIVE:
                continue
            previous = signup.status
            _transition(signup, "cancelled", decided_at=now)
            audit.record(
                slot.activity.centre_id,
                None,
                "signup.cancelled",
                subject=volunteer,
                slot_id=slot.id,
                detail="account deleted",
            )
            promoted = []
            if previous == "confirmed":
                _free_seat(slot)
                promoted = _fill_from_waitlist(slot)
            signup.slot, signup.previous_status, signup.promoted = slot, previous, promoted
            cancelled.append(signup)
    return cancelled


# --- Helpers -------------------------------------------------------------------------------


def cancel_deadline(slot: Slot) -> dt.datetime:
    """Until when (naive UTC) a confirmed volunteer may cancel online."""
    return slot.starts_at - dt.timedelta(hours=slot.activity.cancel_deadline_hours)


_LOCK_PERSON = Prepared(
    lambda user_id: User.select(User.id).where(User.id == user_id).for_update(), "lock_person"
)


def _lock_person(user_id: int) -> None:
    """Serialise everything that may create an active sign-up for this person (PostgreSQL).

    A statement of its own: what is read under the lock must be read by a later statement,
    whose snapshot (READ COMMITTED) then holds what the previous holder committed."""
    if not is_sqlite():
        _LOCK_PERSON.rows(user_id)


def _booking_query(user_id: int, slot_id: int) -> pw.ModelSelect:
    Other = Slot.alias("other_slot")
    overlapping = pw.fn.EXISTS(
        Other.select(pw.SQL("1")).where(
            (Other.id == Signup.slot)
            & (Other.status == "scheduled")
            & (Other.starts_at < Slot.ends_at)
            & (Other.ends_at > Slot.starts_at)
        )
    )
    mine = (Signup.volunteer == user_id) & (
        (Signup.slot == Slot.id) | (Signup.status.in_(ACTIVE) & overlapping)
    )
    return (
        _slot_with_centre(slot_id)
        .select_extend(*Signup._meta.sorted_fields)
        .switch(Slot)
        .join(Signup, pw.JOIN.LEFT_OUTER, on=mine, attr="mine")
        .order_by(Signup.id)
    )


# The slot with its activity and centre, the person's own row for it and their active
# sign-ups at an overlapping time: one statement, its SQL built once.
_BOOKING = Prepared(_booking_query, "booking")


def _booking(slot_id: int, volunteer_id: int) -> tuple[Slot, Signup | None, Signup | None]:
    """In one statement, under the person's lock (``_lock_person``, taken before): the slot
    with its activity and centre, read but not locked, the person's own sign-up for it
    (any state; None if they never signed up) and their first active sign-up for another
    scheduled slot at an overlapping time (None if none; its start and title read then, as
    the refusal needs them). The seat is taken by an ``UPDATE`` that checks the slot is
    still as read (``_take_seen_seat``)."""
    rows = _BOOKING.rows(volunteer_id, slot_id)
    if not rows:
        raise NotFound(_("This slot does not exist."))
    slot = rows[0]
    own, clashes = None, []
    for row in rows:
        signup = getattr(row, "mine", None)
        if signup is None or signup.id is None:
            continue
        if signup.slot_id == slot.id:
            own = signup
        else:
            clashes.append(signup.id)
    clash = None
    if clashes:
        clash = (
            Signup.select(Signup, Slot.id, Slot.starts_at, Activity.id, Activity.title)
            .join(Slot, on=(Signup.slot == Slot.id))
            .join(Activity, on=(Slot.activity == Activity.id))
            .where(Signup.id.in_(clashes))
            .order_by(Slot.starts_at, Signup.id)
            .first()
        )
    return slot, own, clash


# The seat, if the slot is still as the booking read it (PostgreSQL: read without a lock);
# on SQLite nothing can change in between (one writer at a time).
def _seat_if_unchanged(slot_id, starts_at, ends_at) -> pw.ModelUpdate:
    """Take one seat of the slot if it has a free one and is still scheduled at the times
    read (a coordinator may have moved it since)."""
    return Slot.update(taken=Slot.taken + 1).where(
        (Slot.id == slot_id)
        & (Slot.taken < Slot.capacity)
        & (Slot.status == "scheduled")
        & (Slot.starts_at == starts_at)
        & (Slot.ends_at == ends_at)
    )


_SEAT_IF_UNCHANGED = Prepared(
    lambda slot_id, starts_at, ends_at: _seat_if_unchanged(slot_id, starts_at, ends_at).returning(
        Slot.taken
    ),
    "seat_if_unchanged",
)
_SEAT = Prepared(
    lambda slot_id: (
        Slot.update(taken=Slot.taken + 1)
        .where((Slot.id == slot_id) & (Slot.taken < Slot.capacity) & (Slot.status == "scheduled"))
        .returning(Slot.taken)
    ),
    "seat",
)


def _at_once_query(slot_id, starts_at, ends_at, volunteer_id, created, queued, recipient, locale):
    seat = (
        _seat_if_unchanged(slot_id, starts_at, ends_at).returning(Slot.id, Slot.taken).cte("seat")
    )
    new = (
        Signup.insert_from(
            pw.Select([seat], [seat.c.id, volunteer_id, "confirmed", created, queued]),
            [Signup.slot, Signup.volunteer, Signup.status, Signup.created_at, Signup.queued_at],
        )
        .returning(Signup.id, Signup.created_at)
        .cte("new_signup")
    )
    mail = (
        later_insert_from(
            new, "signup_confirmed", recipient, locale, new.c.created_at, signup=new.c.id
        )
        .returning(OutboxMessage.id)
        .cte("mail")
    )
    return pw.Select([seat, new], [seat.c.taken, new.c.id]).with_cte(seat, new, mail).bind(db)


# PostgreSQL: the seat if the slot is still as the booking read it (the ``UPDATE`` of
# ``_SEAT_IF_UNCHANGED``, which locks the slot), the sign-up and its confirmation mail
# (``queue_later``'s row) in one statement, whose parts run only if the seat was taken:
# three statements' work in one round trip, its SQL built once and prepared on the server.
_AT_ONCE = Prepared(_at_once_query, "signup_at_once")


def _at_once() -> bool:
    """Whether a sign-up may be confirmed by ``_confirm_at_once``: on PostgreSQL (SQLite
    has no ``WITH`` that writes), with the mail written by the job that sends it."""
    return not is_sqlite() and writes_later()


def _confirm_at_once(slot: Slot, actor: User) -> Signup | None:
    """A new confirmed sign-up (the person has no row for the slot) with its seat and its
    mail, if the slot has a free seat and is still as read; None (and nothing written) if not."""
    now = utcnow()
    recipient, locale = later_address(actor.email, "signup_confirmed", actor.locale)
    try:
        rows = _AT_ONCE.execute(
            slot.id, slot.starts_at, slot.ends_at, actor.id, now, now, recipient, locale
        ).fetchall()
    except pw.IntegrityError as exc:
        # Unreachable under the person's lock; the UNIQUE index is the last line.
        raise AlreadySignedUp(_already_message("confirmed")) from exc
    if not rows:
        return None
    slot.taken, new_id = rows[0]
    return _new_signup(new_id, slot, actor, now, _fields("confirmed", now))


def _take_seen_seat(slot: Slot) -> bool:
    """Take a seat with one conditional ``UPDATE`` (which locks the slot) if there is one
    and the slot's status and times are still those read: its row count decides."""
    if is_sqlite():
        cursor = _SEAT.execute(slot.id)
    else:
        cursor = _SEAT_IF_UNCHANGED.execute(slot.id, slot.starts_at, slot.ends_at)
    # Every row fetched: SQLite ends a statement with RETURNING only at its last row.
    rows = cursor.fetchall()
    if not rows:
        return False
    slot.taken = rows[0][0]
    return True


def _changed(seen: Slot, locked: Slot) -> bool:
    """Whether the slot changed in what the refusals look at since it was read unlocked."""
    return (seen.status, seen.starts_at, seen.ends_at, seen.activity.__data__) != (
        locked.status,
        locked.starts_at,
        locked.ends_at,
        locked.activity.__data__,
    )


def _slot_with_centre(slot_id: int) -> pw.ModelSelect:
    return (
        Slot.select(Slot, Activity, Centre)
        .join(Activity, on=(Slot.activity == Activity.id))
        .join(Centre, on=(Activity.centre == Centre.id))
        .where(Slot.id == slot_id)
    )


# Every sign-up reads its slot with the activity and centre (46 columns): the SQL is built
# once (db.Prepared).
_SLOT = Prepared(lambda slot_id: _slot_with_centre(slot_id).limit(1))
_LOCKED_SLOT = Prepared(lambda slot_id: _slot_with_centre(slot_id).for_update(of=Slot).limit(1))


def _locked_slot(slot_id: int) -> Slot:
    """The slot with its activity and centre; on PostgreSQL its row stays locked until the
    transaction ends, so every change to its seats and waitlist happens one after another."""
    slot = (_SLOT if is_sqlite() else _LOCKED_SLOT).first(slot_id)
    if slot is None:
        raise NotFound(_("This slot does not exist."))
    return slot


def _slot_or_404(slot_id: int) -> Slot:
    """The slot without a lock: to check permission before any lock is taken."""
    slot = _SLOT.first(slot_id)
    if slot is None:
        raise NotFound(_("This slot does not exist."))
    return slot


def _reload(signup_id: int) -> Signup:
    signup = (
        Signup.select(Signup, User)
        .join(User, on=(Signup.volunteer == User.id))
        .where(Signup.id == signup_id)
        .first()
    )
    if signup is None:
        raise NotFound(_("We could not find this sign-up."))
    return signup


def _managed_signup(signup_id: int, actor: User) -> tuple[Signup, Slot]:
    """A sign-up and its locked slot, for a coordinator of the slot's centre."""
    row = Signup.get_or_none(Signup.id == signup_id)
    if row is None:
        raise NotFound(_("We could not find this sign-up."))
    slot = _locked_slot(row.slot_id)
    _require_manager(actor, slot.activity.centre)
    signup = _reload(signup_id)  # read again under the lock: it may have changed meanwhile
    signup.slot = slot
    return signup, slot


def _require_manager(actor: User | None, centre: Centre) -> None:
    if actor is None or not can_manage(actor, centre):
        raise NotAllowed(_("Only the coordinators of this centre may do this."))


def _signup_of(slot_id: int, volunteer_id: int) -> Signup | None:
    return Signup.get_or_none((Signup.slot == slot_id) & (Signup.volunteer == volunteer_id))


def _check_bookable(slot: Slot) -> None:
    if slot.status != "scheduled":
        raise SlotCancelled(_("This slot has been cancelled. Please choose another date."))
    if slot.starts_at <= utcnow():
        raise SlotStarted(
            _("This slot has already started or is over. Please choose a date in the future.")
        )


def _own_and_clash(slot: Slot, volunteer_id: int) -> tuple[Signup | None, Signup | None]:
    """In one query: the person's sign-up for this slot (in any state; None if they never
    signed up), and their first active sign-up for another scheduled slot at an overlapping
    time (None if there is none), with that slot's start and its activity's title.

    Read under the person's lock (and the slot's), as the two single reads were."""
    rows = (
        Signup.select(Signup, Slot.id, Slot.starts_at, Activity.id, Activity.title)
        .join(Slot, on=(Signup.slot == Slot.id))
        .join(Activity, on=(Slot.activity == Activity.id))
        .where(
            (Signup.volunteer == volunteer_id)
            & (
                (Signup.slot == slot.id)
                | (
                    Signup.status.in_(ACTIVE)
                    & (Slot.status == "scheduled")
                    & (Slot.starts_at < slot.ends_at)
                    & (Slot.ends_at > slot.starts_at)
                )
            )
        )
        .order_by(Slot.starts_at, Signup.id)
    )
    own = clash = None
    for row in rows:
        if row.slot_id == slot.id:
            own = row
        elif clash is None:
            clash = row
    return own, clash


def _refuse_clash(clash: Signup | None, volunteer: User, *, by_coordinator: bool) -> None:
    """Refuse a sign-up that would overlap ``clash`` (from ``_own_and_clash``)."""
    if clash is None:
        return
    other = clash.slot
    when = format_datetime(other.starts_at, "short")
    if by_coordinator:
        message = _(
            '%(name)s is already signed up for "%(title)s" at that time (%(when)s).',
            name=volunteer.name,
            title=other.activity.title,
            when=when,
        )
    else:
        message = _(
            'You are already signed up for "%(title)s" at that time (%(when)s). '
            "Please cancel that first or choose another date.",
            title=other.activity.title,
            when=when,
        )
    raise OverlapError(message)


def _check_certificate(volunteer: User, slot: Slot, *, by_coordinator: bool) -> None:
    activity = slot.activity
    if not activity.is_child_facing:
        return
    day = to_berlin(slot.starts_at).date()
    if has_valid_certificate(volunteer.id, activity.centre_id, day):
        return
    if by_coordinator:
        message = _(
            "%(name)s has no extended police certificate inspected by this centre that is "
            "valid on this date. Please record the inspection first.",
            name=volunteer.name,
        )
    else:
        message = _(
            "This activity is with children, so it needs an extended police certificate "
            "(erweitertes Führungszeugnis) that %(centre)s has seen. Ask the centre for a "
            "confirmation letter and apply for the certificate at your town hall: for "
            "volunteers it is free of charge. Once the centre has inspected it, you can "
            "sign up.",
            centre=activity.centre.name,
        )
    raise CertificateRequired(message)


def _already_message(status: str) -> str:
    if status == "waitlisted":
        return _("You are already on the waitlist for this slot.")
    if status == "pending":
        return _("You have already signed up; the coordinators will confirm it soon.")
    return _("You are already signed up for this slot.")


def _take_seat(slot: Slot) -> bool:
    """One conditional update: its row count says whether a seat was free."""
    taken = (
        Slot.update(taken=Slot.taken + 1)
        .where((Slot.id == slot.id) & (Slot.taken < Slot.capacity) & (Slot.status == "scheduled"))
        .execute()
    )
    if taken:
        slot.taken += 1
    return bool(taken)


def _free_seat(slot: Slot) -> None:
    freed = (
        Slot.update(taken=Slot.taken - 1).where((Slot.id == slot.id) & (Slot.taken > 0)).execute()
    )
    if freed:
        slot.taken -= 1


def _fill_from_waitlist(slot: Slot) -> list[Signup]:
    """Give free seats to the first on the waitlist (by queued_at, then id); tell each.

    For a child-facing activity, people whose certificate is no longer valid on the
    slot's date are passed over (they stay on the list).
    """
    promoted: list[Signup] = []
    if slot.status != "scheduled" or slot.starts_at <= utcnow():
        return promoted
    waiting = (
        Signup.select(Signup, User)
        .join(User, on=(Signup.volunteer == User.id))
        .where((Signup.slot == slot.id) & (Signup.status == "waitlisted"))
        .order_by(Signup.queued_at, Signup.id)
    )
    activity = slot.activity
    day = to_berlin(slot.starts_at).date()
    for first in waiting:
        if activity.is_child_facing and not has_valid_certificate(
            first.volunteer_id, activity.centre_id, day
        ):
            continue
        if not _take_seat(slot):
            break
        _transition(first, "confirmed")
        audit.record(
            activity.centre_id,
            None,
            "signup.promoted",
            subject=first.volunteer,
            slot_id=slot.id,
            detail="automatic from the waitlist",
        )
        _notify(first.volunteer, slot, "signup_moved_up", signup=first)
        promoted.append(first)
    return promoted


def _transition(signup: Signup, status: str, **fields) -> None:
    """Change a sign-up that is still in the state it was read in (else: changed meanwhile)."""
    changed = (
        Signup.update(status=status, **fields)
        .where((Signup.id == signup.id) & (Signup.status == signup.status))
        .execute()
    )
    if not changed:
        raise Conflict(_("This sign-up was changed in the meantime. Please reload the page."))
    signup.status = status
    for name, value in fields.items():
        setattr(signup, name, value)


# A new sign-up: on every sign-up, so its SQL is built once.
_INSERT = Prepared(
    lambda slot, volunteer, status, created, queued, decided_at, decided_by, assigned_by: (
        Signup.insert(
            slot=slot,
            volunteer=volunteer,
            status=status,
            created_at=created,
            queued_at=queued,
            decided_at=decided_at,
            decided_by=decided_by,
            assigned_by=assigned_by,
        )
    ),
    "new_signup",
)


def _fields(status: str, now: dt.datetime, assigned_by=None) -> dict:
    """What a new or reactivated sign-up sets (all but its id, slot, person and creation)."""
    return {
        "status": status,
        "queued_at": now,
        "decided_at": now if assigned_by else None,
        "decided_by": getattr(assigned_by, "id", None),
        "assigned_by": getattr(assigned_by, "id", None),
        "attendance": None,
        "hours": None,
        "reminded_at": None,
    }


def _new_signup(new_id: int, slot: Slot, volunteer: User, now: dt.datetime, fields) -> Signup:
    """The object of a sign-up just inserted, with its slot and person."""
    signup = Signup(id=new_id, slot=slot.id, volunteer=volunteer.id, created_at=now, **fields)
    signup.volunteer = volunteer
    signup.slot = slot
    return signup


def _store(
    slot: Slot, volunteer: User, existing: Signup | None, status: str, assigned_by=None
) -> Signup:
    """Insert the sign-up, or reactivate the person's earlier row (one per slot and person)."""
    now = utcnow()
    fields = _fields(status, now, assigned_by)
    if existing is None:
        try:
            cursor = _INSERT.execute(
                slot.id,
                volunteer.id,
                status,
                now,
                now,
                fields["decided_at"],
                fields["decided_by"],
                fields["assigned_by"],
            )
        except pw.IntegrityError as exc:
            # Unreachable under the person's lock; the UNIQUE index is the last line.
            raise AlreadySignedUp(_already_message("confirmed")) from exc
        new_id = cursor.fetchall()[0][0] if db.obj.returning_clause else cursor.lastrowid
        return _new_signup(new_id, slot, volunteer, now, fields)
    _transition(existing, status, **{k: v for k, v in fields.items() if k != "status"})
    existing.volunteer = volunteer
    existing.slot = slot
    return existing


def _hours(hours, slot: Slot) -> Decimal:
    if hours is None or hours == "":
        length = Decimal((slot.ends_at - slot.starts_at).total_seconds()) / 3600
        return min(length, MAX_HOURS).quantize(Decimal("0.01"))
    try:
        value = Decimal(str(hours))
    except (InvalidOperation, ValueError):
        value = Decimal("NaN")
    if not value.is_finite() or not 0 <= value <= MAX_HOURS:
        raise InvalidInput(_("Please enter the hours as a number from 0 to 24."), field="hours")
    return value.quantize(Decimal("0.01"))


def _centre_contact(centre: Centre) -> str:
    """How to reach a centre, for refusals that send the volunteer there."""
    ways = [w for w in (centre.contact_phone, centre.contact_email) if w]
    if ways:
        return _("%(centre)s (%(ways)s)", centre=centre.name, ways=", ".join(ways))
    return _("the coordinators of %(centre)s", centre=centre.name)


def slot_link(slot_id: int) -> str:
    """The slot page's address from base_url() (mails are also written outside requests)."""
    path = current_app.url_map.bind("localhost").build("signups.show_slot", {"slot_id": slot_id})
    return base_url() + path


def _tell_coordinators_pending(volunteer: User, slot: Slot) -> None:
    """Mail the centre's coordinators that a sign-up waits for their approval."""
    activity = slot.activity
    tell_coordinators(
        activity.centre_id,
        "signup_awaiting_approval",
        volunteer=volunteer,
        slot=slot,
        activity=activity,
        centre=activity.centre,
        link=external_url("coordination.roster", slot_id=slot.id) + "#pending",
    )


# A sign-up's own mail, written by the job that sends it: the sign-up with its person, slot,
# activity and centre in one query.
_SIGNUP_MAIL = Prepared(
    lambda signup_id: (
        Signup.select(Signup, User, Slot, Activity, Centre)
        .join(User, on=(Signup.volunteer == User.id))
        .switch(Signup)
        .join(Slot, on=(Signup.slot == Slot.id))
        .join(Activity, on=(Slot.activity == Activity.id))
        .join(Centre, on=(Activity.centre == Centre.id))
        .where(Signup.id == signup_id)
    ),
    "signup_mail",
)


@written_later("signup_confirmed", "signup_pending", "signup_waitlisted")
def _signup_mail(params: dict, row) -> dict:
    """The context of a sign-up's mail (queued in ``sign_up``), as ``_notify`` gives it:
    from the sign-up's id, the waitlist place as it was, and the cancellation deadline as
    it stood when the mail was queued."""
    signup = _SIGNUP_MAIL.first(params["signup"])
    if signup is None:
        raise NotFound(_("We could not find this sign-up."))
    slot = signup.slot
    deadline = cancel_deadline(slot)
    return {
        "user": signup.volunteer,
        "slot": slot,
        "activity": slot.activity,
        "centre": slot.activity.centre,
        "link": slot_link(slot.id),
        "deadline": deadline if deadline > row.created_at else None,
        "signup": signup,
        "position": params.get("position"),
    }


def _notify(volunteer: User, slot: Slot, template: str, **context):
    """Queue a sign-up mail in the volunteer's language (inside the caller's transaction)."""
    activity = slot.activity
    deadline = cancel_deadline(slot)
    return queue_mail(
        volunteer.email,
        template,
        locale=volunteer.locale,
        user=volunteer,
        slot=slot,
        activity=activity,
        centre=activity.centre,
        link=slot_link(slot.id),
        deadline=deadline if deadline > utcnow() else None,  # None: too late to cancel online
        **context,
    )
