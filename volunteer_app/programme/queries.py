"""Read helpers for the families' programme: plain entries, grouped into Berlin weeks
(``weeks.py``).

Everything shown to families goes through ``ProgrammeEntry``: activity, time, place,
status and a link, never a person. Other sources (partners' consultation hours) turn
their rows into the same entries and are merged before grouping, see ``programme_entries``.
Every page built from here runs a fixed number of queries, whatever the number of slots.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import peewee as pw
from markupsafe import Markup

from volunteer_app.activities import texts
from volunteer_app.activities.models import Activity, Category, Slot
from volunteer_app.activities.queries import (
    category_label,
    category_rank,
    rule_summary,
    series_of,
    series_rule,
)
from volunteer_app.centres.models import Centre, ClosingDay, Operator
from volunteer_app.common.time import to_berlin
from volunteer_app.common.urls import url_pattern
from volunteer_app.coordination.queries import MAX_PAGE, Page
from volunteer_app.db import db
from volunteer_app.partners.queries import kind_label
from volunteer_app.programme.weeks import (
    MAX_WEEKS_AHEAD,
    Week,
    berlin_midnight,
    berlin_today,
    clock_labels,
    day_heading,
    first_week,
    group_by_week,
    label_weeks,
    short_date,
    week_start,
    when_label,
)
from volunteer_app.rooms.queries import public_consultations

WEEKS_PER_PAGE = 3
# The overview counts the dates of the coming four weeks, and lists this many centres a page.
OVERVIEW_DAYS = 28
CENTRES_PER_PAGE = 50
# The activity page lists this many upcoming dates; the rest are in the calendar.
DATES_SHOWN = 12
# The programme on the centre's own website: the next dates, at most this many, this far ahead.
EMBED_DATES = 20
EMBED_WEEKS = 8


# --- Plain entries ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgrammeEntry:
    """One date in the programme, whatever it comes from (an activity's slot, a partner's
    consultation hour). Only what may be public: no names, no phone numbers."""

    title: str
    category: str  # the shown label, already translated
    starts_at: dt.datetime  # naive UTC
    ends_at: dt.datetime  # naive UTC
    place: str
    url: str
    status: str = "scheduled"  # "scheduled" | "cancelled"
    kind: str = "activity"  # "activity" | "consultation"
    audience: str = ""
    category_key: str = ""  # a built-in category's key (for its colour), else ""
    # The title's ``lang`` when it is not in the page's language (the German original), else "".
    title_lang: str = ""
    cancel_reason: str = ""  # why the centre cancelled it, as the centre wrote it (German)
    description: str = ""  # the activity's description in the page's language (for JSON-LD)

    @property
    def title_attrs(self) -> Markup:
        """`` lang="de"`` (and ``dir``) for the element holding a German title, else nothing."""
        return texts.lang_attrs(self.title_lang)

    @property
    def is_cancelled(self) -> bool:
        return self.status == "cancelled"

    @property
    def berlin_day(self) -> dt.date:
        return to_berlin(self.starts_at).date()


# --- Categories ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryChoice:
    id: int
    label: str
    key: str  # built-in key or ""


def _public_slots(centre_id: int, now: dt.datetime):
    """Condition: slots of the centre's public activities that have not ended."""
    return (
        (Activity.centre == centre_id)
        & (Activity.is_public == True)  # noqa: E712
        & (Slot.ends_at > now)
    )


def programme_categories(centre: Centre, now: dt.datetime) -> list[CategoryChoice]:
    """The categories of the centre's public activities that have upcoming dates, built-ins
    first (one query): what a family can filter by."""
    query = (
        Category.select(Category.id, Category.key, Category.name)
        .join(Activity, on=(Activity.category == Category.id))
        .join(Slot, on=(Slot.activity == Activity.id))
        .where(_public_slots(centre.id, now))
        .distinct()
    )
    return [
        CategoryChoice(c.id, category_label(c), c.key or "")
        for c in sorted(query, key=category_rank)
    ]


