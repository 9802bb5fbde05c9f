"""State changes for schedules (series): checking a rule, adding a schedule to an activity,
creating its slots up to the rolling horizon, and the job that extends every running schedule.

Times are Berlin wall-clock times; the checks are those of ``services`` (the actor may manage
the centre, numbers in range, no time inside a daylight-saving change).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _

from volunteer_app.accounts.models import User
from volunteer_app.activities import queries, recurrence
from volunteer_app.activities.models import Activity, Series, Slot
from volunteer_app.activities.services import (
    long_date,
    require_manager,
    wall_clock_error,
    whole_number,
)
from volunteer_app.centres.queries import today
from volunteer_app.common.errors import DomainError
from volunteer_app.db import utcnow, write_transaction
from volunteer_app.wishes import services as wishes

log = logging.getLogger(__name__)

MAX_INTERVAL_WEEKS = 12
MAX_COUNT = recurrence.MAX_OCCURRENCES
FIRST_DATE_MAX_DAYS = 2 * 366  # how far ahead a schedule may start
SPAN_MAX_DAYS = 5 * 366  # how long a schedule may run (until)
WALL_CLOCK_CHECK_DAYS = 5 * 366  # how far ahead an open-ended rule is checked for DST
INSERT_CHUNK = 200


def horizon_days() -> int:
    """How many days ahead slots exist (``SLOT_HORIZON_DAYS``; below 1 counts as 1)."""
    return max(int(current_app.config["SLOT_HORIZON_DAYS"]), 1)


def horizon(on: dt.date | None = None) -> dt.date:
    return (on or today()) + dt.timedelta(days=horizon_days())


@dataclass
class Plan:
    """A checked schedule: its rule, the first dates and the dates it skips."""

    rule: recurrence.Rule
    dates: list[recurrence.Occurrence]
    skipped: list[queries.SkippedDate]
    more: bool  # there are more dates than listed
    summary: str = ""  # the rule in words


PREVIEW_DATES = 60


def schedule_rule(data: dict, current: dt.date) -> recurrence.Rule:
    """A validated rule from the schedule form's data; errors name the field."""
    kind = data.get("recurrence")
    if kind not in recurrence.RECURRENCES:
        raise DomainError(_("Please choose how often the activity takes place."), "recurrence")
    start_date, start_time, end_time = (
        data.get("start_date"),
        data.get("start_time"),
        data.get("end_time"),
    )
    if not isinstance(start_date, dt.date):
        raise DomainError(_("Please enter a valid date."), "start_date")
    if not isinstance(start_time, dt.time):
        raise DomainError(_("Please enter a valid time, like 10:00."), "start_time")
    if not isinstance(end_time, dt.time):
        raise DomainError(_("Please enter a valid time, like 10:00."), "end_time")
    if start_date < current:
        raise DomainError(
            _("This date has passed. Please choose today or a later day."), "start_date"
        )
    if start_date > current + dt.timedelta(days=FIRST_DATE_MAX_DAYS):
        raise DomainError(_("Please choose a date within the next two years."), "start_date")
    if end_time <= start_time:
        raise DomainError(_("The end must be after the start."), "end_time")
    interval, nth, until, count = 1, None, None, None
    if kind == "weekly":
        interval = whole_number(
            data,
            "interval",
            1,
            MAX_INTERVAL_WEEKS,
            _("Please enter a number of weeks from 1 to %(max)d.", max=MAX_INTERVAL_WEEKS),
        )
    if kind == "monthly":
        nth = data.get("nth")
        if nth not in recurrence.NTH_CHOICES:
            raise DomainError(_("Please choose which weekday of the month."), "nth")
    if kind != "once":
        ends = data.get("ends") or "never"
        if ends == "until":
            until = data.get("until_date")
            if not isinstance(until, dt.date):
                raise DomainError(_("Please enter the last day."), "until_date")
            if until < start_date:
                raise DomainError(
                    _("The last day must not be before the first date."), "until_date"
                )
            if until > start_date + dt.timedelta(days=SPAN_MAX_DAYS):
                raise DomainError(
                    _("Please choose a last day within five years of the first date."),
                    "until_date",
                )
        elif ends == "count":
            count = whole_number(
                data,
                "count",
                1,
                MAX_COUNT,
                _("Please enter a number of dates from 1 to %(max)d.", max=MAX_COUNT),
            )
        elif ends != "never":
            raise DomainError(_("Please choose when the schedule ends."), "ends")
    return recurrence.Rule(kind, start_date, start_time, end_time, interval, nth, until, count)


def plan_schedule(
    activity: Activity, data: dict, *, on: dt.date | None = None, now: dt.datetime | None = None
) -> Plan:
    """Check a schedule without saving it: the dates it has, those it skips (holidays and
    the centre's closing days, with the reason), or a DomainError naming the field."""
    current = on or today()
    now = now or utcnow()
    rule = schedule_rule(data, current)
    closing = queries.closing_days_of(activity.centre_id)
    once = rule.recurrence == "once"
    if once and rule.start_date in closing:
        raise DomainError(
            _("The centre is closed on %(date)s.", date=long_date(rule.start_date)),
            "start_date",
        )
    end = recurrence.last_date(rule, closing, skip_holidays=not once)
    if end and end > rule.start_date + dt.timedelta(days=SPAN_MAX_DAYS):
        raise DomainError(
            _("This schedule would run for more than five years. Please choose fewer dates."),
            "count",
        )
    check_until = end or rule.start_date + dt.timedelta(days=WALL_CLOCK_CHECK_DAYS)
    try:
        recurrence.check_wall_clock(rule, check_until, closing, skip_holidays=not once)
        first = recurrence.occurrences(rule, check_until, closing, skip_holidays=not once)[:1]
    except recurrence.WallClockError as exc:
        raise wall_clock_error(exc, rule.start_time) from exc
    if not first:
        raise DomainError(
            _("These settings give no dates: every date is a public holiday or closing day.")
        )
    if first[0].starts_at <= now:
        raise DomainError(
            _("This time has already passed today. Please choose a later time or day."),
            "start_time",
        )
    shown_until = end or max(horizon(current), rule.start_date + dt.timedelta(days=90))
    dates = recurrence.occurrences(rule, shown_until, closing, skip_holidays=not once)
    if len(dates) > PREVIEW_DATES:
        shown_until = dates[PREVIEW_DATES - 1].original_date
    skipped = recurrence.skipped_dates(rule, shown_until, closing, skip_holidays=not once)
    return Plan(
        rule=rule,
        dates=dates[:PREVIEW_DATES],
        skipped=queries.skip_reasons(skipped, closing),
        more=len(dates) > PREVIEW_DATES or end is None,
        summary=queries.rule_summary(rule),
    )


