"""The fixed, rule-based Europe/Berlin VTIMEZONE every feed ships.

Not icalendar's generated one: that writes all transitions on one multi-valued RDATE line, which
ical.js (Thunderbird) and vobject read as a single date, so summer events come out an hour wrong
(docs/feeds.md). The two RRULEs are the EU rules in force since 1996 (last Sunday of March 02:00
CET -> CEST, last Sunday of October 03:00 CEST -> CET); tests check them hour by hour against
``zoneinfo``.
"""

from __future__ import annotations

from icalendar import Timezone

TZID = "Europe/Berlin"

VTIMEZONE_TEXT = (
    "BEGIN:VTIMEZONE\r\n"
    "TZID:Europe/Berlin\r\n"
    "X-LIC-LOCATION:Europe/Berlin\r\n"
    "BEGIN:DAYLIGHT\r\n"
    "TZOFFSETFROM:+0100\r\n"
    "TZOFFSETTO:+0200\r\n"
    "TZNAME:CEST\r\n"
    "DTSTART:19700329T020000\r\n"
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n"
    "END:DAYLIGHT\r\n"
    "BEGIN:STANDARD\r\n"
    "TZOFFSETFROM:+0200\r\n"
    "TZOFFSETTO:+0100\r\n"
    "TZNAME:CET\r\n"
    "DTSTART:19701025T030000\r\n"
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\n"
    "END:STANDARD\r\n"
    "END:VTIMEZONE\r\n"
)


def berlin_vtimezone() -> Timezone:
    """A fresh icalendar component of the block above (serialises back to the same bytes)."""
    return Timezone.from_ical(VTIMEZONE_TEXT)