# --- Activity entries ---------------------------------------------------------------------------


def activity_entries(
    centre: Centre,
    start: dt.datetime,
    end: dt.datetime,
    category_ids: Sequence[int] = (),
    *,
    now: dt.datetime,
    limit: int | None = None,
) -> list[ProgrammeEntry]:
    """Dates of the centre's public activities starting in [start, end) that have not ended
    by ``now``, cancelled ones included (the first ``limit`` of them when given), titled in
    the page's language where the activity has a text in it (one query, a second for the
    texts on a page not in German)."""
    query = (
        public_dates(centre, now=now)
        .where((Slot.starts_at >= start) & (Slot.starts_at < end))
        .order_by(Slot.starts_at, Slot.id)
    )
    if category_ids:
        query = query.where(Activity.category.in_(list(category_ids)))
    if limit is not None:
        query = query.limit(limit)
    return entries_from_rows(date_rows(query), centre)


def public_dates(centre: Centre, *, now: dt.datetime) -> pw.ModelSelect:
    """The select behind every list of programme entries: the slots of the centre's public
    activities that have not ended by ``now``, with the columns an entry shows; unordered,
    for callers that add their range and order (the JSON API pages through it, api/)."""
    return (
        Slot.select(
            Slot.id,
            Slot.starts_at,
            Slot.ends_at,
            Slot.status,
            Slot.cancel_reason,
            Activity.id,
            Activity.title,
            Activity.description,
            Activity.place,
            Activity.audience,
            Category.id,
            Category.key,
            Category.name,
        )
        .join(Activity, on=(Slot.activity == Activity.id))
        .join(Category, on=(Activity.category == Category.id))
        .where(_public_slots(centre.id, now))
    )


# A row of ``public_dates`` read as a tuple, in the order of its columns: a page of 300 dates
# spent a fifth of its time making peewee models of them.
DateRow = tuple  # (slot id, starts_at, ends_at, status, cancel_reason, activity id, title,
#                  description, place, audience, category id, category key, category name)


@dataclass(frozen=True)
class _ActivityRow:
    """What ``texts.pick`` reads of an activity."""

    id: int
    title: str
    description: str


@dataclass(frozen=True)
class _CategoryRow:
    """What ``category_label`` reads of a category."""

    key: str | None
    name: str


def date_rows(query: pw.ModelSelect) -> list[DateRow]:
    """The rows of a ``public_dates`` select as tuples straight from the database driver
    (one query): peewee's conversion of every column of every row cost more than making the
    entries; only the two times need one (SQLite gives them as text)."""
    cursor = db.execute_sql(*query.sql())
    return [
        (row[0], _as_datetime(row[1]), _as_datetime(row[2]), *row[3:]) for row in cursor.fetchall()
    ]


def _date_row(slot: Slot) -> DateRow:
    activity = slot.activity
    category = activity.category
    return (
        slot.id,
        slot.starts_at,
        slot.ends_at,
        slot.status,
        slot.cancel_reason,
        activity.id,
        activity.title,
        activity.description,
        activity.place,
        activity.audience,
        category.id,
        category.key,
        category.name,
    )


def entries_of(slots: Sequence[Slot], centre: Centre) -> list[ProgrammeEntry]:
    """Slots read through ``public_dates`` as entries, titled in the page's language where
    the activity has a text in it (no query in German, else one for the texts)."""
    return entries_from_rows([_date_row(slot) for slot in slots], centre)


