"""Ready-joined reads for the sign-up pages: every page runs a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import peewee as pw
from flask import current_app
from flask_babel import get_translations
from markupsafe import Markup

from volunteer_app.activities.models import Activity, ActivityText, Category, Slot
from volunteer_app.activities.queries import category_label, join_activity, slots_with_activity
from volunteer_app.activities.texts import ORIGINAL, TEXT_LANGUAGES
from volunteer_app.centres.models import Centre
from volunteer_app.centres.queries import today
from volunteer_app.common.kept import FILTER_CHOICES, kept
from volunteer_app.common.time import BERLIN, UTC
from volunteer_app.db import Prepared, ReconnectingPool, db, utcnow
from volunteer_app.signups.models import ACTIVE, Signup
from volunteer_app.volunteers.models import (
    AvailabilityWindow,
    Interest,
    ReachableCentre,
    VolunteerProfile,
)

# "Fits me" turns weekly windows into concrete intervals; beyond a year nobody plans.
MAX_RANGE_DAYS = 366


@dataclass(frozen=True)
class SlotFilters:
    centre_id: int | None = None
    category_id: int | None = None
    date_from: dt.date | None = None  # Berlin calendar days, both inclusive
    date_to: dt.date | None = None
    fits_me: bool = False


@dataclass(frozen=True)
class FitProfile:
    """What "fits me" matches; None / empty means the volunteer set no limit there."""

    category_ids: frozenset[int] | None
    centre_ids: frozenset[int] | None
    windows: tuple[tuple[int, dt.time, dt.time], ...]  # (weekday, start, end), Berlin

    @property
    def is_empty(self) -> bool:
        return self.category_ids is None and self.centre_ids is None and not self.windows


def berlin_day_start(day: dt.date) -> dt.datetime:
    """Naive UTC of 00:00 Berlin time on ``day`` (midnight always exists in Berlin)."""
    return dt.datetime.combine(day, dt.time(), tzinfo=BERLIN).astimezone(UTC).replace(tzinfo=None)


def _berlin_to_utc(day: dt.date, time: dt.time) -> dt.datetime:
    # A window edge inside the spring gap is read with the offset before it (zoneinfo's
    # fold=0); for a weekly preference that hour's difference is harmless.
    return dt.datetime.combine(day, time, tzinfo=BERLIN).astimezone(UTC).replace(tzinfo=None)


def availability_intervals(
    windows: Iterable[tuple[int, dt.time, dt.time]], first_day: dt.date, last_day: dt.date
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The weekly Berlin wall-clock windows as naive-UTC intervals between two days.

    A window whose end is not after its start runs until that time on the next day.
    """
    by_weekday: dict[int, list[tuple[dt.time, dt.time]]] = defaultdict(list)
    for weekday, start, end in windows:
        by_weekday[weekday].append((start, end))
    out = []
    day = first_day
    while day <= last_day:
        for start, end in by_weekday.get(day.weekday(), ()):
            end_day = day if end > start else day + dt.timedelta(days=1)
            out.append((_berlin_to_utc(day, start), _berlin_to_utc(end_day, end)))
        day += dt.timedelta(days=1)
    return out


# --- Statements whose SQL is composed once ------------------------------------------------


class _Hole(pw.ColumnBase):
    """Where a ``_Statement`` puts a value, or a piece of SQL, on each call."""

    def __init__(self, name: str):
        super().__init__()
        self.name = name

    def __sql__(self, ctx):
        ctx.value(_HOLE, False, add_param=False)  # marks the place among the parameters
        return ctx.literal(f"\x00{self.name}\x00")


_HOLE = object()


