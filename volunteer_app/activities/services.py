"""State changes for categories, activities, schedules and slots.

Every function checks that the actor may manage the centre, validates what it is
given (the forms do too; services are also called by jobs, the demo and tests) and
owns its transaction. Times are entered as Berlin wall-clock times and stored as
naive UTC; a time inside the hour a daylight-saving change skips or repeats is refused.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

import peewee as pw
from flask import current_app
from flask_babel import format_date, ngettext
from flask_babel import gettext as _

from volunteer_app.accounts.models import User
from volunteer_app.activities import queries, recurrence
from volunteer_app.activities.models import SIGNUP_MODES, Activity, Category, Series, Slot
from volunteer_app.audit import services as audit
from volunteer_app.centres.models import Centre
from volunteer_app.centres.queries import can_manage, today
from volunteer_app.common.errors import Conflict, DomainError, NotAllowed, NotFound
from volunteer_app.db import is_sqlite, utcnow, write_transaction
from volunteer_app.notifications.services import queue_mail
from volunteer_app.signups import services as signup_services
from volunteer_app.signups.models import ACTIVE, Signup

log = logging.getLogger(__name__)

DEFAULT_HORIZON_DAYS = 90
MAX_INTERVAL_WEEKS = 12
MAX_COUNT = recurrence.MAX_OCCURRENCES
MAX_VOLUNTEERS = 50
MAX_CANCEL_DEADLINE_HOURS = 14 * 24
FIRST_DATE_MAX_DAYS = 2 * 366  # how far ahead a schedule may start
SPAN_MAX_DAYS = 5 * 366  # how long a schedule may run (until)
WALL_CLOCK_CHECK_DAYS = 5 * 366  # how far ahead an open-ended rule is checked for DST
MAX_OWN_CATEGORIES = 50
INSERT_CHUNK = 200
TEXT_LIMITS = {"title": 120, "description": 2000, "place": 150, "audience": 120}


# --- Helpers ------------------------------------------------------------------------------


def horizon_days() -> int:
    """How many days ahead slots exist (``SLOT_HORIZON_DAYS``, default 90)."""
    try:
        days = int(current_app.config.get("SLOT_HORIZON_DAYS", DEFAULT_HORIZON_DAYS))
    except (TypeError, ValueError):
        days = DEFAULT_HORIZON_DAYS
    return max(days, 1)


def horizon(on: dt.date | None = None) -> dt.date:
    return (on or today()) + dt.timedelta(days=horizon_days())


def _require_manager(actor: User, centre: Centre) -> None:
    if actor is None or not can_manage(actor, centre):
        raise NotAllowed(_("You may not plan activities of this centre."))


def _text(data: dict, name: str, required: bool = False) -> str:
    value = (data.get(name) or "").strip()
    if required and not value:
        raise DomainError(_("Please fill in this field."), name)
    if len(value) > TEXT_LIMITS[name]:
        raise DomainError(_("Please use at most %(max)d characters.", max=TEXT_LIMITS[name]), name)
    return value


def _int(data: dict, name: str, low: int, high: int, message: str) -> int:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise DomainError(message, name)
    return value


def _long_date(day: dt.date) -> str:
    return format_date(day, "full")


def _hhmm(value: dt.time) -> str:
    return value.strftime("%H:%M")


def wall_clock_message(exc: recurrence.WallClockError) -> str:
    """A clear refusal for a time inside the hour a daylight-saving change skips or repeats."""
    if exc.kind == "missing":
        return _(
            "On %(date)s the clocks go forward from 2:00 to 3:00, so %(time)s does not exist "
            "that day. Please choose a time outside this hour.",
            date=_long_date(exc.day),
            time=_hhmm(exc.time),
        )
    return _(
        "On %(date)s the clocks go back from 3:00 to 2:00, so %(time)s occurs twice that "
        "day. Please choose a time outside this hour.",
        date=_long_date(exc.day),
        time=_hhmm(exc.time),
    )


def _wall_clock_error(exc: recurrence.WallClockError, start_time: dt.time) -> DomainError:
    return DomainError(
        wall_clock_message(exc), "start_time" if exc.time == start_time else "end_time"
    )


def _lock(query):
    """Row locks on PostgreSQL; SQLite's write transaction already holds the database lock."""
    return query if is_sqlite() else query.for_update()


