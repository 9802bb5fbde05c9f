"""The written plan (Helferplan): one centre's week, who does which task when and where, and
on whose say-so. Pure: plain data in (read by ``reports.queries.helferplan``), a ``Plan`` out;
no Flask, no database.

The plan is the short written task assignment the DGUV recommends as evidence that a volunteer
acted on the centre's behalf: signed by the centre's management, it says that the centre
approved and organised each task. A task done at the volunteer's home (baking, say) is
insured only when it was demonstrably commissioned, so such dates are marked. Only confirmed
sign-ups are on it: a request that waits for approval has not been commissioned yet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from volunteer_app.common.time import to_berlin

# How a volunteer came to a slot, from the sign-up's own columns (signups/services.py):
ASSIGNED = "assigned"  # a coordinator assigned them (``assigned_by``; also accepted invitations)
CONFIRMED = "confirmed"  # a coordinator approved or moved them up (``decided_by``)
CONFIRMED_ERASED = "confirmed_erased"  # so, but that coordinator's account has been erased
OWN = "own"  # they signed up themselves for a date the centre offered


@dataclass(frozen=True)
class PlanPerson:
    """A volunteer on a slot, and who assigned or confirmed them when."""

    name: str
    how: str  # ASSIGNED | CONFIRMED | CONFIRMED_ERASED | OWN
    by: str = ""  # the coordinator's name; "" for OWN and CONFIRMED_ERASED
    at: dt.datetime | None = None  # naive UTC: assigned, confirmed or signed up
    attendance: str | None = None  # "attended" | "no_show" | None (not recorded yet)
    children: int = 0  # children coming along (companions/): never volunteer places


def person_of(
    name: str,
    *,
    assigned_by: str | None,
    decided_by: str | None,
    decided_at: dt.datetime | None,
    signed_up_at: dt.datetime | None,
    attendance: str | None = None,
    children: int = 0,
) -> PlanPerson:
    """Who put the person on the slot, read from a confirmed sign-up: ``assigned_by`` and
    ``decided_by`` are the coordinators' names (None when not set, or when the account was
    erased: then ``decided_at`` still says that a coordinator decided)."""
    if assigned_by:
        return PlanPerson(name, ASSIGNED, assigned_by, decided_at, attendance, children)
    if decided_by:
        return PlanPerson(name, CONFIRMED, decided_by, decided_at, attendance, children)
    if decided_at is not None:
        return PlanPerson(name, CONFIRMED_ERASED, "", decided_at, attendance, children)
    return PlanPerson(name, OWN, "", signed_up_at, attendance, children)


@dataclass(frozen=True)
class PlanSlot:
    """One date of an activity in the plan; ``people`` are its confirmed volunteers."""

    slot_id: int
    starts_at: dt.datetime  # naive UTC
    ends_at: dt.datetime  # naive UTC
    title: str
    category: str
    place: str
    at_home: bool
    responsible: str  # the responsible staff member's name, "" if none
    capacity: int
    cancelled: bool = False
    cancelled_at: dt.datetime | None = None  # naive UTC
    cancel_reason: str = ""
    people: tuple[PlanPerson, ...] = ()

    @property
    def day(self) -> dt.date:
        """The Berlin day the slot starts on."""
        return to_berlin(self.starts_at).date()

    @property
    def open_places(self) -> int:
        return 0 if self.cancelled else max(self.capacity - len(self.people), 0)

    @property
    def children(self) -> int:
        """Children coming along with the volunteers: for planning, not places."""
        return sum(person.children for person in self.people)


@dataclass
class PlanDay:
    day: dt.date
    slots: list[PlanSlot] = field(default_factory=list)
    closed: str | None = None  # a closing day of the centre: its reason ("" if none given)
    holiday: str | None = None  # a public holiday in Thuringia: its name

    @property
    def is_weekend(self) -> bool:
        return self.day.weekday() >= 5


@dataclass
class Plan:
    """A week (Monday to Sunday, Berlin days) of one centre's slots, day by day."""

    monday: dt.date
    days: list[PlanDay]

    @property
    def sunday(self) -> dt.date:
        return self.monday + dt.timedelta(days=6)

    @property
    def previous(self) -> dt.date:
        return self.monday - dt.timedelta(days=7)

    @property
    def next(self) -> dt.date:
        return self.monday + dt.timedelta(days=7)

    @property
    def iso_week(self) -> int:
        return self.monday.isocalendar()[1]

    @property
    def slots(self) -> list[PlanSlot]:
        return [slot for day in self.days for slot in day.slots]

    @property
    def held(self) -> list[PlanSlot]:
        return [slot for slot in self.slots if not slot.cancelled]

    @property
    def cancelled(self) -> list[PlanSlot]:
        return [slot for slot in self.slots if slot.cancelled]

    @property
    def assignments(self) -> int:
        """Volunteers on dates that take place (a person twice in the week counts twice)."""
        return sum(len(slot.people) for slot in self.held)

    @property
    def children(self) -> int:
        """Children coming along on dates that take place."""
        return sum(slot.children for slot in self.held)

    @property
    def has_at_home(self) -> bool:
        return any(slot.at_home for slot in self.held)


def week_start(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week."""
    return day - dt.timedelta(days=day.weekday())


def build_plan(
    monday: dt.date,
    slots: Iterable[PlanSlot],
    closed: dict[dt.date, str] | None = None,
    holidays: dict[dt.date, str] | None = None,
) -> Plan:
    """The plan of the week from ``monday``: Monday to Friday always, Saturday and Sunday
    when something happens then; each day's slots by start, then title; each slot's people
    by name. Slots outside the week are left out. ``closed`` and ``holidays`` map days to
    a closing day's reason and a holiday's name."""
    if monday.weekday() != 0:
        raise ValueError(f"{monday} is not a Monday")
    closed, holidays = closed or {}, holidays or {}
    days = {monday + dt.timedelta(days=n): PlanDay(monday + dt.timedelta(days=n)) for n in range(7)}
    for slot in slots:
        day = days.get(slot.day)
        if day is None:
            continue
        people = tuple(sorted(slot.people, key=lambda p: (p.name.casefold(), p.name)))
        day.slots.append(replace(slot, people=people))
    for day in days.values():
        day.slots.sort(key=lambda s: (s.starts_at, s.title.casefold(), s.slot_id))
        day.closed = closed.get(day.day)
        day.holiday = holidays.get(day.day)
    shown = [day for day in days.values() if not day.is_weekend or day.slots]
    return Plan(monday=monday, days=shown)
