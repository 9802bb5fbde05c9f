"""Pure iCalendar feed builder: data in, byte-stable ``text/calendar`` out (rules: docs/feeds.md).

No database, no request: the feed views gather ``FeedEvent`` rows and call ``build_calendar``.
Same data (in any order) gives byte-identical output, so the HTTP layer can hash it for an ETag.

The content lines are written here rather than through icalendar's components: its per-property
objects, parameter dictionaries and per-character folding made a 2,000-event feed take about a
second. The bytes are exactly those of the icalendar-built feed this replaced (its text escaping,
date-time and duration forms, folding), so no client sees a change; tests/test_feeds_serialiser.py
keeps that builder as an oracle and compares both.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

from .vtimezone import TZID, berlin_vtimezone

BERLIN = ZoneInfo(TZID)
UTC = dt.UTC

PRODID = "-//ThEKiZ Ehrenamt//Kalender//DE"
UID_DOMAIN = "thekiz-ehrenamt"
# Fixed namespace: UIDs must never change between releases (clients key events on them).
_UID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "kalender.thekiz-ehrenamt.de")

STATUSES = ("CONFIRMED", "TENTATIVE", "CANCELLED")
MAX_ALARM_MINUTES = 7 * 24 * 60
MAX_SEQUENCE = 2**31 - 1  # SEQUENCE is an RFC 5545 INTEGER (signed 32 bits)

# C0 except TAB/LF/CR (handled separately), DEL, C1 (incl. U+0085 NEL), line/paragraph separators,
# bidi embeddings/overrides/isolates, BOM/ZWNBSP, interlinear annotations, noncharacters, lone
# surrogates (not encodable as UTF-8).
_CONTROL = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
    "\ufeff\ufff9-\ufffb\ufdd0-\ufdef\ufffe\uffff\ud800-\udfff]"
)
_WHITESPACE = re.compile(r"\s")  # the characters str.isspace() accepts
_SPACES = re.compile(r"[ \n]+")


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
    return _clean(str(value))


# The texts of a feed repeat (every date of an activity has its title, place and category):
# each distinct one is cleaned once.
@lru_cache(maxsize=4096)
def _clean(value: str) -> str:
    value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    value = _CONTROL.sub("", value)
    return unicodedata.normalize("NFC", value).strip()


def _line(value: str) -> str:
    """One-line text (SUMMARY, LOCATION, names): newlines become spaces."""
    if not value:
        return ""
    return _one_line(str(value))


@lru_cache(maxsize=4096)
def _one_line(value: str) -> str:
    return _SPACES.sub(" ", _clean(value)).strip()


def _escape(value: str) -> str:
    """A TEXT value, RFC 5545 §3.3.11: backslash, semicolon, comma and newline escaped.

    Not icalendar's escaping: icalendar 7.3 turns a literal "\\N" in the text into a line break."""
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _uid_text(uid: str) -> str:
    """The UID as the icalendar-built feeds wrote it (clients key events on it, so it must not
    change): icalendar's escaping, which reads a literal "\\N" as a line break first. A UID has no
    whitespace (``_check``), so nothing else differs from ``_escape``."""
    return _escape(uid.replace("\\N", "\n"))


def _uri(value: str) -> str:
    # A URI has no whitespace or control characters at all.
    return "".join(clean_text(value).split())


# --- time -----------------------------------------------------------------------------------


def _as_utc(value: dt.datetime) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise TypeError(f"expected a datetime, got {value!r}")
    if value.tzinfo is None:  # naive UTC, as the database has it
        return value.replace(tzinfo=UTC, microsecond=0)
    return value.astimezone(UTC).replace(microsecond=0)


def _berlin(utc: dt.datetime) -> dt.datetime:
    """Berlin wall time for DTSTART/DTEND (TZID=Europe/Berlin), or UTC for the one hour a year
    whose wall times are ambiguous (02:00-03:00 on the last Sunday of October happens twice).

    RFC 5545 reads an ambiguous local time as its first occurrence, but ical.js (Thunderbird)
    reads it as the second one, so no TZID value means the same instant to every client there;
    a UTC value does (tests/test_feeds_readers.py checks the autumn night in all readers).

    ``utc`` comes from ``_as_utc``. A wall time is ambiguous when the other ``fold`` of it has
    another offset."""
    local = utc.astimezone(BERLIN)
    if local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset():
        return utc
    return local


