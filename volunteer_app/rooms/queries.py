"""Read helpers for rooms and bookings: the week views, clashes, the family programme's
consultation hours and the reports' room use. Every list is one query."""

from __future__ import annotations

import bisect
import datetime as dt
import math
from dataclasses import dataclass, field

from babel.dates import format_skeleton
from flask_babel import format_date, format_time, get_locale
from flask_babel import gettext as _
from peewee import JOIN

from volunteer_app.activities import recurrence
from volunteer_app.activities.models import Activity
from volunteer_app.centres.models import Centre, ClosingDay
from volunteer_app.centres.queries import today
from volunteer_app.common.time import to_berlin
from volunteer_app.partners.models import Partner
from volunteer_app.rooms.models import Booking, Room

ROW_MINUTES = 15  # one row of the week grid
DAY_FROM, DAY_UNTIL = 8, 18  # hours always shown (the centres' usual opening hours)
MAX_LANES = 4  # side-by-side blocks in one day column


# --- Rooms --------------------------------------------------------------------------------


def rooms_of(centre: Centre, active_only: bool = False) -> list[Room]:
    query = Room.select().where(Room.centre == centre.id)
    if active_only:
        query = query.where(Room.is_active == True)  # noqa: E712
    return list(query.order_by(Room.is_active.desc(), Room.name))


def room_in_centre(centre: Centre, room_id: int) -> Room | None:
    return Room.get_or_none((Room.id == room_id) & (Room.centre == centre.id))


def activity_choices(centre: Centre) -> list[Activity]:
    return list(
        Activity.select(Activity.id, Activity.title)
        .where(Activity.centre == centre.id)
        .order_by(Activity.title)
    )


def _bookings():
    """Bookings with their room, partner and activity (one joined select)."""
    return (
        Booking.select(Booking, Room, Partner, Activity)
        .join(Room, on=(Booking.room == Room.id))
        .switch(Booking)
        .join(Partner, JOIN.LEFT_OUTER, on=(Booking.partner == Partner.id))
        .switch(Booking)
        .join(Activity, JOIN.LEFT_OUTER, on=(Booking.activity == Activity.id))
    )


def booking_in_centre(centre: Centre, booking_id: int) -> Booking | None:
    return _bookings().where((Booking.id == booking_id) & (Room.centre == centre.id)).first()


def series_upcoming(booking: Booking) -> int:
    """How many bookings of the booking's series are booked from this one on."""
    if not booking.series_key:
        return 0
    return (
        Booking.select()
        .where(
            (Booking.series_key == booking.series_key)
            & (Booking.room == booking.room_id)
            & (Booking.status == "booked")
            & (Booking.starts_at >= booking.starts_at)
        )
        .count()
    )


# --- Clashes ------------------------------------------------------------------------------


def booked_between(room_id: int, start: dt.datetime, end: dt.datetime) -> list[Booking]:
    """The room's booked (not cancelled) bookings overlapping [start, end), by start."""
    return list(
        _bookings()
        .where(
            (Booking.room == room_id)
            & (Booking.status == "booked")
            & (Booking.starts_at < end)
            & (Booking.ends_at > start)
        )
        .order_by(Booking.starts_at, Booking.id)
    )


class Timeline:
    """A room's bookings, sorted, to find clashes of many candidate times without queries.

    Two times clash when they overlap; one ending when the other starts does not clash.
    """

    def __init__(self, bookings: list[Booking]):
        self.bookings = sorted(bookings, key=lambda b: (b.starts_at, b.id))
        self.starts = [b.starts_at for b in self.bookings]
        # Running maximum of the ends, so that a long booking is found behind short ones.
        self.reach, top = [], dt.datetime.min
        for booking in self.bookings:
            top = max(top, booking.ends_at)
            self.reach.append(top)

    def clashes(self, start: dt.datetime, end: dt.datetime) -> list[Booking]:
        found = []
        index = bisect.bisect_left(self.starts, end) - 1
        while index >= 0 and self.reach[index] > start:
            booking = self.bookings[index]
            if booking.ends_at > start:
                found.append(booking)
            index -= 1
        return found[::-1]

    def is_free(self, start: dt.datetime, end: dt.datetime) -> bool:
        index = bisect.bisect_left(self.starts, end) - 1
        return not (index >= 0 and self.reach[index] > start and self.clashes(start, end))


def short_day(value: dt.datetime) -> str:
    """ "Di., 9. Dez." of a naive-UTC time, in Berlin and the reader's language."""
    return format_skeleton("MMMEd", to_berlin(value), locale=str(get_locale() or "de"))


def day_short(day: dt.date) -> str:
    """ "8. Dez." / "Dec 8" of a calendar day."""
    return format_skeleton(
        "MMMd", dt.datetime.combine(day, dt.time(12)), locale=str(get_locale() or "de")
    )


