"""Plain data of a matching problem (no Flask, no database, no solver imports).

Times of slots and windows are Europe/Berlin wall-clock: naive datetimes and minutes of day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


def assemble(cls, fields: dict):
    """`cls(**fields)` for the frozen dataclasses below, with every field given.

    The generated `__init__` of a frozen dataclass sets each field through
    `object.__setattr__`; readers and solvers that make tens of thousands of objects set the
    instance dictionary at once instead (several times faster). None of these classes has a
    `__post_init__`, so the object is the same (tests/test_matching_cli.py compares them)."""
    obj = object.__new__(cls)
    object.__setattr__(obj, "__dict__", fields)
    return obj


@dataclass(frozen=True)
class Window:
    """A weekly availability window: ``weekday`` 0=Monday, minutes of day ``[start, end)``."""

    weekday: int
    start_minute: int
    end_minute: int


@dataclass(frozen=True)
class Volunteer:
    id: int
    interests: frozenset[int]  # category ids
    open_to_anything: bool
    windows: tuple[Window, ...]
    centres: frozenset[int]  # reachable centre ids
    certificate_valid_until: date | None
    languages: frozenset[str]  # e.g. {"de", "ar"}
    cap_month: int | None = None
    cap_week: int | None = None
    cap_day: int = 1
    history_centres: frozenset[int] = frozenset()  # continuity bonus
    history_series: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Slot:
    id: int
    centre: int
    category: int
    start: datetime  # Berlin wall-clock, naive
    end: datetime
    seats: int  # capacity (fixed assignments count against it)
    child_facing: bool = False
    language: str | None = None  # required language
    series: int | None = None


@dataclass(frozen=True, order=True)
class Pair:
    volunteer: int
    slot: int


@dataclass(frozen=True)
class Options:
    allow_same_day: bool = False  # several slots a day with overlap checks -> CP-SAT
    same_person_for_series: bool = False  # -> CP-SAT
    time_limit_s: float = 10.0


@dataclass(frozen=True)
class Problem:
    volunteers: tuple[Volunteer, ...]
    slots: tuple[Slot, ...]
    fixed: tuple[Pair, ...] = ()  # confirmed: stay, count against seats and caps
    previous: tuple[Pair, ...] = ()  # earlier proposals: small bonus for keeping them
    declined: frozenset[Pair] = frozenset()
    # volunteer id -> {"month": {(y, m): n}, "week": {(iso_y, iso_w): n}, "day": {date: n}}:
    # slots the person already has outside this problem's slots.
    load: dict = field(default_factory=dict, hash=False)
    options: Options = Options()


@dataclass(frozen=True)
class Solution:
    pairs: tuple[Pair, ...]  # new proposals only (fixed not repeated), sorted
    objective: int
    terms: dict[str, int]  # objective broken down by tier
    status: str  # "optimal" | "gap" | "heuristic"
    gap: float | None
    engine: str  # "flow" | "cpsat" | "greedy"
    seconds: float
    bound: int | None = None  # best proven bound on the objective (maximisation), when known
    notes: tuple[str, ...] = ()  # e.g. why an engine fell back
    stats: dict = field(default_factory=dict, compare=False, hash=False)  # model size, phase times


@dataclass(frozen=True)
class Reason:
    """Why a volunteer fits a slot; the web layer renders the words."""

    kind: str  # "interest" | "open" | "window" | "centre" | "certificate" | "language" | "continuity" | "series"
    data: dict = field(default_factory=dict, hash=False)