class _Statement:
    """A read whose SQL peewee composes once per shape and kind of database: composing the
    slot list's statement cost more CPU than SQLite spent answering it. ``build(*shape)``
    returns the query with ``_Hole``s in it; ``run(shape, name=piece, …)`` fills each hole
    with a piece of SQL and its parameters (``_value``, ``_values``) and reads the rows as
    the query would (``.tuples()``: tuples). Counted and guarded like any statement.

    ``prepare``: on PostgreSQL, where the pieces are the same text whatever the number of
    values (arrays, not lists of parameters), each shape's statement is prepared on the
    server once per connection (``ReconnectingPool.execute_prepared``): planning the slot
    list's join cost the server more than running it. (Only for statements whose every
    parameter is typed by what it is compared with: constants in a UNION's columns are not.)"""

    _PREPARED_KEPT = 64  # distinct texts per statement that are prepared on the server

    def __init__(self, build, prepare: bool = False):
        self._build = build
        self._built: dict[tuple, tuple] = {}
        self._prepare = prepare
        self._names: dict[str, str] = {}

    def run(self, shape: tuple, **fill: tuple[str, list]):
        key = (type(db.obj), shape)
        built = self._built.get(key)
        if built is None:
            query = self._build(*shape)
            sql, params = query.sql()
            texts = sql.split("\x00")
            chunks: list[list] = [[]]
            for param in params:
                if param is _HOLE:
                    chunks.append([])
                else:
                    chunks[-1].append(param)
            if len(chunks) != len(texts) // 2 + 1:
                raise ValueError("a hole's marker is missing from the SQL")
            built = self._built[key] = (query, texts[0::2], texts[1::2], chunks)
        query, texts, names, chunks = built
        sql, params = [texts[0]], list(chunks[0])
        for name, text, chunk in zip(names, texts[1:], chunks[1:], strict=True):
            piece, values = fill[name]
            sql += (piece, text)
            params += values
            params += chunk
        text = "".join(sql)
        database = db.obj
        if self._prepare and isinstance(database, ReconnectingPool):
            name = self._names.get(text)
            if name is None and len(self._names) < self._PREPARED_KEPT:
                name = self._names[text] = f"statement_{len(self._names) + 1}_{id(self):x}"
            if name is not None:
                cursor = database.execute_prepared(name, text, params)
                return query._get_cursor_wrapper(cursor)
        return query._get_cursor_wrapper(db.execute_sql(text, params))


def _value(value) -> tuple[str, list]:
    """A hole's filling: one parameter (used as it is: no field converts it)."""
    return db.param, [value]


def _values(values) -> tuple[str, list]:
    """A hole's filling: a parenthesised list of integers (``IN …``); on PostgreSQL one
    array (``= ANY(…)``, ``_among``), so that the statement's text does not depend on their
    number."""
    values = [int(value) for value in values]
    if isinstance(db.obj, pw.PostgresqlDatabase):
        return "%s::integer[]", ["{" + ",".join(map(str, values)) + "}"]
    return "(" + ", ".join([db.param] * len(values)) + ")", values


def _fit_query():
    user = _Hole("user")
    # The windows first: a UNION types its columns from left to right (PostgreSQL would take
    # the NULLs of the others as text).
    return (
        AvailabilityWindow.select(
            pw.Value(3),
            AvailabilityWindow.weekday,
            AvailabilityWindow.start_time,
            AvailabilityWindow.end_time,
        ).where(AvailabilityWindow.user == user)
        + VolunteerProfile.select(
            pw.Value(0),
            pw.Case(None, [(VolunteerProfile.open_to_anything, 1)], 0),
            pw.Value(None),
            pw.Value(None),
        ).where(VolunteerProfile.user == user)
        + Interest.select(pw.Value(1), Interest.category, pw.Value(None), pw.Value(None)).where(
            Interest.user == user
        )
        + ReachableCentre.select(
            pw.Value(2), ReachableCentre.centre, pw.Value(None), pw.Value(None)
        ).where(ReachableCentre.user == user)
    ).order_by(pw.SQL("1, 2, 3"))


_FIT = _Statement(_fit_query)


def fit_profile(user) -> FitProfile:
    """The volunteer's matching preferences: profile, interests, centres and windows in one
    query (a UNION), its SQL composed once."""
    open_to_anything, interests, centres, windows = False, set(), set(), []
    as_time = AvailabilityWindow.start_time.python_value  # SQLite answers with text
    for kind, value, start, end in _FIT.run((), user=_value(user.id)).cursor.fetchall():
        if kind == 0:
            open_to_anything = bool(value)
        elif kind == 1:
            interests.add(value)
        elif kind == 2:
            centres.add(value)
        else:
            windows.append((value, as_time(start), as_time(end)))
    return FitProfile(
        category_ids=None if open_to_anything or not interests else frozenset(interests),
        centre_ids=frozenset(centres) or None,
        windows=tuple(windows),
    )


