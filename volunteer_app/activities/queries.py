"""Read helpers for categories, activities, schedules and slots; every list is one query."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import peewee as pw
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import JOIN

from volunteer_app.accounts.models import User
from volunteer_app.activities import recurrence
from volunteer_app.activities.models import Activity, Category, Series, Slot
from volunteer_app.centres.models import Centre, CentreMembership, ClosingDay
from volunteer_app.centres.queries import today
from volunteer_app.common.time import BERLIN, UTC

# The built-in categories in the order they are offered; their names are translated.
BUILTIN_LABELS = {
    "gardening": _l("Gardening"),
    "reading": _l("Reading aloud"),
    "hiking": _l("Hiking"),
    "baking": _l("Baking"),
    "cooking": _l("Cooking"),
}
BUILTIN_ORDER = tuple(BUILTIN_LABELS)
# The English names, so that "Gardening" is refused as a centre's own category name too.
BUILTIN_ENGLISH = {
    "gardening": "Gardening",
    "reading": "Reading aloud",
    "hiking": "Hiking",
    "baking": "Baking",
    "cooking": "Cooking",
}
NTH_LABELS = {
    1: _l("first"),
    2: _l("second"),
    3: _l("third"),
    4: _l("fourth"),
    -1: _l("last"),
}


def category_label(category: Category) -> str:
    """The shown name: built-ins in the reader's language, a centre's own as it was named."""
    if category.key in BUILTIN_LABELS:
        return str(BUILTIN_LABELS[category.key])
    return category.name


def category_rank(category: Category) -> tuple:
    """Sort key: the built-in categories in their order, then a centre's own by name."""
    if category.key in BUILTIN_LABELS:
        return (0, BUILTIN_ORDER.index(category.key), "")
    return (1, 0, category.name.casefold())


def categories_for(centre_id: int) -> list[Category]:
    """The built-in categories, then the centre's own by name (one query)."""
    query = Category.select().where(Category.centre.is_null() | (Category.centre == centre_id))
    return sorted(query, key=category_rank)


def category_usage(centre_id: int) -> list[Category]:
    """As ``categories_for``; each carries ``activity_count`` of this centre (one query)."""
    count = (
        Activity.select(pw.fn.COUNT(Activity.id))
        .where((Activity.category == Category.id) & (Activity.centre == centre_id))
        .alias("activity_count")
    )
    query = Category.select(Category, count).where(
        Category.centre.is_null() | (Category.centre == centre_id)
    )
    return sorted(query, key=category_rank)


def centre_category(centre_id: int, category_id: int) -> Category | None:
    """A category this centre may use: a built-in or one of its own."""
    return Category.get_or_none(
        (Category.id == category_id) & (Category.centre.is_null() | (Category.centre == centre_id))
    )


def staff_choices(centre: Centre, actor=None) -> list[User]:
    """Who may be the responsible staff member: the centre's coordinators (one query);
    an acting admin is offered too, so that a centre without coordinators can plan."""
    people = list(
        User.select(User.id, User.name, User.role)
        .join(CentreMembership, on=(CentreMembership.user == User.id))
        .where((CentreMembership.centre == centre.id) & (User.is_active == True))  # noqa: E712
        .order_by(User.name)
    )
    is_admin = actor is not None and getattr(actor, "is_admin", False)
    if is_admin and all(p.id != actor.id for p in people):
        people.append(actor)
    return people


def may_be_responsible(centre: Centre, user_id: int) -> bool:
    """A coordinator of this centre or an admin (the service's check)."""
    user = User.get_or_none((User.id == user_id) & (User.is_active == True))  # noqa: E712
    if user is None:
        return False
    if user.is_admin:
        return True
    return (
        user.role == "coordinator"
        and CentreMembership.select()
        .where((CentreMembership.user == user.id) & (CentreMembership.centre == centre.id))
        .exists()
    )


def _utc_day_start(day: dt.date) -> dt.datetime:
    """Midnight in Berlin at the start of ``day``, as naive UTC."""
    local = dt.datetime.combine(day, dt.time(0)).replace(tzinfo=BERLIN)
    return local.astimezone(UTC).replace(tzinfo=None)


