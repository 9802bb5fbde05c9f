"""The roster as CSV for German Excel: UTF-8 with BOM, ``;`` between cells, no formulas
(except the one harmless form that keeps a phone number as typed, see ``PhoneNumber``)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

from babel.dates import format_skeleton
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _

# A cell starting with one of these is read as a formula by spreadsheet programs
# (CSV injection, OWASP); tab and carriage return can hide such a start.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# What the profile form accepts as a phone number (accounts/forms.py): no quote, no letter.
PHONE = re.compile(r"\+?[0-9 ()/.\-]+")


class PhoneNumber(str):
    """A phone number for a CSV cell (``safe_cell(PhoneNumber(user.phone))``).

    Spreadsheets mangle phone numbers: a leading "+" starts a formula in Excel, and
    "0361555" becomes the number 361555 (LibreOffice and Excel alike). The quote that
    neutralises formulas stays visible in a CSV: LibreOffice shows "'+49 361 555". So a number
    made only of the characters the profile form allows is written as the text formula
    ``="+49 361 555"``, the usual way to keep a value as text in a CSV for Excel; LibreOffice
    (7.4, measured, formulas evaluated as its import does by default) shows +49 361 555 and
    0361555 as text. It cannot run anything: the string literal holds no quote. Any other
    value gets the leading quote like every other cell."""


def safe_cell(value) -> str:
    """The cell as text, with a leading quote when a spreadsheet would run it as a formula;
    a ``PhoneNumber`` as a text formula that keeps its leading + or 0."""
    text = "" if value is None else str(value)
    if isinstance(value, PhoneNumber) and PHONE.fullmatch(text):
        return f'="{text}"'
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_date(day: dt.date) -> str:
    """A date with its four-digit year in the reader's format (06.12.2026, 12/6/2026):
    spreadsheets read it as a date, and "06.12.26" would leave them to guess the century."""
    return format_skeleton("yMMdd", day, locale=get_locale())


def _labels() -> dict[str, str]:
    return {
        "confirmed": _("confirmed"),
        "pending": _("awaiting approval"),
        "waitlisted": _("waiting list"),
        "attended": _("attended"),
        "no_show": _("did not come"),
    }


def roster_csv(roster) -> str:
    """Name, e-mail, phone, status, attendance and hours of everyone on the roster."""
    labels = _labels()
    out = io.StringIO()
    out.write("\ufeff")  # the BOM makes Excel read UTF-8 (umlauts) correctly
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([_("Name"), _("E-mail"), _("Phone"), _("Status"), _("Attendance"), _("Hours")])
    for line in roster.lines:
        signup, person = line.signup, line.person
        hours = "" if signup.hours is None else format_decimal(signup.hours, format="0.##")
        row = [
            person.name,
            person.email,
            PhoneNumber(person.phone or ""),
            labels.get(signup.status, signup.status),
            labels.get(signup.attendance, "") if signup.attendance else "",
            hours,
        ]
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()