def series_fields(rule: recurrence.Rule) -> dict:
    return {
        "recurrence": rule.recurrence,
        "interval": rule.interval if rule.recurrence == "weekly" else 1,
        "weekday": rule.weekday if rule.recurrence != "once" else None,
        "nth": rule.monthly_nth if rule.recurrence == "monthly" else None,
        "start_date": rule.start_date,
        "start_time": rule.start_time,
        "end_time": rule.end_time,
        "until_date": rule.until,
        "count": rule.count,
    }


@dataclass
class ScheduleResult:
    series: Series
    plan: Plan
    created: int


def add_schedule(
    activity: Activity,
    data: dict,
    *,
    actor: User,
    on: dt.date | None = None,
    now: dt.datetime | None = None,
) -> ScheduleResult:
    """Add a one-off date or a recurrence to an activity and create its slots up to the
    rolling horizon (a one-off date at once, however far ahead)."""
    require_manager(actor, activity.centre)
    current, now = on or today(), now or utcnow()
    plan = plan_schedule(activity, data, on=current, now=now)
    with write_transaction():
        series = Series.create(activity=activity.id, **series_fields(plan.rule))
        created = generate_slots(series, activity, current, now)
    log.info(
        "schedule %s (%d slots) added to activity %s by user %s",
        series.id,
        created,
        activity.id,
        actor.id,
    )
    return ScheduleResult(series, plan, created)


def generate_slots(
    series: Series,
    activity: Activity,
    current: dt.date,
    now: dt.datetime,
    closed=None,
) -> int:
    """Create the series' missing slots from today up to the horizon; idempotent (the
    unique (series, original_date) makes a second run, or a concurrent one, add nothing).
    Inside the caller's transaction. Returns the number of slots created."""
    rule = queries.series_rule(series)
    once = rule.recurrence == "once"
    if closed is None:
        closed = set(queries.closing_days_of(activity.centre_id))
    until = rule.start_date if once else horizon(current)
    existing = {
        s.original_date
        for s in Slot.select(Slot.original_date).where(
            (Slot.series == series.id) & (Slot.original_date >= current)
        )
    }
    rows = []
    for day in recurrence.held_dates(rule, until, closed, skip_holidays=not once):
        if day < current or day in existing:
            continue
        try:
            occurrence = recurrence.occurrence_on(rule, day)
        except recurrence.WallClockError:
            # Checked when the schedule was saved; a date beyond that check (or freed by a
            # removed closing day) is left out rather than stopping the whole run.
            log.warning("series %s: %s falls into a DST change, no slot created", series.id, day)
            continue
        if occurrence.starts_at <= now:
            continue
        rows.append(
            {
                "activity": activity.id,
                "series": series.id,
                "original_date": day,
                "starts_at": occurrence.starts_at,
                "ends_at": occurrence.ends_at,
                "capacity": activity.volunteers_needed,
                "created_at": now,
                "updated_at": now,
            }
        )
    for start in range(0, len(rows), INSERT_CHUNK):
        Slot.insert_many(rows[start : start + INSERT_CHUNK]).on_conflict_ignore().execute()
    if rows:
        # A wish planned as this activity is realised by its first date.
        wishes.realise_planned_wishes(activity.id, now)
    reached = max(until, series.generated_until or until)
    Series.update(generated_until=reached).where(Series.id == series.id).execute()
    series.generated_until = reached
    return len(rows)


@dataclass(frozen=True)
class ExtendResult:
    series: int
    slots: int


def extend_slots(on: dt.date | None = None, now: dt.datetime | None = None) -> ExtendResult:
    """The job: create the slots of every running schedule up to today's horizon.

    Running it twice creates nothing new. Each schedule has its own transaction, so one
    that fails does not hold back the others.
    """
    current = on or today()
    now = now or (utcnow() if on is None else dt.datetime.combine(current, dt.time(0)))
    target = horizon(current)
    running = (
        Series.select(Series, Activity)
        .join(Activity, on=(Series.activity == Activity.id))
        .where(
            (Series.recurrence != "once")
            & (Series.start_date <= target)
            & (Series.until_date.is_null() | (Series.until_date >= current))
            & (Series.generated_until.is_null() | (Series.generated_until < target))
        )
        .order_by(Series.id)
    )
    running = list(running)
    closed = queries.closing_days_by_centre({s.activity.centre_id for s in running})
    series_count = slots = 0
    for series in running:
        try:
            with write_transaction():
                slots += generate_slots(
                    series, series.activity, current, now, closed[series.activity.centre_id]
                )
        except Exception:  # one broken schedule must not stop the others
            log.exception("series %s: extending its slots failed", series.id)
            continue
        series_count += 1
    return ExtendResult(series_count, slots)
