"""Schedule arithmetic without app or database: dates, holidays, closing days, DST."""

from __future__ import annotations

import datetime as dt

import pytest

from volunteer_app.activities import recurrence
from volunteer_app.activities.recurrence import (
    Rule,
    WallClockError,
    berlin_to_utc,
    check_wall_clock,
    held_dates,
    holiday_name,
    last_date,
    nth_weekday,
    occurrences,
    skipped_dates,
    utc_to_berlin,
)

pytestmark = pytest.mark.dates  # depends on today: CI reruns it at fixed days

D = dt.date
T = dt.time
FAR = D(2030, 12, 31)


JAN_5 = D(2027, 1, 5)


def rule(kind="weekly", start=JAN_5, **kw) -> Rule:
    kw.setdefault("start_time", T(10))
    kw.setdefault("end_time", T(12))
    return Rule(kind, start, **kw)


def days(r: Rule, horizon=FAR, closed=(), **kw) -> list[dt.date]:
    return held_dates(r, horizon, closed, **kw)


# --- Rhythms -------------------------------------------------------------------------------


def test_weekly_dates_and_utc_times_in_winter():
    r = rule(start=D(2027, 1, 5), count=3)  # Tuesdays
    occ = occurrences(r, FAR)
    assert [o.original_date for o in occ] == [D(2027, 1, 5), D(2027, 1, 12), D(2027, 1, 19)]
    # CET is UTC+1: 10:00 Berlin is 09:00 UTC.
    assert occ[0].starts_at == dt.datetime(2027, 1, 5, 9, 0)
    assert occ[0].ends_at == dt.datetime(2027, 1, 5, 11, 0)


def test_fortnightly_every_other_week():
    r = rule(start=D(2027, 1, 5), interval=2, until=D(2027, 3, 2))
    assert days(r) == [
        D(2027, 1, 5),
        D(2027, 1, 19),
        D(2027, 2, 2),
        D(2027, 2, 16),
        D(2027, 3, 2),
    ]


@pytest.mark.parametrize(
    ("nth", "expected"),
    [
        (1, [D(2027, 1, 5), D(2027, 2, 2), D(2027, 3, 2), D(2027, 4, 6)]),
        (2, [D(2027, 1, 12), D(2027, 2, 9), D(2027, 3, 9), D(2027, 4, 13)]),
        (3, [D(2027, 1, 19), D(2027, 2, 16), D(2027, 3, 16), D(2027, 4, 20)]),
        (4, [D(2027, 1, 26), D(2027, 2, 23), D(2027, 3, 23), D(2027, 4, 27)]),
        (-1, [D(2027, 1, 26), D(2027, 2, 23), D(2027, 3, 30), D(2027, 4, 27)]),
    ],
)
def test_monthly_nth_and_last_weekday(nth, expected):
    # The weekday is the first date's: 5 January 2027 is a Tuesday.
    r = rule("monthly", start=D(2027, 1, 5), nth=nth, count=4)
    assert days(r) == expected
    assert all(d.weekday() == 1 for d in expected)


def test_monthly_starts_with_the_first_matching_day_on_or_after_the_first_date():
    # The first Wednesday of January 2027 (6th) is before the first date: February's is first.
    r = rule("monthly", start=D(2027, 1, 20), nth=1, count=2)
    assert days(r) == [D(2027, 2, 3), D(2027, 3, 3)]


def test_monthly_default_nth_is_the_first_dates_position():
    r = rule("monthly", start=D(2027, 1, 19), count=2)  # the third Tuesday
    assert days(r) == [D(2027, 1, 19), D(2027, 2, 16)]


def test_nth_weekday_that_does_not_exist():
    assert nth_weekday(2027, 2, 0, 5) is None  # February 2027 has four Mondays
    assert nth_weekday(2027, 3, 0, 5) == D(2027, 3, 29)
    assert nth_weekday(2027, 2, 0, -1) == D(2027, 2, 22)


def test_once_is_one_date():
    r = rule("once", start=D(2027, 2, 3))
    assert days(r) == [D(2027, 2, 3)]
    assert last_date(r) == D(2027, 2, 3)


def test_until_is_inclusive_and_the_horizon_cuts():
    r = rule(start=D(2027, 1, 5), until=D(2027, 1, 19))
    assert days(r) == [D(2027, 1, 5), D(2027, 1, 12), D(2027, 1, 19)]
    assert days(r, horizon=D(2027, 1, 12)) == [D(2027, 1, 5), D(2027, 1, 12)]
    assert last_date(r) == D(2027, 1, 19)


def test_open_ended_rule_has_no_last_date_and_is_bounded_by_the_horizon():
    r = rule(start=D(2027, 1, 5))
    assert last_date(r) is None
    assert len(days(r, horizon=D(2027, 3, 30))) == 13


def test_occurrences_are_capped():
    r = rule(start=D(2027, 1, 4))  # Mondays for ever
    assert len(occurrences(r, D(2040, 1, 1))) == recurrence.MAX_OCCURRENCES


def test_since_keeps_counting_from_the_first_date():
    r = rule(start=D(2027, 1, 5), count=4)
    occ = occurrences(r, FAR, since=D(2027, 1, 15))
    assert [o.original_date for o in occ] == [D(2027, 1, 19), D(2027, 1, 26)]


# --- Holidays and closing days ---------------------------------------------------------------