def _as_datetime(value):
    # SQLite hands back aggregates of datetime columns as text.
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    return value


def activities_of(centre: Centre) -> list[Activity]:
    """The centre's activities by title, with category and responsible person (one query).

    Each carries ``next_start`` (naive UTC or None), ``upcoming_count`` and
    ``unfilled_count`` (upcoming scheduled slots with free seats).
    """
    since = _utc_day_start(today())
    upcoming = (Slot.activity == Activity.id) & (Slot.starts_at >= since)
    scheduled = upcoming & (Slot.status == "scheduled")
    next_start = Slot.select(pw.fn.MIN(Slot.starts_at)).where(scheduled).alias("next_start")
    upcoming_count = Slot.select(pw.fn.COUNT(Slot.id)).where(scheduled).alias("upcoming_count")
    unfilled_count = (
        Slot.select(pw.fn.COUNT(Slot.id))
        .where(scheduled & (Slot.taken < Slot.capacity))
        .alias("unfilled_count")
    )
    Responsible = User.alias()
    query = (
        Activity.select(
            Activity,
            Category,
            Responsible.id,
            Responsible.name,
            next_start,
            upcoming_count,
            unfilled_count,
        )
        .join(Category, on=(Activity.category == Category.id))
        .switch(Activity)
        .join(
            Responsible,
            JOIN.LEFT_OUTER,
            on=(Activity.responsible == Responsible.id),
            attr="responsible",
        )
        .where(Activity.centre == centre.id)
        .order_by(pw.fn.LOWER(Activity.title), Activity.id)
    )
    activities = list(query)
    for activity in activities:
        activity.next_start = _as_datetime(activity.next_start)
    return activities


def activity_in_centre(centre: Centre, activity_id: int) -> Activity | None:
    """One activity of this centre with its category and responsible person (one query)."""
    Responsible = User.alias()
    return (
        Activity.select(Activity, Category, Centre, Responsible.id, Responsible.name)
        .join(Category, on=(Activity.category == Category.id))
        .switch(Activity)
        .join(Centre, on=(Activity.centre == Centre.id))
        .switch(Activity)
        .join(
            Responsible,
            JOIN.LEFT_OUTER,
            on=(Activity.responsible == Responsible.id),
            attr="responsible",
        )
        .where((Activity.centre == centre.id) & (Activity.id == activity_id))
        .first()
    )


def series_of(activity: Activity) -> list[Series]:
    """The schedules of an activity, oldest first (one query)."""
    return list(
        Series.select().where(Series.activity == activity.id).order_by(Series.start_date, Series.id)
    )


def upcoming_slots(activity: Activity, since: dt.date | None = None) -> pw.ModelSelect:
    """Slots from ``since`` (default today, Berlin) on, cancelled ones included, by start:
    the select, for the caller to page through (``coordination.queries.paginate``: one
    query per page)."""
    start = _utc_day_start(since or today())
    return (
        Slot.select()
        .where((Slot.activity == activity.id) & (Slot.starts_at >= start))
        .order_by(Slot.starts_at, Slot.id)
    )


def join_activity(query: pw.ModelSelect) -> pw.ModelSelect:
    """Continue ``query`` from ``Slot`` to the slot's activity, the activity's category and
    its centre (inner joins: every slot has all three). The caller selects the models."""
    return (
        query.join(Activity, on=(Slot.activity == Activity.id))
        .join(Category, on=(Activity.category == Category.id))
        .join_from(Activity, Centre, on=(Activity.centre == Centre.id))
    )


def slots_with_activity(*extra) -> pw.ModelSelect:
    """Slots with their activity, its category and its centre, in one query:
    ``slot.activity.category`` and ``slot.activity.centre`` need no query of their own.
    ``extra`` models or columns are selected too (join them with ``join_from``)."""
    return join_activity(Slot.select(Slot, Activity, Category, Centre, *extra))


def slot_for_manager(slot_id: int) -> Slot | None:
    """A slot with its activity, centre, category and series (one query)."""
    return (
        slots_with_activity(Series)
        .join_from(Slot, Series, JOIN.LEFT_OUTER, on=(Slot.series == Series.id))
        .where(Slot.id == slot_id)
        .first()
    )


