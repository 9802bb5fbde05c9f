"""Read helpers of revisions: a centre's or person's revision in one indexed lookup, and the
next moment a centre's public pages change by themselves (a date starts or ends)."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass

import peewee as pw
from peewee import JOIN

from volunteer_app.activities.models import Activity, Slot
from volunteer_app.centres.models import Centre
from volunteer_app.db import db
from volunteer_app.revisions.models import ContentRevision
from volunteer_app.rooms.models import Booking, Room

# Dates that began longer ago than this are not looked at for the moments a page changes by
# itself (a date lasting longer would leave the page a minute late, at most until the next
# write or the next day).
LOOK_BACK = dt.timedelta(days=31)


@dataclass(frozen=True)
class Revision:
    value: int  # 0: unchanged since the triggers were installed
    changed_at: dt.datetime | None

    @property
    def token(self) -> str:
        return f"{self.value}@{self.changed_at.isoformat() if self.changed_at else '-'}"


def revision_join(scope: str, owner):
    """The join condition of a ``ContentRevision`` row of ``scope`` and ``owner`` (a column)."""
    return (ContentRevision.scope == scope) & (ContentRevision.owner_id == owner)


def as_datetime(value) -> dt.datetime | None:
    # SQLite hands back a joined or computed datetime as text.
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    return value


def revision_of(value, changed_at) -> Revision:
    return Revision(int(value or 0), as_datetime(changed_at))


_statements: dict = {}
_MARK = "\x00{}\x00"


def run_cached(shape: str, build, **values):
    """Run the query ``build(**values)`` returns, writing its SQL only once per process (and
    database kind): the lookups of the 304 paths are so cheap that peewee's composing of the
    statement was a fifth of their time. ``build`` must give the same SQL for any values;
    they are passed as parameters. Returns the driver's cursor (SQLite gives dates as text:
    ``as_datetime``)."""
    key = (shape, type(db.obj))
    found = _statements.get(key)
    if found is None:
        marks = {name: _MARK.format(name) for name in values}
        sql, params = build(**marks).sql()
        where = [(i, name) for i, p in enumerate(params) for name in marks if p == marks[name]]
        if len(where) != len(values):
            raise ValueError(f"{shape}: every value must be one parameter of the query")
        found = _statements[key] = (sql, tuple(params), tuple(where))
    sql, params, where = found
    params = list(params)
    for i, name in where:
        params[i] = values[name]
    return db.execute_sql(sql, params)


@dataclass(frozen=True)
class CentreState:
    centre_id: int
    revision: Revision


def _public_state_query(slug):
    return (
        Centre.select(Centre.id, ContentRevision.value, ContentRevision.changed_at)
        .join(ContentRevision, JOIN.LEFT_OUTER, on=revision_join("public", Centre.id))
        .where(Centre.slug == slug)
        .limit(1)
    )


def public_state(slug: str) -> CentreState | None:
    """The centre's id and public revision by its slug (one query on two unique indexes)."""
    row = run_cached("public_state", _public_state_query, slug=slug).fetchone()
    if row is None:
        return None
    return CentreState(row[0], revision_of(row[1], row[2]))


# --- the moments a page changes by itself ----------------------------------------------------


@dataclass(frozen=True)
class Moments:
    """Around ``now``: the last moment (since ``since``) a date of the centre started or ended,
    and the next one (None: none planned)."""

    last: dt.datetime | None
    next: dt.datetime | None


def _boundaries(query, start, end, now: dt.datetime):
    def first_after(column):
        return pw.fn.MIN(pw.Case(None, [(column > now, column)], None))

    def last_before(column):
        return pw.fn.MAX(pw.Case(None, [(column <= now, column)], None))

    return query.select(
        first_after(start), first_after(end), last_before(start), last_before(end)
    ).tuples()


def moments(centre_id: int, now: dt.datetime, since: dt.datetime) -> Moments:
    """When the centre's public dates and consultation hours start and end around ``now``
    (two queries): the programme leaves out what has ended, and lists what starts next."""
    look_back = since - LOOK_BACK
    slots = _boundaries(
        Slot.select()
        .join(Activity, on=(Slot.activity == Activity.id))
        .where(
            (Activity.centre == centre_id)
            & (Activity.is_public == True)  # noqa: E712
            & (Slot.starts_at >= look_back)
        ),
        Slot.starts_at,
        Slot.ends_at,
        now,
    ).get()
    bookings = _boundaries(
        Booking.select()
        .join(Room, on=(Booking.room == Room.id))
        .where(
            (Room.centre == centre_id)
            & (Booking.is_public == True)  # noqa: E712
            & (Booking.starts_at >= look_back)
        ),
        Booking.starts_at,
        Booking.ends_at,
        now,
    ).get()
    values = [as_datetime(v) for v in (*slots, *bookings)]
    after = [v for v in values[0:2] + values[4:6] if v is not None]
    before = [v for v in values[2:4] + values[6:8] if v is not None and v >= since]
    return Moments(max(before, default=None), min(after, default=None))


class _Memo:
    """``moments`` per process, kept while nothing was written (the key holds the revision)
    and the next moment has not come: computed once per change, not once per request."""

    def __init__(self, size: int = 2000):
        self.size = size
        self.items: dict = {}
        self.lock = threading.Lock()

    def get(self, key, now: dt.datetime, compute) -> Moments:
        with self.lock:
            found = self.items.get(key)
        if found is not None and (found.next is None or now < found.next):
            return found
        result = compute()
        with self.lock:
            if len(self.items) >= self.size:
                self.items.clear()
            self.items[key] = result
        return result


_memo = _Memo()


def page_moments(state: CentreState, now: dt.datetime, since: dt.datetime) -> Moments:
    """``moments`` of the centre, computed again only after a write or when one has come."""
    key = (state.centre_id, state.revision.token, since)
    return _memo.get(key, now, lambda: moments(state.centre_id, now, since))
