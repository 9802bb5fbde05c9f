"""Read helpers for centres; every list is one query."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

import peewee as pw
from peewee import JOIN

from volunteer_app.accounts.models import User
from volunteer_app.activities import recurrence
from volunteer_app.activities.models import Activity, Slot
from volunteer_app.centres.models import Centre, CentreMembership, ClosingDay, Invitation, Operator
from volunteer_app.common.security import hash_token
from volunteer_app.common.time import BERLIN, berlin_to_utc, to_berlin
from volunteer_app.db import Prepared
from volunteer_app.rooms.models import Booking, Room
from volunteer_app.signups.models import ACTIVE, Signup


def today() -> dt.date:
    """Today's date in Berlin: closing days are calendar days of the centre."""
    return dt.datetime.now(BERLIN).date()


def _with_operator():
    return Centre.select(Centre, Operator).join(
        Operator, on=(Centre.operator == Operator.id), join_type=JOIN.LEFT_OUTER
    )


def centres_with_operator() -> pw.ModelSelect:
    """Every centre with its operator, unordered: for callers that add their order and page
    through it (the JSON API, api/)."""
    return _with_operator()


def centres_overview() -> list[Centre]:
    """All centres with their operator, by town then name (one query)."""
    return list(_with_operator().order_by(Centre.town, Centre.name))


def operators() -> list[Operator]:
    """Every operator by name (the choices of a centre's operator field)."""
    return list(Operator.select().order_by(Operator.name))


def centre_by_slug(slug: str) -> Centre | None:
    return _with_operator().where(Centre.slug == slug).first()


def managed_centre_ids(user) -> set[int]:
    """Centres the user may manage: all for admins, their memberships for coordinators."""
    if not user.is_authenticated:
        return set()
    if user.is_admin:
        return {c.id for c in Centre.select(Centre.id)}
    if user.role != "coordinator":
        return set()
    return {
        m.centre_id
        for m in CentreMembership.select(CentreMembership.centre).where(
            CentreMembership.user == user.id
        )
    }


# Asked on every page of a centre's desk: its SQL is written once (db.Prepared).
_MEMBER = Prepared(
    lambda user_id, centre_id: (
        CentreMembership.select(CentreMembership.id)
        .where((CentreMembership.user == user_id) & (CentreMembership.centre == centre_id))
        .limit(1)
    ),
    name="member",
)


def can_manage(user, centre: Centre) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_admin:
        return True
    return user.role == "coordinator" and bool(_MEMBER.rows(user.id, centre.id))


def managed_centres(user) -> list[Centre]:
    """The centres a coordinator belongs to (every centre for an admin), one query.

    Each centre carries ``next_closing_day`` (a date or None) for the overview.
    """
    if not user.is_authenticated or user.role not in ("coordinator", "admin"):
        return []
    next_day = (
        ClosingDay.select(pw.fn.MIN(ClosingDay.day))
        .where((ClosingDay.centre == Centre.id) & (ClosingDay.day >= today()))
        .alias("next_closing_day")
    )
    query = Centre.select(Centre, next_day).order_by(Centre.town, Centre.name)
    if not user.is_admin:
        query = query.join(CentreMembership, on=(CentreMembership.centre == Centre.id)).where(
            CentreMembership.user == user.id
        )
    centres = list(query)
    for centre in centres:
        # SQLite hands back the sub-select's date as text.
        if isinstance(centre.next_closing_day, str):
            centre.next_closing_day = dt.date.fromisoformat(centre.next_closing_day)
    return centres


def upcoming_closing_days(centre: Centre, since) -> list[ClosingDay]:
    return list(
        ClosingDay.select()
        .where((ClosingDay.centre == centre.id) & (ClosingDay.day >= since))
        .order_by(ClosingDay.day)
    )


# --- Closures: closing days as ranges, and what a new closure would cancel -----------------


@dataclass(frozen=True)
class ClosureRange:
    """Consecutive closing days with the same reason ("22.12.–2.1. Weihnachtsschließzeit")."""

    first: dt.date
    last: dt.date
    reason: str
    days: tuple[ClosingDay, ...]
    kind: str = "closing"  # "closing" (the centre's closing days) | "holiday" (public holiday)

    @property
    def is_single(self) -> bool:
        return self.first == self.last

    @property
    def length(self) -> int:
        return (self.last - self.first).days + 1


def closure_ranges(closing_days: Iterable[ClosingDay]) -> list[ClosureRange]:
    """Closing days (of one centre) grouped into ranges of consecutive days with the same
    reason, in date order (no query: a range is one row per day in the database)."""
    out: list[ClosureRange] = []
    for day in sorted(closing_days, key=lambda c: c.day):
        last = out[-1] if out else None
        if last and last.reason == day.reason and day.day == last.last + dt.timedelta(days=1):
            out[-1] = ClosureRange(last.first, day.day, last.reason, (*last.days, day))
        else:
            out.append(ClosureRange(day.day, day.day, day.reason, (day,)))
    return out