def _mail_context(slot: Slot, activity: Activity, centre: Centre) -> dict:
    return {
        "slot": slot,
        "activity": activity,
        "centre": centre,
        "link": signup_services.slot_link(slot.id),
    }


# --- Categories ---------------------------------------------------------------------------


def add_category(centre: Centre, name: str, *, actor: User) -> Category:
    """A category of the centre's own (e.g. Handwerk); names are unique per centre,
    ignoring case, and must not repeat a built-in one."""
    _require_manager(actor, centre)
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Please enter a name."), "name")
    if len(name) > 60:
        raise DomainError(_("Please use at most %(max)d characters.", max=60), "name")
    folded = name.casefold()
    try:
        with write_transaction():
            known = queries.categories_for(centre.id)
            taken = set()
            for category in known:
                taken.add(category.name.casefold())
                taken.add(queries.category_label(category).casefold())
                taken.add(queries.BUILTIN_ENGLISH.get(category.key, "").casefold())
            if folded in taken:
                raise Conflict(_("This category exists already."), "name")
            if sum(1 for c in known if c.centre_id == centre.id) >= MAX_OWN_CATEGORIES:
                raise DomainError(
                    _(
                        "A centre can have at most %(max)d categories of its own.",
                        max=MAX_OWN_CATEGORIES,
                    )
                )
            category = Category.create(centre=centre.id, name=name)
    except pw.IntegrityError as exc:
        raise Conflict(_("This category exists already."), "name") from exc
    log.info("category %s added to centre %s by user %s", category.id, centre.id, actor.id)
    return category


def delete_category(centre: Centre, category_id: int, *, actor: User) -> None:
    """Remove one of the centre's own categories that no activity uses."""
    _require_manager(actor, centre)
    try:
        with write_transaction():
            category = Category.get_or_none(
                (Category.id == category_id) & (Category.centre == centre.id)
            )
            if category is None:
                raise NotFound(_("This category does not exist (any more)."))
            if Activity.select().where(Activity.category == category.id).exists():
                raise Conflict(_("Activities use this category, so it cannot be removed."))
            category.delete_instance()
    except pw.IntegrityError as exc:
        raise Conflict(_("Activities use this category, so it cannot be removed.")) from exc
    log.info("category %s removed from centre %s by user %s", category_id, centre.id, actor.id)


# --- Activities ---------------------------------------------------------------------------


def _activity_fields(centre: Centre, data: dict) -> dict:
    """Validated column values of an activity from the form's data."""
    fields = {name: _text(data, name, required=name in ("title", "place")) for name in TEXT_LIMITS}
    category_id = data.get("category_id")
    if not category_id or queries.centre_category(centre.id, category_id) is None:
        raise DomainError(_("Please choose a category."), "category_id")
    responsible_id = data.get("responsible_id")
    if not responsible_id or not queries.may_be_responsible(centre, responsible_id):
        raise DomainError(
            _("Please choose a coordinator of this centre as responsible staff member."),
            "responsible_id",
        )
    if data.get("signup_mode") not in SIGNUP_MODES:
        raise DomainError(_("Please choose how volunteers sign up."), "signup_mode")
    return {
        **fields,
        "category": category_id,
        "responsible": responsible_id,
        "is_public": bool(data.get("is_public")),
        "is_child_facing": bool(data.get("is_child_facing")),
        "signup_mode": data["signup_mode"],
        "cancel_deadline_hours": _int(
            data,
            "cancel_deadline_hours",
            0,
            MAX_CANCEL_DEADLINE_HOURS,
            _("Please enter a number of hours from 0 to %(max)d.", max=MAX_CANCEL_DEADLINE_HOURS),
        ),
        "volunteers_needed": _int(
            data,
            "volunteers_needed",
            1,
            MAX_VOLUNTEERS,
            _("Please enter a number from 1 to %(max)d.", max=MAX_VOLUNTEERS),
        ),
    }


