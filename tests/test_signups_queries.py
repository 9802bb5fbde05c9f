"""Pure helpers of the sign-up queries: weekly Berlin windows as UTC intervals."""

from __future__ import annotations

import datetime as dt

from volunteer_app.signups.queries import FitProfile, availability_intervals, berlin_day_start

T = dt.time


def test_windows_follow_berlin_wall_clock_across_the_october_change():
    # 2030-10-27 is the last Sunday of October: summer time ends at 03:00.
    saturday, monday = dt.date(2030, 10, 26), dt.date(2030, 10, 28)
    windows = [(5, T(14), T(18)), (0, T(14), T(18))]
    assert availability_intervals(windows, saturday, monday) == [
        (dt.datetime(2030, 10, 26, 12), dt.datetime(2030, 10, 26, 16)),  # UTC+2
        (dt.datetime(2030, 10, 28, 13), dt.datetime(2030, 10, 28, 17)),  # UTC+1
    ]


def test_window_on_the_change_day_itself_is_right_on_both_sides():
    sunday = dt.date(2030, 3, 31)  # summer time starts at 02:00 -> 03:00
    assert availability_intervals([(6, T(1), T(4))], sunday, sunday) == [
        (dt.datetime(2030, 3, 31, 0), dt.datetime(2030, 3, 31, 2))  # 01:00 CET .. 04:00 CEST
    ]


def test_window_ending_at_or_before_its_start_runs_into_the_next_day():
    friday = dt.date(2030, 1, 4)
    assert availability_intervals([(4, T(22), T(2)), (4, T(20), T(0))], friday, friday) == [
        (dt.datetime(2030, 1, 4, 21), dt.datetime(2030, 1, 5, 1)),
        (dt.datetime(2030, 1, 4, 19), dt.datetime(2030, 1, 4, 23)),
    ]


def test_no_windows_or_empty_range_give_no_intervals():
    assert availability_intervals([], dt.date(2030, 1, 1), dt.date(2030, 2, 1)) == []
    assert availability_intervals([(0, T(8), T(9))], dt.date(2030, 1, 2), dt.date(2030, 1, 1)) == []
    # One per matching weekday over a year: bounded and predictable.
    year = availability_intervals([(2, T(8), T(9))], dt.date(2030, 1, 1), dt.date(2030, 12, 31))
    assert len(year) == 52


def test_day_start_is_berlin_midnight_in_utc():
    assert berlin_day_start(dt.date(2030, 1, 15)) == dt.datetime(2030, 1, 14, 23)
    assert berlin_day_start(dt.date(2030, 7, 15)) == dt.datetime(2030, 7, 14, 22)


def test_empty_profile():
    assert FitProfile(None, None, ()).is_empty
    assert not FitProfile(frozenset({1}), None, ()).is_empty
    assert not FitProfile(None, None, ((0, T(8), T(9)),)).is_empty
