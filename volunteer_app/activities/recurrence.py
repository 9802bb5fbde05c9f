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


@cache
def thuringian_holidays(year: int) -> dict[dt.date, str]:
    """Public holidays in Thuringia (incl. Weltkindertag on 20 September)."""
    return dict(holidays.Germany(subdiv="TH", years=year, language="de"))


def is_holiday(day: dt.date) -> bool:
    return day in thuringian_holidays(day.year)


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
        weekday = rule.start_date.weekday()
        nth = rule.nth or ((rule.start_date.day - 1) // 7 + 1)
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


def occurrences(
    rule: Rule,
    horizon: dt.date,
    closed: Iterable[dt.date] = (),
    skip_holidays: bool = True,
) -> list[Occurrence]:
    """The occurrences of a rule up to ``horizon`` (inclusive).

    Public holidays in Thuringia and the centre's ``closed`` days are skipped; ``count``
    counts the occurrences that take place (skipped dates don't use one up).
    Raises WallClockError if any occurrence starts or ends in a DST gap or fold.
    """
    closed = set(closed)
    result: list[Occurrence] = []
    held = 0
    for day in _candidate_dates(rule):
        if day > horizon or (rule.until and day > rule.until):
            break
        if rule.count is not None and held >= rule.count:
            break
        if len(result) >= MAX_OCCURRENCES:
            break
        if day in closed or (skip_holidays and is_holiday(day)):
            continue
        held += 1
        start = berlin_to_utc(day, rule.start_time)
        end_day = day if rule.end_time > rule.start_time else day + dt.timedelta(days=1)
        end = berlin_to_utc(end_day, rule.end_time)
        result.append(Occurrence(day, start, end))
    return result


def skipped_dates(rule: Rule, horizon: dt.date, closed: Iterable[dt.date] = ()) -> list[dt.date]:
    """Dates the rule would have had but that are skipped (for showing the coordinator)."""
    closed = set(closed)
    out = []
    for day in _candidate_dates(rule):
        if day > horizon or (rule.until and day > rule.until) or len(out) > MAX_OCCURRENCES:
            break
        if day in closed or is_holiday(day):
            out.append(day)
    return out
