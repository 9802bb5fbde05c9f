"""Reports per centre and operator on a hand-built year: figures, CSV, no personal data."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest

from tests.factories import make_centre, make_coordinator, make_user
from tests.factories_centres import count_queries, english
from tests.factories_wishes import attended, report_dataset, slot_on
from volunteer_app.reports.queries import build_report

pytestmark = pytest.mark.dates  # depends on today: CI reruns it at fixed days


@pytest.fixture
def ds(conn):
    return report_dataset()


@pytest.fixture(autouse=True)
def english_labels(app):
    """Labels built outside a request are asserted in English."""
    from flask_babel import force_locale

    with force_locale("en"):
        yield


def _year(ds):
    return dt.date(ds.year, 1, 1), dt.date(ds.year, 12, 31)


def test_centre_figures(ds):
    report = build_report([ds.a], *_year(ds))
    assert [(line.label, line.dates, line.hours) for line in report.categories] == [
        ("Gardening", 1, Decimal("3.00")),
        ("Reading aloud", 3, Decimal("5.50")),
    ]
    assert (report.slots_held, report.hours, report.volunteers) == (4, Decimal("8.50"), 2)
    assert [(line.label, line.hours, line.dates) for line in report.rooms] == [
        ("Bewegungsraum", Decimal("6.00"), 3),
        ("Gruppenraum", Decimal("1.00"), 1),
    ]
    assert report.room_hours == Decimal("7.00")
    assert report.partners_active == 2
    assert sorted((line.key, line.dates) for line in report.partners) == [
        ("counselling", 1),
        ("midwife", 1),
    ]
    assert (report.wishes_received, report.wishes_realised) == (2, 2)


def test_operator_figures_add_up_its_centres(ds):
    report = build_report([ds.a, ds.b], *_year(ds))
    assert (report.slots_held, report.hours, report.volunteers) == (5, Decimal("12.50"), 2)
    assert [line.label for line in report.rooms] == [
        "Bewegungsraum (Zentrum Anger)",
        "Gruppenraum (Zentrum Anger)",
    ]


def test_a_shorter_period_cuts_at_its_edges(ds):
    report = build_report([ds.a], dt.date(ds.year, 3, 1), dt.date(ds.year, 3, 31))
    assert (report.slots_held, report.hours, report.volunteers) == (1, Decimal("4.00"), 2)
    assert report.room_hours == Decimal("3.00")
    assert (report.wishes_received, report.wishes_realised) == (1, 0)


def test_future_dates_are_not_counted_as_held(conn):
    from tests.factories import make_activity

    centre = make_centre()
    activity = make_activity(centre)
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    slot_on(activity, tomorrow)
    report = build_report([centre], dt.date.today(), tomorrow)
    assert report.slots_held == 0


def _csv_rows(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline=""), delimiter=";"))


def test_csv_download(client, login_as, ds):
    login_as(ds.coord_a)
    english(client)
    response = client.get(f"/zentren/anger/bericht.csv?jahr={ds.year}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert "\r\n" in text
    rows = _csv_rows(text)
    assert rows[0] == ["Centres", "From", "To", "Section", "Item", "Value", "Unit"]
    assert rows[1][1:3] == [f"1/1/{ds.year}", f"12/31/{ds.year}"]  # four-digit years
    figures = {(r[3], r[4]): (r[5], r[6]) for r in rows[1:]}
    assert figures[("Summary", "Volunteer hours")] == ("8.5", "hours")
    assert figures[("Summary", "Activity dates held")] == ("4", "dates")
    assert figures[("Volunteer hours by category", "Reading aloud")] == ("5.5", "hours")
    assert figures[("Room use", "Bewegungsraum")] == ("6", "hours")
    assert all(len(r) == 7 for r in rows)


def test_csv_in_german_uses_decimal_commas(client, login_as, ds):
    login_as(ds.coord_a)
    rows = _csv_rows(
        client.get(f"/zentren/anger/bericht.csv?jahr={ds.year}").get_data(as_text=True)
    )
    assert rows[0][3] == "Bereich"
    # Dates with four-digit years, as German spreadsheets read them ("01.01.26" leaves the
    # century to a setting).
    assert rows[1][1:3] == [f"01.01.{ds.year}", f"31.12.{ds.year}"]
    assert [
        rows[2][0],
        *rows[2][3:],
    ] == ["Zentrum Anger", "Überblick", "Ehrenamtsstunden", "8,5", "Stunden"]


def test_csv_cells_cannot_start_a_formula(client, login_as, conn):
    from tests.factories import make_activity, make_category

    centre = make_centre(name='=HYPERLINK("http://x")', slug="formel")
    coord = make_coordinator(centre)
    activity = make_activity(centre, category=make_category(centre, "@SUM(A1)"))
    slot = slot_on(activity, dt.date.today() - dt.timedelta(days=3))
    attended(slot, make_user(), 1)
    login_as(coord)
    text = client.get("/zentren/formel/bericht.csv").get_data(as_text=True)
    for row in _csv_rows(text):
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@")), row


def test_no_personal_data_in_the_report(client, login_as, ds):
    login_as(ds.coord_a)
    page = client.get(f"/zentren/anger/bericht?jahr={ds.year}").get_data(as_text=True)
    csv_text = client.get(f"/zentren/anger/bericht.csv?jahr={ds.year}").get_data(as_text=True)
    login_as(make_user(role="admin"))
    operator = client.get(f"/traeger/{ds.operator.id}/bericht?jahr={ds.year}").get_data(
        as_text=True
    )
    secrets = [p.name for p in ds.people.values()] + [p.email for p in ds.people.values()]
    secrets += ["Anna Schmidt", "anna@hebamme.example", "Lotte Lind", ds.coord_b.name]
    for text in (page, csv_text, operator):
        for secret in secrets:
            assert secret not in text, secret
    assert "8,5" in page and "Bewegungsraum" in page


def test_the_page_shows_figures_and_bars(client, login_as, ds):
    login_as(ds.coord_a)
    english(client)
    body = client.get(f"/zentren/anger/bericht?jahr={ds.year}").get_data(as_text=True)
    assert "Activities held by category" in body and "Reading aloud" in body
    assert body.count('class="bar"') >= 6
    assert "<script>" not in body and 'style="' not in body


@pytest.mark.parametrize(
    "query", ["von=2024-13-01&bis=x", "jahr=1999", "von=2025-05-01&bis=2025-01-01"]
)
def test_a_bad_period_falls_back_to_this_year(client, login_as, ds, query):
    login_as(ds.coord_a)
    english(client)
    response = client.get(f"/zentren/anger/bericht?{query}")
    assert response.status_code == 200
    assert "The period was not valid" in response.get_data(as_text=True)


def test_a_coordinator_of_another_centre_sees_no_report(client, login_as, ds):
    login_as(ds.coord_b)
    assert client.get("/zentren/anger/bericht").status_code == 403
    assert client.get("/zentren/anger/bericht.csv").status_code == 403
    login_as(make_user())
    assert client.get("/zentren/anger/bericht").status_code == 403


def test_operator_report_shows_only_the_centres_a_coordinator_manages(client, login_as, ds):
    login_as(ds.coord_b)
    english(client)
    body = client.get(f"/traeger/{ds.operator.id}/bericht?jahr={ds.year}").get_data(as_text=True)
    assert "Zentrum Brühl" in body and "Zentrum Anger" not in body
    rows = _csv_rows(
        client.get(f"/traeger/{ds.operator.id}/bericht.csv?jahr={ds.year}").get_data(as_text=True)
    )
    assert {r[0] for r in rows[1:]} == {"Zentrum Brühl"}
    other = make_coordinator(ds.c)
    login_as(other)
    assert client.get(f"/traeger/{ds.operator.id}/bericht").status_code == 403


def test_the_report_page_takes_a_fixed_number_of_queries(client, login_as, ds):
    from tests.factories import make_activity

    login_as(ds.coord_a)

    def count():
        with count_queries() as counter:
            assert client.get(f"/zentren/anger/bericht?jahr={ds.year}").status_code == 200
        return counter.count

    small = count()
    for n in range(15):
        activity = make_activity(ds.a, "baking", title=f"Backen {n}")
        slot = slot_on(activity, dt.date(ds.year, 10, 1 + n))
        attended(slot, make_user(), 2)
    assert count() == small
