"""Read helpers for hours, certificates of volunteering and reports; each a few fixed queries.

Periods are Berlin calendar days ``[first, last]``; they become the UTC bounds
``[midnight of first, midnight after last)``. Hours are those recorded with attendance
("attended"); a slot "held" is one not cancelled that has started by now.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import peewee as pw
from peewee import JOIN

from volunteer_app.accounts.models import User
from volunteer_app.activities import recurrence
from volunteer_app.activities.models import Activity, Category, Slot
from volunteer_app.activities.queries import category_label, category_rank
from volunteer_app.centres.models import Centre, ClosingDay, Operator
from volunteer_app.common.time import berlin_to_utc
from volunteer_app.companions.models import ComingAlong
from volunteer_app.db import utcnow
from volunteer_app.erasure.queries import anonymous_hours_by_category, anonymous_people
from volunteer_app.reports import plan
from volunteer_app.reports.models import VolunteeringCertificate
from volunteer_app.signups.models import Signup
from volunteer_app.wishes.queries import wish_figures

ZERO = Decimal("0.00")


def utc_bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """UTC bounds of the Berlin days ``first`` to ``last`` (both included)."""
    start = berlin_to_utc(dt.datetime.combine(first, dt.time()))
    end = berlin_to_utc(dt.datetime.combine(last + dt.timedelta(days=1), dt.time()))
    return start, end


def _decimal(value) -> Decimal:
    if value is None:
        return ZERO
    return Decimal(str(value)).quantize(Decimal("0.01"))


# --- A volunteer's hours --------------------------------------------------------------------


@dataclass
class Line:
    """One row of a breakdown: a label, hours and the number of dates (slots)."""

    label: str
    hours: Decimal = ZERO
    dates: int = 0
    key: object = None


@dataclass
class Hours:
    total: Decimal = ZERO
    dates: int = 0
    by_category: list[Line] = field(default_factory=list)
    by_centre: list[Line] = field(default_factory=list)


def _attended(volunteer_id: int, start: dt.datetime, end: dt.datetime):
    return (
        Signup.select()
        .join(Slot, on=(Signup.slot == Slot.id))
        .join(Activity, on=(Slot.activity == Activity.id))
        .where(
            (Signup.volunteer == volunteer_id)
            & (Signup.attendance == "attended")
            & (Slot.starts_at >= start)
            & (Slot.starts_at < end)
        )
    )


def volunteer_hours(volunteer_id: int, first: dt.date, last: dt.date) -> Hours:
    """The volunteer's attended hours in the period, by category and by centre (one query)."""
    start, end = utc_bounds(first, last)
    rows = (
        _attended(volunteer_id, start, end)
        .join_from(Activity, Category, on=(Activity.category == Category.id))
        .join_from(Activity, Centre, on=(Activity.centre == Centre.id))
        .select(
            Category.id,
            Category.key,
            Category.name,
            Centre.id,
            Centre.name,
            pw.fn.SUM(Signup.hours).alias("hours"),
            pw.fn.COUNT(Signup.id).alias("dates"),
        )
        .group_by(Category.id, Category.key, Category.name, Centre.id, Centre.name)
        .tuples()
    )
    result = Hours()
    categories: dict[int, tuple[Category, Line]] = {}
    centres: dict[int, Line] = {}
    for cat_id, key, name, centre_id, centre_name, hours, dates in rows:
        hours = _decimal(hours)
        category = Category(id=cat_id, key=key, name=name)
        _, line = categories.setdefault(cat_id, (category, Line(category_label(category))))
        line.hours += hours
        line.dates += dates
        centre_line = centres.setdefault(centre_id, Line(centre_name, key=centre_id))
        centre_line.hours += hours
        centre_line.dates += dates
        result.total += hours
        result.dates += dates
    result.by_category = [
        line for _c, line in sorted(categories.values(), key=lambda p: category_rank(p[0]))
    ]
    result.by_centre = sorted(centres.values(), key=lambda line: line.label.casefold())
    return result


