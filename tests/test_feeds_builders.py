"""The pure feed builder (volunteer_app/feeds/builders.py) and the lint of tests/ical_check.py."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import ical_check as ic
from volunteer_app.feeds import builders as b
from volunteer_app.feeds.builders import FeedEvent, FeedMeta, build_calendar
from volunteer_app.feeds.vtimezone import VTIMEZONE_TEXT

META = FeedMeta(
    name="Familienzentrum Jena: Angebote",
    description="Alle Termine, auch; mit Sonderzeichen",
    url="https://x.test/zentren/jena/kalender",
)
STAMP = dt.datetime(2025, 4, 1, 9, 15, 30)


def ev(n: int, start: dt.datetime | None = None, **kw) -> FeedEvent:
    start = start or dt.datetime(2026, 5, 4, 8) + dt.timedelta(hours=n)
    return FeedEvent(
        uid=kw.pop("uid", b.slot_uid(n)),
        starts_at=start,
        ends_at=kw.pop("ends_at", start + dt.timedelta(hours=1)),
        summary=kw.pop("summary", f"Angebot {n}"),
        last_modified=kw.pop("last_modified", STAMP),
        **kw,
    )


def lines(data: bytes) -> list[str]:
    return ic._unfold(data.decode().split("\r\n"))


def event_block(data: bytes, uid: str) -> list[str]:
    out, inside = [], False
    for line in lines(data):
        if line == "BEGIN:VEVENT":
            out, inside = [], True
        elif line == "END:VEVENT" and inside:
            if f"UID:{uid}" in out:
                return out
            inside = False
        elif inside:
            out.append(line)
    raise AssertionError(f"no VEVENT {uid}")


# --- calendar and event properties ------------------------------------------------------------


def test_calendar_properties():
    data = build_calendar(META, [])
    head = lines(data)[: lines(data).index("BEGIN:VTIMEZONE")]
    assert head == [
        "BEGIN:VCALENDAR",
        "PRODID:-//ThEKiZ Ehrenamt//Kalender//DE",
        "VERSION:2.0",
        "CALSCALE:GREGORIAN",
        "NAME:Familienzentrum Jena: Angebote",
        "X-WR-CALNAME:Familienzentrum Jena: Angebote",
        "DESCRIPTION:Alle Termine\\, auch\\; mit Sonderzeichen",
        "X-WR-CALDESC:Alle Termine\\, auch\\; mit Sonderzeichen",
        "URL;VALUE=URI:https://x.test/zentren/jena/kalender",
        "REFRESH-INTERVAL;VALUE=DURATION:PT6H",
        "X-PUBLISHED-TTL:PT6H",
        "X-WR-TIMEZONE:Europe/Berlin",
    ]
    assert not any(line.startswith("METHOD") for line in lines(data))
    assert data.count(b"BEGIN:VTIMEZONE") == 1 and b"RDATE" not in data
    assert b"RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\n" in data
    assert b"DTSTART:19701025T030000\r\n" in data
    other = FeedMeta(name="x", description="", url="https://x.test", refresh_hours=12)
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT12H\r\nX-PUBLISHED-TTL:PT12H\r\n" in build_calendar(
        other, []
    )


def test_vtimezone_block_is_the_fixed_rules():
    block = b.berlin_vtimezone().to_ical().decode()
    for needle in (
        "TZOFFSETFROM:+0100",
        "TZOFFSETTO:+0200",
        "DTSTART:19700329T020000",
        "BYMONTH=10",
        "TZNAME:CET",
        "TZNAME:CEST",
    ):
        assert needle in block and needle in VTIMEZONE_TEXT


def test_event_properties_in_berlin_time():
    event = ev(
        1,
        dt.datetime(2026, 7, 1, 14, 30),  # 16:30 CEST
        description="Bitte Hausschuhe mitbringen.\nDanke!",
        location="Raum 2, EG",
        url="https://x.test/angebote/1",
        sequence=3,
        categories=("Familie", "Sport", "Familie"),
        last_modified=dt.datetime(2026, 6, 1, 10, 0, 0, 999),
    )
    block = event_block(build_calendar(META, [event]), event.uid)
    assert block == [
        f"UID:{event.uid}",
        "DTSTAMP:20260601T100000Z",
        "LAST-MODIFIED:20260601T100000Z",
        "SEQUENCE:3",
        "DTSTART;TZID=Europe/Berlin:20260701T163000",
        "DTEND;TZID=Europe/Berlin:20260701T173000",
        "STATUS:CONFIRMED",
        "SUMMARY:Angebot 1",
        "DESCRIPTION:Bitte Hausschuhe mitbringen.\\nDanke!",
        "LOCATION:Raum 2\\, EG",
        "URL;VALUE=URI:https://x.test/angebote/1",
        "CATEGORIES:Familie",
        "CATEGORIES:Sport",
        "TRANSP:OPAQUE",
    ]
    winter = event_block(build_calendar(META, [ev(2, dt.datetime(2026, 1, 5, 9))]), b.slot_uid(2))
    assert "DTSTART;TZID=Europe/Berlin:20260105T100000" in winter


def test_aware_datetimes_are_accepted_as_utc():
    naive = build_calendar(META, [ev(1, dt.datetime(2026, 3, 1, 12))])
    aware = build_calendar(META, [ev(1, dt.datetime(2026, 3, 1, 13, tzinfo=b.BERLIN))])
    assert naive == aware


def test_transparent_and_alarm():
    quiet = event_block(build_calendar(META, [ev(1, transparent=True)]), b.slot_uid(1))
    assert "TRANSP:TRANSPARENT" in quiet and "BEGIN:VALARM" not in quiet
    data = build_calendar(META, [ev(1, alarm_minutes=90)])
    block = event_block(data, b.slot_uid(1))
    alarm = block[block.index("BEGIN:VALARM") : block.index("END:VALARM") + 1]
    assert alarm == [
        "BEGIN:VALARM",
        "ACTION:DISPLAY",
        "DESCRIPTION:Angebot 1",
        "TRIGGER:-PT1H30M",
        "END:VALARM",
    ]
    ic.assert_valid(data)
    cancelled = build_calendar(META, [ev(1, alarm_minutes=30, status="CANCELLED")])
    assert b"VALARM" not in cancelled
    with pytest.raises(ValueError):
        build_calendar(META, [ev(1, alarm_minutes=-5)])


def test_cancelled_summary_gets_the_prefix_once():
    data = build_calendar(
        META,
        [
            ev(1, status="CANCELLED", cancelled_prefix="Abgesagt: "),
            ev(2, status="CANCELLED", cancelled_prefix="Abgesagt: ", summary="Abgesagt: Yoga"),
            ev(3, status="TENTATIVE", cancelled_prefix="Abgesagt: "),
        ],
    )
    assert "SUMMARY:Abgesagt: Angebot 1" in event_block(data, b.slot_uid(1))
    assert "SUMMARY:Abgesagt: Yoga" in event_block(data, b.slot_uid(2))
    assert "SUMMARY:Angebot 3" in event_block(data, b.slot_uid(3))
    assert "STATUS:TENTATIVE" in event_block(data, b.slot_uid(3))


def test_invalid_events_are_refused():
    with pytest.raises(ValueError, match="duplicate UID"):
        build_calendar(META, [ev(1), ev(2, uid=b.slot_uid(1))])
    with pytest.raises(ValueError, match="STATUS"):
        build_calendar(META, [ev(1, status="DONE")])
    with pytest.raises(ValueError, match="ends before"):
        build_calendar(META, [ev(1, ends_at=dt.datetime(2000, 1, 1))])
    with pytest.raises(ValueError, match="UID"):
        build_calendar(META, [ev(1, uid="a b")])
    with pytest.raises(ValueError, match="SEQUENCE"):
        build_calendar(META, [ev(1, sequence=-1)])


def test_an_instant_has_no_dtend():
    start = dt.datetime(2026, 5, 4, 8)
    block = event_block(build_calendar(META, [ev(1, start, ends_at=start)]), b.slot_uid(1))
    assert not any(line.startswith("DTEND") for line in block)


# --- identity, determinism --------------------------------------------------------------------


def test_uids_are_stable_and_distinct():
    assert b.slot_uid(42) == b.entry_uid("slot", 42) == b.slot_uid(42)
    # Pinned: a changed UID makes every subscribed client duplicate all events.
    assert b.slot_uid(42) == "a5d54119-645f-55e6-9b00-9d89de61069e@thekiz-ehrenamt"
    assert b.slot_uid(42, domain="example.org").endswith("@example.org")
    day = dt.date(2026, 3, 3)
    uids = {
        b.slot_uid(42),
        b.slot_uid(43),
        b.entry_uid("booking", 42),
        b.entry_uid("booking", 42, day),
        b.entry_uid("booking", 42, day + dt.timedelta(days=7)),
    }
    assert len(uids) == 5


def test_same_data_in_any_order_gives_the_same_bytes():
    events = [ev(n, dt.datetime(2026, 5, 4, 8) + dt.timedelta(hours=n % 5)) for n in range(60)]
    data = build_calendar(META, events)
    for seed in range(5):
        shuffled = events[:]
        random.Random(seed).shuffle(shuffled)
        assert build_calendar(META, iter(shuffled)) == data
    starts = [line for line in lines(data) if line.startswith("DTSTART;")]
    assert starts == sorted(starts)  # by start, then UID


# --- text -------------------------------------------------------------------------------------


def test_clean_text():
    assert b.clean_text("a\x00b\x0bc\x1bd\x7fe\x85f\u2028g\u2029h") == "abcdefgh"
    assert b.clean_text("  x\r\ny\rz\tw  ") == "x\ny\nz w"
    assert b.clean_text("\u202eevil\u202c \ufeffbom \ud800") == "evil bom"
    assert b.clean_text("Cafe\u0301") == "Café"  # NFC
    assert b.clean_text("") == "" and b.clean_text(None) == ""


def test_text_is_escaped_and_cleaned():
    event = ev(1, summary="a;b,c\\d\nzwei\x00", location="x\ny", description="C:\\Neu\\new;\n")
    block = event_block(build_calendar(META, [event]), event.uid)
    assert "SUMMARY:a\\;b\\,c\\\\d zwei" in block
    assert "LOCATION:x y" in block
    assert "DESCRIPTION:C:\\\\Neu\\\\new\\;" in block


def test_long_lines_fold_without_splitting_utf8():
    event = ev(1, summary="ä😀" * 80, description="x" * 300 + "€" * 100)
    data = build_calendar(META, [event])
    assert ic.lint(data) == []
    raw = data.split(b"\r\n")
    assert max(len(line) for line in raw) <= 75
    for line in raw:
        line.decode("utf-8")  # each physical line is whole UTF-8
    assert ic.icalendar_events(data)[0][3] == "ä😀" * 80


# --- window, replaced link --------------------------------------------------------------------


def test_window_uses_berlin_midnights():
    start, end = b.window(dt.date(2026, 7, 15))
    assert start == dt.datetime(2026, 5, 15, 22, 0)  # 16 May 00:00 CEST
    assert end == dt.datetime(2027, 7, 15, 22, 0)  # 16 July 2027 00:00 CEST
    start, end = b.window(dt.date(2026, 12, 1), back_days=60, ahead_days=1)
    assert start == dt.datetime(2026, 10, 1, 22, 0)  # 2 Oct 00:00 CEST
    assert end == dt.datetime(2026, 12, 2, 23, 0)  # 3 Dec 00:00 CET
    start, end = b.window(dt.date(2026, 1, 10), back_days=0, ahead_days=0)
    assert (start, end) == (dt.datetime(2026, 1, 9, 23), dt.datetime(2026, 1, 10, 23))
    with pytest.raises(ValueError):
        b.window(dt.date(2026, 1, 1), back_days=-1)


def test_replaced_link_calendar():
    now = dt.datetime(2026, 3, 29, 8, 41, 7)  # 10:41 CEST
    data = b.replaced_link_calendar(META, "Dieser Link wurde ersetzt.\nNeuer Link: Konto", now)
    rows = ic.assert_valid(data, details=True)
    assert len(rows) == 1
    uid, start, end, summary, status, description, _, _ = rows[0]
    assert (start, end) == (dt.datetime(2026, 3, 29, 8), dt.datetime(2026, 3, 29, 9))
    assert summary == "Dieser Link wurde ersetzt. Neuer Link: Konto"
    assert description == "Dieser Link wurde ersetzt.\nNeuer Link: Konto"
    assert status == "CONFIRMED"
    same_hour = b.replaced_link_calendar(
        META, "Dieser Link wurde ersetzt.\nNeuer Link: Konto", now + dt.timedelta(minutes=15)
    )
    assert same_hour == data  # stable ETag within the hour
    other = FeedMeta(name="x", description="", url="https://x.test/other")
    assert ic.icalendar_events(b.replaced_link_calendar(other, "m", now))[0][0] != uid


# --- lint -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def good() -> bytes:
    return build_calendar(META, [ev(1), ev(2, status="CANCELLED")])


def test_lint_passes_the_builder_output(good):
    assert ic.lint(good) == []


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d.replace(b"\r\n", b"\n"), "LF without CR"),
        (lambda d: d.replace(b"SUMMARY:Angebot 1", b"SUMMARY:" + b"x" * 68), "76 octets"),
        (lambda d: b"\xef\xbb\xbf" + d, "BOM"),
        (lambda d: d.replace(b"Angebot 1", b"Angebot\x1b1"), "control character"),
        (lambda d: d.replace(b"Angebot 1", b"Angebot\xc2\x851"), "control character"),
        (lambda d: d.replace(b"Angebot 1", b"Angebot\xe2\x80\xa81"), "control character"),
        (lambda d: d.replace(b"Angebot 1", b"Angebot \xff"), "not valid UTF-8"),
        (lambda d: d.replace(b"Angebot 1", b"Angebot \xc3\r\n \xa4"), "not valid UTF-8"),
        (lambda d: d.replace(b_uid(2), b_uid(1)), "in 2 VEVENTs"),
        (lambda d: d.replace(b"CALSCALE", b"METHOD:PUBLISH\r\nCALSCALE"), "METHOD"),
        (lambda d: d.replace(b"TRANSP:OPAQUE", b"RRULE:FREQ=WEEKLY\r\nTRANSP:OPAQUE", 1), "RRULE"),
        (lambda d: d.replace(b"DTSTART;TZID=Europe/Berlin:", b"DTSTART:", 1), "floating"),
        (lambda d: d.replace(b"TZID:Europe/Berlin", b"TZID:Europe/Paris"), "without a VTIMEZONE"),
        (lambda d: d.replace(b"END:VEVENT\r\n", b"", 1), "does not close"),
        (lambda d: d[: -len(b"\r\n")], "does not end with CRLF"),
        (lambda d: d.replace(b"UID:", b"X-UID:", 1), "VEVENT without UID"),
        (lambda d: b"", "empty"),
    ],
)
def test_lint_catches(good, mutate, expected):
    problems = ic.lint(mutate(good))
    assert any(expected in p for p in problems), problems


def b_uid(n: int) -> bytes:
    return b.slot_uid(n).encode()


def test_lint_accepts_a_75_octet_line_and_folded_multibyte(good):
    assert ic.lint(good.replace(b"SUMMARY:Angebot 1", b"SUMMARY:" + b"x" * 67)) == []
    folded = good.replace(
        b"SUMMARY:Angebot 1", b"SUMMARY:" + "ü".encode() + b"\r\n " + "ö".encode()
    )
    assert ic.lint(folded) == []


# --- property-based text round trip -----------------------------------------------------------

TEXT = st.lists(
    st.characters(codec="utf-8", exclude_categories=("Cs",))
    | st.sampled_from(
        [
            *"äöüß€😀,;\\:\"'\n\r\t ",
            "👨‍👩‍👧",
            "\\n",
            "\\N",
            "\\,",
            "\x00",
            "\x85",
            "\u2028",
            "\ufeff",
        ]
    ),
    max_size=60,
).map("".join)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(summary=TEXT, description=TEXT, location=TEXT, category=TEXT)
def test_text_round_trips_through_icalendar_and_lint(summary, description, location, category):
    event = ev(
        1, summary=summary, description=description, location=location, categories=(category,)
    )
    data = build_calendar(META, [event])
    assert ic.lint(data) == []
    (row,) = ic.icalendar_events(data, details=True)
    assert row[3] == b._line(summary)
    assert row[5] == b.clean_text(description)
    assert row[6] == b._line(location)
    assert row[7] == ((b._line(category),) if b._line(category) else ())
    assert ic.vobject_events(data, details=True) == [row]


def test_text_round_trips_through_icaljs_in_one_batch():
    ic.require_icaljs()
    texts = st.lists(st.tuples(TEXT, TEXT, TEXT), min_size=120, max_size=120)
    samples: list = []

    @settings(
        max_examples=1,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(texts)
    def collect(values):
        samples[:] = values

    collect()
    fixed = [
        ("a\\,b", "x\\", "\\"),
        ("😀" * 40, "\n\n\n", ";;;,,,"),
        ("C:\\New", "\\N\\n", "ü" * 50),
    ]
    samples = samples + fixed
    calendars = [
        build_calendar(META, [ev(1, summary=s, description=d, location=loc, categories=(s,))])
        for s, d, loc in samples
    ]
    for data, result in zip(
        calendars, ic.icaljs_events_batch(calendars, details=True), strict=True
    ):
        assert result == ic.icalendar_events(data, details=True)
