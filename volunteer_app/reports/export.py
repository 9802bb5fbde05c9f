"""Reports as CSV for German Excel: UTF-8 with BOM, ``;`` between cells, no formulas.

One tidy table, a row per figure (centre(s), period, section, item, value, unit), so that a
spreadsheet's pivot table or a funder's template reads it without reshaping.
"""

from __future__ import annotations

import csv
import io

from flask_babel import format_decimal
from flask_babel import gettext as _

from volunteer_app.coordination.export import csv_date, safe_cell


def _number(value) -> str:
    return format_decimal(value, format="0.##")


def report_csv(report) -> str:
    centres = ", ".join(c.name for c in report.centres)
    first, last = csv_date(report.first), csv_date(report.last)
    out = io.StringIO()
    out.write("\ufeff")  # the BOM makes Excel read UTF-8 (umlauts) correctly
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(
        [_("Centres"), _("From"), _("To"), _("Section"), _("Item"), _("Value"), _("Unit")]
    )
    dates, hours = _("dates"), _("hours")

    def row(section, item, value, unit):
        writer.writerow([safe_cell(c) for c in (centres, first, last, section, item, value, unit)])

    summary = _("Summary")
    row(summary, _("Activity dates held"), report.slots_held, dates)
    row(summary, _("Volunteer hours"), _number(report.hours), hours)
    row(summary, _("Volunteers"), report.volunteers, _("people"))
    row(summary, _("Partners active"), report.partners_active, _("partners"))
    row(summary, _("Room hours booked"), _number(report.room_hours), hours)
    row(summary, _("Wishes received"), report.wishes_received, _("wishes"))
    row(summary, _("Wishes realised"), report.wishes_realised, _("wishes"))
    for line in report.categories:
        row(_("Activity dates held by category"), line.label, line.dates, dates)
    for line in report.categories:
        row(_("Volunteer hours by category"), line.label, _number(line.hours), hours)
    for line in report.partners:
        row(_("Partners active by kind"), line.label, line.dates, _("partners"))
    for line in report.rooms:
        row(_("Room use"), line.label, _number(line.hours), hours)
    return out.getvalue()