@dataclass
class ActivityLine:
    title: str
    category: str
    dates: int
    hours: Decimal
    first: dt.datetime
    last: dt.datetime


def certificate_lines(volunteer_id: int, centre_id: int, first: dt.date, last: dt.date):
    """What the volunteer did at one centre in the period, by activity (one query)."""
    start, end = utc_bounds(first, last)
    rows = (
        _attended(volunteer_id, start, end)
        .join_from(Activity, Category, on=(Activity.category == Category.id))
        .select(
            Activity.id,
            Activity.title,
            Category.key,
            Category.name,
            pw.fn.COUNT(Signup.id),
            pw.fn.SUM(Signup.hours),
            pw.fn.MIN(Slot.starts_at),
            pw.fn.MAX(Slot.starts_at),
        )
        .where(Activity.centre == centre_id)
        .group_by(Activity.id, Activity.title, Category.key, Category.name)
        .order_by(pw.fn.MIN(Slot.starts_at))
        .tuples()
    )
    return [
        ActivityLine(
            title,
            category_label(Category(key=key, name=name)),
            dates,
            _decimal(hours),
            _as_datetime(first_at),
            _as_datetime(last_at),
        )
        for _id, title, key, name, dates, hours, first_at, last_at in rows
    ]


def _as_datetime(value):
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    return value


def centres_with_hours(volunteer_id: int) -> list[Centre]:
    """Centres where the volunteer has ever attended a slot (for the certificate form)."""
    ids = (
        Activity.select(Activity.centre)
        .join(Slot, on=(Slot.activity == Activity.id))
        .join(Signup, on=(Signup.slot == Slot.id))
        .where((Signup.volunteer == volunteer_id) & (Signup.attendance == "attended"))
    )
    return list(Centre.select().where(Centre.id.in_(ids)).order_by(Centre.name))


# --- Certificates of volunteering ------------------------------------------------------------


def certificates_of(volunteer_id: int) -> list[VolunteeringCertificate]:
    """The volunteer's certificate requests with their centre, newest first (one query)."""
    return list(
        VolunteeringCertificate.select(VolunteeringCertificate, Centre)
        .join(Centre, on=(VolunteeringCertificate.centre == Centre.id))
        .where(VolunteeringCertificate.volunteer == volunteer_id)
        .order_by(VolunteeringCertificate.requested_at.desc(), VolunteeringCertificate.id.desc())
    )


def own_certificate(volunteer_id: int, certificate_id: int) -> VolunteeringCertificate | None:
    return (
        VolunteeringCertificate.select(VolunteeringCertificate, Centre, Operator)
        .join(Centre, on=(VolunteeringCertificate.centre == Centre.id))
        .join(Operator, JOIN.LEFT_OUTER, on=(Centre.operator == Operator.id))
        .where(
            (VolunteeringCertificate.id == certificate_id)
            & (VolunteeringCertificate.volunteer == volunteer_id)
        )
        .first()
    )


def centre_certificates(centre_id: int) -> list[VolunteeringCertificate]:
    """A centre's certificate requests with the volunteer, open ones first (one query)."""
    open_first = pw.Case(None, [(VolunteeringCertificate.status == "requested", 0)], 1)
    return list(
        VolunteeringCertificate.select(VolunteeringCertificate, User)
        .join(User, on=(VolunteeringCertificate.volunteer == User.id))
        .where(VolunteeringCertificate.centre == centre_id)
        .order_by(open_first, VolunteeringCertificate.requested_at.desc())
        .limit(500)
    )


def requested_count(centre_id: int) -> int:
    """How many certificate requests wait for a coordinator of the centre (one query)."""
    return (
        VolunteeringCertificate.select()
        .where(
            (VolunteeringCertificate.centre == centre_id)
            & (VolunteeringCertificate.status == "requested")
        )
        .count()
    )


