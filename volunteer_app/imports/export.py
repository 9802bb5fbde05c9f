"""The centre's activities and dates as CSV, in the columns the import reads back: German
Excel's dialect (UTF-8 with BOM, ``;``), no formulas (``coordination.export.safe_cell``)."""

from __future__ import annotations

import csv
import io

from flask_babel import gettext as _

from volunteer_app.activities.queries import category_label
from volunteer_app.common.time import to_berlin
from volunteer_app.coordination.export import safe_cell


def activities_csv(rows) -> str:
    """One line per activity and date (an activity without dates: one line without)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(
        [
            _("Title"),
            _("Category"),
            _("Place"),
            _("Description"),
            _("Date"),
            _("Start"),
            _("End"),
            _("Volunteers needed"),
        ]
    )
    for activity, slot in rows:
        day = start = end = ""
        capacity = activity.volunteers_needed
        if slot is not None:
            starts, ends = to_berlin(slot.starts_at), to_berlin(slot.ends_at)
            # dd.mm.yyyy in every language: the import reads it back, Excel reads it as a date.
            day, start, end = f"{starts:%d.%m.%Y}", f"{starts:%H:%M}", f"{ends:%H:%M}"
            capacity = slot.capacity
        row = [
            activity.title,
            category_label(activity.category),
            activity.place,
            activity.description,
            day,
            start,
            end,
            capacity,
        ]
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()
