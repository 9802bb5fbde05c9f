"""State changes for single slots: changing one (date, times, volunteers needed), changing it
and all following ones of its series (which splits the series), and cancelling one.

Everyone active on a slot that moves or is cancelled is told, inside the same transaction.
On PostgreSQL the volunteers' rows are locked before the slots, in the order sign-ups use.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

import peewee as pw
from flask_babel import format_date, ngettext
from flask_babel import gettext as _

from volunteer_app.accounts.models import User
from volunteer_app.activities import queries, recurrence
from volunteer_app.activities.models import Activity, Series, Slot
from volunteer_app.activities.schedules import (
    generate_slots,
    horizon,
    plan_schedule,
    series_fields,
)
from volunteer_app.activities.services import (
    MAX_VOLUNTEERS,
    has_waitlist,
    require_manager,
    wall_clock_error,
    whole_number,
)
from volunteer_app.audit import services as audit
from volunteer_app.centres.models import Centre
from volunteer_app.centres.queries import today
from volunteer_app.common.errors import Conflict, DomainError, NotFound
from volunteer_app.db import is_sqlite, utcnow, write_transaction
from volunteer_app.notifications.services import queue_mail
from volunteer_app.signups import services as signup_services
from volunteer_app.signups.models import ACTIVE, Signup

log = logging.getLogger(__name__)


def _lock(query):
    """Row locks on PostgreSQL; SQLite's write transaction already holds the database lock."""
    return query if is_sqlite() else query.for_update()


def _mail_context(slot: Slot, activity: Activity, centre: Centre) -> dict:
    return {
        "slot": slot,
        "activity": activity,
        "centre": centre,
        "link": signup_services.slot_link(slot.id),
    }


def _require_changeable(slot: Slot, now: dt.datetime) -> None:
    if slot.status == "cancelled":
        raise Conflict(_("This slot has been cancelled."))
    if slot.starts_at <= now:
        raise DomainError(_("This slot has already started or taken place."))


def _locked_slot(slot_id: int) -> Slot:
    slot = _lock(Slot.select().where(Slot.id == slot_id)).first()
    if slot is None:
        raise NotFound(_("This slot does not exist (any more)."))
    return slot


def _set_capacity(slot: Slot, capacity: int, actor: User, now) -> None:
    """Inside the caller's transaction: directly while nobody holds or waits for a seat
    (conditional update), else through the sign-up service (fills from the waitlist,
    refuses fewer seats than confirmed volunteers)."""
    if capacity == slot.capacity:
        return
    if capacity < slot.taken:
        raise DomainError(
            ngettext(
                "%(num)d volunteer is confirmed for this slot. Please enter at least "
                "%(num)d, or remove volunteers first.",
                "%(num)d volunteers are confirmed for this slot. Please enter at least "
                "%(num)d, or remove volunteers first.",
                slot.taken,
            ),
            "capacity",
        )
    changed = (
        Slot.update(capacity=capacity, updated_at=now)
        .where((Slot.id == slot.id) & (Slot.taken == 0) & ~pw.fn.EXISTS(has_waitlist()))
        .execute()
    )
    if not changed:
        signup_services.change_capacity(slot.id, capacity, actor=actor)


def _people_on(slot_id: int, statuses=ACTIVE) -> list[Signup]:
    """Sign-ups of a slot in these statuses, with their volunteer (one query)."""
    return list(
        Signup.select(Signup, User)
        .join(User, on=(Signup.volunteer == User.id))
        .where((Signup.slot == slot_id) & (Signup.status.in_(statuses)))
        .order_by(Signup.id)
    )


def _lock_people(slots) -> None:
    """Lock (PostgreSQL) the rows of everyone active on these slots, before the slots
    themselves: sign-ups lock the person first and then the slot, so the same order here
    cannot deadlock with them."""
    if is_sqlite():
        return
    people = Signup.select(Signup.volunteer).where(
        Signup.slot.in_(slots) & Signup.status.in_(ACTIVE)
    )
    list(User.select(User.id).where(User.id.in_(people)).order_by(User.id).for_update())


