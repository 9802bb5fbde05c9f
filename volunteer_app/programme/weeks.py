"""Berlin weeks of the programme: grouping dated entries into weeks and days, and their
headings in the reader's language ("Diese Woche", "Nächste Woche", "Woche vom 7. Dezember").

Pure: plain entries in, weeks out; no queries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from babel.dates import format_interval, format_skeleton
from flask import current_app
from flask_babel import format_date, format_time, get_locale
from flask_babel import gettext as _

from volunteer_app.common.time import BERLIN, UTC, to_berlin

if TYPE_CHECKING:
    from volunteer_app.programme.queries import ProgrammeEntry

# Paging stops here: nobody plans a family afternoon two years ahead (and dates stay valid).
MAX_WEEKS_AHEAD = 104


@dataclass
class Day:
    day: dt.date
    entries: list[ProgrammeEntry] = field(default_factory=list)
    heading: str = ""  # set by ``label_weeks``
    # A closing day: its reason ("" without one); None while the centre is open.
    closed: str | None = None
    last: dt.date | None = None  # closed days without entries: the last of a run shown as one
    last_heading: str = ""  # set by ``label_weeks``

    @property
    def is_closed(self) -> bool:
        return self.closed is not None


@dataclass
class Week:
    start: dt.date  # a Monday
    relation: str  # "this" | "next" | "later"
    days: list[Day] = field(default_factory=list)
    heading: str = ""  # set by ``label_weeks``
    range_label: str = ""

    @property
    def end(self) -> dt.date:
        return self.start + dt.timedelta(days=6)

    @property
    def count(self) -> int:
        return sum(len(d.entries) for d in self.days)


def week_start(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week."""
    return day - dt.timedelta(days=day.weekday())


def berlin_midnight(day: dt.date) -> dt.datetime:
    """00:00 Berlin time on ``day`` as naive UTC (midnight exists on both DST Sundays)."""
    return dt.datetime.combine(day, dt.time(), tzinfo=BERLIN).astimezone(UTC).replace(tzinfo=None)


def berlin_today(now: dt.datetime) -> dt.date:
    return to_berlin(now).date()


def first_week(requested: dt.date | None, today: dt.date) -> dt.date:
    """The Monday a page starts at: the requested date's week, never before this week and
    never beyond ``MAX_WEEKS_AHEAD``."""
    this_monday = week_start(today)
    if requested is None:
        return this_monday
    last = this_monday + dt.timedelta(weeks=MAX_WEEKS_AHEAD)
    return min(max(week_start(requested), this_monday), last)


def group_by_week(
    entries: Iterable[ProgrammeEntry],
    first_monday: dt.date,
    weeks: int,
    today: dt.date,
    closed: dict[dt.date, str] | None = None,
) -> list[Week]:
    """``weeks`` Berlin weeks from ``first_monday``, each with its days that have entries
    (sorted by start, then title). Entries outside these weeks are left out. Weeks without
    entries are kept, so that an empty week says so.

    ``closed`` (closing day → reason) marks those days from today on; a closed weekday shows
    even without entries, and consecutive closed days without entries and with the same
    reason become one (``Day.last``)."""
    this_monday = week_start(today)
    out = []
    for n in range(weeks):
        start = first_monday + dt.timedelta(weeks=n)
        if start == this_monday:
            relation = "this"
        elif start == this_monday + dt.timedelta(weeks=1):
            relation = "next"
        else:
            relation = "later"
        out.append(Week(start, relation))
    by_day: dict[dt.date, list[ProgrammeEntry]] = {}
    for entry in entries:
        by_day.setdefault(entry.berlin_day, []).append(entry)
    closed = {d: reason for d, reason in (closed or {}).items() if d >= today}
    for week in out:
        for offset in range(7):
            day = week.start + dt.timedelta(days=offset)
            ordered = sorted(by_day.get(day, ()), key=lambda e: (e.starts_at, e.title.casefold()))
            reason = closed.get(day)
            if not ordered and (reason is None or day.weekday() >= 5):
                continue
            before = week.days[-1] if week.days else None
            if (
                not ordered
                and before is not None
                and not before.entries
                and before.closed == reason
                and (before.last or before.day) == day - dt.timedelta(days=1)
            ):
                before.last = day
                continue
            week.days.append(Day(day, ordered, closed=reason))
    return out


# --- Words for weeks and days (the reader's language) -----------------------------------------


def _locale() -> str:
    return str(get_locale() or "de")


def _day_month(day: dt.date, today: dt.date) -> str:
    """ "7. Dezember" / "December 7"; with the year ("4. Januar 2027") when not this year."""
    if day.year == today.year:
        return format_skeleton("MMMMd", day, locale=_locale())
    return format_date(day, "long")


def week_heading(week: Week, today: dt.date) -> str:
    """ "This week", "Next week", or "Week of 7 December" (with the year when it differs)."""
    if week.relation == "this":
        return _("This week")
    if week.relation == "next":
        return _("Next week")
    return _("Week of %(date)s", date=_day_month(week.start, today))


def week_range(week: Week) -> str:
    """The week's days, e.g. "7.–13. Dez." or "28. Dez. 2026 – 3. Jan. 2027"."""
    skeleton = "MMMd" if week.start.year == week.end.year else "yMMMd"
    return format_interval(week.start, week.end, skeleton, locale=_locale())


def day_heading(day: dt.date, today: dt.date) -> str:
    """E.g. "Tuesday, December 1" / "Dienstag, 1. Dezember" (the year only if not this year)."""
    return f"{format_date(day, 'EEEE')}, {_day_month(day, today)}"


def when_label(starts_at: dt.datetime) -> str:
    """A start in short words, e.g. "Di., 1. Dez., 15:30" (Berlin time)."""
    return _(
        "%(day)s, %(time)s",
        day=short_date(to_berlin(starts_at).date()),
        time=format_time(starts_at, "short"),
    )


def label_weeks(weeks: list[Week], today: dt.date) -> list[Week]:
    """Give each week and day its heading in the reader's language."""
    for week in weeks:
        week.heading = week_heading(week, today)
        week.range_label = week_range(week)
        for day in week.days:
            day.heading = day_heading(day.day, today)
            day.last_heading = day_heading(day.last, today) if day.last else ""
    return weeks


def clock_labels(weeks: list[Week]) -> dict[dt.datetime, str]:
    """The start and end of every entry of ``weeks`` as the page writes a time of day (the
    ``time`` filter: "15:30", "3:30 PM"), each Berlin wall-clock time formatted once: a page
    of 300 dates spent a sixth of its time writing the same few times again."""
    write = current_app.jinja_env.filters["time"]
    by_wall: dict[tuple, str] = {}
    labels: dict[dt.datetime, str] = {}
    for week in weeks:
        for day in week.days:
            for entry in day.entries:
                for moment in (entry.starts_at, entry.ends_at):
                    if moment in labels:
                        continue
                    wall = to_berlin(moment)
                    key = (wall.time(), wall.utcoffset())
                    text = by_wall.get(key)
                    if text is None:
                        text = by_wall[key] = write(moment)
                    labels[moment] = text
    return labels


def short_date(day: dt.date) -> str:
    """E.g. "Di., 1. Dez." for the overview and the paging links."""
    return format_skeleton("MMMEd", day, locale=_locale())