def closing_days_between(centre_id: int, first: dt.date, last: dt.date) -> list[ClosingDay]:
    """The centre's closing days from ``first`` to ``last`` (inclusive), by date (one query)."""
    return list(
        ClosingDay.select()
        .where((ClosingDay.centre == centre_id) & ClosingDay.day.between(first, last))
        .order_by(ClosingDay.day)
    )


def closures_between(
    centre_id: int, first: dt.date, last: dt.date, language: str = "de"
) -> list[ClosureRange]:
    """The centre's closing days from ``first`` to ``last`` as ranges, and the public holidays
    then that are no closing day (named in ``language``), by date (one query)."""
    ranges = closure_ranges(closing_days_between(centre_id, first, last))
    closed = {c.day for r in ranges for c in r.days}
    day = first
    while day <= last:
        name = recurrence.holiday_name(day, language)
        if name and day not in closed:
            ranges.append(ClosureRange(day, day, name, (), "holiday"))
        day += dt.timedelta(days=1)
    return sorted(ranges, key=lambda r: r.first)


def berlin_day_bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Naive UTC from 00:00 Berlin on ``first`` to 00:00 Berlin after ``last`` (each day's
    own offset, so a range across a clock change is exact)."""
    start = berlin_to_utc(dt.datetime.combine(first, dt.time()))
    return start, berlin_to_utc(dt.datetime.combine(last + dt.timedelta(days=1), dt.time()))


@dataclass
class AffectedSlot:
    """A slot a closure would cancel, with everyone active on it (names for the coordinator)."""

    slot: Slot  # with its activity
    people: list[Signup] = field(default_factory=list)  # with their volunteer, by status


@dataclass
class ClosureImpact:
    slots: list[AffectedSlot]
    bookings: list[Booking]  # room bookings on those days, with their room

    @property
    def people(self) -> int:
        """How many sign-ups end (and mails go out) when the slots are cancelled."""
        return sum(len(line.people) for line in self.slots)

    @property
    def is_empty(self) -> bool:
        return not self.slots and not self.bookings


_STATUS_ORDER = {"confirmed": 0, "pending": 1, "waitlisted": 2}


def closure_impact(centre_id: int, days: Iterable[dt.date], now: dt.datetime) -> ClosureImpact:
    """What closing the centre on ``days`` (Berlin dates) would cancel: its scheduled slots
    that start on one of them and have not started by ``now``, with the people active on each,
    and the rooms' bookings starting then (three queries, however many rows)."""
    wanted = set(days)
    if not wanted:
        return ClosureImpact([], [])
    start, end = berlin_day_bounds(min(wanted), max(wanted))
    slots = [
        slot
        for slot in Slot.select(Slot, Activity)
        .join(Activity, on=(Slot.activity == Activity.id))
        .where(
            (Activity.centre == centre_id)
            & (Slot.status == "scheduled")
            & (Slot.starts_at >= start)
            & (Slot.starts_at < end)
            & (Slot.starts_at > now)
        )
        .order_by(Slot.starts_at, Activity.title, Slot.id)
        if to_berlin(slot.starts_at).date() in wanted
    ]
    people: dict[int, list[Signup]] = {slot.id: [] for slot in slots}
    if slots:
        for signup in (
            Signup.select(Signup, User)
            .join(User, on=(Signup.volunteer == User.id))
            .where(Signup.slot.in_(list(people)) & Signup.status.in_(ACTIVE))
            .order_by(Signup.id)
        ):
            people[signup.slot_id].append(signup)
    bookings = [
        booking
        for booking in Booking.select(Booking, Room)
        .join(Room, on=(Booking.room == Room.id))
        .where(
            (Room.centre == centre_id)
            & (Booking.status == "booked")
            & (Booking.starts_at >= start)
            & (Booking.starts_at < end)
            & (Booking.starts_at > now)
        )
        .order_by(Booking.starts_at, Room.name, Booking.id)
        if to_berlin(booking.starts_at).date() in wanted
    ]
    lines = [
        AffectedSlot(
            slot,
            sorted(people[slot.id], key=lambda s: (_STATUS_ORDER.get(s.status, 9), s.id)),
        )
        for slot in slots
    ]
    return ClosureImpact(lines, bookings)


def coordinators_of(centre: Centre) -> list[User]:
    return list(
        User.select()
        .join(CentreMembership, on=(CentreMembership.user == User.id))
        .where(CentreMembership.centre == centre.id)
        .order_by(User.name)
    )


def invitation_by_token(token: str) -> Invitation | None:
    """The invitation a link points to, with its centre (whatever its state)."""
    return (
        Invitation.select(Invitation, Centre)
        .join(Centre)
        .where(Invitation.token_hash == hash_token(token))
        .first()
    )


def user_by_email(email: str) -> User | None:
    return User.get_or_none(User.email == email.strip().lower())