def _check_no_overlap(slot_id: int, starts_at, ends_at) -> None:
    """A moved slot must not overlap another active slot of anyone active on it (the rule
    sign-ups keep: confirmed, pending and waitlisted count).

    The volunteers' rows are locked first (PostgreSQL), as a sign-up does, so that no
    overlapping sign-up slips in meanwhile."""
    _lock_people([slot_id])  # anyone who signed up since the caller locked people
    booked = Signup.select(Signup.volunteer).where(
        (Signup.slot == slot_id) & (Signup.status.in_(ACTIVE))
    )
    Other = Slot.alias()
    clash = (
        Signup.select(Signup, User.name, Other.starts_at)
        .join(Other, on=(Signup.slot == Other.id))
        .switch(Signup)
        .join(User, on=(Signup.volunteer == User.id))
        .where(
            Signup.volunteer.in_(booked)
            & Signup.status.in_(ACTIVE)
            & (Other.id != slot_id)
            & (Other.status == "scheduled")
            & (Other.starts_at < ends_at)
            & (Other.ends_at > starts_at)
        )
        .first()
    )
    if clash is not None:
        raise Conflict(
            _(
                "%(name)s is booked for another slot at that time. Please choose another "
                "time or remove them from one of the slots first.",
                name=clash.volunteer.name,
            )
        )


def _tell_moved(slot: Slot, activity: Activity, centre: Centre, old_start, old_end) -> int:
    """Mail everyone active on the slot about its new time (inside the transaction).

    A new time also means a new reminder: the reminder job picks them up again.
    """
    Signup.update(reminded_at=None).where(Signup.slot == slot.id).execute()
    people = _people_on(slot.id)
    for signup in people:
        user = signup.volunteer
        queue_mail(
            user.email,
            "slot_moved",
            locale=user.locale,
            user=user,
            old_starts_at=old_start,
            old_ends_at=old_end,
            **_mail_context(slot, activity, centre),
        )
    return len(people)


def _moved_detail(old_start, new_start) -> str:
    return f"{old_start:%Y-%m-%d %H:%M} -> {new_start:%Y-%m-%d %H:%M} UTC"


@dataclass
class SlotChange:
    slot: Slot
    moved: bool
    told: int


def _slot_times(data: dict) -> tuple[dt.datetime, dt.datetime]:
    day, start, end = data.get("date"), data.get("start_time"), data.get("end_time")
    if not isinstance(day, dt.date):
        raise DomainError(_("Please enter a valid date."), "date")
    if not isinstance(start, dt.time):
        raise DomainError(_("Please enter a valid time, like 10:00."), "start_time")
    if not isinstance(end, dt.time):
        raise DomainError(_("Please enter a valid time, like 10:00."), "end_time")
    if end <= start:
        raise DomainError(_("The end must be after the start."), "end_time")
    try:
        return recurrence.berlin_to_utc(day, start), recurrence.berlin_to_utc(day, end)
    except recurrence.WallClockError as exc:
        raise wall_clock_error(exc, start) from exc


class ClosedDayWarning(DomainError):
    """A slot would move onto a public holiday or one of the centre's closing days. Not a
    refusal: the same ``day`` given again as ``data["closed_ok"]`` moves it there."""

    def __init__(self, message: str, day: dt.date):
        super().__init__(message)  # above the form: a question, not a wrong field
        self.day = day


def _closed_day_warning(centre: Centre, day: dt.date) -> ClosedDayWarning | None:
    """The warning for moving a slot onto ``day``, or None if the centre is open then."""
    closing = queries.closing_days_of(centre.id)
    if day not in closing and not recurrence.is_holiday(day):
        return None
    why = queries.skip_reasons([day], closing)[0].reason
    return ClosedDayWarning(
        _(
            "%(date)s: %(why)s. Do you want to move the date there anyway? Then save again.",
            date=format_date(day, "full"),
            why=why,
        ),
        day,
    )