def _ical_time(value: dt.datetime) -> str:
    """DATE-TIME form: ``20260701T163000``, with ``Z`` for UTC (year zero-padded, as icalendar)."""
    text = (
        f"{value.year:04}{value.month:02}{value.day:02}"
        f"T{value.hour:02}{value.minute:02}{value.second:02}"
    )
    return text + "Z" if value.tzinfo is UTC else text


def _date_time(name: str, utc: dt.datetime) -> str:
    """DTSTART/DTEND line: Berlin wall time with TZID, or UTC in the ambiguous hour (``_berlin``)."""
    value = _berlin(utc)
    if value.tzinfo is UTC:
        return f"{name}:{_ical_time(value)}"
    return f"{name};TZID={TZID}:{_ical_time(value)}"


def _duration(minutes: int) -> str:
    """DURATION of whole minutes in icalendar's form: days, then hours and minutes of the rest
    (``PT6H``, ``P1D``, ``P1DT1H30M``; zero is ``P0D``)."""
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    time = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    if not days and time:
        return f"PT{time}"
    return f"P{days}D" + (f"T{time}" if time else "")


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

# The fixed block's lines as icalendar writes them (its order of RRULE parts); all are short.
_VTIMEZONE = berlin_vtimezone().to_ical(sorted=False).decode("ascii").splitlines()
_FOLD_AT = 75  # octets; icalendar folds before a line would reach it


def _fold(line: bytes) -> bytes:
    """One UTF-8 content line folded exactly as icalendar 7.3 folds it, so the bytes (and ETags)
    stay what they were: pieces of at most 74 octets, never cut inside a UTF-8 sequence, joined
    by CRLF + space (RFC 5545 §3.1). A piece that would end in ``\\`` or ``^`` leaves it to the
    next piece, so an escape sequence is never split across lines (some clients mind)."""
    if len(line) < _FOLD_AT:
        return line
    pieces = []
    start = 0
    while len(line) - start >= _FOLD_AT:
        cut = start + _FOLD_AT - 1
        while line[cut] & 0xC0 == 0x80:  # a UTF-8 continuation byte: cut before its sequence
            cut -= 1
        if line[cut - 1] in b"\\^":
            cut -= 1
        pieces.append(line[start:cut])
        start = cut
    pieces.append(line[start:])
    return b"\r\n ".join(pieces)


def _serialise(lines: list[str]) -> bytes:
    """Content lines as UTF-8, CRLF after each, long ones folded. One encode for the whole feed:
    no line holds a CR or LF (text escapes newlines, UIDs and URIs have no whitespace)."""
    raw = "\r\n".join(lines).encode("utf-8").split(b"\r\n")
    return b"\r\n".join([_fold(line) for line in raw]) + b"\r\n"


def _calendar_head(meta: FeedMeta) -> list[str]:
    """VCALENDAR properties up to the VTIMEZONE (docs/feeds.md says why each is there)."""
    hours = int(meta.refresh_hours)
    if hours < 1:
        raise ValueError("refresh_hours must be at least 1")
    ttl = _duration(hours * 60)
    name, description = _escape(_line(meta.name)), _escape(clean_text(meta.description))
    url = _uri(meta.url)
    return [
        "BEGIN:VCALENDAR",
        f"PRODID:{PRODID}",
        "VERSION:2.0",
        "CALSCALE:GREGORIAN",
        f"NAME:{name}",
        f"X-WR-CALNAME:{name}",
        f"DESCRIPTION:{description}",
        f"X-WR-CALDESC:{description}",
        *([f"URL;VALUE=URI:{url}"] if url else []),
        # icalendar 7.3 would omit the VALUE parameter that RFC 7986 requires here.
        f"REFRESH-INTERVAL;VALUE=DURATION:{ttl}",
        f"X-PUBLISHED-TTL:{ttl}",
        f"X-WR-TIMEZONE:{TZID}",
    ]


