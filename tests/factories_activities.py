"""Factories and helpers for the activities tests: activities, schedules, slots, sign-ups."""

from __future__ import annotations

import datetime as dt

from tests.factories import builtin, make_activity, make_signup, reload  # noqa: F401 (re-exported)
from tests.factories import make_slot as _make_slot
from volunteer_app.activities.models import Category, Series
from volunteer_app.activities.recurrence import berlin_to_utc, is_holiday
from volunteer_app.centres.queries import today


def next_weekday(weekday: int, after: dt.date | None = None, weeks: int = 1) -> dt.date:
    """The given weekday (0 = Monday) at least ``weeks`` weeks from ``after`` (default today)
    that is no public holiday."""
    day = (after or today()) + dt.timedelta(weeks=weeks)
    day += dt.timedelta(days=(weekday - day.weekday()) % 7)
    while is_holiday(day):
        day += dt.timedelta(weeks=1)
    return day


def last_sunday(year: int, month: int) -> dt.date:
    day = dt.date(year, month + 1, 1) - dt.timedelta(days=1)
    return day - dt.timedelta(days=(day.weekday() - 6) % 7)


def next_dst_change(month: int) -> dt.date:
    """The next last Sunday of March (3) or October (10) at least two weeks from today."""
    year = today().year
    day = last_sunday(year, month)
    if day < today() + dt.timedelta(days=14):
        day = last_sunday(year + 1, month)
    return day


def make_series(activity, **fields) -> Series:
    data = {
        "activity": activity,
        "recurrence": "weekly",
        "interval": 1,
        "start_date": next_weekday(1),
        "start_time": dt.time(10, 0),
        "end_time": dt.time(12, 0),
    }
    data.update(fields)
    return Series.create(**data)


def make_slot(activity, day: dt.date | None = None, start=dt.time(10), end=dt.time(12), **fields):
    """A slot on a Berlin ``day`` (default: a Wednesday at least a week ahead), ``start``–``end``."""
    day = day or next_weekday(2)
    data = {"starts_at": berlin_to_utc(day, start), "ends_at": berlin_to_utc(day, end)}
    return _make_slot(activity, **{**data, "original_date": day, **fields})


# --- For the authorization matrix (tests/test_authz_matrix.py) ------------------------------


def authz_planning(world):
    """Centre A's planning objects in the matrix's world, made on first use: an activity,
    a weekly schedule with one upcoming slot, and a category of the centre's own."""
    found = getattr(world, "_planning", None)
    if found is None:
        from types import SimpleNamespace

        activity = make_activity(
            world.centre_a, title="Gartentag A", responsible=world.coordinator_a
        )
        series = make_series(activity, start_date=next_weekday(1))
        slot = make_slot(activity, day=series.start_date, series=series)
        category = Category.create(centre=world.centre_a, name="Handwerk")
        found = SimpleNamespace(activity=activity, series=series, slot=slot, category=category)
        world._planning = found
    return found


def authz_activity_form(world) -> dict:
    activity = authz_planning(world).activity
    return {
        "title": "Gartentag am Anger",
        "category_id": str(activity.category_id),
        "place": activity.place,
        "responsible_id": str(world.coordinator_a.id),
        "signup_mode": "open",
        "cancel_deadline_hours": "24",
        "volunteers_needed": str(activity.volunteers_needed),
        "is_public": "y",
    }


def authz_schedule_form(world, prefix: str = "") -> dict:
    day = next_weekday(3, weeks=2)
    data = {
        "recurrence": "weekly",
        "start_date": day.isoformat(),
        "start_time": "15:00",
        "end_time": "17:00",
        "interval": "2",
        "nth": "1",
        "ends": "count",
        "count": "3",
    }
    return {prefix + k: v for k, v in data.items()}


def authz_slot_form(world) -> dict:
    slot = authz_planning(world).slot
    return {
        "date": slot.original_date.isoformat(),
        "start_time": "10:00",
        "end_time": "12:00",
        "capacity": "3",
    }


def authz_centre_a(world) -> dict:
    """The URL parameters of centre A, with its planning objects made (before the snapshot)."""
    authz_planning(world)
    return {"slug": world.centre_a.slug}