def edit_slot(slot: Slot, data: dict, *, actor: User, now: dt.datetime | None = None) -> SlotChange:
    """Change only this slot: date, times and the number of volunteers needed.

    The slot is marked ``detached`` (series edits leave it alone); a new time raises its
    ``sequence`` and everyone signed up is told (mail ``slot_moved``, audit ``slot.moved``).
    A new date on a public holiday or closing day raises ``ClosedDayWarning`` unless
    ``data["closed_ok"]`` names that date (the coordinator saw the warning and saved again).
    """
    activity = slot.activity
    centre = activity.centre
    require_manager(actor, centre)
    now = now or utcnow()
    _require_changeable(slot, now)
    starts_at, ends_at = _slot_times(data)
    if data["date"] < today() or starts_at <= now:
        raise DomainError(
            _("This time has passed. Please choose a later time."),
            "start_time" if data["date"] == today() else "date",
        )
    new_day = data["date"]
    if (
        new_day != recurrence.utc_to_berlin(slot.starts_at).date()
        and data.get("closed_ok") != new_day.isoformat()
    ):
        warning = _closed_day_warning(centre, new_day)
        if warning is not None:
            raise warning
    capacity = whole_number(
        data,
        "capacity",
        1,
        MAX_VOLUNTEERS,
        _("Please enter a number from 1 to %(max)d.", max=MAX_VOLUNTEERS),
    )
    told = 0
    with write_transaction():
        _lock_people([slot.id])
        current = _locked_slot(slot.id)
        _require_changeable(current, now)
        moved = (starts_at, ends_at) != (current.starts_at, current.ends_at)
        if not moved and capacity == current.capacity:
            return SlotChange(current, False, 0)
        if moved:
            _check_no_overlap(current.id, starts_at, ends_at)
        Slot.update(
            starts_at=starts_at,
            ends_at=ends_at,
            detached=True,
            sequence=Slot.sequence + (1 if moved else 0),
            updated_at=now,
        ).where(Slot.id == current.id).execute()
        if moved:
            told = _tell_moved(
                Slot.get_by_id(current.id), activity, centre, current.starts_at, current.ends_at
            )
            audit.record(
                centre.id,
                actor,
                "slot.moved",
                slot_id=current.id,
                detail=_moved_detail(current.starts_at, starts_at),
            )
        # After the move, so that anyone moved up from the waitlist is told the new time.
        _set_capacity(current, capacity, actor, now)
        fresh = Slot.get_by_id(current.id)
    log.info("slot %s changed by user %s (moved: %s)", slot.id, actor.id, moved)
    return SlotChange(fresh, moved, told)


@dataclass
class FollowingChange:
    series: Series
    created: int
    moved: int  # slots with sign-ups that got the new time
    kept: list[Slot] = field(
        default_factory=list
    )  # slots with sign-ups the new rule has no date for
    told: int = 0


def following_defaults(slot: Slot) -> dict:
    """The schedule form's values for "this and all following", from the slot's series."""
    series = slot.series
    rule = queries.series_rule(series)
    first = slot.original_date or rule.start_date
    data = {
        "recurrence": series.recurrence,
        "start_date": first,
        "start_time": series.start_time,
        "end_time": series.end_time,
        "interval": series.interval or 1,
        "nth": rule.monthly_nth if series.recurrence == "monthly" else 1,
        "ends": "never",
        "until_date": series.until_date,
        "count": None,
    }
    if series.until_date:
        data["ends"] = "until"
    elif series.count:
        closed = set(queries.closing_days_of(slot.activity.centre_id))
        before = [
            d
            for d in recurrence.held_dates(rule, first - dt.timedelta(days=1), closed)
            if d < first
        ]
        data["ends"], data["count"] = "count", max(series.count - len(before), 1)
    return data


def _same_week(a: dt.date, b: dt.date) -> bool:
    return a.isocalendar()[:2] == b.isocalendar()[:2]


