"""Schedules: one-off and recurring dates, skipped holidays and closing days, DST, horizon."""

from __future__ import annotations

import datetime as dt
import itertools

import holidays
import peewee as pw
import pytest
from markupsafe import escape

from tests.factories import make_centre, make_coordinator
from tests.factories_activities import (
    make_activity,
    make_series,
    next_dst_change,
    next_weekday,
)
from tests.factories_centres import english, make_closing_day
from volunteer_app import jobs
from volunteer_app.activities import schedules, tasks
from volunteer_app.activities.models import Series, Slot
from volunteer_app.activities.recurrence import is_holiday, thuringian_holidays, utc_to_berlin
from volunteer_app.centres.queries import today
from volunteer_app.db import db

pytestmark = pytest.mark.dates  # depends on today: CI reruns it at fixed days


@pytest.fixture
def setup(conn):
    centre = make_centre(slug="zentrum-a")
    coordinator = make_coordinator(centre)
    activity = make_activity(centre, volunteers_needed=3)
    return centre, coordinator, activity


def url(activity) -> str:
    return f"/zentren/zentrum-a/angebote/{activity.id}/termine/neu"


def form(day: dt.date, **fields) -> dict:
    data = {
        "recurrence": "weekly",
        "start_date": day.isoformat(),
        "start_time": "10:00",
        "end_time": "12:00",
        "interval": "1",
        "nth": "1",
        "ends": "never",
        "until_date": "",
        "count": "",
        "action": "save",
    }
    data.update({k: str(v) for k, v in fields.items()})
    return data


def next_holiday(min_days: int = 21) -> dt.date:
    """The next Thuringian public holiday at least ``min_days`` ahead (on a weekday whose
    date two weeks earlier is no holiday)."""
    day = today() + dt.timedelta(days=min_days)
    while True:
        names = thuringian_holidays(day.year)
        if day in names and not is_holiday(day - dt.timedelta(weeks=2)) and day.weekday() < 5:
            return day
        day += dt.timedelta(days=1)


def slot_days(activity) -> list[dt.date]:
    return [
        s.original_date
        for s in Slot.select().where(Slot.activity == activity.id).order_by(Slot.starts_at)
    ]


# --- Creating schedules through the page -------------------------------------------------------


def test_fortnightly_schedule_skips_a_holiday_and_creates_slots(app, client, login_as, setup):
    _centre, coordinator, activity = setup
    holiday = next_holiday()
    app.config["SLOT_HORIZON_DAYS"] = (holiday - today()).days + 20
    start = holiday - dt.timedelta(weeks=2)
    english(login_as(coordinator))
    response = client.post(url(activity), data=form(start, interval=2))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/zentren/zentrum-a/angebote/{activity.id}")
    series = Series.get()
    assert (series.recurrence, series.interval, series.weekday) == ("weekly", 2, start.weekday())
    planned = slot_days(activity)
    assert planned[0] == start
    assert holiday not in planned
    assert holiday + dt.timedelta(weeks=2) in planned
    assert all((b - a).days % 14 == 0 for a, b in itertools.pairwise(planned))
    slot = Slot.get(Slot.original_date == start)
    assert slot.capacity == 3 and slot.taken == 0 and slot.status == "scheduled"
    assert utc_to_berlin(slot.starts_at).time() == dt.time(10)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    # skipped, with its name ("New Year's Day" is written HTML-escaped)
    assert str(escape(thuringian_holidays(holiday.year, "en")[holiday])) in page


def test_preview_lists_dates_and_skipped_days_without_saving(client, login_as, setup):
    centre, coordinator, activity = setup
    holiday = next_holiday()
    closed = make_closing_day(centre, days_ahead=(holiday - today()).days + 7, reason="Putztag")
    start = holiday - dt.timedelta(weeks=1)
    english(login_as(coordinator))
    response = client.post(url(activity), data=form(start, action="preview", ends="count", count=4))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Preview" in page and "4 dates" in page
    assert str(escape(thuringian_holidays(holiday.year, "en")[holiday])) in page
    assert "Closing day: Putztag" in page
    assert closed.day.isoformat() in page
    assert Series.select().count() == 0 and Slot.select().count() == 0


def test_preview_in_german_names_the_holiday_in_german(client, login_as, setup):
    _centre, coordinator, activity = setup
    holiday = next_holiday()
    login_as(coordinator)
    response = client.post(
        url(activity), data=form(holiday - dt.timedelta(weeks=1), action="preview")
    )
    assert str(escape(thuringian_holidays(holiday.year, "de")[holiday])) in response.get_data(
        as_text=True
    )