def when_label(starts_at: dt.datetime, ends_at: dt.datetime) -> str:
    """ "Di., 9. Dez., 09:00–11:00": a booking's time, short, in Berlin time."""
    return _(
        "%(day)s, %(start)s–%(end)s",
        day=short_day(starts_at),
        start=format_time(starts_at, "short"),
        end=format_time(ends_at, "short"),
    )


def clash_message(clashes: list[Booking]) -> str:
    """ "Clashes with: Hebammensprechstunde, Di., 9. Dez., 09:00–11:00" (every clash named)."""
    named = "; ".join(f"{b.title}, {when_label(b.starts_at, b.ends_at)}" for b in clashes)
    return _("Clashes with: %(bookings)s", bookings=named)


# --- Week views ---------------------------------------------------------------------------


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _utc_midnight(day: dt.date) -> dt.datetime:
    return recurrence.berlin_to_utc(day, dt.time(0))


@dataclass
class Block:
    booking: Booking
    start: dt.datetime  # Berlin wall-clock (naive), clipped to the day
    end: dt.datetime
    row: int = 1  # first grid row (1-based)
    span: int = 1
    lane: int = 1
    lanes: int = 1

    @property
    def kind(self) -> str:
        if self.booking.partner_id:
            return "partner"
        if self.booking.activity_id:
            return "activity"
        return "other"

    @property
    def short(self) -> bool:
        return self.span <= 2


@dataclass
class Day:
    date: dt.date
    blocks: list[Block] = field(default_factory=list)
    closed: str | None = None  # the reason the centre is closed (holiday or closing day)
    is_today: bool = False


@dataclass
class Week:
    monday: dt.date
    days: list[Day]
    first_hour: int
    last_hour: int
    count: int  # bookings shown

    @property
    def rows(self) -> int:
        return (self.last_hour - self.first_hour) * 60 // ROW_MINUTES

    @property
    def hours(self) -> list[int]:
        return list(range(self.first_hour, self.last_hour))

    def hour_row(self, hour: int) -> int:
        return (hour - self.first_hour) * 60 // ROW_MINUTES + 1

    @property
    def previous(self) -> dt.date:
        return self.monday - dt.timedelta(weeks=1)

    @property
    def next(self) -> dt.date:
        return self.monday + dt.timedelta(weeks=1)

    @property
    def sunday(self) -> dt.date:
        return self.monday + dt.timedelta(days=6)

    @property
    def iso_week(self) -> int:
        return self.monday.isocalendar()[1]


def _split_by_day(booking: Booking) -> list[tuple[dt.date, dt.datetime, dt.datetime]]:
    start = recurrence.utc_to_berlin(booking.starts_at)
    end = recurrence.utc_to_berlin(booking.ends_at)
    parts = []
    while start < end:
        midnight = dt.datetime.combine(start.date() + dt.timedelta(days=1), dt.time(0))
        parts.append((start.date(), start, min(end, midnight)))
        start = midnight
    return parts


def _assign_lanes(blocks: list[Block]) -> None:
    """Overlapping blocks (several rooms in the centre's view) sit side by side."""
    blocks.sort(key=lambda b: (b.start, b.end))
    cluster: list[Block] = []
    cluster_end = None
    lane_ends: list[dt.datetime] = []

    def close():
        width = min(max(len(lane_ends), 1), MAX_LANES)
        for block in cluster:
            block.lanes = width

    for block in blocks:
        if cluster and block.start >= cluster_end:
            close()
            cluster, lane_ends = [], []
        for index, lane_end in enumerate(lane_ends):
            if lane_end <= block.start:
                lane_ends[index] = block.end
                block.lane = index + 1
                break
        else:
            lane_ends.append(block.end)
            block.lane = len(lane_ends)
        block.lane = min(block.lane, MAX_LANES)
        cluster.append(block)
        cluster_end = block.end if cluster_end is None else max(cluster_end, block.end)
    if cluster:
        close()