def entries_from_rows(rows: Sequence[DateRow], centre: Centre) -> list[ProgrammeEntry]:
    """``entries_of`` for the rows of ``public_dates`` read as tuples (``DateRow``)."""
    language = texts.current_language()
    found = texts.texts_for({row[5] for row in rows}, language)
    # Many dates share an activity: its text, category label and link are made once.
    link = url_pattern("programme.show_activity", "activity_id", slug=centre.slug)
    per_activity: dict[int, tuple[texts.Shown, str, str, str]] = {}
    entries = []
    for (
        _slot_id,
        starts_at,
        ends_at,
        status,
        cancel_reason,
        activity_id,
        title,
        description,
        place,
        audience,
        _category_id,
        category_key,
        category_name,
    ) in rows:
        made = per_activity.get(activity_id)
        if made is None:
            made = per_activity[activity_id] = (
                texts.pick(_ActivityRow(activity_id, title, description), found, language),
                category_label(_CategoryRow(category_key, category_name)),
                link(activity_id),
                category_key or "",
            )
        shown, category, url, key = made
        entries.append(
            ProgrammeEntry(
                title=shown.title,
                category=category,
                starts_at=starts_at,
                ends_at=ends_at,
                place=place,
                url=url,
                status=status,
                kind="activity",
                audience=audience,
                category_key=key,
                title_lang=shown.lang,
                cancel_reason=cancel_reason if status == "cancelled" else "",
                description=shown.description or "",
            )
        )
    return entries


def next_start_after(
    centre: Centre, after: dt.datetime, category_ids: Sequence[int] = (), *, now: dt.datetime
) -> dt.datetime | None:
    """When the first public, not cancelled date at or after ``after`` starts (one query)."""
    query = (
        Slot.select(pw.fn.MIN(Slot.starts_at))
        .join(Activity, on=(Slot.activity == Activity.id))
        .where(
            _public_slots(centre.id, now) & (Slot.starts_at >= after) & (Slot.status == "scheduled")
        )
    )
    if category_ids:
        query = query.where(Activity.category.in_(list(category_ids)))
    return _as_datetime(query.scalar())


def _as_datetime(value):
    # SQLite hands back aggregates of datetime columns as text.
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    return value


def programme_entries(
    centre: Centre,
    start: dt.datetime,
    end: dt.datetime,
    category_ids: Sequence[int] = (),
    *,
    now: dt.datetime,
) -> list[ProgrammeEntry]:
    """Every entry of the centre's programme in [start, end), from all sources: the public
    activities' dates and the partners' public consultation hours (which have no activity
    category, so a category filter leaves them out). Grouping sorts by start."""
    entries = activity_entries(centre, start, end, category_ids, now=now)
    if not category_ids:
        entries += consultation_entries(centre, start, end, now=now)
    return entries


def consultation_entries(
    centre: Centre, start: dt.datetime, end: dt.datetime, *, now: dt.datetime
) -> list[ProgrammeEntry]:
    """Partners' public consultation hours starting in [start, end), not ended by ``now``
    (one query). Only the booking's title, kind, room and time: never the partner's people."""
    return [
        ProgrammeEntry(
            title=row.title,
            category=kind_label(row.kind_label_key),
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            place=row.place,
            url="",
            status="cancelled" if row.status == "cancelled" else "scheduled",
            kind="consultation",
        )
        for row in public_consultations([centre.id], start, end)
        if row.starts_at >= start and row.ends_at > now
    ]


# --- The programme on the centre's own website (programme/embed.py) -----------------------------


def upcoming_entries(
    centre: Centre, *, now: dt.datetime, limit: int = EMBED_DATES, weeks: int = EMBED_WEEKS
) -> list[ProgrammeEntry]:
    """The centre's next ``limit`` entries that have not ended, within ``weeks`` weeks from
    today, cancelled ones included, sorted by start (two queries, a third for the texts on a
    page not in German). The embedded page and the HTML snippet both show these."""
    start = berlin_midnight(berlin_today(now))
    end = berlin_midnight(berlin_today(now) + dt.timedelta(weeks=weeks))
    entries = activity_entries(centre, start, end, now=now, limit=limit)
    if len(entries) == limit:
        # Consultation hours after the last activity date cannot be among the first ``limit``.
        end = entries[-1].starts_at + dt.timedelta(microseconds=1)
    entries += consultation_entries(centre, start, end, now=now)
    entries.sort(key=lambda e: (e.starts_at, e.title.casefold()))
    return entries[:limit]