def _waitlisted_count():
    waiting = Signup.alias()
    return waiting.select(pw.fn.COUNT(waiting.id)).where(
        (waiting.slot == Slot.id) & (waiting.status == "waitlisted")
    )


def _status_of(viewer_id):
    mine = Signup.alias()
    return mine.select(mine.status).where((mine.slot == Slot.id) & (mine.volunteer == viewer_id))


# --- The slot list ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SlotCard:
    """One open date of the slot list, as its card shows it (``browse_slots``). Hashable:
    the card's HTML is kept by its language and content (``views._cards``)."""

    id: int
    starts_at: dt.datetime  # naive UTC
    ends_at: dt.datetime
    status: str
    free: int  # places not taken
    waitlisted: int  # people on the waitlist
    my_status: str | None  # the viewer's sign-up status, if any
    title: str  # in the page's language where the coordinators wrote one, else German
    title_lang: str  # "de" for the German title on a page in another language, else ""
    category_label: str
    centre: str  # "name, town"
    place: str
    needs_approval: bool
    child_facing: bool
    when: Markup  # "Sonntag, 6. Dezember 2026, 17:00 bis 19:00" in the page's language
    seats: Markup  # "2 Plätze frei", "Voll · Warteliste offen"


def _browse_query(
    translated: bool,
    until: bool,
    centre: bool,
    category: bool,
    fit_categories: bool,
    fit_centres: bool,
    windows: str,
):
    """The slot list's statement of one shape (``browse_slots``): which filters apply."""
    columns = [
        Slot.id,
        Slot.starts_at,
        Slot.ends_at,
        Slot.status,
        Slot.capacity,
        Slot.taken,
        _waitlisted_count().alias("waitlisted"),
        _status_of(_Hole("viewer")).alias("my_status"),
        Activity.title,
        Activity.place,
        Activity.signup_mode,
        Activity.is_child_facing,
        Category.key,
        Category.name,
        Centre.name,
        Centre.town,
    ]
    if translated:
        columns.append(ActivityText.title)
    query = join_activity(Slot.select(*columns))
    if translated:
        query = query.join_from(
            Activity,
            ActivityText,
            pw.JOIN.LEFT_OUTER,
            on=(ActivityText.activity == Activity.id)
            & (ActivityText.language == _Hole("language")),
        )
    conditions = [
        Slot.status == "scheduled",
        Slot.starts_at > _Hole("now"),
        Slot.starts_at >= _Hole("first"),
    ]
    if until:
        conditions.append(Slot.starts_at < _Hole("until"))
    if centre:
        conditions.append(Activity.centre == _Hole("centre"))
    if category:
        conditions.append(Activity.category == _Hole("category"))
    if fit_categories:
        conditions.append(_among(Activity.category, "fit_categories"))
    if fit_centres:
        conditions.append(_among(Activity.centre, "fit_centres"))
    if windows == "none":  # weekly windows, but none falls into the period
        conditions.append(pw.SQL("1 = 0"))
    elif windows:
        # The availability as a VALUES table (``_windows``): a long OR chain would hit
        # SQLite's depth limit. Both backends name VALUES columns column1, column2, column3.
        # Each interval comes once for every UTC day it touches (column3): a slot inside it
        # starts on one of them, and that equality lets the database find a slot's intervals
        # by an index (SQLite builds one on the fly) instead of reading all for every slot.
        column1, column2, column3 = (pw.Entity("windows", f"column{n}") for n in (1, 2, 3))
        inside = pw.Select(from_list=[_Hole("windows")], columns=[pw.SQL("1")]).where(
            (column3 == pw.fn.date(Slot.starts_at))
            & (Slot.starts_at >= column1)
            & (Slot.ends_at <= column2)
        )
        conditions.append(pw.fn.EXISTS(inside))
    return (
        query.where(*conditions)
        .order_by(Slot.starts_at, Slot.id)
        .limit(_Hole("limit"))
        .offset(_Hole("offset"))
        .tuples()
    )


