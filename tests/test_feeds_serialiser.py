"""The feed builder's own serialiser against the icalendar-based builder it replaced (an oracle).

``builders.build_calendar`` writes content lines itself because icalendar's ``Component.add`` /
``to_ical`` / ``_foldline`` made a 2,000-event feed take about a second. Clients key on the bytes
(ETag, UIDs), so the output must not change: the oracle below is the building code of
volunteer_app/feeds/builders.py as of commit 36bc617 (icalendar components, its text cleaning
and time helpers copied unchanged), and every test here demands the same bytes, or the same kind
of error, from both. A deliberate change of the feed's bytes has to change the oracle too.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import unicodedata
from collections.abc import Iterable

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from icalendar import Alarm, Calendar, Event, vDuration, vText, vUri
from icalendar.parser import _foldline

from tests import ical_check as ic
from volunteer_app.feeds import builders as b
from volunteer_app.feeds.builders import FeedEvent, FeedMeta, build_calendar

UTC = dt.UTC
BERLIN = b.BERLIN
MAX_ALARM_MINUTES = 7 * 24 * 60
STATUSES = ("CONFIRMED", "TENTATIVE", "CANCELLED")

# --- the oracle: the icalendar-based builder, copied unchanged ---------------------------

_CONTROL = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
    "\ufeff\ufff9-\ufffb\ufdd0-\ufdef\ufffe\uffff\ud800-\udfff]"
)


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


def _uri(value: str) -> str:
    # A URI has no whitespace or control characters at all.
    return "".join(clean_text(value).split())


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


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


class _Text(vText):
    def to_ical(self) -> bytes:
        return _escape(str(self)).encode("utf-8")


class _TextList(vText):
    def __new__(cls, values: Iterable[str]):
        values = tuple(values)
        self = super().__new__(cls, ",".join(values))
        self._values = values
        return self

    def to_ical(self) -> bytes:
        return ",".join(_escape(v) for v in self._values).encode("utf-8")


def _oracle_calendar(meta: FeedMeta) -> Calendar:
    hours = int(meta.refresh_hours)
    if hours < 1:
        raise ValueError("refresh_hours must be at least 1")
    ttl = dt.timedelta(hours=hours)
    name, description = _line(meta.name), clean_text(meta.description)
    cal = Calendar()
    cal.add("prodid", b.PRODID)
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
    cal.add("x-wr-timezone", b.TZID)
    cal.add_component(b.berlin_vtimezone())
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


def _oracle_vevent(event: FeedEvent) -> Event:
    summary = _line(event.summary)
    if event.status == "CANCELLED":
        prefix = _line(event.cancelled_prefix)
        if prefix and not summary.startswith(prefix):
            summary = f"{prefix} {summary}".strip() if summary else prefix
    stamp = _as_utc(event.last_modified)
    start, end = _berlin(event.starts_at), _berlin(event.ends_at)

    vevent = Event()
    vevent.add("uid", event.uid)
    vevent.add("dtstamp", stamp)
    vevent.add("last-modified", stamp)
    vevent.add("sequence", int(event.sequence))
    vevent.add("dtstart", start)
    if end > start:
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


def oracle_build_calendar(meta: FeedMeta, events: Iterable[FeedEvent]) -> bytes:
    events = list(events)
    seen: set[str] = set()
    for event in events:
        _check(event)
        if event.uid in seen:
            raise ValueError(f"duplicate UID {event.uid}")
        seen.add(event.uid)
    cal = _oracle_calendar(meta)
    for event in sorted(events, key=lambda e: (_as_utc(e.starts_at), e.uid)):
        cal.add_component(_oracle_vevent(event))
    return cal.to_ical(sorted=False)


def outcome(build, meta: FeedMeta, events: list[FeedEvent]) -> bytes | tuple[str, str]:
    """The bytes, or the error (type and message) when the input is refused."""
    try:
        return build(meta, events)
    except (ValueError, TypeError) as error:
        return type(error).__name__, str(error)


def assert_same(meta: FeedMeta, events: list[FeedEvent]) -> None:
    expected = outcome(oracle_build_calendar, meta, events)
    got = outcome(build_calendar, meta, events)
    if isinstance(expected, bytes) and isinstance(got, bytes) and got != expected:
        # Show the first differing line rather than two walls of bytes.
        for new, old in zip(got.split(b"\r\n"), expected.split(b"\r\n"), strict=False):
            assert new == old
    assert got == expected


# --- strategies -------------------------------------------------------------------------------

# Characters that matter to escaping, folding (1-4 octets, "\\" and "^" kept off a fold), NFC and
# cleaning (controls, separators, bidi, BOM are dropped before serialising).
SPECIAL = [
    *"äöüßÄÖÜ€😀👍,;:\\^\"'\n\r\t x",
    "👨‍👩‍👧",
    "e\u0301",
    "\\n",
    "\\N",
    "\\,",
    "\x00",
    "\x1b",
    "\x7f",
    "\x85",
    "\u2028",
    "\u202e",
    "\ufeff",
]
CHAR = st.characters(codec="utf-8", exclude_categories=("Cs",)) | st.sampled_from(SPECIAL)
TEXT = st.lists(CHAR, max_size=40).map("".join)
# Lines near and across the 75-octet fold: an ASCII run of 40-90 octets, then multi-byte text.
LONG = st.builds(
    lambda n, tail, lead: lead * n + tail,
    st.integers(40, 90),
    st.lists(st.sampled_from([*"ä€😀\\^,;x", "\\n"]), max_size=60).map("".join),
    st.sampled_from(["x", "ä", "€", "😀", "\\", "^", ";"]),
)
ANY_TEXT = TEXT | LONG
URL = st.sampled_from(["", "https://x.test/a", " https://x.test/b?c=1&d=ä;e,f\\ \n"]) | ANY_TEXT
# Whitespace, controls and format characters are refused in a UID (tested in test_feeds_builders).
UID_CHARS = st.characters(
    codec="utf-8", exclude_categories=("Cs", "Zs", "Zl", "Zp", "Cc", "Cf", "Cn")
) | st.sampled_from([*';,\\^:"', "\\N", "\\n"])
UID = st.builds(b.slot_uid, st.integers(0, 10**6)) | st.lists(
    UID_CHARS, min_size=1, max_size=90
).map("".join)


def _last_sunday(year: int, month: int) -> dt.date:
    day = dt.date(year, month + 1, 1) - dt.timedelta(days=1)
    return day - dt.timedelta(days=(day.weekday() + 1) % 7)


# 22:00-03:00 UTC around both DST Sundays, incl. the repeated autumn hour (00:00-02:00 UTC).
DST_EDGE = st.builds(
    lambda year, month, minutes, seconds: (
        dt.datetime.combine(_last_sunday(year, month), dt.time())
        + dt.timedelta(minutes=minutes, seconds=seconds)
    ),
    st.integers(1996, 2040),
    st.sampled_from([3, 10]),
    st.integers(-120, 180),
    st.sampled_from([0, 0, 59]),
)
# Far years too (icalendar zero-pads the year), with room for LENGTH and time zones.
EXTREME = st.sampled_from([dt.datetime(1, 1, 2), dt.datetime(999, 6, 1), dt.datetime(9999, 12, 27)])
NAIVE = DST_EDGE | st.datetimes(dt.datetime(1971, 1, 1), dt.datetime(2199, 12, 31)) | EXTREME
MOMENT = NAIVE | st.builds(
    lambda t, zone: t.replace(tzinfo=dt.UTC).astimezone(zone),
    NAIVE,
    st.sampled_from([UTC, BERLIN, dt.timezone(dt.timedelta(hours=-5, minutes=-30))]),
)
LENGTH = st.sampled_from([dt.timedelta(0), dt.timedelta(hours=1)]) | st.timedeltas(
    dt.timedelta(0), dt.timedelta(days=3)
)


@st.composite
def feed_events(draw) -> FeedEvent:
    start = draw(MOMENT)
    return FeedEvent(
        uid=draw(UID),
        starts_at=start,
        ends_at=start + draw(LENGTH),
        summary=draw(ANY_TEXT),
        last_modified=draw(MOMENT),
        description=draw(ANY_TEXT),
        location=draw(ANY_TEXT),
        url=draw(URL),
        status=draw(st.sampled_from([*STATUSES, "CANCELLED"])),
        cancelled_prefix=draw(st.sampled_from(["", "Abgesagt: ", "Abgesagt:", " \n"]) | TEXT),
        sequence=draw(st.integers(0, 500) | st.sampled_from([0, 2**31 - 1])),
        categories=tuple(draw(st.lists(st.sampled_from(["Familie", "Sport"]) | TEXT, max_size=4))),
        alarm_minutes=draw(
            st.none()
            | st.sampled_from([0, 1, 59, 60, 61, 1439, 1440, 1441, MAX_ALARM_MINUTES])
            | st.integers(0, MAX_ALARM_MINUTES)
        ),
        transparent=draw(st.booleans()),
    )


METAS = st.builds(
    FeedMeta,
    name=ANY_TEXT,
    description=ANY_TEXT,
    url=URL,
    refresh_hours=st.integers(1, 24 * 60) | st.sampled_from([6, 1, 23, 24, 25, 48, 168, 1000]),
)


# --- same bytes as the oracle -----------------------------------------------------------------


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(meta=METAS, events=st.lists(feed_events(), min_size=1, max_size=4))
@example(
    meta=FeedMeta(name="x" * 69 + "ä", description="", url=""),
    events=[
        FeedEvent(
            uid="a\\Nb;c,d^\\",
            starts_at=dt.datetime(2026, 10, 25, 0, 30),  # 02:30 CEST, first pass: UTC
            ends_at=dt.datetime(2026, 10, 25, 1, 30),  # 02:30 CET, second pass: UTC
            summary="x" * 65 + "\\,",
            last_modified=dt.datetime(2026, 1, 1),
            status="CANCELLED",
            cancelled_prefix="Abgesagt: ",
            alarm_minutes=30,
        ),
        FeedEvent(
            uid=b.slot_uid(2),
            starts_at=dt.datetime(2026, 3, 29, 1),  # 03:00 CEST, just after the spring gap
            ends_at=dt.datetime(2026, 3, 29, 1),
            summary="",
            last_modified=dt.datetime(2026, 1, 1, 0, 0, 0, 999999),
            categories=("a\\", "a\\", "€" * 30),
            alarm_minutes=0,  # TRIGGER:P0D, no minus
        ),
    ],
)
def test_same_bytes_as_the_icalendar_builder(meta, events):
    assert_same(meta, events)


SMALL = FeedMeta(name="x", description="", url="")


def _one(**changes) -> FeedEvent:
    start = dt.datetime(2026, 5, 4, 8)
    fields = {"uid": b.slot_uid(1), "starts_at": start, "ends_at": start, "summary": "x"}
    return FeedEvent(**{**fields, "last_modified": start, **changes})


@pytest.mark.parametrize(
    ("meta", "events"),
    [
        (SMALL, [_one(status="DONE")]),
        (SMALL, [_one(ends_at=dt.datetime(2026, 5, 4, 7, 59, 59))]),
        (SMALL, [_one(sequence=-1)]),
        (SMALL, [_one(sequence=2**31)]),  # icalendar refuses an INTEGER beyond 32 bits
        (SMALL, [_one(alarm_minutes=-1)]),
        (SMALL, [_one(alarm_minutes=MAX_ALARM_MINUTES + 1)]),
        (SMALL, [_one(uid="a\u202eb")]),
        (SMALL, [_one(), _one()]),
        (SMALL, [_one(starts_at=dt.date(2026, 5, 4))]),
        (FeedMeta(name="x", description="", url="", refresh_hours=0), []),
    ],
)
def test_refused_input_is_refused_alike(meta, events):
    refused = outcome(oracle_build_calendar, meta, events)
    assert not isinstance(refused, bytes)
    assert outcome(build_calendar, meta, events)[0] == refused[0]  # the same kind of error


@settings(max_examples=300, deadline=None)
@given(st.lists(CHAR | st.sampled_from(["\\\\", "^^"]), max_size=200).map("".join))
def test_folding_matches_icalendar(text):
    line = "X:" + text.replace("\r", "").replace("\n", "")
    assert b._fold(line.encode()) == _foldline(line).encode()


def realistic_events(count: int, seed: int = 20260301) -> list[FeedEvent]:
    """Deterministic feed of ``count`` events as the views build them, spread over a year."""
    rnd = random.Random(seed)
    titles = [
        "Krabbelgruppe",
        "Elterncafé mit Frühstück",
        "Hausaufgabenhilfe; Klasse 1–4",
        "Näh-Werkstatt, Anfänger & Fortgeschrittene",
        "Vorlesestunde 📚 für Kinder ab 3",
        "Beratung \\ Sprechstunde",
        "Großer Spieleabend für die ganze Familie im Gemeindesaal am Markt",
    ]
    places = ["Raum 2, EG", "Küche", "Garten (bei Regen: Saal)", "Löbdergraben 12, 07743 Jena"]
    start0 = dt.datetime(2026, 1, 5, 7)
    events = []
    for n in range(count):
        start = start0 + dt.timedelta(minutes=30 * rnd.randrange(0, 365 * 24 * 2))
        status = rnd.choice(["CONFIRMED"] * 8 + ["TENTATIVE", "CANCELLED"])
        events.append(
            FeedEvent(
                uid=b.entry_uid("slot", n, start.date()),
                starts_at=start,
                ends_at=start + dt.timedelta(minutes=rnd.choice([0, 45, 60, 90, 120, 180])),
                summary=rnd.choice(titles),
                last_modified=dt.datetime(2025, 12, 1) + dt.timedelta(seconds=n * 977),
                description=rnd.choice(
                    ["", "Bitte Hausschuhe mitbringen.\nDanke!", "Anmeldung: 03641 123456. " * 4]
                ),
                location=rnd.choice(places),
                url=f"https://x.test/angebote/{n}",
                status=status,
                cancelled_prefix="Abgesagt: ",
                sequence=rnd.randrange(0, 4),
                categories=tuple(rnd.sample(["Familie", "Sport", "Kreativ", "Beratung"], 2)),
                alarm_minutes=rnd.choice([None, None, 30, 90, 1440]),
                transparent=rnd.random() < 0.5,
            )
        )
    return events


META = FeedMeta(
    name="Familienzentrum Jena: Angebote, Beratung & mehr (öffentlicher Kalender)",
    description="Alle Termine; auch abgesagte.\nFragen? Ruf an.",
    url="https://x.test/zentren/jena/kalender",
)


@pytest.fixture(scope="module")
def big() -> list[FeedEvent]:
    return realistic_events(2000)


def test_a_realistic_2000_event_feed_is_byte_identical_and_valid(big):
    data = build_calendar(META, big)
    assert data == oracle_build_calendar(META, big)
    assert ic.lint(data) == []
    assert data.count(b"BEGIN:VEVENT") == 2000 and b"BEGIN:VALARM" in data
    assert build_calendar(META, []) == oracle_build_calendar(META, [])