def create_activity(centre: Centre, data: dict, *, actor: User) -> Activity:
    """A new activity of the centre; schedules are added to it afterwards."""
    _require_manager(actor, centre)
    fields = _activity_fields(centre, data)
    with write_transaction():
        activity = Activity.create(centre=centre.id, **fields)
    log.info("activity %s created in centre %s by user %s", activity.id, centre.id, actor.id)
    return activity


@dataclass
class CapacityChange:
    """What a new number of volunteers did to the upcoming slots."""

    changed: int = 0
    kept: list[Slot] = field(default_factory=list)  # more confirmed than the new number


def update_activity(activity: Activity, data: dict, *, actor: User) -> CapacityChange:
    """Change an activity. A new number of volunteers needed applies to its upcoming,
    scheduled slots that were not edited on their own and have no more confirmed
    volunteers than the new number; the others keep their capacity (and are reported)."""
    centre = activity.centre
    _require_manager(actor, centre)
    fields = _activity_fields(centre, data)
    result = CapacityChange()
    now = utcnow()
    with write_transaction():
        Activity.update(**fields, updated_at=now).where(Activity.id == activity.id).execute()
        new = fields["volunteers_needed"]
        if new != activity.volunteers_needed:
            result = _apply_volunteers_needed(activity, new, now, actor)
    log.info("activity %s updated by user %s", activity.id, actor.id)
    return result


def _has_waitlist():
    return Signup.select().where((Signup.slot == Slot.id) & (Signup.status == "waitlisted"))


def _apply_volunteers_needed(activity: Activity, new: int, now, actor) -> CapacityChange:
    """Inside the caller's transaction. Untaken slots without a waitlist change in one
    conditional update (a seat taken meanwhile excludes the slot from it); slots with seats
    taken or a waitlist go through the sign-up service, which fills from the waitlist."""
    result = CapacityChange()
    upcoming = (
        (Slot.activity == activity.id)
        & (Slot.status == "scheduled")
        & (Slot.starts_at > now)
        & (Slot.detached == False)  # noqa: E712
        & (Slot.capacity != new)
    )
    result.changed = (
        Slot.update(capacity=new, updated_at=now)
        .where(upcoming & (Slot.taken == 0) & ~pw.fn.EXISTS(_has_waitlist()))
        .execute()
    )
    for slot in Slot.select().where(upcoming).order_by(Slot.starts_at):
        if slot.taken > new:
            result.kept.append(slot)
            continue
        signup_services.change_capacity(slot.id, new, actor=actor)
        result.changed += 1
    return result