def test_weltkindertag_and_reformationstag_are_skipped_in_thuringia():
    sundays = rule(start=D(2026, 9, 6), start_time=T(15), end_time=T(17), count=4)
    assert days(sundays) == [D(2026, 9, 6), D(2026, 9, 13), D(2026, 9, 27), D(2026, 10, 4)]
    assert skipped_dates(sundays, FAR) == [D(2026, 9, 20)]
    saturdays = rule(start=D(2026, 10, 24), until=D(2026, 11, 7))
    assert days(saturdays) == [D(2026, 10, 24), D(2026, 11, 7)]
    assert skipped_dates(saturdays, FAR) == [D(2026, 10, 31)]
    assert holiday_name(D(2026, 9, 20)) == "Weltkindertag"
    assert holiday_name(D(2026, 10, 31)) == "Reformationstag"
    assert holiday_name(D(2026, 9, 20), "en") == "World Children's Day"
    assert holiday_name(D(2026, 9, 21)) is None


def test_other_holidays_skipped_too():
    fridays = rule(start=D(2026, 12, 18), count=3)
    assert days(fridays) == [D(2026, 12, 18), D(2027, 1, 8), D(2027, 1, 15)]
    assert skipped_dates(fridays, FAR) == [D(2026, 12, 25), D(2027, 1, 1)]


def test_closing_days_skipped_and_skipped_dates_do_not_use_up_the_count():
    closed = {D(2027, 1, 12)}
    r = rule(start=D(2027, 1, 5), count=3)
    assert days(r, closed=closed) == [D(2027, 1, 5), D(2027, 1, 19), D(2027, 1, 26)]
    assert skipped_dates(r, FAR, closed) == [D(2027, 1, 12)]
    assert last_date(r, closed) == D(2027, 1, 26)


def test_holidays_can_be_kept_for_a_one_off_date():
    r = rule("once", start=D(2026, 9, 20))
    assert days(r) == []
    assert days(r, skip_holidays=False) == [D(2026, 9, 20)]


# --- Daylight saving ------------------------------------------------------------------------


def test_weekly_series_keeps_berlin_wall_time_across_march_change():
    r = rule(start=D(2026, 3, 15), start_time=T(10), end_time=T(12), count=4)  # Sundays
    occ = occurrences(r, FAR)
    assert [o.starts_at.hour for o in occ] == [9, 9, 8, 8]  # CET, CET, CEST, CEST
    assert occ[2].starts_at == dt.datetime(2026, 3, 29, 8, 0)
    assert {utc_to_berlin(o.starts_at).time() for o in occ} == {T(10)}
    assert {utc_to_berlin(o.ends_at).time() for o in occ} == {T(12)}


def test_weekly_series_keeps_berlin_wall_time_across_october_change():
    r = rule(start=D(2026, 10, 11), start_time=T(10), end_time=T(12), count=4)  # Sundays
    occ = occurrences(r, FAR)
    assert [o.starts_at.hour for o in occ] == [8, 8, 9, 9]  # CEST, CEST, CET, CET
    assert {utc_to_berlin(o.starts_at).time() for o in occ} == {T(10)}
    # The 25 October slot lasts two real hours although the day has 25.
    assert occ[2].ends_at - occ[2].starts_at == dt.timedelta(hours=2)


def test_missing_hour_on_29_march_2026_is_refused():
    with pytest.raises(WallClockError) as info:
        berlin_to_utc(D(2026, 3, 29), T(2, 30))
    assert info.value.kind == "missing"
    assert info.value.day == D(2026, 3, 29)
    assert berlin_to_utc(D(2026, 3, 29), T(1, 59)) == dt.datetime(2026, 3, 29, 0, 59)
    assert berlin_to_utc(D(2026, 3, 29), T(3, 0)) == dt.datetime(2026, 3, 29, 1, 0)


def test_repeated_hour_on_25_october_2026_is_refused():
    with pytest.raises(WallClockError) as info:
        berlin_to_utc(D(2026, 10, 25), T(2, 30))
    assert info.value.kind == "repeated"
    assert info.value.day == D(2026, 10, 25)
    assert berlin_to_utc(D(2026, 10, 25), T(3, 0)) == dt.datetime(2026, 10, 25, 2, 0)
    # The day before and after, 02:30 exists once.
    assert berlin_to_utc(D(2026, 10, 24), T(2, 30)) == dt.datetime(2026, 10, 24, 0, 30)


def test_a_series_hitting_the_change_day_is_refused_naming_that_day():
    r = rule(start=D(2026, 3, 8), start_time=T(2, 30), end_time=T(4, 0))  # Sundays
    with pytest.raises(WallClockError) as info:
        check_wall_clock(r, D(2026, 12, 31))
    assert info.value.day == D(2026, 3, 29)
    assert info.value.time == T(2, 30)
    # Up to the week before, every date exists.
    check_wall_clock(r, D(2026, 3, 22))


def test_an_end_inside_the_gap_is_refused_too():
    r = rule("once", start=D(2026, 3, 29), start_time=T(1, 0), end_time=T(2, 15))
    with pytest.raises(WallClockError) as info:
        check_wall_clock(r, FAR, skip_holidays=False)
    assert info.value.time == T(2, 15)


def test_a_change_day_that_is_closed_is_no_problem():
    r = rule(start=D(2026, 3, 22), start_time=T(2, 30), end_time=T(4), count=2)
    check_wall_clock(r, FAR, closed={D(2026, 3, 29)})
    assert days(r, closed={D(2026, 3, 29)}) == [D(2026, 3, 22), D(2026, 4, 5)]
