"""Independent readers and a byte-level lint for iCalendar feeds (rules: docs/feeds.md).

Use ``assert_valid(data)`` in any feed test: icalendar reports no component errors, the lint is
clean, and icalendar, recurring-ical-events, vobject and ical.js (Thunderbird's parser, run in
Node) all read the same events. Every reader returns a sorted list of
``(uid, start_utc, end_utc, summary, status)`` with **naive UTC** datetimes, like the database;
``details=True`` appends ``(description, location, categories)``.

ical.js needs ``node`` and ``npm ci --prefix tests/js`` (``make test`` does it). Without them the
ical.js reader skips the test with the reason, except in CI (``REQUIRE_BROWSER=1`` or
``REQUIRE_POSTGRES=1``), where it fails.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import icalendar
import pytest
import recurring_ical_events
import vobject

JS_DIR = Path(__file__).parent / "js"
ICALJS_SCRIPT = JS_DIR / "icaljs_events.mjs"
TZID = "Europe/Berlin"
MAX_OCTETS = 75

_FAR_PAST = dt.datetime(1970, 1, 1)
_FAR_FUTURE = dt.datetime(2200, 1, 1)
# Forbidden anywhere in a feed line (after the CRLF split): C0 except TAB, DEL, C1 (incl. NEL),
# line/paragraph separators, bidi controls, BOM/ZWNBSP, noncharacters.
_CONTROL = re.compile(
    "[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
    "\ufeff\ufff9-\ufffb\ufdd0-\ufdef\ufffe\uffff]"
)
# Properties a snapshot feed must not have (docs/feeds.md: expand recurrences, no METHOD).
_FORBIDDEN_IN_EVENT = {"RRULE", "RDATE", "EXDATE", "EXRULE", "RECURRENCE-ID"}


# --- lint -----------------------------------------------------------------------------------


def _unfold(lines: list[str]) -> list[str]:
    out: list[str] = []
    for line in lines:
        if line[:1] in (" ", "\t") and out:
            out[-1] += line[1:]
        else:
            out.append(line)
    return out


def _name_and_params(line: str) -> tuple[str, str]:
    head = re.split(r"[:;]", line, maxsplit=1)[0]
    return head.upper(), line[len(head) :].split(":", 1)[0] if ":" in line else ""


def lint(data: bytes) -> list[str]:
    """Byte-level and structural problems of a feed; empty when it is clean."""
    problems: list[str] = []
    if data.startswith(b"\xef\xbb\xbf"):
        problems.append("starts with a UTF-8 BOM")
        data = data[3:]
    if not data:
        return [*problems, "empty"]
    if not data.endswith(b"\r\n"):
        problems.append("does not end with CRLF")
    if re.search(rb"(?<!\r)\n", data):
        problems.append("LF without CR (line ends must be CRLF)")
    if re.search(rb"\r(?!\n)", data):
        problems.append("CR without LF")
    raw_lines = data.split(b"\r\n")
    if raw_lines and raw_lines[-1] == b"":
        raw_lines.pop()
    lines: list[str] = []
    for number, raw in enumerate(raw_lines, 1):
        if len(raw) > MAX_OCTETS:
            problems.append(f"line {number} has {len(raw)} octets (max {MAX_OCTETS})")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            problems.append(f"line {number} is not valid UTF-8 on its own ({error.reason})")
            text = raw.decode("utf-8", "replace")
        if _CONTROL.search(text.replace("\n", "")):
            problems.append(f"line {number} contains a control character")
        if number > 1 and raw[:1] not in (b" ", b"\t") and raw.strip() == b"":
            problems.append(f"line {number} is blank")
        lines.append(text)
    problems.extend(_structure(_unfold(lines)))
    return problems


def _structure(lines: list[str]) -> list[str]:
    problems: list[str] = []
    if not lines or lines[0] != "BEGIN:VCALENDAR" or lines[-1] != "END:VCALENDAR":
        problems.append("not one VCALENDAR from the first to the last line")
    stack: list[str] = []
    uids: Counter[str] = Counter()
    event_uids: list[str] = []
    timezones: list[str] = []
    tzids_used: set[str] = set()
    for line in lines:
        name, params = _name_and_params(line)
        value = line.split(":", 1)[1] if ":" in line else ""
        if name == "BEGIN":
            stack.append(value.upper())
            if value.upper() == "VEVENT":
                event_uids.append("")
            continue
        if name == "END":
            if not stack or stack[-1] != value.upper():
                problems.append(f"END:{value} does not close {stack[-1] if stack else 'anything'}")
            else:
                stack.pop()
                if value.upper() == "VEVENT":
                    uid = event_uids.pop() if event_uids else ""
                    if not uid:
                        problems.append("VEVENT without UID")
                    uids[uid] += 1
            continue
        where = stack[-1] if stack else ""
        if where == "VCALENDAR" and name == "METHOD":
            problems.append("METHOD in a subscription feed")
        if where == "VTIMEZONE" and name == "TZID":
            timezones.append(value)
        if where in ("DAYLIGHT", "STANDARD") and name == "RDATE" and "," in value:
            problems.append("multi-valued RDATE in VTIMEZONE (ical.js and vobject misread it)")
        if where == "VEVENT":
            if name == "UID" and event_uids:
                event_uids[-1] = value
            if name in _FORBIDDEN_IN_EVENT:
                problems.append(f"{name} in a VEVENT (feeds expand recurrences)")
            if name in ("DTSTART", "DTEND"):
                tzid = re.search(r";TZID=([^;:]+)", params, re.IGNORECASE)
                if tzid:
                    tzids_used.add(tzid.group(1))
                elif not value.endswith("Z") and "VALUE=DATE" not in params.upper():
                    problems.append(f"floating {name}:{value} (no TZID, not UTC)")
    if stack:
        problems.append(f"unclosed {', '.join(stack)}")
    for uid, count in sorted(uids.items()):
        if count > 1:
            problems.append(f"UID {uid} in {count} VEVENTs")
    for tzid in sorted(tzids_used - set(timezones)):
        problems.append(f"TZID {tzid} used without a VTIMEZONE")
    for tzid, count in Counter(timezones).items():
        if count > 1:
            problems.append(f"VTIMEZONE {tzid} {count} times")
    return problems


# --- readers --------------------------------------------------------------------------------


def _naive_utc(value) -> dt.datetime:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise AssertionError(f"floating time {value} read from the feed")
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    if isinstance(value, dt.date):  # all-day: the date's Berlin midnight
        local = dt.datetime.combine(value, dt.time(0, 0))
        return _naive_utc(local.replace(tzinfo=_berlin()))
    raise AssertionError(f"unexpected time value {value!r}")


def _berlin():
    from zoneinfo import ZoneInfo

    return ZoneInfo(TZID)


def _aware(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def _row(uid, start, end, summary, status, details, description, location, categories):
    row = (str(uid), start, end, str(summary), str(status))
    if details:
        row += (str(description), str(location), tuple(str(c) for c in categories))
    return row


def _icalendar_rows(components, details: bool) -> list[tuple]:
    rows = []
    for event in components:
        if event.name != "VEVENT":
            continue
        categories = [str(c) for c in event.categories] if "CATEGORIES" in event else []
        rows.append(
            _row(
                event.get("UID", ""),
                _naive_utc(event.start),
                _naive_utc(event.end),
                event.get("SUMMARY", ""),
                event.get("STATUS", ""),
                details,
                event.get("DESCRIPTION", ""),
                event.get("LOCATION", ""),
                categories,
            )
        )
    return sorted(rows)


def icalendar_events(data: bytes, *, details: bool = False) -> list[tuple]:
    """Events as icalendar 7 reads them (its own parser and zoneinfo for known TZIDs)."""
    cal = icalendar.Calendar.from_ical(data)
    return _icalendar_rows(cal.walk("VEVENT"), details)


def recurring_events(
    data: bytes | icalendar.Calendar,
    start_utc: dt.datetime,
    end_utc: dt.datetime,
    *,
    details: bool = False,
) -> list[tuple]:
    """Events between two UTC instants as recurring-ical-events sees them (it applies
    X-WR-TIMEZONE through the x-wr-timezone package first, as Google-like readers do)."""
    cal = data if isinstance(data, icalendar.Calendar) else icalendar.Calendar.from_ical(data)
    found = recurring_ical_events.of(cal).between(_aware(start_utc), _aware(end_utc))
    return _icalendar_rows(found, details)


def vobject_events(data: bytes, *, details: bool = False) -> list[tuple]:
    """Events as vobject reads them (time zones built from the feed's VTIMEZONE via dateutil)."""
    cal = vobject.readOne(data.decode("utf-8"))
    rows = []
    for event in getattr(cal, "vevent_list", []):
        start = event.dtstart.value
        if "dtend" in event.contents:
            end = event.dtend.value
        elif "duration" in event.contents:
            end = start + event.duration.value
        else:
            end = start
        categories = [v for c in event.contents.get("categories", []) for v in c.value]
        rows.append(
            _row(
                event.uid.value,
                _naive_utc(start),
                _naive_utc(end),
                event.summary.value if "summary" in event.contents else "",
                event.status.value if "status" in event.contents else "",
                details,
                event.description.value if "description" in event.contents else "",
                event.location.value if "location" in event.contents else "",
                categories,
            )
        )
    return sorted(rows)


def _ci() -> bool:
    return bool(os.environ.get("REQUIRE_BROWSER") or os.environ.get("REQUIRE_POSTGRES"))


def icaljs_missing() -> str | None:
    """Why ical.js cannot run here, or None."""
    if not shutil.which("node"):
        return "node is not installed"
    if not (JS_DIR / "node_modules" / "ical.js" / "package.json").is_file():
        return "ical.js is not installed (run `npm ci --prefix tests/js` or `make test`)"
    return None


def require_icaljs() -> None:
    """Skip (locally) or fail (CI) when the ical.js reader cannot run."""
    missing = icaljs_missing()
    if missing:
        if _ci():
            pytest.fail(f"ical.js reader required in CI: {missing}")
        pytest.skip(f"ical.js reader unavailable: {missing}")


def _run_node(stdin: bytes, *args: str) -> bytes:
    require_icaljs()
    result = subprocess.run(
        ["node", str(ICALJS_SCRIPT), *args],
        input=stdin,
        capture_output=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(result.stderr.decode("utf-8", "replace").strip())
    return result.stdout


def _icaljs_rows(raw: list[dict], details: bool) -> list[tuple]:
    rows = []
    for event in raw:
        for key in ("tzid", "end_tzid"):
            if event[key] not in (TZID, "UTC"):
                raise AssertionError(f"ical.js read {event['uid']} in zone {event[key]!r}")
        rows.append(
            _row(
                event["uid"],
                dt.datetime.fromtimestamp(event["start"], dt.UTC).replace(tzinfo=None),
                dt.datetime.fromtimestamp(event["end"], dt.UTC).replace(tzinfo=None),
                event["summary"],
                event["status"],
                details,
                event["description"],
                event["location"],
                event["categories"],
            )
        )
    return sorted(rows)


def icaljs_raw(data: bytes) -> list[dict]:
    """ical.js's view of each VEVENT as dicts (see tests/js/icaljs_events.mjs)."""
    return json.loads(_run_node(data))


def icaljs_events(data: bytes, *, details: bool = False) -> list[tuple]:
    """Events as ical.js 2.2.1 (Thunderbird) reads them, the feed's VTIMEZONE registered.
    Fails when ical.js could not resolve a TZID (it would silently read floating times)."""
    return _icaljs_rows(icaljs_raw(data), details)


def icaljs_wall_times(calendar: bytes, tzid: str, times: list[dt.datetime]) -> list[dt.datetime]:
    """Naive local wall times -> naive UTC, through ical.js and the calendar's VTIMEZONE."""
    job = {
        "calendar": calendar.decode("utf-8"),
        "tzid": tzid,
        "times": [t.strftime("%Y-%m-%dT%H:%M:%S") for t in times],
    }
    seconds = json.loads(_run_node(json.dumps(job).encode("utf-8"), "--offsets"))
    return [dt.datetime.fromtimestamp(s, dt.UTC).replace(tzinfo=None) for s in seconds]


def icaljs_events_batch(calendars: list[bytes], *, details: bool = False) -> list[list[tuple]]:
    """``icaljs_events`` for many calendars in one Node process (for property-based tests)."""
    texts = [c.decode("utf-8") for c in calendars]
    results = json.loads(_run_node(json.dumps(texts).encode("utf-8"), "--batch"))
    out = []
    for result in results:
        if "error" in result:
            raise AssertionError(f"ical.js could not read a calendar: {result['error']}")
        out.append(_icaljs_rows(result["events"], details))
    return out


# --- all together ---------------------------------------------------------------------------


def component_errors(data: bytes) -> list[str]:
    cal = icalendar.Calendar.from_ical(data)
    return [f"{c.name}: {e}" for c in cal.walk() for e in c.errors]


def assert_valid(data: bytes, *, details: bool = False) -> list[tuple]:
    """Assert the feed is clean and all four readers agree; returns the (agreed) events."""
    problems = lint(data)
    assert not problems, "lint: " + "; ".join(problems)
    cal = icalendar.Calendar.from_ical(data)
    errors = [f"{c.name}: {e}" for c in cal.walk() for e in c.errors]
    assert not errors, "icalendar: " + "; ".join(errors)
    expected = _icalendar_rows(cal.walk("VEVENT"), details)
    readers = {
        "recurring-ical-events": recurring_events(cal, _FAR_PAST, _FAR_FUTURE, details=details),
        "vobject": vobject_events(data, details=details),
        "ical.js": icaljs_events(data, details=details),
    }
    for name, got in readers.items():
        if got != expected:
            diff = sorted(set(got) ^ set(expected))[:6]
            raise AssertionError(f"{name} disagrees with icalendar: {diff}")
    return expected
