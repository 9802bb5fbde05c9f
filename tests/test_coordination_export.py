"""The roster as CSV for German Excel, and the printable roster."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest

from tests.factories import make_user
from tests.factories_centres import english
from tests.factories_coordination import World, make_signup
from volunteer_app.coordination.export import PhoneNumber, safe_cell
from volunteer_app.signups.models import Signup

# The one formula a CSV of ours may hold: a string literal of phone characters, no quote.
PHONE_FORMULA = re.compile(r'="\+?[0-9 ()/.\-]+"')


@pytest.fixture
def world(conn):
    return World()


def _csv(client, slot_id: int):
    response = client.get(f"/termine/{slot_id}/besetzung.csv")
    assert response.status_code == 200
    return response


def _rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel
    text = data[3:].decode("utf-8")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def test_csv_headers_columns_and_bom(client, login_as, world):
    english(login_as(world.coordinator_a))
    response = _csv(client, world.slot.id)
    assert response.content_type == "text/csv; charset=utf-8"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="besetzung-')
    assert disposition.endswith(f'-{world.slot.id}.csv"')
    assert b"\r\n" in response.data
    rows = _rows(response.data)
    assert rows[0] == ["Name", "E-mail", "Phone", "Status", "Attendance", "Hours"]
    assert rows[1] == [
        "Vera Vogel",
        world.volunteer.email,
        '="+49 361 555"',  # text formula: the + stays, no apostrophe shows
        "confirmed",
        "",
        "",
    ]
    assert rows[2][0] == "Paul Pause" and rows[2][3] == "awaiting approval"
    assert rows[3][0] == "Wanda Warte" and rows[3][3] == "waiting list"
    assert len(rows) == 4
    assert response.headers["Cache-Control"] == "no-store"


def test_csv_hours_have_a_decimal_comma_in_german(client, login_as, world):
    Signup.update(attendance="attended", hours=Decimal("1.5")).where(
        Signup.id == world.past_signup.id
    ).execute()
    login_as(world.coordinator_a)
    rows = _rows(_csv(client, world.past_slot.id).data)
    assert rows[1][0] == "Vera Vogel"
    assert rows[1][5] == "1,5"


def test_csv_keeps_umlauts_and_quotes_separators(client, login_as, world):
    person = make_user(name="Jürgen; Müller-Lüdenscheidt", email="jm@example.org")
    make_signup(world.slot, person, status="waitlisted")
    english(login_as(world.coordinator_a))
    rows = _rows(_csv(client, world.slot.id).data)
    assert rows[-1][:2] == ["Jürgen; Müller-Lüdenscheidt", "jm@example.org"]


@pytest.mark.parametrize(
    "name",
    [
        '=HYPERLINK("http://evil.example","Klick")',
        "+1+1",
        "-2+3",
        "@SUM(A1)",
        "\tTab",
        "=1+1;=2",
    ],
)
def test_csv_formula_injection_is_neutralised(client, login_as, world, name):
    person = make_user(name=name, phone="=1+2")
    make_signup(world.slot, person, status="waitlisted")
    english(login_as(world.coordinator_a))
    rows = _rows(_csv(client, world.slot.id).data)
    last = rows[-1]
    assert last[0] == "'" + name
    assert last[2] == "'=1+2"
    for row in rows:
        for cell in row:
            if PHONE_FORMULA.fullmatch(cell):
                continue  # ="+49 361 555": a string literal, nothing to run
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_safe_cell():
    assert safe_cell(None) == ""
    assert safe_cell("Anna") == "Anna"
    assert safe_cell("=A1") == "'=A1"
    assert safe_cell("a=b") == "a=b"
    assert safe_cell(Decimal("1.5")) == "1.5"
    assert safe_cell("+49 361 555") == "'+49 361 555"  # not known to be a phone number


@pytest.mark.parametrize(
    ("phone", "cell"),
    [
        ("+49 361 555", '="+49 361 555"'),  # Excel would read a formula, LibreOffice keeps it
        ("0361555123", '="0361555123"'),  # a number to a spreadsheet: the 0 would go
        ("+49 (0)361/555-12.3", '="+49 (0)361/555-12.3"'),
        ("0361 555", '="0361 555"'),
        ("", ""),
        # Anything the profile form would refuse gets the ordinary quote, never a formula.
        ('+49"&HYPERLINK("http://x")&"', '\'+49"&HYPERLINK("http://x")&"'),
        ("=1+2", "'=1+2"),
        ("-1+2 ", "'-1+2 "),
        ("+49\t361", "'+49\t361"),
        ("Festnetz 0361", "Festnetz 0361"),
    ],
)
def test_phone_numbers_stay_as_typed(phone, cell):
    assert safe_cell(PhoneNumber(phone)) == cell
    if cell.startswith("="):
        assert PHONE_FORMULA.fullmatch(cell)


def test_print_roster_is_clean_for_paper(client, login_as, world):
    english(login_as(world.coordinator_a))
    response = client.get(f"/termine/{world.slot.id}/besetzung/drucken")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.count("<h1") == 1
    for name in ("Vera Vogel", "Paul Pause", "Wanda Warte", world.volunteer.email, "+49 361 555"):
        assert name in body
    assert "Certificate" in body  # child-facing activity: a column for it
    assert "coordination.css" in body and "data-print" in body
    assert "Contains personal data" in body
    # The print stylesheet hides navigation and forms and sets up A4.
    css = client.get("/static/coordination.css").get_data(as_text=True)
    assert "@page { size: A4" in css
    assert ".site-header" in css.split("@media print", 1)[1]
