"""Funders' reports and centre totals are the same before and after people are erased."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories_wishes import report_dataset
from volunteer_app.accounts.models import User
from volunteer_app.erasure import services
from volunteer_app.erasure.models import AnonymousHours
from volunteer_app.reports.queries import build_report

pytestmark = pytest.mark.dates  # the dataset is last year's


@pytest.fixture(autouse=True)
def english_labels(app):
    from flask_babel import force_locale

    with force_locale("en"):
        yield


def _periods(year: int) -> list[tuple[dt.date, dt.date]]:
    """The year, each quarter and each month, and the turn of the year before."""
    periods = [(dt.date(year, 1, 1), dt.date(year, 12, 31))]
    periods.append((dt.date(year - 1, 12, 1), dt.date(year, 1, 31)))
    for quarter in range(4):
        first = dt.date(year, 3 * quarter + 1, 1)
        last = dt.date(year + (quarter == 3), (3 * quarter + 3) % 12 + 1, 1) - dt.timedelta(1)
        periods.append((first, last))
    for month in range(1, 13):
        last = dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)
        periods.append((dt.date(year, month, 1), last))
    return periods


def _figures(ds) -> dict:
    """Every figure of every report a centre or its operator can print for those periods."""
    figures = {}
    for name, centres in (("a", [ds.a]), ("b", [ds.b]), ("operator", [ds.a, ds.b])):
        for first, last in _periods(ds.year):
            report = build_report(centres, first, last)
            figures[(name, first, last)] = (
                [(line.label, line.dates, line.hours) for line in report.categories],
                report.slots_held,
                report.hours,
                report.volunteers,
                report.room_hours,
            )
    return figures


def test_report_totals_are_identical_before_and_after_erasure(conn):
    ds = report_dataset()
    before = _figures(ds)
    assert before[("a", dt.date(ds.year, 1, 1), dt.date(ds.year, 12, 31))][2] > 0

    # Vera (hours in both centres, two months), Nina (a no-show, and hours the year before).
    for person in (ds.people["v1"], ds.people["v3"]):
        services.erase_account(person)
    assert User.select().where(User.id.in_([ds.people["v1"].id, ds.people["v3"].id])).count() == 0
    assert AnonymousHours.select().count() == 4  # Vera: 3 months/categories; Nina: 1

    assert _figures(ds) == before

    # Erasing the last of them keeps it so too: the people are counted, not their rows.
    services.erase_account(ds.people["v2"])
    assert _figures(ds) == before


def test_the_csv_for_funders_is_unchanged(client, login_as, conn):
    ds = report_dataset()
    login_as(ds.coord_a)
    url = f"/zentren/anger/bericht.csv?jahr={ds.year}"
    before = client.get(url).get_data(as_text=True)
    services.erase_account(ds.people["v1"])
    assert client.get(url).get_data(as_text=True) == before
