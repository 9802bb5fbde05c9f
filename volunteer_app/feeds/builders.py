"""Pure iCalendar feed builder: data in, byte-stable ``text/calendar`` out (rules: docs ICAL.md).

No database, no request: the feed views gather ``FeedEvent`` rows and call ``build_calendar``.
Same data (in any order) gives byte-identical output, so the HTTP layer can hash it for an ETag.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event, vDuration, vText, vUri

from .vtimezone import TZID, berlin_vtimezone

BERLIN = ZoneInfo(TZID)
UTC = dt.UTC

PRODID = "-//ThEKiZ Ehrenamt//Kalender//DE"
UID_DOMAIN = "thekiz-ehrenamt"
# Fixed namespace: UIDs must never change between releases (clients key events on them).
_UID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "kalender.thekiz-ehrenamt.de")

STATUSES = ("CONFIRMED", "TENTATIVE", "CANCELLED")
MAX_ALARM_MINUTES = 7 * 24 * 60

# C0 except TAB/LF/CR (handled separately), DEL, C1 (incl. U+0085 NEL), line/paragraph separators,
# bidi embeddings/overrides/isolates, BOM/ZWNBSP, interlinear annotations, noncharacters, lone
# surrogates (not encodable as UTF-8).
_CONTROL = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
    "\ufeff\ufff9-\ufffb\ufdd0-\ufdef\ufffe\uffff\ud800-\udfff]"
)


@dataclass(frozen=True)
class FeedEvent:
    uid: str  # stable, from slot_uid(...)/entry_uid(...)
    starts_at: dt.datetime  # naive UTC
    ends_at: dt.datetime  # naive UTC
    summary: str  # already translated; for cancelled the caller passes the plain title
    last_modified: dt.datetime  # naive UTC: DTSTAMP and LAST-MODIFIED
    description: str = ""
    location: str = ""
    url: str = ""
    status: str = "CONFIRMED"  # "CONFIRMED" | "TENTATIVE" | "CANCELLED"
    cancelled_prefix: str = ""  # e.g. "Abgesagt: " (translated by caller); used when CANCELLED
    sequence: int = 0
    categories: tuple[str, ...] = ()
    alarm_minutes: int | None = None  # VALARM (DISPLAY, TRIGGER -PT<n>M) only when set
    transparent: bool = False  # TRANSP:TRANSPARENT (family feeds) vs OPAQUE


@dataclass(frozen=True)
class FeedMeta:
    name: str  # NAME + X-WR-CALNAME
    description: str  # DESCRIPTION + X-WR-CALDESC
    url: str  # URL back to the page
    refresh_hours: int = 6  # REFRESH-INTERVAL;VALUE=DURATION:PT6H and X-PUBLISHED-TTL:PT6H


# --- identity -------------------------------------------------------------------------------


def entry_uid(
    kind: str, entry_id: int, occurrence: dt.date | None = None, domain: str = UID_DOMAIN
) -> str:
    """Stable UID of a database row (and, for expanded series, one original occurrence date)."""
    name = f"{kind}:{int(entry_id)}"
    if occurrence is not None:
        name += f":{occurrence.isoformat()}"
    return f"{uuid.uuid5(_UID_NAMESPACE, name)}@{domain}"


def slot_uid(slot_id: int, domain: str = UID_DOMAIN) -> str:
    """Stable UID of an activity slot (= ``entry_uid("slot", slot_id)``)."""
    return entry_uid("slot", slot_id, domain=domain)


# --- text -----------------------------------------------------------------------------------


def clean_text(value: str) -> str:
    """NFC text without control characters; CR/CRLF become LF, TAB a space. Keeps newlines."""
    if not value:
        return ""
    value = str(value).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    value = _CONTROL.sub("", value)
    return unicodedata.normalize("NFC", value).strip()


def _line(value: str) -> str:
    """One-line text (SUMMARY, LOCATION, names): newlines become spaces."""
    return re.sub(r"[ \n]+", " ", clean_text(value)).strip()


def _escape(value: str) -> str:
    # RFC 5545 §3.3.11. Our own, because icalendar 7.3 turns a literal "\N" into a line break.
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


class _Text(vText):
    """TEXT with exact RFC escaping (serialised by icalendar's folding as usual)."""

    def to_ical(self) -> bytes:
        return _escape(str(self)).encode("utf-8")


class _TextList(vText):
    """A multi-valued TEXT property (CATEGORIES), each value escaped, joined by commas."""

    def __new__(cls, values: Iterable[str]):
        values = tuple(values)
        self = super().__new__(cls, ",".join(values))
        self._values = values
        return self

    def to_ical(self) -> bytes:
        return ",".join(_escape(v) for v in self._values).encode("utf-8")


def _uri(value: str) -> str:
    # A URI has no whitespace or control characters at all.
    return "".join(clean_text(value).split())


# --- time -----------------------------------------------------------------------------------


def _as_utc(value: dt.datetime) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise TypeError(f"expected a datetime, got {value!r}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0)


def _berlin(value: dt.datetime) -> dt.datetime:
    """Berlin wall time for DTSTART/DTEND (TZID=Europe/Berlin), or UTC for the one hour a year
    whose wall times are ambiguous (02:00-03:00 on the last Sunday of October happens twice).

    RFC 5545 reads an ambiguous local time as its first occurrence, but ical.js (Thunderbird)
    reads it as the second one, so no TZID value means the same instant to every client there;
    a UTC value does (tests/test_feeds_readers.py checks the autumn night in all readers)."""
    utc = _as_utc(value)
    local = utc.astimezone(BERLIN)
    if local.replace(fold=0).utcoffset() != local.replace(fold=1).utcoffset():
        return utc
    return local


def window(
    today: dt.date, back_days: int = 60, ahead_days: int = 365
) -> tuple[dt.datetime, dt.datetime]:
    """Naive-UTC bounds [start, end) of a feed: Berlin midnight ``back_days`` before ``today`` up
    to Berlin midnight after the day ``ahead_days`` ahead (that whole day included)."""
    if back_days < 0 or ahead_days < 0:
        raise ValueError("back_days and ahead_days must not be negative")

    def midnight(day: dt.date) -> dt.datetime:
        local = dt.datetime.combine(day, dt.time(0, 0), tzinfo=BERLIN)
        return local.astimezone(UTC).replace(tzinfo=None)

    return (
        midnight(today - dt.timedelta(days=back_days)),
        midnight(today + dt.timedelta(days=ahead_days + 1)),
    )


# --- building -------------------------------------------------------------------------------


def _calendar(meta: FeedMeta) -> Calendar:
    hours = int(meta.refresh_hours)
    if hours < 1:
        raise ValueError("refresh_hours must be at least 1")
    ttl = dt.timedelta(hours=hours)
    name, description = _line(meta.name), clean_text(meta.description)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("name", _Text(name))
    cal.add("x-wr-calname", _Text(name))
    cal.add("description", _Text(description))
    cal.add("x-wr-caldesc", _Text(description))
    if _uri(meta.url):
        cal.add("url", vUri(_uri(meta.url)), parameters={"VALUE": "URI"})
    cal.add("refresh-interval", vDuration(ttl), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", vDuration(ttl))
    cal.add("x-wr-timezone", TZID)
    cal.add_component(berlin_vtimezone())
    return cal


def _check(event: FeedEvent) -> None:
    if not event.uid or _CONTROL.search(event.uid) or any(c.isspace() for c in event.uid):
        raise ValueError(f"invalid UID {event.uid!r}")
    if event.status not in STATUSES:
        raise ValueError(f"invalid STATUS {event.status!r} of {event.uid}")
    if _as_utc(event.ends_at) < _as_utc(event.starts_at):
        raise ValueError(f"event {event.uid} ends before it starts")
    if event.sequence < 0:
        raise ValueError(f"negative SEQUENCE of {event.uid}")
    if event.alarm_minutes is not None and not 0 <= event.alarm_minutes <= MAX_ALARM_MINUTES:
        raise ValueError(f"alarm_minutes out of range for {event.uid}")


def _vevent(event: FeedEvent) -> Event:
    summary = _line(event.summary)
    if event.status == "CANCELLED":
        prefix = _line(event.cancelled_prefix)
        if prefix and not summary.startswith(prefix):
            # _line strips, so keep the separator the caller meant ("Abgesagt: ").
            summary = f"{prefix} {summary}".strip() if summary else prefix
    stamp = _as_utc(event.last_modified)
    start, end = _berlin(event.starts_at), _berlin(event.ends_at)

    vevent = Event()
    vevent.add("uid", event.uid)
    vevent.add("dtstamp", stamp)
    vevent.add("last-modified", stamp)
    vevent.add("sequence", int(event.sequence))
    vevent.add("dtstart", start)
    if end > start:  # RFC 5545: DTEND must be later; an instant has DTSTART only
        vevent.add("dtend", end)
    vevent.add("status", event.status)
    vevent.add("summary", _Text(summary))
    description = clean_text(event.description)
    if description:
        vevent.add("description", _Text(description))
    location = _line(event.location)
    if location:
        vevent.add("location", _Text(location))
    url = _uri(event.url)
    if url:
        vevent.add("url", vUri(url), parameters={"VALUE": "URI"})
    # One CATEGORIES line per value: ical.js splits "a\\,b" (value ending in a backslash) wrongly.
    for category in dict.fromkeys(c for c in (_line(c) for c in event.categories) if c):
        vevent.add("categories", _TextList([category]))
    vevent.add("transp", "TRANSPARENT" if event.transparent else "OPAQUE")
    if event.alarm_minutes is not None and event.status != "CANCELLED":
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", _Text(summary or "Reminder"))
        alarm.add("trigger", -dt.timedelta(minutes=int(event.alarm_minutes)))
        vevent.add_component(alarm)
    return vevent


def _serialise(cal: Calendar) -> bytes:
    data = cal.to_ical(sorted=False)
    # icalendar already writes CRLF and folds by octets; make sure of the invariants we promise.
    assert not data.startswith(b"\xef\xbb\xbf")
    return data


def build_calendar(meta: FeedMeta, events: Iterable[FeedEvent]) -> bytes:
    """The whole feed as bytes. Events sorted by (start, UID); a UID twice raises ValueError."""
    events = list(events)
    seen: set[str] = set()
    for event in events:
        _check(event)
        if event.uid in seen:
            raise ValueError(f"duplicate UID {event.uid}")
        seen.add(event.uid)
    cal = _calendar(meta)
    for event in sorted(events, key=lambda e: (_as_utc(e.starts_at), e.uid)):
        cal.add_component(_vevent(event))
    return _serialise(cal)


def replaced_link_calendar(meta: FeedMeta, message: str, now: dt.datetime) -> bytes:
    """A tiny valid calendar for a revoked/replaced link: one one-hour event in the current hour
    (Berlin) whose title is ``message``. Subscribed clients replace all old events with it.

    Stable within the hour (UID per day, times floored to the hour), so ETags still work."""
    now_utc = _as_utc(now).replace(minute=0, second=0)
    local_day = now_utc.astimezone(BERLIN).date()
    text = _line(message)
    event = FeedEvent(
        uid=f"{uuid.uuid5(_UID_NAMESPACE, f'replaced-link:{meta.url}:{local_day}')}@{UID_DOMAIN}",
        starts_at=now_utc,
        ends_at=now_utc + dt.timedelta(hours=1),
        summary=text,
        description=clean_text(message),
        url=meta.url,
        last_modified=now_utc,
        transparent=True,
    )
    return build_calendar(meta, [event])