def _among(column, hole: str):
    """``column IN (…)``, on PostgreSQL ``column = ANY(array)`` (``_values``)."""
    if isinstance(db.obj, pw.PostgresqlDatabase):
        return column == pw.fn.ANY(_Hole(hole))
    return column.in_(_Hole(hole))


_BROWSE = _Statement(_browse_query, prepare=True)


def browse_slots(
    filters: SlotFilters,
    *,
    viewer,
    language: str,
    profile: FitProfile | None = None,
    page: int = 1,
    per_page: int = 30,
) -> tuple[list[SlotCard], bool]:
    """Open (scheduled, not started) slots by start time, one page, and whether more follow,
    as cards in ``language`` (the page's): the title the coordinators wrote in it where
    there is one (as ``texts.pick``), the viewer's sign-up status and the seats. One query
    (``browse_rows``); each text is made once per page (a page repeats few dates, times and
    seat counts)."""
    rows, has_next = browse_rows(
        filters, viewer=viewer, language=language, profile=profile, page=page, per_page=per_page
    )
    words = CardWords(language)
    return [words.card(row) for row in rows], has_next


def browse_rows(
    filters: SlotFilters,
    *,
    viewer,
    language: str,
    profile: FitProfile | None = None,
    page: int = 1,
    per_page: int = 30,
) -> tuple[list[tuple], bool]:
    """``browse_slots``' rows as the database gives them (times as naive-UTC datetimes), for
    ``CardWords.card``, and whether more follow. The page volunteers open most: its
    statement is composed once per shape (``_Statement``), and only the columns the cards
    show are read, as plain tuples (no model rows, no converter per value)."""
    first_day = filters.date_from or today()
    translated = language in TEXT_LANGUAGES
    fill = {
        "viewer": _value(viewer.id),
        "language": _value(language),
        "now": _value(utcnow()),
        "first": _value(berlin_day_start(first_day)),
        "limit": _value(per_page + 1),
        "offset": _value((max(page, 1) - 1) * per_page),
    }
    if filters.date_to:
        fill["until"] = _value(berlin_day_start(filters.date_to + dt.timedelta(1)))
    if filters.centre_id:
        fill["centre"] = _value(filters.centre_id)
    if filters.category_id:
        fill["category"] = _value(filters.category_id)
    fits = filters.fits_me and profile is not None
    windows = ""
    if fits and profile.category_ids is not None:
        fill["fit_categories"] = _values(sorted(profile.category_ids))
    if fits and profile.centre_ids is not None:
        fill["fit_centres"] = _values(sorted(profile.centre_ids))
    if fits and profile.windows:
        last_day = min(filters.date_to or dt.date.max, first_day + dt.timedelta(MAX_RANGE_DAYS))
        found = _windows(profile.windows, first_day, last_day, type(db.obj))
        windows = "some" if found else "none"
        if found:
            fill["windows"] = found
    shape = (
        translated,
        bool(filters.date_to),
        bool(filters.centre_id),
        bool(filters.category_id),
        "fit_categories" in fill,
        "fit_centres" in fill,
        windows,
    )
    rows = _BROWSE.run(shape, **fill).cursor.fetchall()
    if rows and isinstance(rows[0][1], str):  # SQLite keeps times as ISO text
        parse = dt.datetime.fromisoformat
        rows = [(r[0], parse(r[1]), parse(r[2]), *r[3:]) for r in rows]
    return rows[:per_page], len(rows) > per_page


# The texts of days and wall-clock times the cards showed, by language and zone: the list
# shows a year of days, and a day has 1,440 minutes (with two UTC offsets), so they are few,
# and the filters that write them cost more than the rest of a card. Emptied when full.
_CLOCK_TEXTS: dict[tuple, str] = {}
_CLOCK_TEXTS_KEPT = 16384


def _catalogue(text: str) -> Markup:
    """A translation as markup, as Jinja's ``_()`` takes it (values %-formatted into it are
    escaped): the cards' texts are the ones the templates would write."""
    return Markup(text)  # noqa: S704


