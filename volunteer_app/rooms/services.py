"""State changes of rooms and bookings.

Bookings follow the activities' schedule rules (``activities.recurrence``): Berlin
wall-clock times in, naive UTC stored, Thuringian holidays and the centre's closing days
skipped by recurring bookings, a time in a daylight-saving gap or fold refused. A booking
is checked against the room's other bookings inside the transaction that writes it, with
the room's row locked (PostgreSQL) or the write lock taken at BEGIN (SQLite): two
coordinators cannot book the same hour. A recurring booking is all or nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import uuid
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _

from volunteer_app.accounts.models import User
from volunteer_app.activities import queries as activity_queries
from volunteer_app.activities import recurrence
from volunteer_app.activities.schedules import schedule_rule
from volunteer_app.activities.services import wall_clock_error
from volunteer_app.centres.models import Centre
from volunteer_app.centres.queries import can_manage, today
from volunteer_app.common.errors import Conflict, DomainError, NotAllowed, NotFound
from volunteer_app.db import is_sqlite, utcnow, write_transaction
from volunteer_app.partners.models import Partner
from volunteer_app.rooms import queries
from volunteer_app.rooms.models import Booking, Room

log = logging.getLogger(__name__)

MAX_DATES = recurrence.MAX_OCCURRENCES
MAX_ROOMS = 50
SUGGESTIONS = 3
SUGGESTION_STEP_MINUTES = 30
SUGGESTION_DAYS = 14  # how far ahead a one-off booking's free times are looked for
ROOM_TEXT = {"name": 100, "equipment": 1000}
BOOKING_TEXT = {"title": 120, "note": 1000}


def opening_hours() -> tuple[int, int]:
    """The hours within which free times are offered (``ROOM_OPENING_HOURS``; config.py
    refuses hours that are not 0 ≤ from < until ≤ 24)."""
    start, end = current_app.config["ROOM_OPENING_HOURS"]
    return int(start), int(end)


def _require_manager(actor: User, centre: Centre) -> None:
    if actor is None or not can_manage(actor, centre):
        raise NotAllowed(_("You may not manage the rooms of this centre."))


def _text(data: dict, name: str, limits: dict, multiline: bool = False) -> str:
    value = (data.get(name) or "").strip()
    if not multiline:
        value = " ".join(value.split())
    if len(value) > limits[name]:
        raise DomainError(_("Please use at most %(max)d characters.", max=limits[name]), name)
    return value


# --- Rooms --------------------------------------------------------------------------------


def _room_fields(data: dict) -> dict:
    name = _text(data, "name", ROOM_TEXT)
    if not name:
        raise DomainError(_("Please enter a name."), "name")
    capacity = data.get("capacity")
    if isinstance(capacity, bool) or not isinstance(capacity, int) or not 1 <= capacity <= 1000:
        raise DomainError(
            _("Please enter a number from %(min)d to %(max)d.", min=1, max=1000), "capacity"
        )
    return {
        "name": name,
        "capacity": capacity,
        "accessible": bool(data.get("accessible")),
        "equipment": _text(data, "equipment", ROOM_TEXT, multiline=True),
        "is_active": bool(data.get("is_active", True)),
    }


def _name_taken(centre: Centre, name: str, room_id: int | None = None) -> bool:
    query = Room.select(Room.id, Room.name).where(Room.centre == centre.id)
    return any(r.name.casefold() == name.casefold() and r.id != room_id for r in query)


def create_room(centre: Centre, data: dict, *, actor: User) -> Room:
    """A new room of the centre; names are unique per centre (ignoring case)."""
    _require_manager(actor, centre)
    fields = _room_fields(data)
    with write_transaction():
        if _name_taken(centre, fields["name"]):
            raise Conflict(_("There is a room with this name already."), "name")
        if Room.select().where(Room.centre == centre.id).count() >= MAX_ROOMS:
            raise DomainError(_("A centre can have at most %(max)d rooms.", max=MAX_ROOMS))
        room = Room.create(centre=centre.id, **fields)
    log.info("room %s created in centre %s by user %s", room.id, centre.id, actor.id)
    return room


def update_room(centre: Centre, room_id: int, data: dict, *, actor: User) -> Room:
    """Change a room. An inactive room keeps its bookings but takes no new ones."""
    _require_manager(actor, centre)
    fields = _room_fields(data)
    with write_transaction():
        if _name_taken(centre, fields["name"], room_id):
            raise Conflict(_("There is a room with this name already."), "name")
        changed = (
            Room.update(**fields, updated_at=utcnow())
            .where((Room.id == room_id) & (Room.centre == centre.id))
            .execute()
        )
        if not changed:
            raise NotFound(_("This room does not exist (any more)."))
    log.info("room %s updated by user %s", room_id, actor.id)
    return Room.get_by_id(room_id)


# --- Bookings: checking -------------------------------------------------------------------


@dataclass
class DateCheck:
    """One date of a booking and the room's bookings it would clash with."""

    occurrence: recurrence.Occurrence
    clashes: list[Booking] = field(default_factory=list)


