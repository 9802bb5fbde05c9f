"""Pure schedule arithmetic: which dates a series has, and their UTC times.

No Flask, no database. Times are Berlin wall-clock times; a start or end that falls
into the hour skipped or repeated by a daylight-saving change is refused, because
it either does not exist or exists twice.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache

import holidays

from volunteer_app.common.time import BERLIN, UTC

MAX_OCCURRENCES = 500
# A safety net for rules that never end: no walk looks at more candidate dates than this.
MAX_CANDIDATES = 10_000
RECURRENCES = ("once", "weekly", "monthly")
NTH_CHOICES = (1, 2, 3, 4, -1)


class WallClockError(ValueError):
    """A Berlin wall-clock time that does not exist or is ambiguous on that day."""

    def __init__(self, day: dt.date, time: dt.time, kind: str):
        super().__init__(f"{day} {time} is {kind} in Europe/Berlin")
        self.day, self.time, self.kind = day, time, kind  # kind: "missing" or "repeated"


@dataclass(frozen=True)
class Rule:
    recurrence: str  # once | weekly | monthly
    start_date: dt.date
    start_time: dt.time
    end_time: dt.time
    interval: int = 1  # weekly: every n weeks
    nth: int | None = None  # monthly: 1..4 or -1 (last) weekday of start_date
    until: dt.date | None = None
    count: int | None = None

    @property
    def weekday(self) -> int:
        """The weekday of weekly and monthly rules (0 = Monday): that of the first date."""
        return self.start_date.weekday()

    @property
    def monthly_nth(self) -> int:
        """Monthly: which weekday of the month (1..4, -1 = last); default the first date's."""
        return self.nth or min((self.start_date.day - 1) // 7 + 1, 4)


@dataclass(frozen=True)
class Occurrence:
    original_date: dt.date
    starts_at: dt.datetime  # naive UTC
    ends_at: dt.datetime  # naive UTC


def berlin_to_utc(day: dt.date, time: dt.time) -> dt.datetime:
    """Naive UTC for a Berlin wall-clock time; raises WallClockError in a DST gap or fold."""
    local = dt.datetime.combine(day, time)
    first = local.replace(tzinfo=BERLIN, fold=0)
    second = local.replace(tzinfo=BERLIN, fold=1)
    if first.utcoffset() != second.utcoffset():
        # Either the clock jumps over this time (gap) or shows it twice (fold).
        back = first.astimezone(UTC).astimezone(BERLIN).replace(tzinfo=None)
        raise WallClockError(day, time, "missing" if back != local else "repeated")
    return first.astimezone(UTC).replace(tzinfo=None)


def utc_to_berlin(value: dt.datetime) -> dt.datetime:
    """A naive-UTC timestamp as naive Berlin wall-clock time."""
    return value.replace(tzinfo=UTC).astimezone(BERLIN).replace(tzinfo=None)


@cache
def thuringian_holidays(year: int, language: str = "de") -> dict[dt.date, str]:
    """Public holidays in Thuringia (incl. Weltkindertag on 20 September), named in
    ``language`` ("de" or "en")."""
    lang = "en_US" if language.startswith("en") else "de"
    return dict(holidays.Germany(subdiv="TH", years=year, language=lang))


def is_holiday(day: dt.date) -> bool:
    return day in thuringian_holidays(day.year)


def holiday_name(day: dt.date, language: str = "de") -> str | None:
    """The holiday's name on ``day`` in Thuringia, or None."""
    return thuringian_holidays(day.year, language).get(day)


def nth_weekday(year: int, month: int, weekday: int, nth: int) -> dt.date | None:
    """The n-th (1..5, or -1 for last) given weekday of a month, or None if it doesn't exist."""
    days = [
        d
        for d in calendar.Calendar().itermonthdates(year, month)
        if d.month == month and d.weekday() == weekday
    ]
    if nth == -1:
        return days[-1]
    return days[nth - 1] if 1 <= nth <= len(days) else None


def _candidate_dates(rule: Rule) -> Iterator[dt.date]:
    """Every date the rule names, before holidays, closing days and ``count`` are applied."""
    if rule.recurrence == "once":
        yield rule.start_date
        return
    if rule.recurrence == "weekly":
        step = dt.timedelta(weeks=max(rule.interval, 1))
        day = rule.start_date
        while True:
            yield day
            day += step
    elif rule.recurrence == "monthly":
        weekday, nth = rule.weekday, rule.monthly_nth
        year, month = rule.start_date.year, rule.start_date.month
        while True:
            day = nth_weekday(year, month, weekday, nth)
            if day is not None and day >= rule.start_date:
                yield day
            month += 1
            if month == 13:
                year, month = year + 1, 1
    else:
        raise ValueError(f"unknown recurrence {rule.recurrence!r}")


def walk(
    rule: Rule,
    horizon: dt.date,
    closed: Iterable[dt.date] = (),
    skip_holidays: bool = True,
) -> Iterator[tuple[dt.date, bool]]:
    """``(date, held)`` for each candidate date up to ``horizon`` (inclusive) and the rule's end.

    ``held`` is False for a Thuringian public holiday or one of the ``closed`` days.
    ``count`` counts the dates that are held: skipped dates don't use one up.
    """
    closed = set(closed)
    held = 0
    for seen, day in enumerate(_candidate_dates(rule)):
        if day > horizon or (rule.until and day > rule.until) or seen >= MAX_CANDIDATES:
            return
        if rule.count is not None and held >= rule.count:
            return
        if day in closed or (skip_holidays and is_holiday(day)):
            yield day, False
            continue
        held += 1
        yield day, True


def held_dates(
    rule: Rule, horizon: dt.date, closed: Iterable[dt.date] = (), skip_holidays: bool = True
) -> list[dt.date]:
    """The dates on which the rule takes place, up to ``horizon``."""
    return [day for day, held in walk(rule, horizon, closed, skip_holidays) if held]


def occurrence_on(rule: Rule, day: dt.date) -> Occurrence:
    """The UTC start and end of the rule's occurrence on ``day``.

    Raises WallClockError if the start or end falls into a DST gap or fold.
    """
    start = berlin_to_utc(day, rule.start_time)
    end_day = day if rule.end_time > rule.start_time else day + dt.timedelta(days=1)
    end = berlin_to_utc(end_day, rule.end_time)
    return Occurrence(day, start, end)


def occurrences(
    rule: Rule,
    horizon: dt.date,
    closed: Iterable[dt.date] = (),
    skip_holidays: bool = True,
    since: dt.date | None = None,
) -> list[Occurrence]:
    """The occurrences of a rule up to ``horizon`` (inclusive), from ``since`` on if given.

    Public holidays in Thuringia and the centre's ``closed`` days are skipped; ``count``
    counts the occurrences that take place (skipped dates don't use one up), always from
    the rule's first date. At most MAX_OCCURRENCES are returned.
    Raises WallClockError if any occurrence starts or ends in a DST gap or fold.
    """
    result: list[Occurrence] = []
    for day in held_dates(rule, horizon, closed, skip_holidays):
        if since is not None and day < since:
            continue
        if len(result) >= MAX_OCCURRENCES:
            break
        result.append(occurrence_on(rule, day))
    return result


def skipped_dates(
    rule: Rule, horizon: dt.date, closed: Iterable[dt.date] = (), skip_holidays: bool = True
) -> list[dt.date]:
    """Dates the rule would have had but that are skipped (for showing the coordinator)."""
    return [day for day, held in walk(rule, horizon, closed, skip_holidays) if not held][
        :MAX_OCCURRENCES
    ]


def check_wall_clock(
    rule: Rule, horizon: dt.date, closed: Iterable[dt.date] = (), skip_holidays: bool = True
) -> None:
    """Raise WallClockError for the first held date (up to ``horizon``) whose start or end
    falls into a DST gap or fold — so that a rule is refused before any slot exists."""
    for day in held_dates(rule, horizon, closed, skip_holidays):
        occurrence_on(rule, day)


def last_date(rule: Rule, closed: Iterable[dt.date] = (), skip_holidays: bool = True):
    """The last held date of a rule that ends (``until`` or ``count``), else None."""
    if rule.recurrence != "once" and rule.until is None and rule.count is None:
        return None
    horizon = rule.until or dt.date.max
    days = held_dates(rule, horizon, closed, skip_holidays)
    return days[-1] if days else None
