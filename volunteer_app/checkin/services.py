"""State changes of the check-in; each owns its transaction.

A coordinator switches a centre's check-in on (``set_up``), renews or switches off the
tablet link and renews the poster's code. A volunteer who scanned a good code checks in
(``check_in``): every confirmed sign-up of theirs at that centre whose slot starts within
the next hour or runs now gets a ``Checkin`` and counts as attended, with the hours from
the check-in (or the slot's start, if that is later) to the slot's end. The coordinator
corrects attendance and hours on the roster (``record_slot_attendance``: every row in one
transaction, nothing saved if one is refused).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import peewee as pw
from flask_babel import gettext as _

from volunteer_app.accounts.models import User
from volunteer_app.activities.models import Activity, Slot
from volunteer_app.audit import services as audit
from volunteer_app.centres.models import Centre
from volunteer_app.centres.queries import can_manage
from volunteer_app.checkin import codes
from volunteer_app.checkin.models import METHODS, Checkin, CheckinPoint
from volunteer_app.checkin.queries import EARLY, is_current
from volunteer_app.common.errors import Conflict, DomainError, NotAllowed, NotFound
from volunteer_app.db import db, is_sqlite, utcnow, write_transaction
from volunteer_app.signups import services as signups
from volunteer_app.signups.models import Signup

MAX_HOURS = Decimal(24)


class NothingToCheckIn(Conflict):
    """No confirmed sign-up at this centre that starts within the hour or runs now."""


class AlreadyCheckedIn(Conflict):
    """Every such sign-up is checked in already."""


def _require_manager(actor: User | None, centre: Centre) -> None:
    if actor is None or not can_manage(actor, centre):
        raise NotAllowed(_("Only the coordinators of this centre may do this."))


# --- The centre's codes ----------------------------------------------------------------------


def set_up(centre: Centre, *, actor: User) -> CheckinPoint:
    """Switch the centre's check-in on: seeds for the minute codes, the poster and a tablet
    link. Doing it again changes nothing."""
    with write_transaction():
        _require_manager(actor, centre)
        point = CheckinPoint.get_or_none(CheckinPoint.centre == centre.id)
        if point is not None:
            return point
        now = utcnow()
        point = CheckinPoint.create(
            centre=centre.id,
            code_seed=codes.new_seed(),
            poster_seed=codes.new_seed(),
            tablet_seed=codes.new_seed(),
            tablet_since=now,
            poster_since=now,
        )
        audit.record(centre.id, actor, "checkin.changed", detail="switched on")
    return point


def _point_for_change(centre: Centre, actor: User) -> CheckinPoint:
    _require_manager(actor, centre)
    point = CheckinPoint.get_or_none(CheckinPoint.centre == centre.id)
    if point is None:
        raise NotFound(_("The check-in of this centre is not switched on yet."))
    return point


def renew_tablet_link(centre: Centre, *, actor: User) -> CheckinPoint:
    """A new tablet link and new minute codes: the old link and every code shown so far stop
    working at once (a lost tablet, a link sent to the wrong person)."""
    with write_transaction():
        point = _point_for_change(centre, actor)
        point.tablet_seed = codes.new_seed()
        point.code_seed = codes.new_seed()
        point.tablet_since = utcnow()
        point.save()
        audit.record(centre.id, actor, "checkin.changed", detail="new tablet link")
    return point


def switch_off_tablet_link(centre: Centre, *, actor: User) -> CheckinPoint:
    """The tablet page stops working; the poster keeps working."""
    with write_transaction():
        point = _point_for_change(centre, actor)
        if point.tablet_seed is None:
            return point
        point.tablet_seed = None
        point.tablet_since = None
        point.save()
        audit.record(centre.id, actor, "checkin.changed", detail="tablet link off")
    return point


def renew_poster_code(centre: Centre, *, actor: User) -> CheckinPoint:
    """A new fixed code: posters printed so far stop working."""
    with write_transaction():
        point = _point_for_change(centre, actor)
        point.poster_seed = codes.new_seed()
        point.poster_since = utcnow()
        point.save()
        audit.record(centre.id, actor, "checkin.changed", detail="new poster code")
    return point


# --- Checking in ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckedIn:
    signup: Signup  # with .slot and .slot.activity
    checkin: Checkin


def hours_from(arrived: dt.datetime, slot: Slot) -> Decimal:
    """Hours from the arrival (or the slot's start, if later) to the slot's end, 0 to 24."""
    start = max(arrived, slot.starts_at)
    seconds = max((slot.ends_at - start).total_seconds(), 0)
    return min(Decimal(seconds) / 3600, MAX_HOURS).quantize(Decimal("0.01"))


def check_in(centre_id: int, method: str, *, actor: User) -> list[CheckedIn]:
    """Check the actor in at the centre for every confirmed sign-up there whose slot starts
    within the next hour or runs now and is not checked in yet. Each counts as attended
    with ``hours_from`` the check-in, unless a coordinator recorded it as attended already
    (their hours stay). Raises NothingToCheckIn or AlreadyCheckedIn."""
    if method not in METHODS:
        raise ValueError(method)
    with write_transaction():
        if not is_sqlite():  # one person's check-ins one after another
            list(User.select(User.id).where(User.id == actor.id).for_update())
        now = utcnow()
        rows = list(
            Signup.select(Signup, Slot, Activity)
            .join(Slot, on=(Signup.slot == Slot.id))
            .join(Activity, on=(Slot.activity == Activity.id))
            .where(
                (Signup.volunteer == actor.id)
                & (Signup.status == "confirmed")
                & (Activity.centre == centre_id)
                & (Slot.status == "scheduled")
                & (Slot.starts_at <= now + EARLY)
                & (Slot.ends_at > now)
            )
            .order_by(Slot.starts_at, Slot.id)
        )
        if not rows:
            raise NothingToCheckIn(
                _(
                    "You have no confirmed date here that starts within the next hour or "
                    "is running now."
                )
            )
        earlier = {
            c.signup_id: c for c in Checkin.select().where(Checkin.signup.in_([r.id for r in rows]))
        }
        todo = [r for r in rows if not is_current(earlier.get(r.id), r)]
        if not todo:
            raise AlreadyCheckedIn(_("You have already checked in."))
        done = []
        for signup in todo:
            done.append(_check_in_one(signup, earlier.get(signup.id), method, now, actor))
    return done


def _check_in_one(signup: Signup, stale: Checkin | None, method: str, now, actor) -> CheckedIn:
    if stale is not None:  # of a cancelled earlier life of this sign-up
        Checkin.delete().where(Checkin.id == stale.id).execute()
    try:
        with db.atomic():
            checkin = Checkin.create(signup=signup.id, checked_in_at=now, method=method)
    except pw.IntegrityError as exc:  # the same person on another phone, at the same moment
        raise AlreadyCheckedIn(_("You have already checked in.")) from exc
    slot = signup.slot
    hours = hours_from(now, slot)
    (
        Signup.update(attendance="attended", hours=hours)
        .where(
            (Signup.id == signup.id)
            & (Signup.status == "confirmed")
            & (Signup.attendance.is_null() | (Signup.attendance == "no_show"))
        )
        .execute()
    )
    audit.record(
        slot.activity.centre_id,
        actor,
        "signup.checked_in",
        subject=actor,
        slot_id=slot.id,
        detail=f"{method} {hours}",
    )
    return CheckedIn(signup, checkin)


# --- Attendance on the roster -----------------------------------------------------------------


@dataclass(frozen=True)
class AttendanceRow:
    signup_id: int
    attendance: str  # "attended" | "no_show"
    hours: Decimal | None  # None: the slot's length


class RowRefused(DomainError):
    """One row was refused; nothing was saved. ``signup_id`` names the row."""

    def __init__(self, signup_id: int, error: DomainError):
        super().__init__(error.message, error.field)
        self.signup_id = signup_id


def _unchanged(signup: Signup, row: AttendanceRow) -> bool:
    if signup.attendance != row.attendance:
        return False
    if row.attendance == "no_show":
        return True
    return row.hours is not None and signup.hours == Decimal(row.hours).quantize(Decimal("0.01"))


def record_slot_attendance(slot_id: int, rows: list[AttendanceRow], *, actor: User) -> list[Signup]:
    """Attendance of a started slot's confirmed people, all in one transaction through
    ``signups.record_attendance`` (audited there); rows that say what is stored already are
    left alone. Returns the sign-ups saved (with their volunteer). A row of a sign-up that is not
    confirmed on this slot raises NotFound; a refused row raises RowRefused and nothing is
    saved."""
    with write_transaction():
        slot = (
            Slot.select(Slot, Activity, Centre)
            .join(Activity, on=(Slot.activity == Activity.id))
            .join(Centre, on=(Activity.centre == Centre.id))
            .where(Slot.id == slot_id)
            .first()
        )
        if slot is None:
            raise NotFound(_("This slot does not exist."))
        _require_manager(actor, slot.activity.centre)
        stored = {
            s.id: s
            for s in Signup.select(Signup, User)
            .join(User, on=(Signup.volunteer == User.id))
            .where((Signup.slot == slot.id) & (Signup.status == "confirmed"))
        }
        if any(row.signup_id not in stored for row in rows):
            raise NotFound(_("We could not find this sign-up."))
        saved = []
        for row in rows:
            if _unchanged(stored[row.signup_id], row):
                continue
            try:
                signups.record_attendance(row.signup_id, row.attendance, row.hours, actor=actor)
            except DomainError as exc:
                raise RowRefused(row.signup_id, exc) from exc
            saved.append(stored[row.signup_id])
    return saved