@dataclass(frozen=True)
class Suggestion:
    """A free time of the same length (Berlin wall-clock)."""

    day: dt.date
    start: dt.time
    end: dt.time
    starts_at: dt.datetime  # naive UTC of the first date

    @property
    def value(self) -> str:
        return f"{self.day.isoformat()}T{self.start.strftime('%H:%M')}"


@dataclass
class BookingPlan:
    room: Room
    fields: dict  # title, partner, activity, is_public, note
    rule: recurrence.Rule
    checks: list[DateCheck]
    skipped: list
    summary: str
    suggestions: list[Suggestion] = field(default_factory=list)

    @property
    def clashing(self) -> list[DateCheck]:
        return [check for check in self.checks if check.clashes]

    @property
    def ok(self) -> bool:
        return not self.clashing

    def message(self) -> str:
        """The refusal: the first clash named, and how many dates clash in all."""
        first = self.clashing[0]
        text = queries.clash_message(first.clashes)
        if len(self.checks) > 1:
            text = (
                _(
                    "%(clashing)d of %(total)d dates clash.",
                    clashing=len(self.clashing),
                    total=len(self.checks),
                )
                + " "
                + _(
                    "First: %(date)s.",
                    date=queries.when_label(first.occurrence.starts_at, first.occurrence.ends_at),
                )
                + " "
                + text
            )
        return text


class BookingConflict(Conflict):
    """The room is taken at (some of) the dates; ``plan`` names the clashes and free times."""

    def __init__(self, plan: BookingPlan):
        super().__init__(plan.message())
        self.plan = plan


@dataclass
class BookingResult:
    created: int
    first: Booking
    plan: BookingPlan


def _booking_fields(centre: Centre, data: dict) -> dict:
    partner_id, activity_id = data.get("partner_id") or None, data.get("activity_id") or None
    partner = activity = None
    if partner_id is not None:
        partner = Partner.get_or_none((Partner.id == partner_id) & (Partner.centre == centre.id))
        if partner is None:
            raise DomainError(_("Please choose one of the options."), "partner_id")
    if activity_id is not None:
        activity = next((a for a in queries.activity_choices(centre) if a.id == activity_id), None)
        if activity is None:
            raise DomainError(_("Please choose one of the options."), "activity_id")
    title = _text(data, "title", BOOKING_TEXT)
    if not title:
        title = activity.title if activity else (partner.name if partner else "")
    if not title:
        raise DomainError(_("Please enter a title, or choose a partner or an activity."), "title")
    return {
        "title": title,
        "partner": partner.id if partner else None,
        "activity": activity.id if activity else None,
        "is_public": bool(data.get("is_public")),
        "note": _text(data, "note", BOOKING_TEXT, multiline=True),
    }


def _rule(data: dict, current: dt.date) -> recurrence.Rule:
    rule = schedule_rule(data, current)  # the activities' schedule rules and messages
    if rule.recurrence != "once" and rule.until is None and rule.count is None:
        raise DomainError(
            _("Please choose when the bookings end: on a last day or after a number of dates."),
            "ends",
        )
    return rule


