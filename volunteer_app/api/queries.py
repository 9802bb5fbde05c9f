"""The API's reads: the features' own queries (the same rows the pages show), paged.

Each list names its sort key (``paging.KeyPart``s ending in a unique column) and pages
through a select its feature's ``queries.py`` builds for it; nothing here decides what may
be seen. Every function runs a fixed number of queries, whatever the number of rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from volunteer_app.activities import texts
from volunteer_app.activities.models import Slot
from volunteer_app.api.paging import KeyPart, Page, page_of
from volunteer_app.centres.models import Centre
from volunteer_app.centres.queries import centres_with_operator
from volunteer_app.common.errors import DomainError
from volunteer_app.coordination.queries import slots_with_fill
from volunteer_app.programme.queries import entries_of, public_dates
from volunteer_app.programme.weeks import berlin_midnight, berlin_today
from volunteer_app.reports.queries import Hours, volunteer_hours
from volunteer_app.reports.services import check_period
from volunteer_app.signups.models import Signup
from volunteer_app.signups.queries import my_signups

# The staff's list of slots: this far ahead when no last day is given.
DEFAULT_SLOT_DAYS = 366

CENTRE_KEY = (
    KeyPart(Centre.town, lambda c: c.town, str),
    KeyPart(Centre.name, lambda c: c.name, str),
    KeyPart(Centre.id, lambda c: c.id, int),
)
SLOT_KEY = (
    KeyPart(Slot.starts_at, lambda s: s.starts_at, dt.datetime),
    KeyPart(Slot.id, lambda s: s.id, int),
)
SIGNUP_KEY = (
    KeyPart(Slot.starts_at, lambda s: s.slot.starts_at, dt.datetime),
    KeyPart(Signup.id, lambda s: s.id, int),
)


def _bounds(first: dt.date | None, last: dt.date | None, default_days: int | None, now):
    """[start, end) in naive UTC of the Berlin days ``first`` to ``last`` (end None: open)."""
    first = first or berlin_today(now)
    if last is None and default_days is not None:
        last = first + dt.timedelta(days=default_days - 1)
    start = berlin_midnight(first)
    end = berlin_midnight(last + dt.timedelta(days=1)) if last else None
    return start, end


def centres(cursor: str | None, limit: int) -> Page:
    """Every centre with its operator, by town, name and id (one query)."""
    rows, next_cursor = page_of(centres_with_operator(), CENTRE_KEY, cursor, limit)
    return Page(rows, next_cursor)


def programme(
    centre: Centre,
    cursor: str | None,
    limit: int,
    *,
    first: dt.date | None,
    last: dt.date | None,
    now: dt.datetime,
) -> Page:
    """The centre's public dates that have not ended, from the day ``first`` (default: all
    not ended) to ``last``, as the programme's entries in the caller's language (one query,
    a second for the texts in a language other than German)."""
    query = public_dates(centre, now=now)
    if first is not None or last is not None:
        start, end = _bounds(first, last, None, now)
        query = query.where(Slot.starts_at >= start)
        if end is not None:
            query = query.where(Slot.starts_at < end)
    slots, next_cursor = page_of(query, SLOT_KEY, cursor, limit)
    return Page(entries_of(slots, centre), next_cursor)


def slots(
    centre: Centre,
    cursor: str | None,
    limit: int,
    *,
    first: dt.date | None,
    last: dt.date | None,
    now: dt.datetime,
) -> Page:
    """The centre's slots from ``first`` (default today) to ``last`` (default a year on),
    cancelled ones included, with the desk's fill levels (one query)."""
    start, end = _bounds(first, last, DEFAULT_SLOT_DAYS, now)
    rows, next_cursor = page_of(slots_with_fill(centre.id, start, end), SLOT_KEY, cursor, limit)
    return Page(rows, next_cursor)


def signups_of(user, cursor: str | None, limit: int, *, now: dt.datetime) -> Page:
    """What "My slots" shows, upcoming and past, by the slot's start; each item a pair of
    the sign-up and its activity's title in the caller's language (one query, a second for
    the texts in a language other than German)."""
    rows, next_cursor = page_of(my_signups(user, now), SIGNUP_KEY, cursor, limit)
    language = texts.current_language()
    found = texts.texts_for((row.slot.activity.id for row in rows), language)
    items = [(row, texts.pick(row.slot.activity, found, language)) for row in rows]
    return Page(items, next_cursor)


@dataclass(frozen=True)
class HoursReport:
    first: dt.date
    last: dt.date
    hours: Hours


# The page's field names in the reports' message, the API's parameter names here.
_PERIOD_FIELDS = {"period_start": "from", "period_end": "to"}


def hours_of(
    user, *, year: int | None, first: dt.date | None, last: dt.date | None, today: dt.date
) -> HoursReport:
    """The attended hours of a calendar year, of ``first`` to ``last``, or of this year so far
    (one query). Raises the period's refusals of
    "My hours" (reports/services.check_period) with the API's field names."""
    if year is not None:
        first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    else:
        first = first or dt.date(today.year, 1, 1)
        last = last or today
        try:
            first, last = check_period(first, last)
        except DomainError as exc:
            raise type(exc)(exc.message, _PERIOD_FIELDS.get(exc.field, exc.field)) from None
    return HoursReport(first, last, volunteer_hours(user.id, first, last))