def test_closing_day_is_skipped(client, login_as, setup):
    centre, coordinator, activity = setup
    start = next_weekday(2)
    make_closing_day(centre, days_ahead=(start - today()).days + 7)
    login_as(coordinator)
    client.post(url(activity), data=form(start, ends="count", count=3))
    assert slot_days(activity) == [
        start,
        start + dt.timedelta(weeks=2),
        start + dt.timedelta(weeks=3),
    ]


def test_monthly_last_weekday_until_a_date(app, client, login_as, setup):
    _centre, coordinator, activity = setup
    app.config["SLOT_HORIZON_DAYS"] = 200
    start = next_weekday(3, weeks=1)  # a Thursday
    until = start + dt.timedelta(days=120)
    login_as(coordinator)
    response = client.post(
        url(activity),
        data=form(start, recurrence="monthly", nth=-1, ends="until", until_date=until),
    )
    assert response.status_code == 302
    planned = slot_days(activity)
    assert planned and all(d.weekday() == 3 for d in planned)
    assert all((d + dt.timedelta(weeks=1)).month != d.month for d in planned)  # the last one
    assert max(planned) <= until
    assert Series.get().nth == -1


def test_count_limits_the_number_of_slots(client, login_as, setup):
    _centre, coordinator, activity = setup
    login_as(coordinator)
    client.post(url(activity), data=form(next_weekday(0), ends="count", count=5))
    assert len(slot_days(activity)) == 5


def test_one_off_date_beyond_the_horizon_gets_its_slot_at_once(app, client, login_as, setup):
    _centre, coordinator, activity = setup
    app.config["SLOT_HORIZON_DAYS"] = 30
    day = today() + dt.timedelta(days=200)
    login_as(coordinator)
    response = client.post(url(activity), data=form(day, recurrence="once"))
    assert response.status_code == 302
    assert slot_days(activity) == [day]


def test_one_off_date_on_a_holiday_is_allowed_but_not_on_a_closing_day(client, login_as, setup):
    centre, coordinator, activity = setup
    holiday = next_holiday()
    english(login_as(coordinator))
    assert client.post(url(activity), data=form(holiday, recurrence="once")).status_code == 302
    closed = make_closing_day(centre, days_ahead=40)
    response = client.post(url(activity), data=form(closed.day, recurrence="once"))
    assert response.status_code == 200
    assert "The centre is closed on" in response.get_data(as_text=True)
    assert slot_days(activity) == [holiday]


def test_horizon_comes_from_the_config(app, client, login_as, setup):
    _centre, coordinator, activity = setup
    app.config["SLOT_HORIZON_DAYS"] = 15
    start = today() + dt.timedelta(days=1)
    login_as(coordinator)
    client.post(url(activity), data=form(start))
    planned = slot_days(activity)
    assert max(planned) <= today() + dt.timedelta(days=15)
    assert len(planned) in (2, 3)  # one holiday may fall into the two weeks
    assert Series.get().generated_until == today() + dt.timedelta(days=15)


# --- Bad input ---------------------------------------------------------------------------------


def _past() -> str:
    return (today() - dt.timedelta(days=1)).isoformat()


BAD = [
    ({"start_date": ""}, "Please enter a date, like 24.12.2026."),
    ({"start_date": "31.02.2027"}, "Please enter a valid date"),
    ({"start_date": "morgen"}, "Please enter a valid date"),
    ({"start_time": ""}, "Please enter a time, like 14:30."),
    ({"start_time": "25:00"}, "Please enter a valid time"),
    ({"end_time": "09:00"}, "The end must be after the start."),
    ({"end_time": "10:00"}, "The end must be after the start."),
    ({"ends": "count", "count": "0"}, "Please enter a number from 1 to 500."),
    ({"ends": "count", "count": "501"}, "Please enter a number from 1 to 500."),
    ({"ends": "count", "count": ""}, "Please enter the number of dates."),
    ({"ends": "count", "count": "drei"}, "Please enter a whole number."),
    ({"interval": "0"}, "Please enter a number from 1 to 12."),
    ({"interval": "13"}, "Please enter a number from 1 to 12."),
    ({"interval": "-2"}, "Please enter a number from 1 to 12."),
    ({"interval": ""}, "Please enter a number of weeks."),
    ({"ends": "until", "until_date": "START-1"}, "The last day must not be before the first date."),
    ({"ends": "until", "until_date": ""}, "Please enter the last day."),
    ({"start_date": "PAST"}, "This date has passed."),
    ({"recurrence": "daily"}, "Please choose one of the options."),
    ({"ends": "sometimes"}, "Please choose one of the options."),
    ({"recurrence": "monthly", "nth": "5"}, "Please choose one of the options."),
    ({"recurrence": "monthly", "nth": "x"}, "Please choose one of the options."),
    ({"start_date": "2999-01-01"}, "within the next two years"),
    ({"recurrence": "monthly", "ends": "count", "count": "200"}, "more than five years"),
]