def _dates(rule: recurrence.Rule, closing: dict) -> list[recurrence.Occurrence]:
    once = rule.recurrence == "once"
    if once and rule.start_date in closing:
        raise DomainError(
            _("The centre is closed on %(date)s.", date=format_date(rule.start_date, "full")),
            "start_date",
        )
    horizon = rule.until or rule.start_date + dt.timedelta(days=5 * 366)
    days = recurrence.held_dates(rule, horizon, closing, skip_holidays=not once)
    if len(days) > MAX_DATES:
        raise DomainError(
            _(
                "A booking can have at most %(max)d dates. Please choose an earlier last day.",
                max=MAX_DATES,
            ),
            "until_date",
        )
    if not days:
        raise DomainError(
            _("These settings give no dates: every date is a public holiday or closing day.")
        )
    try:
        return [recurrence.occurrence_on(rule, day) for day in days]
    except recurrence.WallClockError as exc:
        raise wall_clock_error(exc, rule.start_time) from exc


def _timeline(room_id: int, occurrences, margin_days: int = 0) -> queries.Timeline:
    start = occurrences[0].starts_at - dt.timedelta(days=1)
    end = occurrences[-1].ends_at + dt.timedelta(days=1 + margin_days)
    return queries.Timeline(queries.booked_between(room_id, start, end))


def _free_times(
    rule: recurrence.Rule, closing: dict, timeline: queries.Timeline, now: dt.datetime
) -> list[Suggestion]:
    """The next free starts of the same length within opening hours: later that day, then
    the following days (a one-off booking: up to two weeks; weekly: the other weekdays of
    the first week; monthly: other times of the same days). A recurring booking is only
    offered a time at which every one of its dates is free."""
    open_from, open_until = opening_hours()
    length = dt.datetime.combine(rule.start_date, rule.end_time) - dt.datetime.combine(
        rule.start_date, rule.start_time
    )
    days = {"once": SUGGESTION_DAYS, "weekly": 7, "monthly": 1}[rule.recurrence]
    step = dt.timedelta(minutes=SUGGESTION_STEP_MINUTES)
    found: list[Suggestion] = []
    for offset in range(days):
        day = rule.start_date + dt.timedelta(days=offset)
        if offset and (day.weekday() >= 5 or day in closing or recurrence.is_holiday(day)):
            continue
        start = dt.datetime.combine(day, dt.time(open_from))
        if offset == 0:
            start = dt.datetime.combine(day, rule.start_time) + step
        latest = dt.datetime.combine(day, dt.time(0)) + dt.timedelta(hours=open_until) - length
        while start <= latest and len(found) < SUGGESTIONS:
            candidate = dataclasses.replace(
                rule, start_date=day, start_time=start.time(), end_time=(start + length).time()
            )
            if _all_free(candidate, closing, timeline, now):
                first = recurrence.occurrence_on(candidate, day)
                found.append(
                    Suggestion(day, candidate.start_time, candidate.end_time, first.starts_at)
                )
            start += step
        if len(found) >= SUGGESTIONS:
            break
    return found


def _all_free(rule, closing, timeline, now) -> bool:
    once = rule.recurrence == "once"
    if once and rule.start_date in closing:
        return False
    horizon = rule.until or rule.start_date + dt.timedelta(days=5 * 366)
    try:
        days = recurrence.held_dates(rule, horizon, closing, skip_holidays=not once)
        if not days or len(days) > MAX_DATES:
            return False
        for day in days:
            occurrence = recurrence.occurrence_on(rule, day)
            if occurrence.starts_at <= now or not timeline.is_free(
                occurrence.starts_at, occurrence.ends_at
            ):
                return False
    except recurrence.WallClockError:
        return False
    return True


def _check(room, fields, rule, closing, occurrences, timeline, now) -> BookingPlan:
    checks = [DateCheck(o, timeline.clashes(o.starts_at, o.ends_at)) for o in occurrences]
    once = rule.recurrence == "once"
    skipped = recurrence.skipped_dates(rule, occurrences[-1].original_date, closing, not once)
    plan = BookingPlan(
        room=room,
        fields=fields,
        rule=rule,
        checks=checks,
        skipped=activity_queries.skip_reasons(skipped, closing),
        summary=activity_queries.rule_summary(rule),
    )
    if not plan.ok:
        plan.suggestions = _free_times(rule, closing, timeline, now)
    return plan


