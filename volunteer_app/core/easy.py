"""Easy German (Leichte Sprache) for one centre: what it offers and its dates of this week
and the next, written the way easy German asks ("Montag, 7. Dezember", "von 15 Uhr bis
16:30 Uhr"). The pages are German only (i18n.GERMAN_ONLY_ENDPOINTS).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import format_date

from volunteer_app.centres.models import Centre
from volunteer_app.common.time import to_berlin
from volunteer_app.programme import queries as programme_queries
from volunteer_app.programme.weeks import berlin_midnight, berlin_today, week_start


@dataclass(frozen=True)
class EasyDate:
    day: str  # "Montag, 7. Dezember"
    time: str  # "von 15 Uhr bis 16:30 Uhr"
    title: str
    place: str
    cancelled: bool


@dataclass(frozen=True)
class EasyWeek:
    heading: str  # "In dieser Woche" / "In der nächsten Woche"
    dates: list[EasyDate]


@dataclass(frozen=True)
class EasyCentre:
    offers: list[str]  # the categories on offer, e.g. "Vorlesen"
    weeks: list[EasyWeek]


def clock(moment: dt.datetime) -> str:
    """15 Uhr, 16:30 Uhr (naive UTC in, Berlin time out)."""
    local = to_berlin(moment)
    return f"{local.hour} Uhr" if local.minute == 0 else f"{local.hour}:{local.minute:02d} Uhr"


def day_label(day: dt.date) -> str:
    return format_date(day, "EEEE, d. MMMM")


def easy_date(entry) -> EasyDate:
    return EasyDate(
        day=day_label(entry.berlin_day),
        time=f"von {clock(entry.starts_at)} bis {clock(entry.ends_at)}",
        title=entry.title,
        place=entry.place,
        cancelled=entry.is_cancelled,
    )


def centre_page(centre: Centre, *, now: dt.datetime) -> EasyCentre:
    """Three queries: the categories on offer, the activities' and the partners' dates."""
    monday = week_start(berlin_today(now))
    entries = programme_queries.programme_entries(
        centre, berlin_midnight(monday), berlin_midnight(monday + dt.timedelta(weeks=2)), now=now
    )
    entries.sort(key=lambda e: e.starts_at)
    next_monday = monday + dt.timedelta(weeks=1)
    weeks = [
        EasyWeek("In dieser Woche", [easy_date(e) for e in entries if e.berlin_day < next_monday]),
        EasyWeek(
            "In der nächsten Woche", [easy_date(e) for e in entries if e.berlin_day >= next_monday]
        ),
    ]
    offers = [c.label for c in programme_queries.programme_categories(centre, now)]
    return EasyCentre(offers=offers, weeks=weeks)