# --- The centre's programme page --------------------------------------------------------------


@dataclass
class ProgrammePage:
    weeks: list[Week]
    categories: list[CategoryChoice]
    selected: list[int]  # category ids in the filter (only ones on offer)
    first_monday: dt.date
    today: dt.date
    earlier: dt.date | None  # the Monday of the previous page, None on the first page
    later: dt.date | None  # the Monday the next page starts (the week of the next date)
    later_start: dt.datetime | None  # when that next date starts (naive UTC)
    # Each entry's start and end as the page writes a time of day (``weeks.clock_labels``).
    clock: dict[dt.datetime, str] = field(default_factory=dict)

    @property
    def later_label(self) -> str:
        return short_date(to_berlin(self.later_start).date()) if self.later_start else ""

    @property
    def selected_labels(self) -> list[str]:
        return [c.label for c in self.categories if c.id in self.selected]

    @property
    def earlier_label(self) -> str:
        return short_date(self.earlier) if self.earlier else ""

    @property
    def is_empty(self) -> bool:
        return all(week.count == 0 for week in self.weeks)


def centre_programme(
    centre: Centre,
    *,
    requested: dt.date | None,
    category_ids: Sequence[int],
    now: dt.datetime,
    weeks: int = WEEKS_PER_PAGE,
    closing_days: Sequence[ClosingDay] = (),
) -> ProgrammePage:
    """The weeks a centre page shows from the ``requested`` date's week (three queries:
    categories on offer, entries, the next date after the page); the centre's
    ``closing_days`` (loaded by the caller) are shown in them as closed days."""
    today = berlin_today(now)
    categories = programme_categories(centre, now)
    offered = {c.id for c in categories}
    selected = sorted({i for i in category_ids if i in offered})
    first_monday = first_week(requested, today)
    after = first_monday + dt.timedelta(weeks=weeks)
    entries = programme_entries(
        centre, berlin_midnight(first_monday), berlin_midnight(after), selected, now=now
    )
    later_start = None
    if after <= week_start(today) + dt.timedelta(weeks=MAX_WEEKS_AHEAD):
        later_start = next_start_after(centre, berlin_midnight(after), selected, now=now)
    this_monday = week_start(today)
    earlier = None
    if first_monday > this_monday:
        earlier = max(first_monday - dt.timedelta(weeks=weeks), this_monday)
    shown = label_weeks(
        group_by_week(
            entries, first_monday, weeks, today, closed={c.day: c.reason for c in closing_days}
        ),
        today,
    )
    return ProgrammePage(
        weeks=shown,
        categories=categories,
        selected=selected,
        first_monday=first_monday,
        today=today,
        earlier=earlier,
        later=week_start(to_berlin(later_start).date()) if later_start else None,
        later_start=later_start,
        clock=clock_labels(shown),
    )


# --- One activity ------------------------------------------------------------------------------


def public_activity(centre: Centre, activity_id: int) -> Activity | None:
    """A public activity of this centre with its category (one query); never the
    responsible person."""
    return (
        Activity.select(
            Activity.id,
            Activity.centre,
            Activity.title,
            Activity.description,
            Activity.place,
            Activity.audience,
            Activity.is_public,
            Activity.updated_at,
            Category.id,
            Category.key,
            Category.name,
        )
        .join(Category, on=(Activity.category == Category.id))
        .where(
            (Activity.id == activity_id)
            & (Activity.centre == centre.id)
            & (Activity.is_public == True)  # noqa: E712
        )
        .first()
    )


def activity_text(activity: Activity) -> texts.Shown:
    """The activity's title and description in the page's language where it has a text in
    it, else the German ones (no query in German, else one)."""
    language = texts.current_language()
    return texts.pick(activity, texts.texts_for([activity.id], language), language)