def certificate_in_centre(centre: Centre, certificate_id: int) -> VolunteeringCertificate | None:
    cert = (
        VolunteeringCertificate.select(VolunteeringCertificate, User)
        .join(User, on=(VolunteeringCertificate.volunteer == User.id))
        .where(
            (VolunteeringCertificate.id == certificate_id)
            & (VolunteeringCertificate.centre == centre.id)
        )
        .first()
    )
    if cert is not None:
        cert.centre = centre
    return cert


# --- Reports for centres and funders --------------------------------------------------------


@dataclass
class Report:
    """Figures of one or more centres in a period; nothing about a person."""

    first: dt.date
    last: dt.date
    centres: list[Centre]
    categories: list[Line] = field(default_factory=list)  # slots held (dates) and hours
    slots_held: int = 0
    hours: Decimal = ZERO
    volunteers: int = 0
    partners: list[Line] = field(default_factory=list)  # partners with bookings, by kind
    partners_active: int = 0
    rooms: list[Line] = field(default_factory=list)  # hours booked per room (dates = bookings)
    room_hours: Decimal = ZERO
    wishes_received: int = 0
    wishes_realised: int = 0

    @property
    def max_category_dates(self) -> int:
        return max((line.dates for line in self.categories), default=0)

    @property
    def max_category_hours(self) -> Decimal:
        return max((line.hours for line in self.categories), default=ZERO)

    @property
    def max_room_hours(self) -> Decimal:
        return max((line.hours for line in self.rooms), default=ZERO)


def _slots_by_category(centre_ids, start, end, now):
    return (
        Slot.select(Category.id, Category.key, Category.name, pw.fn.COUNT(Slot.id))
        .join(Activity, on=(Slot.activity == Activity.id))
        .join(Category, on=(Activity.category == Category.id))
        .where(
            Activity.centre.in_(centre_ids)
            & (Slot.status == "scheduled")
            & (Slot.starts_at >= start)
            & (Slot.starts_at < min(end, now))
        )
        .group_by(Category.id, Category.key, Category.name)
        .tuples()
    )


def _hours_by_category(centre_ids, start, end):
    return (
        Signup.select(Category.id, Category.key, Category.name, pw.fn.SUM(Signup.hours))
        .join(Slot, on=(Signup.slot == Slot.id))
        .join(Activity, on=(Slot.activity == Activity.id))
        .join(Category, on=(Activity.category == Category.id))
        .where(
            Activity.centre.in_(centre_ids)
            & (Signup.attendance == "attended")
            & (Slot.starts_at >= start)
            & (Slot.starts_at < end)
        )
        .group_by(Category.id, Category.key, Category.name)
        .tuples()
    )


def _distinct_volunteers(centre_ids, start, end) -> int:
    return (
        Signup.select(pw.fn.COUNT(pw.fn.DISTINCT(Signup.volunteer)))
        .join(Slot, on=(Signup.slot == Slot.id))
        .join(Activity, on=(Slot.activity == Activity.id))
        .where(
            Activity.centre.in_(centre_ids)
            & (Signup.attendance == "attended")
            & (Slot.starts_at >= start)
            & (Slot.starts_at < end)
        )
        .scalar()
        or 0
    )


def _categories(report: Report, centre_ids, start, end) -> None:
    lines: dict[int, tuple[Category, Line]] = {}

    def line_for(cat_id, key, name):
        category = Category(id=cat_id, key=key, name=name)
        return lines.setdefault(cat_id, (category, Line(category_label(category))))[1]

    for cat_id, key, name, count in _slots_by_category(centre_ids, start, end, utcnow()):
        line_for(cat_id, key, name).dates += count
        report.slots_held += count
    for cat_id, key, name, hours in _hours_by_category(centre_ids, start, end):
        line_for(cat_id, key, name).hours += _decimal(hours)
        report.hours += _decimal(hours)
    # Hours of people whose account was erased stay in the figures, anonymously.
    for cat_id, key, name, hours in anonymous_hours_by_category(
        centre_ids, report.first, report.last
    ):
        line_for(cat_id, key, name).hours += _decimal(hours)
        report.hours += _decimal(hours)
    report.categories = [
        line for _c, line in sorted(lines.values(), key=lambda p: category_rank(p[0]))
    ]


