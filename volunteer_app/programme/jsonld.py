"""schema.org ``Event`` data (JSON-LD) on the public programme pages, so that search engines
find a centre's dates: one ``Event`` per upcoming date of a public activity.

``events()`` is pure: plain rows and the centre in, dicts out. ``script_json()`` serialises
them for ``<script type="application/ld+json">`` (data, not a script: browsers do not run it
and the CSP does not govern it) with ``<``, ``>`` and ``&`` escaped, so that a title such as
``</script>`` cannot end the element. ``page_events()`` (a template global, used by
``templates/programme/_jsonld.html``) builds the rows from what the centre page or the
activity page has already loaded: no query of its own.

Whether a date is free of charge is not recorded, so ``isAccessibleForFree`` is left out.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from markupsafe import Markup

from volunteer_app.activities.texts import current_language
from volunteer_app.common.time import to_berlin
from volunteer_app.common.urls import base_url, external_url
from volunteer_app.i18n import web_code

CONTEXT = "https://schema.org"
SCHEDULED = "https://schema.org/EventScheduled"
CANCELLED = "https://schema.org/EventCancelled"
OFFLINE = "https://schema.org/OfflineEventAttendanceMode"
# The centre page announces at most this many dates (the calendar feed has them all).
PAGE_EVENTS = 20
DESCRIPTION_MAX = 500


@dataclass(frozen=True)
class EventRow:
    """One date of a public activity, as the page shows it."""

    name: str
    description: str
    starts_at: dt.datetime  # naive UTC
    ends_at: dt.datetime  # naive UTC
    cancelled: bool
    url: str  # the activity's page, absolute
    language: str  # BCP 47 code of name and description ("de", "fa-AF")


@dataclass(frozen=True)
class Host:
    """The centre: where the dates take place and who organises them."""

    name: str
    street: str
    postcode: str
    town: str
    url: str  # the centre's page, absolute


def berlin_iso(moment: dt.datetime) -> str:
    """Naive UTC → ISO 8601 in Berlin time with its offset: ``2026-10-23T15:30:00+02:00``."""
    return to_berlin(moment).replace(microsecond=0).isoformat()


def _short(text: str) -> str:
    text = re.sub(r"\s+", " ", text or "").strip()
    if len(text) <= DESCRIPTION_MAX:
        return text
    return text[: DESCRIPTION_MAX - 1].rstrip() + "…"


def _place(host: Host) -> dict:
    address = {"@type": "PostalAddress"}
    if host.street:
        address["streetAddress"] = host.street
    if host.postcode:
        address["postalCode"] = host.postcode
    address["addressLocality"] = host.town
    address["addressCountry"] = "DE"
    return {"@type": "Place", "name": host.name, "address": address}


def events(rows: Iterable[EventRow], host: Host) -> list[dict]:
    """A schema.org ``Event`` for each row, in the rows' order."""
    place = _place(host)
    organizer = {"@type": "Organization", "name": host.name, "url": host.url}
    out = []
    for row in rows:
        event = {
            "@context": CONTEXT,
            "@type": "Event",
            "name": row.name,
            "startDate": berlin_iso(row.starts_at),
            "endDate": berlin_iso(row.ends_at),
            "eventStatus": CANCELLED if row.cancelled else SCHEDULED,
            "eventAttendanceMode": OFFLINE,
            "location": place,
            "organizer": organizer,
            "url": row.url,
            "inLanguage": row.language,
        }
        description = _short(row.description)
        if description:
            event["description"] = description
        out.append(event)
    return out


def script_json(data) -> Markup:
    """``data`` as JSON safe inside ``<script type="application/ld+json">``: ``<``, ``>`` and
    ``&`` as ``\\u`` escapes (still the same JSON), so no ``</script>`` or ``<!--`` appears."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)  # noqa: S704 -- no "<", ">" or "&" is left in it


# --- From the rows the pages already loaded ---------------------------------------------------


def _host(centre) -> Host:
    return Host(
        centre.name,
        centre.street,
        centre.postcode,
        centre.town,
        external_url("centres.show_centre", slug=centre.slug),
    )


def page_events(centre, *, programme=None, activity=None, shown=None, dates=None) -> Markup:
    """The JSON-LD of the centre page (``programme``: its first ``PAGE_EVENTS`` activity dates)
    or of an activity page (``activity``, ``shown``, ``dates``), "" when there is no date."""
    page_lang = web_code(current_language())
    rows: list[EventRow] = []
    if programme is not None:
        base = base_url()
        entries = (
            entry
            for week in programme.weeks
            for day in week.days
            for entry in day.entries
            if entry.kind == "activity" and entry.url
        )
        for entry in entries:
            if len(rows) == PAGE_EVENTS:
                break
            rows.append(
                EventRow(
                    entry.title,
                    entry.description,
                    entry.starts_at,
                    entry.ends_at,
                    entry.is_cancelled,
                    base + entry.url,
                    web_code(entry.title_lang) if entry.title_lang else page_lang,
                )
            )
    elif activity is not None and dates is not None:
        url = external_url("programme.show_activity", slug=centre.slug, activity_id=activity.id)
        language = web_code(shown.lang) if shown.lang else page_lang
        rows = [
            EventRow(
                shown.title,
                shown.description,
                line.starts_at,
                line.ends_at,
                line.is_cancelled,
                url,
                language,
            )
            for line in dates.dates
        ]
    if not rows:
        return Markup("")
    return script_json(events(rows, _host(centre)))