@dataclass(frozen=True)
class DateLine:
    starts_at: dt.datetime  # naive UTC
    ends_at: dt.datetime
    status: str
    label: str  # the Berlin day in words
    cancel_reason: str = ""

    @property
    def is_cancelled(self) -> bool:
        return self.status == "cancelled"


@dataclass
class ActivityDates:
    dates: list[DateLine]  # upcoming, cancelled ones included, at most ``DATES_SHOWN``
    more: bool  # there are further upcoming dates
    rhythms: list[str]  # the running schedules in words


def activity_dates(
    activity: Activity, *, now: dt.datetime, limit: int = DATES_SHOWN
) -> ActivityDates:
    """The activity's upcoming dates and its running schedules in words (two queries)."""
    slots = list(
        Slot.select(Slot.id, Slot.starts_at, Slot.ends_at, Slot.status, Slot.cancel_reason)
        .where((Slot.activity == activity.id) & (Slot.ends_at > now))
        .order_by(Slot.starts_at, Slot.id)
        .limit(limit + 1)
    )
    today = berlin_today(now)
    rhythms = []
    for series in series_of(activity):
        rule = series_rule(series)
        if rule.recurrence == "once" or (rule.until and rule.until < today):
            continue
        rhythms.append(rule_summary(rule))
    lines = [
        DateLine(
            s.starts_at,
            s.ends_at,
            s.status,
            day_heading(to_berlin(s.starts_at).date(), today),
            s.cancel_reason if s.status == "cancelled" else "",
        )
        for s in slots[:limit]
    ]
    return ActivityDates(lines, len(slots) > limit, rhythms)


# --- The overview of all centres ---------------------------------------------------------------


def centres_with_programme(
    now: dt.datetime, number: int = 1, per_page: int = CENTRES_PER_PAGE
) -> Page:
    """Page ``number`` of every centre with its operator, by town then name (one query:
    the region grows, so each page reads only its own centres' dates). Each carries
    ``next_start`` (naive UTC or None: its next public, not cancelled date) and
    ``upcoming_count`` (such dates in the next ``OVERVIEW_DAYS`` days)."""
    number = min(max(number or 1, 1), MAX_PAGE)
    order = (Centre.town, Centre.name, Centre.id)
    on_page = (
        Centre.select(Centre.id)
        .order_by(*order)
        .limit(per_page + 1)
        .offset((number - 1) * per_page)
    )
    SlotA, ActivityA = Slot.alias(), Activity.alias()
    next_start = (
        SlotA.select(pw.fn.MIN(SlotA.starts_at))
        .join(ActivityA, on=(SlotA.activity == ActivityA.id))
        .where(
            (ActivityA.centre == Centre.id)
            & (ActivityA.is_public == True)  # noqa: E712
            & (SlotA.status == "scheduled")
            & (SlotA.starts_at >= now)
        )
        .alias("next_start")
    )
    SlotB, ActivityB = Slot.alias(), Activity.alias()
    soon = (
        SlotB.select(pw.fn.COUNT(SlotB.id))
        .join(ActivityB, on=(SlotB.activity == ActivityB.id))
        .where(
            (ActivityB.centre == Centre.id)
            & (ActivityB.is_public == True)  # noqa: E712
            & (SlotB.status == "scheduled")
            & (SlotB.starts_at >= now)
            & (SlotB.starts_at < now + dt.timedelta(days=OVERVIEW_DAYS))
        )
        .alias("upcoming_count")
    )
    query = (
        Centre.select(Centre, Operator, next_start, soon)
        .join(Operator, pw.JOIN.LEFT_OUTER, on=(Centre.operator == Operator.id))
        .where(Centre.id.in_(on_page))
        .order_by(*order)
    )
    centres = list(query)
    for centre in centres:
        centre.next_start = _as_datetime(centre.next_start)
        centre.next_label = when_label(centre.next_start) if centre.next_start else ""
    return Page(centres[:per_page], number, per_page, len(centres) > per_page)