def edit_following(
    slot: Slot,
    data: dict,
    *,
    actor: User,
    on: dt.date | None = None,
    now: dt.datetime | None = None,
) -> FollowingChange:
    """Change this slot and all following ones of its series.

    The old series ends the day before this slot's date; a new series with the new rule
    starts. Upcoming slots of the old series (not edited on their own) that nobody ever
    signed up for are removed and regenerated by the new rule. Slots with sign-ups are
    moved, not deleted: to the new rule's date on the same day, else in the same week;
    their people are told. A slot with sign-ups the new rule has no date for keeps its
    time (and is reported, so that the coordinator can cancel or move it on its own).
    """
    activity = slot.activity
    centre = activity.centre
    require_manager(actor, centre)
    current, now = on or today(), now or utcnow()
    _require_changeable(slot, now)
    if slot.series_id is None or slot.series.recurrence == "once":
        raise DomainError(_("This slot belongs to no series. Please change only this slot."))
    plan = plan_schedule(activity, data, on=current, now=now)
    old = slot.series
    split = slot.original_date or recurrence.utc_to_berlin(slot.starts_at).date()
    result = None
    with write_transaction():
        _lock_people(
            Slot.select(Slot.id).where((Slot.series == old.id) & (Slot.original_date >= split))
        )
        _lock(Series.select().where(Series.id == old.id)).first()
        _require_changeable(_locked_slot(slot.id), now)
        upcoming = list(
            _lock(
                Slot.select().where(
                    (Slot.series == old.id)
                    & (Slot.original_date >= split)
                    & (Slot.starts_at > now)
                    & ((Slot.detached == False) | (Slot.id == slot.id))  # noqa: E712
                )
            ).order_by(Slot.original_date)
        )
        ids = [s.id for s in upcoming]
        with_signups = (
            {
                row.slot_id
                for row in Signup.select(Signup.slot).where(Signup.slot.in_(ids)).distinct()
            }
            if ids
            else set()
        )
        Series.update(until_date=split - dt.timedelta(days=1)).where(Series.id == old.id).execute()
        new = Series.create(activity=activity.id, **series_fields(plan.rule))
        carry = [s for s in upcoming if s.id in with_signups or s.status == "cancelled"]
        free = [s.id for s in upcoming if s.id not in with_signups and s.status != "cancelled"]
        if free:
            Slot.delete().where(Slot.id.in_(free)).execute()
        result = _carry_over(carry, new, plan.rule, activity, centre, actor, current, now)
        result.created = generate_slots(new, activity, current, now)
    log.info(
        "series %s split at %s into %s by user %s (moved %d, kept %d)",
        old.id,
        split,
        new.id,
        actor.id,
        result.moved,
        len(result.kept),
    )
    return result


def _carry_over(carry, new, rule, activity, centre, actor, current, now) -> FollowingChange:
    """Move the old series' upcoming slots with sign-ups (and cancelled ones) to the new
    series' dates; inside the caller's transaction."""
    result = FollowingChange(series=new, created=0, moved=0)
    if not carry:
        return result
    closed = set(queries.closing_days_of(activity.centre_id))
    last = max(s.original_date for s in carry) + dt.timedelta(days=7)
    skip = rule.recurrence != "once"
    targets = {
        d: None
        for d in recurrence.held_dates(
            rule, max(last, horizon(current)), closed, skip_holidays=skip
        )
    }
    for slot in carry:
        day = slot.original_date
        target = day if day in targets and targets[day] is None else None
        if target is None and slot.status == "scheduled":
            target = next(
                (d for d, used in targets.items() if used is None and _same_week(d, day)), None
            )
        if target is None:
            if slot.status == "scheduled":
                result.kept.append(slot)
                Slot.update(detached=True, updated_at=now).where(Slot.id == slot.id).execute()
            continue
        targets[target] = slot.id
        if slot.status == "cancelled":
            # Stays cancelled: the new series must not bring that date back.
            Slot.update(series=new.id, original_date=target).where(Slot.id == slot.id).execute()
            continue
        try:
            occurrence = recurrence.occurrence_on(rule, target)
        except recurrence.WallClockError as exc:
            raise wall_clock_error(exc, rule.start_time) from exc
        moved = (occurrence.starts_at, occurrence.ends_at) != (slot.starts_at, slot.ends_at)
        if moved:
            if occurrence.starts_at <= now:
                raise DomainError(
                    _("A slot with sign-ups would move into the past. Please choose a later date.")
                )
            _check_no_overlap(slot.id, occurrence.starts_at, occurrence.ends_at)
        Slot.update(
            series=new.id,
            original_date=target,
            starts_at=occurrence.starts_at,
            ends_at=occurrence.ends_at,
            detached=False,
            sequence=Slot.sequence + (1 if moved else 0),
            updated_at=now,
        ).where(Slot.id == slot.id).execute()
        if moved:
            fresh = Slot.get_by_id(slot.id)
            result.told += _tell_moved(fresh, activity, centre, slot.starts_at, slot.ends_at)
            audit.record(
                centre.id,
                actor,
                "slot.moved",
                slot_id=slot.id,
                detail=_moved_detail(slot.starts_at, occurrence.starts_at),
            )
            result.moved += 1
    return result


