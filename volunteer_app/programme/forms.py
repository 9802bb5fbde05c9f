"""What a family's programme link may carry: a start week and categories (no form posted)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from werkzeug.datastructures import MultiDict

from volunteer_app.common.forms import row_id


@dataclass(frozen=True)
class ProgrammeArgs:
    start: dt.date | None  # ?ab=2026-12-07 (any day of the wanted week)
    category_ids: tuple[int, ...]  # ?kategorie=3&kategorie=5

    @classmethod
    def from_args(cls, args: MultiDict) -> ProgrammeArgs:
        """Read the query string leniently: a shared or hand-edited link with a bad value
        still shows the programme (from this week, all categories) instead of an error."""
        start = None
        raw = (args.get("ab") or args.get("woche") or "").strip()
        if raw:
            try:
                start = dt.date.fromisoformat(raw[:10])
            except ValueError:
                start = None
        ids = []
        for value in args.getlist("kategorie"):
            try:
                ids.append(row_id(value))
            except ValueError:
                continue  # not an id: left out, like an unknown category
        return cls(start, tuple(dict.fromkeys(ids)))