def _rooms_and_partners(report: Report, centre_ids, start, end) -> None:
    """Hours booked per room (bookings cut at the period's edges) and the partners with
    bookings, counted by kind — a partner's name may be a person's name, so it is left out."""
    from volunteer_app.partners.models import Partner
    from volunteer_app.rooms.models import Booking, Room

    try:
        from volunteer_app.partners.queries import KIND_LABELS
    except ImportError:  # pragma: no cover - the partners feature names its kinds
        KIND_LABELS = {}

    rows = (
        Room.select(Room.id, Room.name, Centre.name, Booking.starts_at, Booking.ends_at,
                    Booking.partner, Partner.kind)
        .join(Centre, on=(Room.centre == Centre.id))
        .join_from(Room, Booking, JOIN.LEFT_OUTER, on=(
            (Booking.room == Room.id) & (Booking.status == "booked")
            & (Booking.starts_at < end) & (Booking.ends_at > start)
        ))
        .join_from(Booking, Partner, JOIN.LEFT_OUTER, on=(Booking.partner == Partner.id))
        .where(Room.centre.in_(centre_ids) & (Room.is_active | Booking.id.is_null(False)))
        .order_by(Centre.name, Room.name, Room.id)
        .tuples()
    )  # fmt: skip
    rooms: dict[int, Line] = {}
    partners: dict[str, set[int]] = defaultdict(set)
    several = len(centre_ids) > 1
    for room_id, room, centre, starts, ends, partner_id, kind in rows:
        label = f"{room} ({centre})" if several else room
        line = rooms.setdefault(room_id, Line(label, key=room_id))
        if starts is None:
            continue
        starts, ends = _as_datetime(starts), _as_datetime(ends)
        seconds = (min(ends, end) - max(starts, start)).total_seconds()
        line.hours += _decimal(seconds / 3600)
        line.dates += 1
        if partner_id is not None:
            partners[kind].add(partner_id)
    report.rooms = list(rooms.values())
    report.room_hours = sum((line.hours for line in report.rooms), ZERO)
    report.partners = [
        Line(str(KIND_LABELS.get(kind, kind)), dates=len(ids), key=kind)
        for kind, ids in sorted(partners.items(), key=lambda item: -len(item[1]))
    ]
    report.partners_active = sum(len(ids) for ids in partners.values())


def build_report(centres: list[Centre], first: dt.date, last: dt.date) -> Report:
    """The report of ``centres`` for the Berlin days ``first``–``last`` (eight queries)."""
    report = Report(first=first, last=last, centres=centres)
    centre_ids = [c.id for c in centres]
    if not centre_ids:
        return report
    start, end = utc_bounds(first, last)
    _categories(report, centre_ids, start, end)
    report.volunteers = _distinct_volunteers(centre_ids, start, end) + anonymous_people(
        centre_ids, first, last
    )
    _rooms_and_partners(report, centre_ids, start, end)
    wishes = wish_figures(centre_ids, start, end)
    report.wishes_received, report.wishes_realised = wishes["received"], wishes["realised"]
    return report


# --- The written plan (Helferplan) -----------------------------------------------------------