def closing_days_of(centre_id: int) -> dict[dt.date, str]:
    """Every closing day of a centre with its reason (one query)."""
    return {
        c.day: c.reason
        for c in ClosingDay.select(ClosingDay.day, ClosingDay.reason).where(
            ClosingDay.centre == centre_id
        )
    }


def closing_days_by_centre(centre_ids) -> dict[int, set[dt.date]]:
    """Closing days of several centres (one query)."""
    out: dict[int, set[dt.date]] = {cid: set() for cid in centre_ids}
    if not out:
        return out
    rows = ClosingDay.select(ClosingDay.centre, ClosingDay.day).where(
        ClosingDay.centre.in_(list(out))
    )
    for row in rows:
        out[row.centre_id].add(row.day)
    return out


# --- Showing schedules ----------------------------------------------------------------------


def series_rule(series: Series) -> recurrence.Rule:
    return recurrence.Rule(
        recurrence=series.recurrence,
        start_date=series.start_date,
        start_time=series.start_time,
        end_time=series.end_time,
        interval=series.interval or 1,
        nth=series.nth,
        until=series.until_date,
        count=series.count,
    )


def _weekday_name(day: dt.date) -> str:
    return format_date(day, "EEEE")


def _hhmm(value: dt.time) -> str:
    return value.strftime("%H:%M")


def rule_summary(rule: recurrence.Rule) -> str:
    """A schedule in words, e.g. "Every 2 weeks on Tuesday, 10:00–12:00, until 31 Mar 2027"."""
    times = _("%(start)s–%(end)s", start=_hhmm(rule.start_time), end=_hhmm(rule.end_time))
    if rule.recurrence == "once":
        return _("Once on %(date)s, %(times)s", date=format_date(rule.start_date), times=times)
    weekday = _weekday_name(rule.start_date)
    if rule.recurrence == "weekly" and rule.interval <= 1:
        text = _("Weekly on %(weekday)s, %(times)s", weekday=weekday, times=times)
    elif rule.recurrence == "weekly":
        text = _(
            "Every %(n)d weeks on %(weekday)s, %(times)s",
            n=rule.interval,
            weekday=weekday,
            times=times,
        )
    else:
        text = _(
            "Monthly on the %(nth)s %(weekday)s, %(times)s",
            nth=NTH_LABELS[rule.monthly_nth],
            weekday=weekday,
            times=times,
        )
    text += ", " + _("from %(date)s", date=format_date(rule.start_date))
    if rule.until:
        text += ", " + _("until %(date)s", date=format_date(rule.until))
    elif rule.count:
        text += ", " + _("%(count)d dates", count=rule.count)
    return text


@dataclass(frozen=True)
class SkippedDate:
    day: dt.date
    reason: str


def skip_reasons(
    days, closing: dict[dt.date, str], language: str | None = None
) -> list[SkippedDate]:
    """Why each date is skipped: the centre's closing day (with its reason) or the holiday."""
    language = language or str(get_locale() or "de")
    out = []
    for day in days:
        if day in closing:
            reason = (
                _("Closing day: %(reason)s", reason=closing[day])
                if closing[day]
                else _("The centre is closed")
            )
        else:
            reason = recurrence.holiday_name(day, language) or _("Public holiday")
        out.append(SkippedDate(day, reason))
    return out


@dataclass
class ScheduleView:
    series: Series
    summary: str
    skipped: list[SkippedDate]
    ended: bool


def schedules_for_page(activity: Activity, horizon: dt.date) -> list[ScheduleView]:
    """The activity's schedules in words, with the dates skipped up to ``horizon``
    (two queries: schedules and closing days)."""
    closing = closing_days_of(activity.centre_id)
    current = today()
    out = []
    for series in series_of(activity):
        rule = series_rule(series)
        skip = rule.recurrence != "once"
        skipped = [
            d
            for d in recurrence.skipped_dates(rule, horizon, closing, skip_holidays=skip)
            if d >= current
        ]
        ended = bool(rule.until and rule.until < current) or (
            rule.recurrence == "once" and rule.start_date < current
        )
        out.append(ScheduleView(series, rule_summary(rule), skip_reasons(skipped, closing), ended))
    return out