def _check(event: FeedEvent, start: dt.datetime, end: dt.datetime) -> None:
    if not event.uid or _CONTROL.search(event.uid) or _WHITESPACE.search(event.uid):
        raise ValueError(f"invalid UID {event.uid!r}")
    if event.status not in STATUSES:
        raise ValueError(f"invalid STATUS {event.status!r} of {event.uid}")
    if end < start:
        raise ValueError(f"event {event.uid} ends before it starts")
    if not 0 <= event.sequence <= MAX_SEQUENCE:
        raise ValueError(f"SEQUENCE {event.sequence} of {event.uid} is out of range")
    if event.alarm_minutes is not None and not 0 <= event.alarm_minutes <= MAX_ALARM_MINUTES:
        raise ValueError(f"alarm_minutes out of range for {event.uid}")


def _vevent(event: FeedEvent, start: dt.datetime, end: dt.datetime) -> list[str]:
    """The VEVENT's lines, properties in a fixed order (and its VALARM, if asked for); ``start``
    and ``end`` are the event's times through ``_as_utc``."""
    summary = _line(event.summary)
    if event.status == "CANCELLED":
        prefix = _line(event.cancelled_prefix)
        if prefix and not summary.startswith(prefix):
            # _line strips, so keep the separator the caller meant ("Abgesagt: ").
            summary = f"{prefix} {summary}".strip() if summary else prefix
    stamp = _ical_time(_as_utc(event.last_modified))
    lines = [
        "BEGIN:VEVENT",
        f"UID:{_uid_text(event.uid)}",
        f"DTSTAMP:{stamp}",
        f"LAST-MODIFIED:{stamp}",
        f"SEQUENCE:{int(event.sequence)}",
        _date_time("DTSTART", start),
    ]
    if end > start:  # RFC 5545: DTEND must be later; an instant has DTSTART only
        lines.append(_date_time("DTEND", end))
    lines += [f"STATUS:{event.status}", f"SUMMARY:{_escape(summary)}"]
    description = clean_text(event.description)
    if description:
        lines.append(f"DESCRIPTION:{_escape(description)}")
    location = _line(event.location)
    if location:
        lines.append(f"LOCATION:{_escape(location)}")
    url = _uri(event.url)
    if url:
        lines.append(f"URL;VALUE=URI:{url}")
    # One CATEGORIES line per value: ical.js splits "a\\,b" (value ending in a backslash) wrongly.
    for category in dict.fromkeys(c for c in (_line(c) for c in event.categories) if c):
        lines.append(f"CATEGORIES:{_escape(category)}")
    lines.append("TRANSP:TRANSPARENT" if event.transparent else "TRANSP:OPAQUE")
    if event.alarm_minutes is not None and event.status != "CANCELLED":
        minutes = int(event.alarm_minutes)
        # Before the start (a negative duration); icalendar wrote zero without the minus sign.
        trigger = f"-{_duration(minutes)}" if minutes else _duration(0)
        lines += [
            "BEGIN:VALARM",
            "ACTION:DISPLAY",
            f"DESCRIPTION:{_escape(summary or 'Reminder')}",
            f"TRIGGER:{trigger}",
            "END:VALARM",
        ]
    lines.append("END:VEVENT")
    return lines


def build_calendar(meta: FeedMeta, events: Iterable[FeedEvent]) -> bytes:
    """The whole feed as bytes. Events sorted by (start, UID); a UID twice raises ValueError."""
    rows: dict[str, tuple[FeedEvent, dt.datetime, dt.datetime]] = {}
    for event in events:
        start, end = _as_utc(event.starts_at), _as_utc(event.ends_at)
        _check(event, start, end)
        if event.uid in rows:
            raise ValueError(f"duplicate UID {event.uid}")
        rows[event.uid] = (event, start, end)
    lines = [*_calendar_head(meta), *_VTIMEZONE]
    for uid in sorted(rows, key=lambda uid: (rows[uid][1], uid)):  # by start, then UID
        lines += _vevent(*rows[uid])
    lines.append("END:VCALENDAR")
    return _serialise(lines)


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
