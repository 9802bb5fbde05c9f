"""Grouping programme entries into Berlin weeks: DST changes, year end, headings, paging."""

import datetime as dt

import pytest
from flask_babel import force_locale

from tests.factories_programme import at
from volunteer_app.programme.queries import ProgrammeEntry
from volunteer_app.programme.weeks import (
    MAX_WEEKS_AHEAD,
    berlin_midnight,
    clock_labels,
    day_heading,
    first_week,
    group_by_week,
    label_weeks,
    week_heading,
    week_range,
    week_start,
)

pytestmark = pytest.mark.dates  # depends on today: CI reruns it at fixed days


def entry(start: dt.datetime, title: str = "Vorlesestunde", hours: int = 1, **fields):
    return ProgrammeEntry(
        title=title,
        category="Vorlesen",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=hours),
        place="Leseecke",
        url="/x",
        **fields,
    )


def days_of(week) -> dict[dt.date, list[str]]:
    return {d.day: [e.title for e in d.entries] for d in week.days}


@pytest.mark.parametrize(
    ("sunday", "offset_before", "offset_after"),
    [(dt.date(2027, 3, 28), 1, 2), (dt.date(2026, 10, 25), 2, 1)],
    ids=["spring", "autumn"],
)
def test_weeks_split_at_berlin_midnight_across_a_dst_change(sunday, offset_before, offset_after):
    monday_before = sunday - dt.timedelta(days=6)
    monday_after = sunday + dt.timedelta(days=1)
    # Monday 00:00 Berlin in UTC uses the offset valid on that Monday.
    assert berlin_midnight(monday_before) == dt.datetime.combine(
        monday_before, dt.time()
    ) - dt.timedelta(hours=offset_before)
    assert berlin_midnight(monday_after) == dt.datetime.combine(
        monday_after, dt.time()
    ) - dt.timedelta(hours=offset_after)
    entries = [
        entry(at(sunday, 0, 30), "Sonntag früh"),  # UTC: still Saturday evening
        entry(at(sunday, 23, 30), "Sonntag spät"),  # UTC: Sunday 21:30/22:30
        entry(at(monday_after, 0, 30), "Montag früh"),  # UTC: still Sunday
        entry(at(monday_before, 0, 15), "Montag davor"),  # UTC: Sunday before
    ]
    weeks = group_by_week(entries, monday_before, 2, today=monday_before)
    assert [w.start for w in weeks] == [monday_before, monday_after]
    assert days_of(weeks[0]) == {
        monday_before: ["Montag davor"],
        sunday: ["Sonntag früh", "Sonntag spät"],
    }
    assert days_of(weeks[1]) == {monday_after: ["Montag früh"]}


def test_year_end_week_holds_both_years_and_is_named_with_the_year(app):
    today = dt.date(2026, 12, 16)
    monday = dt.date(2026, 12, 28)
    entries = [entry(at(dt.date(2027, 1, 1), 11), "Neujahr"), entry(at(dt.date(2026, 12, 31), 10))]
    weeks = group_by_week(entries, week_start(today), 3, today)
    assert [w.relation for w in weeks] == ["this", "next", "later"]
    assert weeks[2].start == monday
    assert sorted(days_of(weeks[2])) == [dt.date(2026, 12, 31), dt.date(2027, 1, 1)]
    with app.test_request_context():
        label_weeks(weeks, today)
        assert weeks[0].heading == "Diese Woche"
        assert weeks[1].heading == "Nächste Woche"
        assert weeks[2].heading == "Woche vom 28. Dezember"
        # Babel puts thin spaces around the dash.
        assert weeks[2].range_label.replace("\u2009", " ") == "28. Dez. 2026 – 3. Jan. 2027"
        assert weeks[2].days[1].heading == "Freitag, 1. Januar 2027"
        assert weeks[2].days[0].heading == "Donnerstag, 31. Dezember"
        later = group_by_week([], dt.date(2027, 1, 4), 1, today)[0]
        assert week_heading(later, today) == "Woche vom 4. Januar 2027"
        assert week_range(later).replace("\u2009", "") == "4.–10. Jan."
        with force_locale("en"):
            assert week_heading(weeks[2], today) == "Week of December 28"
            assert day_heading(dt.date(2027, 1, 1), today) == "Friday, January 1, 2027"


def test_entries_of_a_day_are_ordered_by_time_then_title_and_outside_weeks_dropped():
    today = dt.date(2026, 12, 16)
    day = dt.date(2026, 12, 17)
    entries = [
        entry(at(day, 15), "Backen"),
        entry(at(day, 9), "Zwerge"),
        entry(at(day, 9), "apfel"),
        entry(at(dt.date(2026, 12, 13), 9), "Letzte Woche"),
        entry(at(dt.date(2027, 1, 4), 9), "Zu spät"),
    ]
    weeks = group_by_week(entries, dt.date(2026, 12, 14), 3, today)
    assert days_of(weeks[0]) == {day: ["apfel", "Zwerge", "Backen"]}
    assert weeks[1].days == [] and weeks[2].days == []
    assert [w.count for w in weeks] == [3, 0, 0]


def test_first_week_is_the_requested_monday_within_bounds():
    today = dt.date(2026, 12, 16)  # a Wednesday
    assert first_week(None, today) == dt.date(2026, 12, 14)
    assert first_week(dt.date(2026, 12, 31), today) == dt.date(2026, 12, 28)
    assert first_week(dt.date(2020, 1, 1), today) == dt.date(2026, 12, 14)
    last = dt.date(2026, 12, 14) + dt.timedelta(weeks=MAX_WEEKS_AHEAD)
    assert first_week(dt.date(9999, 12, 31), today) == last


def test_entry_knows_its_berlin_day_and_status():
    late = entry(at(dt.date(2027, 6, 30), 0, 30), status="cancelled")
    assert late.starts_at.date() == dt.date(2027, 6, 29)  # UTC is still the day before
    assert late.berlin_day == dt.date(2027, 6, 30)
    assert late.is_cancelled and not entry(at(dt.date(2027, 6, 30), 9)).is_cancelled


@pytest.mark.parametrize("language", ["de", "en", "ar", "fa_AF"])
def test_clock_labels_are_the_time_filter_once_per_berlin_time(app, language):
    """The page writes each entry's start and end as the ``time`` filter would, the same
    Berlin time in winter and summer (another UTC time) alike."""
    today = dt.date(2027, 3, 22)
    winter, summer = dt.date(2027, 3, 27), dt.date(2027, 3, 29)  # around the spring change
    entries = [
        entry(at(winter, 15, 30)),
        entry(at(summer, 15, 30)),
        entry(at(summer, 9), hours=2),
        entry(at(summer, 23, 45), "Spät"),
    ]
    weeks = group_by_week(entries, week_start(today), 2, today)
    with app.test_request_context(), force_locale(language):
        labels = clock_labels(weeks)
        write = app.jinja_env.filters["time"]
        moments = {m for e in entries for m in (e.starts_at, e.ends_at)}
        assert labels == {m: write(m) for m in moments}
    assert labels[at(winter, 15, 30)] == labels[at(summer, 15, 30)]
    assert at(winter, 15, 30) != at(summer, 15, 30)