@pytest.mark.parametrize(("fields", "message"), BAD)
def test_bad_schedule_input_is_refused_and_nothing_saved(client, login_as, setup, fields, message):
    _centre, coordinator, activity = setup
    start = next_weekday(1)
    fields = dict(fields)
    if fields.get("until_date") == "START-1":
        fields["until_date"] = (start - dt.timedelta(days=1)).isoformat()
    if fields.get("start_date") == "PAST":
        fields["start_date"] = _past()
    english(login_as(coordinator))
    for action in ("preview", "save"):
        response = client.post(url(activity), data=form(start, action=action, **fields))
        assert response.status_code == 200
        assert message in response.get_data(as_text=True)
    assert Series.select().count() == 0
    assert Slot.select().count() == 0


def test_time_already_passed_today_is_refused(client, login_as, setup):
    _centre, coordinator, activity = setup
    english(login_as(coordinator))
    response = client.post(
        url(activity),
        data=form(today(), recurrence="once", start_time="00:00", end_time="00:01"),
    )
    assert "This time has already passed today" in response.get_data(as_text=True)
    assert Slot.select().count() == 0


@pytest.mark.parametrize(
    ("month", "kind"),
    [(3, "the clocks go forward"), (10, "the clocks go back")],
)
def test_one_off_in_the_dst_hour_is_refused_naming_the_date(client, login_as, setup, month, kind):
    _centre, coordinator, activity = setup
    change = next_dst_change(month)
    english(login_as(coordinator))
    response = client.post(
        url(activity),
        data=form(change, recurrence="once", start_time="02:30", end_time="04:00"),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert kind in page
    assert f"{change:%B} {change.day}, {change.year}" in page  # the date, named
    assert "02:30" in page
    assert Series.select().count() == 0 and Slot.select().count() == 0


def test_weekly_series_reaching_the_dst_day_later_is_refused(client, login_as, setup):
    _centre, coordinator, activity = setup
    change = next_dst_change(3)
    english(login_as(coordinator))
    response = client.post(
        url(activity),
        data=form(change - dt.timedelta(weeks=3), start_time="01:30", end_time="02:30"),
    )
    page = response.get_data(as_text=True)
    assert "the clocks go forward" in page and f"{change:%B} {change.day}, {change.year}" in page
    assert Slot.select().count() == 0


def test_end_inside_the_repeated_hour_is_refused(client, login_as, setup):
    _centre, coordinator, activity = setup
    change = next_dst_change(10)
    english(login_as(coordinator))
    response = client.post(
        url(activity), data=form(change, recurrence="once", start_time="01:00", end_time="02:15")
    )
    assert "the clocks go back" in response.get_data(as_text=True)
    assert Slot.select().count() == 0


# --- DST correctness through the service -------------------------------------------------------


@pytest.mark.parametrize("month", [3, 10])
def test_weekly_slots_keep_berlin_wall_time_across_the_change(app, conn, setup, month):
    _centre, coordinator, activity = setup
    change = next_dst_change(month)
    app.config["SLOT_HORIZON_DAYS"] = (change - today()).days + 30
    data = {
        "recurrence": "weekly",
        "start_date": change - dt.timedelta(weeks=2),
        "start_time": dt.time(10),
        "end_time": dt.time(12),
        "interval": 1,
        "ends": "count",
        "count": 5,
    }
    schedules.add_schedule(activity, data, actor=coordinator)
    slots = list(Slot.select().order_by(Slot.starts_at))
    assert len(slots) == 5
    assert {utc_to_berlin(s.starts_at).time() for s in slots} == {dt.time(10)}
    assert {s.ends_at - s.starts_at for s in slots} == {dt.timedelta(hours=2)}
    before = [s.starts_at.hour for s in slots if s.original_date < change]
    after = [s.starts_at.hour for s in slots if s.original_date >= change]
    if month == 3:
        assert set(before) == {9} and set(after) == {8}
    else:
        assert set(before) == {8} and set(after) == {9}


# --- Generation and the rolling horizon --------------------------------------------------------


def test_generation_is_idempotent_and_the_database_refuses_duplicates(app, conn, setup):
    _centre, _coordinator, activity = setup
    series = make_series(activity, start_date=next_weekday(1))
    first = schedules.generate_slots(series, activity, today(), schedules.utcnow())
    again = schedules.generate_slots(series, activity, today(), schedules.utcnow())
    assert first > 0 and again == 0
    assert Slot.select().count() == first
    existing = Slot.get()
    with pytest.raises(pw.IntegrityError), db.atomic():
        Slot.create(
            activity=activity,
            series=series,
            original_date=existing.original_date,
            starts_at=existing.starts_at,
            ends_at=existing.ends_at,
            capacity=1,
        )


def test_extend_slots_moves_the_horizon_and_is_idempotent(app, conn, setup):
    _centre, coordinator, activity = setup
    app.config["SLOT_HORIZON_DAYS"] = 28
    data = {
        "recurrence": "weekly",
        "start_date": today() + dt.timedelta(days=1),
        "start_time": dt.time(10),
        "end_time": dt.time(12),
        "interval": 1,
        "nth": 1,
        "ends": "never",
    }
    schedules.add_schedule(activity, data, actor=coordinator)
    before = Slot.select().count()
    last_before = max(slot_days(activity))
    later = today() + dt.timedelta(days=28)
    result = schedules.extend_slots(on=later)
    # Every week after the old horizon up to the new one, except Thuringian holidays (around
    # Christmas two of the four weeks fall on one).
    holidays_th = holidays.Germany(subdiv="TH", years=range(later.year - 1, later.year + 2))
    expected = [
        day
        for day in (last_before + dt.timedelta(weeks=n) for n in range(1, 6))
        if day <= later + dt.timedelta(days=28) and day not in holidays_th
    ]
    assert result.series == 1 and result.slots == len(expected) >= 2
    assert Slot.select().count() == before + result.slots
    assert max(slot_days(activity)) <= later + dt.timedelta(days=28)
    assert max(slot_days(activity)) > today() + dt.timedelta(days=28)
    again = schedules.extend_slots(on=later)
    assert again.slots == 0
    assert Slot.select().count() == before + result.slots


def test_extend_skips_ended_and_one_off_series(app, conn, setup):
    _centre, _coordinator, activity = setup
    make_series(
        activity,
        until_date=today() - dt.timedelta(days=1),
        start_date=today() - dt.timedelta(days=30),
    )
    make_series(activity, recurrence="once", start_date=today() + dt.timedelta(days=3))
    assert schedules.extend_slots() == schedules.ExtendResult(0, 0)
    assert Slot.select().count() == 0


def test_extend_respects_count_and_closing_days(app, conn, setup):
    centre, _coordinator, activity = setup
    start = next_weekday(2)
    closed = make_closing_day(centre, days_ahead=(start - today()).days + 7)
    make_series(activity, start_date=start, count=3)
    schedules.extend_slots()
    assert slot_days(activity) == [
        start,
        start + dt.timedelta(weeks=2),
        start + dt.timedelta(weeks=3),
    ]
    assert closed.day not in slot_days(activity)


def test_cli_extend_slots(app, runner, conn, setup):
    _centre, _coordinator, activity = setup
    make_series(activity, start_date=next_weekday(1))
    result = runner.invoke(args=["jobs", "extend-slots"])
    assert result.exit_code == 0, result.output
    created = Slot.select().count()
    assert created > 0
    assert f"Created {created} slot(s) in 1 schedule(s)." in result.output
    again = runner.invoke(args=["jobs", "extend-slots"])
    assert "Created 0 slot(s)" in again.output
    assert Slot.select().count() == created


def test_periodic_task_extends_slots_daily(app, conn, setup):
    _centre, _coordinator, activity = setup
    periodic = {t.__name__: t for t in jobs.huey._registry._periodic_tasks}
    assert "extend_slots_daily" in periodic
    task = periodic["extend_slots_daily"]()
    day = dt.datetime(2027, 3, 28)
    runs = [
        day + dt.timedelta(minutes=m)
        for m in range(24 * 60)
        if task.validate_datetime(day + dt.timedelta(minutes=m))
    ]
    assert len(runs) == 1
    make_series(activity, start_date=next_weekday(1))
    result = tasks.run_extend_slots()
    assert result.slots == Slot.select().count() > 0