def helferplan(centre: Centre, monday: dt.date, language: str = "de") -> plan.Plan:
    """The centre's written plan of the Berlin week from ``monday``: every slot, cancelled
    ones too, with its confirmed volunteers and who assigned or confirmed them, the centre's
    closing days and the public holidays (named in ``language``). Three queries."""
    start, end = utc_bounds(monday, monday + dt.timedelta(days=6))
    responsible = User.alias()
    rows = list(
        Slot.select(
            Slot.id, Slot.starts_at, Slot.ends_at, Slot.status, Slot.cancelled_at,
            Slot.cancel_reason, Slot.capacity, Activity.title, Activity.place, Activity.at_home,
            Category.key, Category.name, responsible.name,
        )
        .join(Activity, on=(Slot.activity == Activity.id))
        .join(Category, on=(Activity.category == Category.id))
        .join_from(
            Activity, responsible, JOIN.LEFT_OUTER, on=(Activity.responsible == responsible.id)
        )
        .where((Activity.centre == centre.id) & (Slot.starts_at >= start) & (Slot.starts_at < end))
        .order_by(Slot.starts_at, Slot.id)
        .tuples()
    )  # fmt: skip
    people = _plan_people([row[0] for row in rows])
    slots = [
        plan.PlanSlot(
            slot_id=slot_id, starts_at=_as_datetime(starts_at), ends_at=_as_datetime(ends_at),
            title=title, category=category_label(Category(key=key, name=name)), place=place,
            at_home=bool(at_home), responsible=responsible_name or "", capacity=capacity,
            cancelled=status == "cancelled", cancelled_at=_as_datetime(cancelled_at),
            cancel_reason=cancel_reason or "", people=tuple(people.get(slot_id, ())),
        )
        for (slot_id, starts_at, ends_at, status, cancelled_at, cancel_reason, capacity, title,
             place, at_home, key, name, responsible_name) in rows
    ]  # fmt: skip
    closed = {
        day: reason
        for day, reason in ClosingDay.select(ClosingDay.day, ClosingDay.reason)
        .where(
            (ClosingDay.centre == centre.id)
            & (ClosingDay.day >= monday)
            & (ClosingDay.day <= monday + dt.timedelta(days=6))
        )
        .tuples()
    }
    days = [monday + dt.timedelta(days=n) for n in range(7)]
    holidays = {
        day: name for day in days if (name := recurrence.holiday_name(day, language)) is not None
    }
    return plan.build_plan(monday, slots, closed, holidays)


def _plan_people(slot_ids: list[int]) -> dict[int, list[plan.PlanPerson]]:
    """The confirmed volunteers of the slots, with who assigned or confirmed them (one query)."""
    if not slot_ids:
        return {}
    volunteer, assigner, decider = User.alias(), User.alias(), User.alias()
    rows = (
        Signup.select(
            Signup.slot, volunteer.name, assigner.name, decider.name, Signup.decided_at,
            Signup.queued_at, Signup.attendance, ComingAlong.children,
        )
        .join(volunteer, on=(Signup.volunteer == volunteer.id))
        .join_from(Signup, ComingAlong, JOIN.LEFT_OUTER, on=(ComingAlong.signup == Signup.id))
        .join_from(Signup, assigner, JOIN.LEFT_OUTER, on=(Signup.assigned_by == assigner.id))
        .join_from(Signup, decider, JOIN.LEFT_OUTER, on=(Signup.decided_by == decider.id))
        .where(Signup.slot.in_(slot_ids) & (Signup.status == "confirmed"))
        .tuples()
    )  # fmt: skip
    people: dict[int, list[plan.PlanPerson]] = defaultdict(list)
    for slot_id, name, assigned_by, decided_by, decided_at, queued_at, attendance, kids in rows:
        people[slot_id].append(
            plan.person_of(
                name,
                assigned_by=assigned_by,
                decided_by=decided_by,
                decided_at=_as_datetime(decided_at),
                signed_up_at=_as_datetime(queued_at),
                attendance=attendance,
                children=kids or 0,
            )
        )
    return people


def operator_by_id(operator_id: int) -> Operator | None:
    return Operator.get_or_none(Operator.id == operator_id)


def operator_centres(operator: Operator, user) -> list[Centre]:
    """The operator's centres the user may see figures of: all for admins, the ones they
    coordinate otherwise (one query)."""
    from volunteer_app.centres.models import CentreMembership

    query = Centre.select().where(Centre.operator == operator.id)
    if not user.is_admin:
        query = query.join(CentreMembership, on=(CentreMembership.centre == Centre.id)).where(
            CentreMembership.user == user.id
        )
    return list(query.order_by(Centre.name))
