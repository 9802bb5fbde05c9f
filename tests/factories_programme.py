"""Factories and helpers for the families' programme tests: public activities, slots on
Berlin wall-clock times, a fixed "now" for the public pages, and HTML slicing."""

from __future__ import annotations

import datetime as dt
import re

from tests.factories import make_activity, make_centre, make_slot
from volunteer_app.activities.models import Slot
from volunteer_app.common.time import berlin_to_utc


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """Naive UTC of a Berlin wall-clock time."""
    return berlin_to_utc(dt.datetime.combine(day, dt.time(hour, minute)))


def slot_at(activity, day: dt.date, hour: int = 10, minute: int = 0, hours: float = 1.5, **fields):
    """A slot of ``activity`` on a Berlin ``day`` at ``hour:minute`` lasting ``hours``."""
    return make_slot(activity, starts_at=at(day, hour, minute), hours=hours, **fields)


def many_slots(activity, first: dt.date, count: int) -> None:
    """``count`` daily slots from ``first`` on, written in one statement."""
    rows = []
    for n in range(count):
        start = at(first + dt.timedelta(days=n), 10)
        rows.append(
            {
                "activity": activity.id,
                "starts_at": start,
                "ends_at": start + dt.timedelta(hours=2),
                "capacity": 2,
                "original_date": first + dt.timedelta(days=n),
            }
        )
    Slot.insert_many(rows).execute()


def programme_centre(**fields):
    data = {
        "name": "ThEKiZ Pusteblume",
        "slug": "pusteblume",
        "street": "Lindenweg 5",
        "postcode": "07743",
        "town": "Jena",
        "contact_email": "pusteblume@example.org",
        "contact_phone": "03641 555 10",
    }
    data.update(fields)
    return make_centre(**data)


def reading_hour(centre, **fields):
    data = {
        "title": "Vorlesestunde",
        "place": "Leseecke im Erdgeschoss",
        "audience": "Kinder von 3 bis 6 Jahren mit ihren Eltern",
        "description": "Bilderbücher, vorgelesen.\n\nDanach Zeit zum Anschauen.",
    }
    data.update(fields)
    return make_activity(centre, category_key="reading", **data)


def freeze_now(monkeypatch, now: dt.datetime) -> dt.datetime:
    """Fix the public programme pages' "now" (naive UTC) for the test."""
    monkeypatch.setattr("volunteer_app.centres.views.utcnow", lambda: now)
    monkeypatch.setattr("volunteer_app.programme.views.utcnow", lambda: now)
    return now


WEEK = re.compile(r'<section class="week"[^>]*>(.*?)</section>', re.S)
HEADING = re.compile(r'<h3[^>]*class="week-heading"[^>]*>\s*(.*?)\s*<span', re.S)


def weeks_of(page: str) -> list[tuple[str, str]]:
    """(heading, HTML) of each week section of a centre page."""
    out = []
    for body in WEEK.findall(page):
        heading = HEADING.search(body)
        out.append((heading.group(1).strip() if heading else "", body))
    return out


def alternate_links(page: str) -> list[str]:
    """The href of every ``<link rel="alternate" type="text/calendar">``."""
    links = re.findall(r'<link rel="alternate" type="text/calendar"[^>]*>', page)
    return [re.search(r'href="([^"]*)"', link).group(1).replace("&amp;", "&") for link in links]