CANCEL_REASON_MAX = 150


def cancel_reason(reason: str | None) -> str:
    """The reason a centre gives for cancelling, cleaned (one line, at most 150 characters)."""
    text = " ".join((reason or "").split())
    if len(text) > CANCEL_REASON_MAX:
        raise DomainError(
            _("Please use at most %(max)d characters.", max=CANCEL_REASON_MAX), "reason"
        )
    return text


def _cancel(slot: Slot, activity: Activity, centre: Centre, actor: User, reason: str, now) -> int:
    """Inside the caller's transaction: mark the slot cancelled with its reason and end every
    sign-up on it through the sign-up service (which mails the people, reason included).
    Returns how many people were told; raises Conflict if it was cancelled or has started."""
    cancelled = (
        Slot.update(
            status="cancelled",
            cancelled_at=now,
            cancel_reason=reason,
            sequence=Slot.sequence + 1,
            updated_at=now,
        )
        .where((Slot.id == slot.id) & (Slot.status == "scheduled") & (Slot.starts_at > now))
        .execute()
    )
    if cancelled != 1:
        raise Conflict(_("This slot has been cancelled or has started meanwhile."))
    fresh = Slot.get_by_id(slot.id)
    fresh.activity = activity
    affected = signup_services.cancel_slot_signups(fresh, actor=actor)
    told = len(affected or ())
    detail = f"{slot.starts_at:%Y-%m-%d %H:%M} UTC, {told} told"
    audit.record(
        centre.id,
        actor,
        "slot.cancelled",
        slot_id=slot.id,
        detail=f"{detail}: {reason}" if reason else detail,
    )
    return told


def cancel_slot(
    slot: Slot, *, actor: User, reason: str = "", now: dt.datetime | None = None
) -> Slot:
    """Cancel one slot: it is kept and shown as cancelled (with the ``reason``, if given),
    its ``sequence`` grows, and everyone active on it is told (by the sign-up service, in
    this transaction)."""
    activity = slot.activity
    centre = activity.centre
    require_manager(actor, centre)
    now = now or utcnow()
    reason = cancel_reason(reason)
    _require_changeable(slot, now)
    with write_transaction():
        _cancel(slot, activity, centre, actor, reason, now)
    log.info("slot %s cancelled by user %s", slot.id, actor.id)
    return Slot.get_by_id(slot.id)


@dataclass
class Cancelled:
    slots: int = 0  # slots cancelled
    told: int = 0  # people told (one per sign-up ended)


def cancel_slots(
    centre: Centre, slot_ids, *, actor: User, reason: str = "", now: dt.datetime | None = None
) -> Cancelled:
    """Cancel several slots of one centre at once (a closure), each as ``cancel_slot`` does,
    inside the caller's transaction or one of its own. Slots that were cancelled or started
    meanwhile, or belong to another centre, are left alone."""
    require_manager(actor, centre)
    now = now or utcnow()
    reason = cancel_reason(reason)
    result = Cancelled()
    ids = sorted(set(slot_ids))
    if not ids:
        return result
    with write_transaction():
        # Ascending ids: every service that locks several slots does so in one order.
        query = (
            Slot.select(Slot, Activity)
            .join(Activity, on=(Slot.activity == Activity.id))
            .where(
                Slot.id.in_(ids)
                & (Activity.centre == centre.id)
                & (Slot.status == "scheduled")
                & (Slot.starts_at > now)
            )
            .order_by(Slot.id)
        )
        rows = list(query if is_sqlite() else query.for_update(of=Slot))
        for slot in rows:
            result.told += _cancel(slot, slot.activity, centre, actor, reason, now)
            result.slots += 1
    log.info(
        "%d slots of centre %s cancelled by user %s (%d told)",
        result.slots,
        centre.id,
        actor.id,
        result.told,
    )
    return result