def _prepare(centre: Centre, data: dict, current: dt.date, now: dt.datetime):
    room_id = data.get("room_id")
    room = queries.room_in_centre(centre, room_id) if isinstance(room_id, int) else None
    if room is None:
        raise DomainError(_("Please choose a room."), "room_id")
    if not room.is_active:
        raise DomainError(_("This room is not in use and takes no bookings."), "room_id")
    fields = _booking_fields(centre, data)
    rule = _rule(data, current)
    closing = activity_queries.closing_days_of(centre.id)
    occurrences = _dates(rule, closing)
    if occurrences[0].starts_at <= now:
        raise DomainError(
            _("This time has already passed today. Please choose a later time or day."),
            "start_time",
        )
    return room, fields, rule, closing, occurrences


def plan_booking(
    centre: Centre, data: dict, *, on: dt.date | None = None, now: dt.datetime | None = None
) -> BookingPlan:
    """Check a booking without saving it: its dates, the dates it skips, the clashes of
    each date with the room's bookings and, if any clash, the next free times."""
    current, now = on or today(), now or utcnow()
    room, fields, rule, closing, occurrences = _prepare(centre, data, current, now)
    timeline = _timeline(room.id, occurrences, margin_days=SUGGESTION_DAYS)
    return _check(room, fields, rule, closing, occurrences, timeline, now)


def _lock_room(room_id: int) -> None:
    """Serialise the bookings of one room (PostgreSQL); SQLite's BEGIN IMMEDIATE already
    holds the database's write lock."""
    if not is_sqlite():
        list(Room.select(Room.id).where(Room.id == room_id).for_update())


def book_room(
    centre: Centre,
    data: dict,
    *,
    actor: User,
    on: dt.date | None = None,
    now: dt.datetime | None = None,
) -> BookingResult:
    """Book a room once or recurring. Every date is checked against the room's bookings
    inside the transaction that writes them; if any date clashes, nothing is written and
    BookingConflict names the clashes and offers free times."""
    _require_manager(actor, centre)
    current, now = on or today(), now or utcnow()
    room, fields, rule, closing, occurrences = _prepare(centre, data, current, now)
    series_key = uuid.uuid4().hex if rule.recurrence != "once" else None
    with write_transaction():
        _lock_room(room.id)
        timeline = _timeline(room.id, occurrences, margin_days=SUGGESTION_DAYS)
        plan = _check(room, fields, rule, closing, occurrences, timeline, now)
        if not plan.ok:
            raise BookingConflict(plan)
        rows = [
            {
                **fields,
                "room": room.id,
                "series_key": series_key,
                "starts_at": o.starts_at,
                "ends_at": o.ends_at,
                "created_by": actor.id,
                "created_at": now,
                "updated_at": now,
            }
            for o in occurrences
        ]
        for start in range(0, len(rows), 200):
            Booking.insert_many(rows[start : start + 200]).execute()
        first = (
            Booking.select()
            .where((Booking.room == room.id) & (Booking.starts_at == occurrences[0].starts_at))
            .where(Booking.status == "booked")
            .get()
        )
    log.info("room %s booked %d times (%s) by user %s", room.id, len(rows), series_key, actor.id)
    return BookingResult(len(rows), first, plan)


# --- Bookings: cancelling -----------------------------------------------------------------

SCOPES = ("one", "series")


def cancel_booking(
    centre: Centre, booking_id: int, scope: str, *, actor: User, now: dt.datetime | None = None
) -> int:
    """Cancel one booking, or it and every later booking of its series. Cancelled bookings stay (the family feed shows them as cancelled) and
    free the room. Returns how many were cancelled."""
    _require_manager(actor, centre)
    if scope not in SCOPES:
        raise DomainError(_("Please choose what to cancel."), "scope")
    now = now or utcnow()
    with write_transaction():
        booking = queries.booking_in_centre(centre, booking_id)
        if booking is None:
            raise NotFound(_("This booking does not exist (any more)."))
        _lock_room(booking.room_id)
        which = Booking.id == booking.id
        if scope == "series" and booking.series_key:
            which = (
                (Booking.series_key == booking.series_key)
                & (Booking.room == booking.room_id)
                & (Booking.starts_at >= booking.starts_at)
            )
        cancelled = (
            Booking.update(
                status="cancelled",
                cancelled_at=now,
                updated_at=now,
                sequence=Booking.sequence + 1,
            )
            .where(which & (Booking.status == "booked"))
            .execute()
        )
    if not cancelled:
        raise Conflict(_("This booking has been cancelled already."))
    log.info("%d bookings cancelled (booking %s) by user %s", cancelled, booking_id, actor.id)
    return cancelled
