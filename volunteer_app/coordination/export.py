"""The roster as CSV for German Excel: UTF-8 with BOM, ``;`` between cells, no formulas."""

from __future__ import annotations

import csv
import io

from flask_babel import format_decimal
from flask_babel import gettext as _

# A cell starting with one of these is read as a formula by spreadsheet programs
# (CSV injection, OWASP); tab and carriage return can hide such a start.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """The cell as text, with a leading quote when a spreadsheet would run it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


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
            person.phone,
            labels.get(signup.status, signup.status),
            labels.get(signup.attendance, "") if signup.attendance else "",
            hours,
        ]
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()
