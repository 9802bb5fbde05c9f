"""Ready-joined reads for the sign-up pages: every page runs a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

import peewee as pw

from volunteer_app.activities.models import Activity, Category, Slot
from volunteer_app.activities.queries import category_label, join_activity, slots_with_activity
from volunteer_app.centres.models import Centre
from volunteer_app.centres.queries import today
from volunteer_app.common.time import BERLIN, UTC
from volunteer_app.db import utcnow
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


def fit_profile(user) -> FitProfile:
    """The volunteer's matching preferences (four small queries)."""
    profile = VolunteerProfile.get_or_none(VolunteerProfile.user == user.id)
    interests = frozenset(
        i.category_id for i in Interest.select(Interest.category).where(Interest.user == user.id)
    )
    centres = frozenset(
        r.centre_id
        for r in ReachableCentre.select(ReachableCentre.centre).where(
            ReachableCentre.user == user.id
        )
    )
    windows = tuple(
        (w.weekday, w.start_time, w.end_time)
        for w in AvailabilityWindow.select()
        .where(AvailabilityWindow.user == user.id)
        .order_by(AvailabilityWindow.weekday, AvailabilityWindow.start_time)
    )
    open_to_anything = profile is not None and profile.open_to_anything
    return FitProfile(
        category_ids=None if open_to_anything or not interests else interests,
        centre_ids=centres or None,
        windows=windows,
    )


def _waitlisted_count():
    waiting = Signup.alias()
    return waiting.select(pw.fn.COUNT(waiting.id)).where(
        (waiting.slot == Slot.id) & (waiting.status == "waitlisted")
    )


def _status_of(viewer_id: int):
    mine = Signup.alias()
    return mine.select(mine.status).where((mine.slot == Slot.id) & (mine.volunteer == viewer_id))


def browse_slots(
    filters: SlotFilters,
    *,
    viewer,
    profile: FitProfile | None = None,
    page: int = 1,
    per_page: int = 30,
) -> tuple[list[Slot], bool]:
    """Open (scheduled, not started) slots by start time, one page, and whether more follow.

    Each slot carries its activity, category and centre, ``waitlisted`` (people waiting)
    and ``my_status`` (the viewer's sign-up status or None). One query.
    """
    first_day = filters.date_from or today()
    query = slots_with_activity().select_extend(
        _waitlisted_count().alias("waitlisted"), _status_of(viewer.id).alias("my_status")
    )
    conditions = [
        Slot.status == "scheduled",
        Slot.starts_at > utcnow(),
        Slot.starts_at >= berlin_day_start(first_day),
    ]
    if filters.date_to:
        conditions.append(Slot.starts_at < berlin_day_start(filters.date_to + dt.timedelta(1)))
    if filters.centre_id:
        conditions.append(Activity.centre == filters.centre_id)
    if filters.category_id:
        conditions.append(Activity.category == filters.category_id)
    if filters.fits_me and profile is not None:
        conditions.extend(_fits(profile, first_day, filters.date_to))
    query = (
        query.where(*conditions)
        .order_by(Slot.starts_at, Slot.id)
        .limit(per_page + 1)
        .offset((max(page, 1) - 1) * per_page)
    )
    rows = list(query)
    for slot in rows:
        slot.waitlisted = slot.waitlisted or 0
        slot.category_label = category_label(slot.activity.category)
    return rows[:per_page], len(rows) > per_page


def _fits(profile: FitProfile, first_day: dt.date, last_day: dt.date | None) -> list:
    conditions = []
    if profile.category_ids is not None:
        conditions.append(Activity.category.in_(sorted(profile.category_ids)))
    if profile.centre_ids is not None:
        conditions.append(Activity.centre.in_(sorted(profile.centre_ids)))
    if profile.windows:
        last_day = min(last_day or dt.date.max, first_day + dt.timedelta(days=MAX_RANGE_DAYS))
        intervals = availability_intervals(profile.windows, first_day, last_day)
        if not intervals:
            return [pw.SQL("1 = 0")]
        # The intervals as a VALUES table: a long OR chain would hit SQLite's depth limit.
        # Both backends name VALUES columns column1, column2.
        windows = pw.ValuesList(intervals, alias="windows")
        inside = pw.Select(from_list=[windows], columns=[pw.SQL("1")]).where(
            (Slot.starts_at >= windows.c.column1) & (Slot.ends_at <= windows.c.column2)
        )
        conditions.append(pw.fn.EXISTS(inside))
    return conditions


def filter_choices() -> tuple[list[Centre], list[Category]]:
    """Centres and categories for the browse filters (two queries)."""
    centres = list(
        Centre.select(Centre.id, Centre.name, Centre.town).order_by(Centre.name, Centre.id)
    )
    categories = list(
        Category.select(Category, Centre)
        .join(Centre, pw.JOIN.LEFT_OUTER, on=(Category.centre == Centre.id))
        .order_by(Category.centre.is_null(False), Category.name, Category.id)
    )
    for category in categories:
        category.label = category_label(category)
    return centres, categories


def slot_details(slot_id: int) -> Slot | None:
    """One slot with activity, category, centre and ``waitlisted`` (one query)."""
    slot = (
        slots_with_activity()
        .select_extend(_waitlisted_count().alias("waitlisted"))
        .where(Slot.id == slot_id)
        .first()
    )
    if slot is not None:
        slot.waitlisted = slot.waitlisted or 0
        slot.category_label = category_label(slot.activity.category)
    return slot


def my_signup(slot_id: int, user_id: int) -> Signup | None:
    return Signup.get_or_none((Signup.slot == slot_id) & (Signup.volunteer == user_id))


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