# --- Schedules ----------------------------------------------------------------------------


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
        interval = _int(
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
            count = _int(
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
            _("The centre is closed on %(date)s.", date=_long_date(rule.start_date)),
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
        raise _wall_clock_error(exc, rule.start_time) from exc
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


def _series_fields(rule: recurrence.Rule) -> dict:
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
    _require_manager(actor, activity.centre)
    current, now = on or today(), now or utcnow()
    plan = plan_schedule(activity, data, on=current, now=now)
    with write_transaction():
        series = Series.create(activity=activity.id, **_series_fields(plan.rule))
        created = _generate(series, activity, current, now)
    log.info(
        "schedule %s (%d slots) added to activity %s by user %s",
        series.id,
        created,
        activity.id,
        actor.id,
    )
    return ScheduleResult(series, plan, created)


def _generate(
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
                slots += _generate(
                    series, series.activity, current, now, closed[series.activity.centre_id]
                )
        except Exception:  # one broken schedule must not stop the others
            log.exception("series %s: extending its slots failed", series.id)
            continue
        series_count += 1
    return ExtendResult(series_count, slots)


# --- Slots --------------------------------------------------------------------------------


def _require_changeable(slot: Slot, now: dt.datetime) -> None:
    if slot.status == "cancelled":
        raise Conflict(_("This slot has been cancelled."))
    if slot.starts_at <= now:
        raise DomainError(_("This slot has already started or taken place."))


def _locked_slot(slot_id: int) -> Slot:
    slot = _lock(Slot.select().where(Slot.id == slot_id)).first()
    if slot is None:
        raise NotFound(_("This slot does not exist (any more)."))
    return slot


def _set_capacity(slot: Slot, capacity: int, actor: User, now) -> None:
    """Inside the caller's transaction: directly while nobody holds or waits for a seat
    (conditional update), else through the sign-up service (fills from the waitlist,
    refuses fewer seats than confirmed volunteers)."""
    if capacity == slot.capacity:
        return
    if capacity < slot.taken:
        raise DomainError(
            ngettext(
                "%(num)d volunteer is confirmed for this slot. Please enter at least "
                "%(num)d, or remove volunteers first.",
                "%(num)d volunteers are confirmed for this slot. Please enter at least "
                "%(num)d, or remove volunteers first.",
                slot.taken,
            ),
            "capacity",
        )
    changed = (
        Slot.update(capacity=capacity, updated_at=now)
        .where((Slot.id == slot.id) & (Slot.taken == 0) & ~pw.fn.EXISTS(_has_waitlist()))
        .execute()
    )
    if not changed:
        signup_services.change_capacity(slot.id, capacity, actor=actor)


def _people_on(slot_id: int, statuses=ACTIVE) -> list[Signup]:
    """Sign-ups of a slot in these statuses, with their volunteer (one query)."""
    return list(
        Signup.select(Signup, User)
        .join(User, on=(Signup.volunteer == User.id))
        .where((Signup.slot == slot_id) & (Signup.status.in_(statuses)))
        .order_by(Signup.id)
    )


def _lock_people(slots) -> None:
    """Lock (PostgreSQL) the rows of everyone active on these slots, before the slots
    themselves: sign-ups lock the person first and then the slot, so the same order here
    cannot deadlock with them."""
    if is_sqlite():
        return
    people = Signup.select(Signup.volunteer).where(
        Signup.slot.in_(slots) & Signup.status.in_(ACTIVE)
    )
    list(User.select(User.id).where(User.id.in_(people)).order_by(User.id).for_update())


def _check_no_overlap(slot_id: int, starts_at, ends_at) -> None:
    """A moved slot must not overlap another active slot of anyone active on it (the rule
    sign-ups keep: confirmed, pending and waitlisted count).

    The volunteers' rows are locked first (PostgreSQL), as a sign-up does, so that no
    overlapping sign-up slips in meanwhile."""
    _lock_people([slot_id])  # anyone who signed up since the caller locked people
    booked = Signup.select(Signup.volunteer).where(
        (Signup.slot == slot_id) & (Signup.status.in_(ACTIVE))
    )
    Other = Slot.alias()
    clash = (
        Signup.select(Signup, User.name, Other.starts_at)
        .join(Other, on=(Signup.slot == Other.id))
        .switch(Signup)
        .join(User, on=(Signup.volunteer == User.id))
        .where(
            Signup.volunteer.in_(booked)
            & Signup.status.in_(ACTIVE)
            & (Other.id != slot_id)
            & (Other.status == "scheduled")
            & (Other.starts_at < ends_at)
            & (Other.ends_at > starts_at)
        )
        .first()
    )
    if clash is not None:
        raise Conflict(
            _(
                "%(name)s is booked for another slot at that time. Please choose another "
                "time or remove them from one of the slots first.",
                name=clash.volunteer.name,
            )
        )


def _tell_moved(slot: Slot, activity: Activity, centre: Centre, old_start, old_end) -> int:
    """Mail everyone active on the slot about its new time (inside the transaction).

    A new time also means a new reminder: the reminder job picks them up again.
    """
    Signup.update(reminded_at=None).where(Signup.slot == slot.id).execute()
    people = _people_on(slot.id)
    for signup in people:
        user = signup.volunteer
        queue_mail(
            user.email,
            "slot_moved",
            locale=user.locale,
            user=user,
            old_starts_at=old_start,
            old_ends_at=old_end,
            **_mail_context(slot, activity, centre),
        )
    return len(people)


def _moved_detail(old_start, new_start) -> str:
    return f"{old_start:%Y-%m-%d %H:%M} -> {new_start:%Y-%m-%d %H:%M} UTC"


@dataclass
class SlotChange:
    slot: Slot
    moved: bool
    told: int


def _slot_times(data: dict) -> tuple[dt.datetime, dt.datetime]:
    day, start, end = data.get("date"), data.get("start_time"), data.get("end_time")
    if not isinstance(day, dt.date):
        raise DomainError(_("Please enter a valid date."), "date")
    if not isinstance(start, dt.time):
        raise DomainError(_("Please enter a valid time, like 10:00."), "start_time")
    if not isinstance(end, dt.time):
        raise DomainError(_("Please enter a valid time, like 10:00."), "end_time")
    if end <= start:
        raise DomainError(_("The end must be after the start."), "end_time")
    try:
        return recurrence.berlin_to_utc(day, start), recurrence.berlin_to_utc(day, end)
    except recurrence.WallClockError as exc:
        raise _wall_clock_error(exc, start) from exc


def edit_slot(slot: Slot, data: dict, *, actor: User, now: dt.datetime | None = None) -> SlotChange:
    """Change only this slot: date, times and the number of volunteers needed.

    The slot is marked ``detached`` (series edits leave it alone); a new time raises its
    ``sequence`` and everyone signed up is told (mail ``slot_moved``, audit ``slot.moved``).
    """
    activity = slot.activity
    centre = activity.centre
    _require_manager(actor, centre)
    now = now or utcnow()
    _require_changeable(slot, now)
    starts_at, ends_at = _slot_times(data)
    if data["date"] < today() or starts_at <= now:
        raise DomainError(
            _("This time has passed. Please choose a later time."),
            "start_time" if data["date"] == today() else "date",
        )
    capacity = _int(
        data,
        "capacity",
        1,
        MAX_VOLUNTEERS,
        _("Please enter a number from 1 to %(max)d.", max=MAX_VOLUNTEERS),
    )
    told = 0
    with write_transaction():
        _lock_people([slot.id])
        current = _locked_slot(slot.id)
        _require_changeable(current, now)
        moved = (starts_at, ends_at) != (current.starts_at, current.ends_at)
        if not moved and capacity == current.capacity:
            return SlotChange(current, False, 0)
        if moved:
            _check_no_overlap(current.id, starts_at, ends_at)
        Slot.update(
            starts_at=starts_at,
            ends_at=ends_at,
            detached=True,
            sequence=Slot.sequence + (1 if moved else 0),
            updated_at=now,
        ).where(Slot.id == current.id).execute()
        if moved:
            told = _tell_moved(
                Slot.get_by_id(current.id), activity, centre, current.starts_at, current.ends_at
            )
            audit.record(
                centre.id,
                actor,
                "slot.moved",
                slot_id=current.id,
                detail=_moved_detail(current.starts_at, starts_at),
            )
        # After the move, so that anyone moved up from the waitlist is told the new time.
        _set_capacity(current, capacity, actor, now)
        fresh = Slot.get_by_id(current.id)
    log.info("slot %s changed by user %s (moved: %s)", slot.id, actor.id, moved)
    return SlotChange(fresh, moved, told)


@dataclass
class FollowingChange:
    series: Series
    created: int
    moved: int  # slots with sign-ups that got the new time
    kept: list[Slot] = field(
        default_factory=list
    )  # slots with sign-ups the new rule has no date for
    told: int = 0


def following_defaults(slot: Slot) -> dict:
    """The schedule form's values for "this and all following", from the slot's series."""
    series = slot.series
    rule = queries.series_rule(series)
    first = slot.original_date or rule.start_date
    data = {
        "recurrence": series.recurrence,
        "start_date": first,
        "start_time": series.start_time,
        "end_time": series.end_time,
        "interval": series.interval or 1,
        "nth": rule.monthly_nth if series.recurrence == "monthly" else 1,
        "ends": "never",
        "until_date": series.until_date,
        "count": None,
    }
    if series.until_date:
        data["ends"] = "until"
    elif series.count:
        closed = set(queries.closing_days_of(slot.activity.centre_id))
        before = [
            d
            for d in recurrence.held_dates(rule, first - dt.timedelta(days=1), closed)
            if d < first
        ]
        data["ends"], data["count"] = "count", max(series.count - len(before), 1)
    return data


def _same_week(a: dt.date, b: dt.date) -> bool:
    return a.isocalendar()[:2] == b.isocalendar()[:2]


def edit_following(
    slot: Slot,
    data: dict,
    *,
    actor: User,
    on: dt.date | None = None,
    now: dt.datetime | None = None,
) -> FollowingChange:
    """Change this slot and all following ones of its series.

    The old series ends the day before this slot's date; a new series with the new rule
    starts. Upcoming slots of the old series (not edited on their own) that nobody ever
    signed up for are removed and regenerated by the new rule. Slots with sign-ups are
    moved, not deleted: to the new rule's date on the same day, else in the same week;
    their people are told. A slot with sign-ups the new rule has no date for keeps its
    time (and is reported, so that the coordinator can cancel or move it on its own).
    """
    activity = slot.activity
    centre = activity.centre
    _require_manager(actor, centre)
    current, now = on or today(), now or utcnow()
    _require_changeable(slot, now)
    if slot.series_id is None or slot.series.recurrence == "once":
        raise DomainError(_("This slot belongs to no series. Please change only this slot."))
    plan = plan_schedule(activity, data, on=current, now=now)
    old = slot.series
    split = slot.original_date or recurrence.utc_to_berlin(slot.starts_at).date()
    result = None
    with write_transaction():
        _lock_people(
            Slot.select(Slot.id).where((Slot.series == old.id) & (Slot.original_date >= split))
        )
        _lock(Series.select().where(Series.id == old.id)).first()
        _require_changeable(_locked_slot(slot.id), now)
        upcoming = list(
            _lock(
                Slot.select().where(
                    (Slot.series == old.id)
                    & (Slot.original_date >= split)
                    & (Slot.starts_at > now)
                    & ((Slot.detached == False) | (Slot.id == slot.id))  # noqa: E712
                )
            ).order_by(Slot.original_date)
        )
        ids = [s.id for s in upcoming]
        with_signups = (
            {
                row.slot_id
                for row in Signup.select(Signup.slot).where(Signup.slot.in_(ids)).distinct()
            }
            if ids
            else set()
        )
        Series.update(until_date=split - dt.timedelta(days=1)).where(Series.id == old.id).execute()
        new = Series.create(activity=activity.id, **_series_fields(plan.rule))
        carry = [s for s in upcoming if s.id in with_signups or s.status == "cancelled"]
        free = [s.id for s in upcoming if s.id not in with_signups and s.status != "cancelled"]
        if free:
            Slot.delete().where(Slot.id.in_(free)).execute()
        result = _carry_over(carry, new, plan.rule, activity, centre, actor, current, now)
        result.created = _generate(new, activity, current, now)
    log.info(
        "series %s split at %s into %s by user %s (moved %d, kept %d)",
        old.id,
        split,
        new.id,
        actor.id,
        result.moved,
        len(result.kept),
    )
    return result


def _carry_over(carry, new, rule, activity, centre, actor, current, now) -> FollowingChange:
    """Move the old series' upcoming slots with sign-ups (and cancelled ones) to the new
    series' dates; inside the caller's transaction."""
    result = FollowingChange(series=new, created=0, moved=0)
    if not carry:
        return result
    closed = set(queries.closing_days_of(activity.centre_id))
    last = max(s.original_date for s in carry) + dt.timedelta(days=7)
    skip = rule.recurrence != "once"
    targets = {
        d: None
        for d in recurrence.held_dates(
            rule, max(last, horizon(current)), closed, skip_holidays=skip
        )
    }
    for slot in carry:
        day = slot.original_date
        target = day if day in targets and targets[day] is None else None
        if target is None and slot.status == "scheduled":
            target = next(
                (d for d, used in targets.items() if used is None and _same_week(d, day)), None
            )
        if target is None:
            if slot.status == "scheduled":
                result.kept.append(slot)
                Slot.update(detached=True, updated_at=now).where(Slot.id == slot.id).execute()
            continue
        targets[target] = slot.id
        if slot.status == "cancelled":
            # Stays cancelled: the new series must not bring that date back.
            Slot.update(series=new.id, original_date=target).where(Slot.id == slot.id).execute()
            continue
        try:
            occurrence = recurrence.occurrence_on(rule, target)
        except recurrence.WallClockError as exc:
            raise _wall_clock_error(exc, rule.start_time) from exc
        moved = (occurrence.starts_at, occurrence.ends_at) != (slot.starts_at, slot.ends_at)
        if moved:
            if occurrence.starts_at <= now:
                raise DomainError(
                    _("A slot with sign-ups would move into the past. Please choose a later date.")
                )
            _check_no_overlap(slot.id, occurrence.starts_at, occurrence.ends_at)
        Slot.update(
            series=new.id,
            original_date=target,
            starts_at=occurrence.starts_at,
            ends_at=occurrence.ends_at,
            detached=False,
            sequence=Slot.sequence + (1 if moved else 0),
            updated_at=now,
        ).where(Slot.id == slot.id).execute()
        if moved:
            fresh = Slot.get_by_id(slot.id)
            result.told += _tell_moved(fresh, activity, centre, slot.starts_at, slot.ends_at)
            audit.record(
                centre.id,
                actor,
                "slot.moved",
                slot_id=slot.id,
                detail=_moved_detail(slot.starts_at, occurrence.starts_at),
            )
            result.moved += 1
    return result


def cancel_slot(slot: Slot, *, actor: User, now: dt.datetime | None = None) -> Slot:
    """Cancel one slot: it is kept and shown as cancelled, its ``sequence`` grows, and
    everyone active on it is told (by the sign-up service, in this transaction)."""
    activity = slot.activity
    centre = activity.centre
    _require_manager(actor, centre)
    now = now or utcnow()
    _require_changeable(slot, now)
    with write_transaction():
        cancelled = (
            Slot.update(
                status="cancelled",
                cancelled_at=now,
                sequence=Slot.sequence + 1,
                updated_at=now,
            )
            .where((Slot.id == slot.id) & (Slot.status == "scheduled") & (Slot.starts_at > now))
            .execute()
        )
        if cancelled != 1:
            raise Conflict(_("This slot has been cancelled or has started meanwhile."))
        fresh = Slot.get_by_id(slot.id)
        fresh.activity = activity
        affected = signup_services.cancel_slot_signups(fresh, actor=actor)
        audit.record(
            centre.id,
            actor,
            "slot.cancelled",
            slot_id=slot.id,
            detail=f"{slot.starts_at:%Y-%m-%d %H:%M} UTC, {len(affected or ())} told",
        )
    log.info("slot %s cancelled by user %s", slot.id, actor.id)
    return Slot.get_by_id(slot.id)