class CardWords:
    """The texts of one page of cards, each made once: the words from this request's
    catalogue (looked up once), dates and times by the templates' ``date`` and ``time``
    filters, so that the cards read as the templates would write them."""

    def __init__(self, language: str):
        self.language = language
        self.mark = "" if language == ORIGINAL else ORIGINAL
        self.catalogue = get_translations()
        filters = current_app.jinja_env.filters
        self.date, self.time = filters["date"], filters["time"]
        self.zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])  # as the filters
        self.memo: dict[tuple, object] = {}

    def card(self, row: tuple) -> SlotCard:
        """The card of one row of ``browse_rows``."""
        (id_, starts_at, ends_at, status, capacity, taken, waitlisted, my_status) = row[:8]
        (title, place, signup_mode, child_facing, key, name, centre, town) = row[8:16]
        text_title = row[16] if len(row) > 16 else None
        free, waitlisted = max(capacity - taken, 0), waitlisted or 0
        return SlotCard(
            id=id_,
            starts_at=starts_at,
            ends_at=ends_at,
            status=status,
            free=free,
            waitlisted=waitlisted,
            my_status=my_status,
            title=text_title or title,
            title_lang="" if text_title else self.mark,
            category_label=self._once(("label", key, name), self._label, key, name),
            centre=f"{centre}, {town}",
            place=place,
            needs_approval=signup_mode == "approval",
            child_facing=child_facing,
            when=self._once(("when", starts_at, ends_at), self._when, starts_at, ends_at),
            seats=self._once(
                ("seats", status, free, waitlisted), self._seats, status, free, waitlisted
            ),
        )

    def _once(self, key: tuple, make, *args):
        found = self.memo.get(key)
        if found is None:
            found = self.memo[key] = make(*args)
        return found

    @staticmethod
    def _label(key: str | None, name: str) -> str:
        return category_label(SimpleNamespace(key=key, name=name))

    def _when(self, starts_at: dt.datetime, ends_at: dt.datetime) -> Markup:
        # ``_("%(date)s, %(times)s", date=starts_at|date("full"), times=_("%(start)s to
        # %(end)s", start=starts_at|time, end=ends_at|time))`` in a template. The filters
        # are asked once per day, and once per wall-clock time and UTC offset (what their
        # text depends on), not once per date (``_clock``).
        start, end = (
            value.replace(tzinfo=dt.UTC).astimezone(self.zone) for value in (starts_at, ends_at)
        )
        day = start.date()
        to = self._once(
            ("to",), lambda: _catalogue(self.catalogue.ugettext("%(start)s to %(end)s"))
        )
        times = to % {
            "start": self._clock(("time", start.time(), start.utcoffset()), self.time, starts_at),
            "end": self._clock(("time", end.time(), end.utcoffset()), self.time, ends_at),
        }
        frame = self._once(
            ("when",), lambda: _catalogue(self.catalogue.ugettext("%(date)s, %(times)s"))
        )
        return frame % {"date": self._clock(("date", day), self.date, day, "full"), "times": times}

    def _clock(self, key: tuple, make, *args) -> str:
        """A day's or a time's text, kept for the process (``_CLOCK_TEXTS``): it depends on
        nothing but the language, the zone and the key."""
        key = (self.language, self.zone.key, *key)
        found = _CLOCK_TEXTS.get(key)
        if found is None:
            if len(_CLOCK_TEXTS) >= _CLOCK_TEXTS_KEPT:
                _CLOCK_TEXTS.clear()
            found = _CLOCK_TEXTS[key] = make(*args)
        return found

    def _seats(self, status: str, free: int, waitlisted: int) -> Markup:
        # The words of ``seats`` in signups/_macros.html.
        words = self.catalogue
        if status == "cancelled":
            return _catalogue(words.ugettext("Called off"))
        if free > 0:
            text = words.ungettext("%(num)s place free", "%(num)s places free", free)
            return _catalogue(text) % {"num": free}
        if waitlisted:
            text = words.ungettext(
                "%(num)s person on the waitlist", "%(num)s people on the waitlist", waitlisted
            )
            waiting = _catalogue(text) % {"num": waitlisted}
        else:
            waiting = _catalogue(words.ugettext("waitlist open"))
        return _catalogue(words.ugettext("Full")) + " · " + waiting