def week_view(centre: Centre, monday: dt.date, room: Room | None = None) -> Week:
    """The bookings of a week (one room, or all rooms of the centre) laid out for the grid:
    Monday to Friday always, the weekend when something is booked then; 8 to 18 o'clock,
    widened to whatever is booked. Two queries (bookings, closing days)."""
    end_day = monday + dt.timedelta(days=7)
    query = _bookings().where(
        (Room.centre == centre.id)
        & (Booking.status == "booked")
        & (Booking.starts_at < _utc_midnight(end_day))
        & (Booking.ends_at > _utc_midnight(monday))
    )
    if room is not None:
        query = query.where(Booking.room == room.id)
    bookings = list(query.order_by(Booking.starts_at, Room.name, Booking.id))
    closing = {
        c.day: c.reason
        for c in ClosingDay.select(ClosingDay.day, ClosingDay.reason).where(
            (ClosingDay.centre == centre.id)
            & (ClosingDay.day >= monday)
            & (ClosingDay.day < end_day)
        )
    }
    days = {monday + dt.timedelta(days=n): Day(monday + dt.timedelta(days=n)) for n in range(7)}
    first, last = DAY_FROM, DAY_UNTIL
    for booking in bookings:
        for day, start, end in _split_by_day(booking):
            if day in days:
                days[day].blocks.append(Block(booking, start, end))
                first = min(first, start.hour)
                last = max(last, end.hour + (1 if end.minute or end.date() > day else 0))
    last = min(last, 24)
    current = today()
    for day in days.values():
        day.is_today = day.date == current
        if day.date in closing:
            day.closed = closing[day.date] or _("Closing day")
        else:
            day.closed = recurrence.holiday_name(day.date, _language())
        _assign_lanes(day.blocks)
        for block in day.blocks:
            top = (block.start.hour - first) * 60 + block.start.minute
            end_minutes = (
                (24 - first) * 60
                if block.end.date() > day.date
                else (block.end.hour - first) * 60 + block.end.minute
            )
            block.row = top // ROW_MINUTES + 1
            block.span = max(1, math.ceil((end_minutes - top) / ROW_MINUTES))
    shown = [d for d in days.values() if d.date.weekday() < 5 or d.blocks]
    return Week(monday, shown, first, last, len(bookings))


def _language() -> str:
    return str(get_locale() or "de")


def week_label(week: Week) -> str:
    """ "KW 50 · 8.–14. Dezember 2025"-like heading of a week."""
    return _(
        "Week %(number)d: %(start)s – %(end)s",
        number=week.iso_week,
        start=format_date(week.monday, "medium"),
        end=format_date(week.sunday, "medium"),
    )


# --- Family programme, feeds and reports --------------------------------------------------


@dataclass(frozen=True)
class PublicEntry:
    """A public consultation hour for the family programme and the family feed: what, when,
    where and whether it takes place — never a person's name or phone number."""

    id: int
    title: str
    kind_label_key: str  # a partner kind ("midwife", …); label: partners.queries.kind_label
    starts_at: dt.datetime  # naive UTC
    ends_at: dt.datetime  # naive UTC
    place: str  # the room's name
    updated_at: dt.datetime  # naive UTC
    status: str  # "booked" | "cancelled"
    centre_id: int = 0
    sequence: int = 0


def public_consultations(centre_ids, start_utc: dt.datetime, end_utc: dt.datetime):
    """Public bookings (consultation hours) of the centres that overlap [start, end), booked
    and cancelled ones (feeds mark those cancelled), by start. One query."""
    ids = sorted(set(centre_ids))
    if not ids:
        return []
    rows = (
        Booking.select(
            Booking.id,
            Booking.title,
            Booking.starts_at,
            Booking.ends_at,
            Booking.updated_at,
            Booking.status,
            Booking.sequence,
            Room.name,
            Room.centre,
            Partner.kind,
        )
        .join(Room, on=(Booking.room == Room.id))
        .switch(Booking)
        .join(Partner, JOIN.LEFT_OUTER, on=(Booking.partner == Partner.id))
        .where(
            (Room.centre.in_(ids))
            & (Booking.is_public == True)  # noqa: E712
            & (Booking.starts_at < end_utc)
            & (Booking.ends_at > start_utc)
        )
        .order_by(Booking.starts_at, Booking.id)
        .namedtuples()
    )
    return [
        PublicEntry(
            id=row.id,
            title=row.title,
            kind_label_key=row.kind or "other",
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            place=row.name,
            updated_at=row.updated_at,
            status=row.status,
            centre_id=row.centre,
            sequence=row.sequence,
        )
        for row in rows
    ]


def room_use(centre: Centre, start_utc: dt.datetime, end_utc: dt.datetime):
    """``[(room, hours, bookings)]`` for every room of the centre: booked hours inside
    [start, end) (bookings cut at the edges) and the number of bookings. Two queries."""
    rooms = rooms_of(centre)
    used = {room.id: [0.0, 0] for room in rooms}
    rows = (
        Booking.select(Booking.room, Booking.starts_at, Booking.ends_at)
        .join(Room, on=(Booking.room == Room.id))
        .where(
            (Room.centre == centre.id)
            & (Booking.status == "booked")
            & (Booking.starts_at < end_utc)
            & (Booking.ends_at > start_utc)
        )
        .namedtuples()
    )
    for row in rows:
        seconds = (min(row.ends_at, end_utc) - max(row.starts_at, start_utc)).total_seconds()
        used[row.room][0] += seconds / 3600
        used[row.room][1] += 1
    return [(room, round(used[room.id][0], 2), used[room.id][1]) for room in rooms]