def _by_day(
    intervals: list[tuple[dt.datetime, dt.datetime]],
) -> list[tuple[dt.datetime, dt.datetime, dt.date]]:
    """Each (start, end) with each UTC day from the start's to the end's."""
    rows = []
    for start, end in intervals:
        day, last = start.date(), end.date()
        while day <= last:
            rows.append((start, end, day))
            day += dt.timedelta(days=1)
    return rows


@lru_cache(maxsize=64)
def _windows(
    windows: tuple[tuple[int, dt.time, dt.time], ...],
    first_day: dt.date,
    last_day: dt.date,
    kind: type[pw.Database],
) -> tuple[str, tuple] | None:
    """The ``windows`` hole's filling: ``(VALUES (…), …) AS "windows"`` with its parameters
    (on PostgreSQL three arrays; None: no interval in the period), written at once (peewee's ValuesList makes nodes for
    every value, and a year of availability has hundreds). Kept for the next call with the
    same windows and days (paging through the list): nothing else goes into it."""
    rows = _by_day(availability_intervals(windows, first_day, last_day))
    if not rows:
        return None
    if issubclass(kind, pw.PostgresqlDatabase):
        # Three arrays (as text, written here once): the same statement for any number.
        columns = (
            "{" + ",".join(f'"{value}"' for value in column) + "}"
            for column in zip(*rows, strict=True)
        )
        piece = (
            'unnest(%s::timestamp[], %s::timestamp[], %s::date[]) AS "windows"'
            "(column1, column2, column3)"
        )
        return piece, tuple(columns)
    row = "(" + ", ".join([kind.param] * 3) + ")"
    piece = f'(VALUES {", ".join([row] * len(rows))}) AS "windows"'
    values = tuple(value for row in rows for value in row)
    if issubclass(kind, pw.SqliteDatabase):
        # SQLite's driver turns every date and time into text by a Python function on each
        # run (hundreds of them here): done once, by the adapters it would call.
        adapters = sqlite3.adapters
        values = tuple(
            adapters.get((type(value), sqlite3.PrepareProtocol), _unchanged)(value)
            for value in values
        )
    return piece, values


def _unchanged(value):
    return value


@dataclass(frozen=True)
class FilterChoices:
    """What the slot list's filters offer, as read (the form makes its options once per
    language and these rows, ``forms.SlotFilterForm``)."""

    centres: tuple[tuple[int, str, str], ...]  # (id, name, town) by name
    # (id, key, name, centre id, centre name): the built-in ones (no centre) first, by name
    categories: tuple[tuple[int, str | None, str, int | None, str | None], ...]


def _choices_query() -> pw.SelectBase:
    centres = Centre.select(
        pw.Value(0).alias("kind"),
        pw.Value(0).alias("own"),
        Centre.name,
        Centre.id,
        Centre.town,
        pw.Value(None).alias("centre_id"),
        pw.Value(None).alias("centre_name"),
    )
    owner = Centre.alias()
    categories = Category.select(
        pw.Value(1),
        pw.Case(None, [(Category.centre.is_null(), 0)], 1),
        Category.name,
        Category.id,
        Category.key,
        Category.centre,
        owner.name,
    ).join(owner, pw.JOIN.LEFT_OUTER, on=(Category.centre == owner.id))
    # A UNION orders by its output columns: kind, own (0: built-in), name, id.
    return (centres + categories).order_by(pw.SQL("1, 2, 3, 4"))


_CHOICES = _Statement(_choices_query)


# How long a process shows the filters' centres and categories as read (``common.kept``):
# the services that add or rename them make this process read them anew at once.
CHOICES_KEPT_SECONDS = 30


def filter_choices() -> FilterChoices:
    """Centres and categories for the browse filters, kept for ``CHOICES_KEPT_SECONDS``."""
    return kept(FILTER_CHOICES, CHOICES_KEPT_SECONDS, _read_filter_choices)


def _read_filter_choices() -> FilterChoices:
    """One query (both lists as one UNION), its SQL composed once, its rows read as the
    driver gives them (ids and texts)."""
    rows = _CHOICES.run(()).cursor.fetchall()
    return FilterChoices(
        centres=tuple((id_, name, town) for kind, _own, name, id_, town, *_ in rows if kind == 0),
        categories=tuple(
            (id_, key, name, centre_id, centre_name)
            for kind, _own, name, id_, key, centre_id, centre_name in rows
            if kind == 1
        ),
    )


# A slot's page runs these on every visit: their SQL is built once (db.Prepared).
_SLOT_DETAILS = Prepared(
    lambda slot_id: (
        slots_with_activity()
        .select_extend(_waitlisted_count().alias("waitlisted"))
        .where(Slot.id == slot_id)
        .limit(1)
    )
)
_MY_SIGNUP = Prepared(
    lambda slot_id, user_id: (
        Signup.select().where((Signup.slot == slot_id) & (Signup.volunteer == user_id)).limit(1)
    )
)


def slot_details(slot_id: int) -> Slot | None:
    """One slot with activity, category, centre and ``waitlisted`` (one query)."""
    slot = _SLOT_DETAILS.first(slot_id)
    if slot is not None:
        slot.waitlisted = slot.waitlisted or 0
        slot.category_label = category_label(slot.activity.category)
    return slot


def my_signup(slot_id: int, user_id: int) -> Signup | None:
    return _MY_SIGNUP.first(slot_id, user_id)


def waitlist_position(signup: Signup) -> int:
    """1 for the first on the waitlist (order: queued_at, then id)."""
    ahead = (
        Signup.select()
        .where(
            (Signup.slot == signup.slot_id)
            & (Signup.status == "waitlisted")
            & (
                (Signup.queued_at < signup.queued_at)
                | ((Signup.queued_at == signup.queued_at) & (Signup.id < signup.id))
            )
        )
        .count()
    )
    return ahead + 1


def _my_signups(user):
    return join_activity(
        Signup.select(Signup, Slot, Activity, Category, Centre).join(
            Slot, on=(Signup.slot == Slot.id)
        )
    ).where(Signup.volunteer == user.id)


def _upcoming_shown(now: dt.datetime):
    # Not started: active and declined, and cancelled with the slot (not by the person).
    return (Slot.starts_at > now) & (
        Signup.status.in_((*ACTIVE, "declined"))
        | ((Signup.status == "cancelled") & (Slot.status == "cancelled"))
    )


def _past_shown(now: dt.datetime):
    # Started: confirmed on a slot that took place.
    return (Slot.starts_at <= now) & (Signup.status == "confirmed") & (Slot.status == "scheduled")


def my_signups(user, now: dt.datetime) -> pw.ModelSelect:
    """Every sign-up "My slots" shows, upcoming and past (``my_upcoming``, ``my_past``), with
    slot, activity, category and centre; unordered, for callers that page through it (the
    JSON API, api/). One query."""
    return _my_signups(user).where(_upcoming_shown(now) | _past_shown(now))


def my_upcoming(user, limit: int = 200) -> list[Signup]:
    """Slots that have not started: active and declined sign-ups, and the ones whose slot
    was cancelled (the person's own cancellations are left out). One query."""
    rows = list(
        _my_signups(user)
        .where(_upcoming_shown(utcnow()))
        .order_by(Slot.starts_at, Slot.id)
        .limit(limit)
    )
    for signup in rows:
        signup.slot.activity.category.label = category_label(signup.slot.activity.category)
    return rows


def my_past(user, limit: int = 200) -> list[Signup]:
    """Started slots the person was confirmed for, newest first, with attendance (one query)."""
    rows = list(
        _my_signups(user)
        .where(_past_shown(utcnow()))
        .order_by(Slot.starts_at.desc(), Slot.id.desc())
        .limit(limit)
    )
    for signup in rows:
        signup.slot.activity.category.label = category_label(signup.slot.activity.category)
    return rows


def my_hours(user) -> Decimal:
    """Hours recorded as attended, all time (one query)."""
    total = (
        Signup.select(pw.fn.SUM(Signup.hours))
        .join(Slot, on=(Signup.slot == Slot.id))
        .where(
            (Signup.volunteer == user.id)
            & (Signup.status == "confirmed")
            & (Signup.attendance == "attended")
            & (Slot.starts_at <= utcnow())
        )
        .scalar()
    )
    return Decimal(str(total or 0)).quantize(Decimal("0.01"))
