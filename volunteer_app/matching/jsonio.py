"""The JSON problem format (documented in docs/matching.md) and the solution's JSON."""

from __future__ import annotations

import json
from datetime import date, datetime

from .problem import Options, Pair, Problem, Slot, Solution, Volunteer, Window, assemble

FORMAT = "thekiz-matching/1"


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _minutes(text: str) -> int:
    hours, _, minutes = str(text).partition(":")
    value = int(hours) * 60 + int(minutes or 0)
    if not 0 <= value <= 1440:
        raise ValueError(f"time of day out of range: {text!r}")
    return value


def _pairs(items) -> list[list[int]]:
    return sorted([p.volunteer, p.slot] for p in items)  # the order of Pair, as plain lists


def _load_key(kind: str, key) -> str:
    if kind == "month":
        return f"{key[0]:04d}-{key[1]:02d}"
    if kind == "week":
        return f"{key[0]:04d}-W{key[1]:02d}"
    return key.isoformat()


def _parse_load_key(kind: str, text: str):
    if kind == "month":
        year, month = text.split("-")
        return (int(year), int(month))
    if kind == "week":
        year, week = text.split("-W")
        return (int(year), int(week))
    return date.fromisoformat(text)


def problem_to_json(problem: Problem) -> dict:
    return {
        "format": FORMAT,
        "options": {
            "allow_same_day": problem.options.allow_same_day,
            "same_person_for_series": problem.options.same_person_for_series,
            "time_limit_s": problem.options.time_limit_s,
        },
        "volunteers": [
            {
                "id": v.id,
                "interests": sorted(v.interests),
                "open_to_anything": v.open_to_anything,
                "windows": [
                    {
                        "weekday": w.weekday,
                        "start": _hhmm(w.start_minute),
                        "end": _hhmm(w.end_minute),
                    }
                    for w in v.windows
                ],
                "centres": sorted(v.centres),
                "certificate_valid_until": v.certificate_valid_until.isoformat()
                if v.certificate_valid_until
                else None,
                "languages": sorted(v.languages),
                "cap_month": v.cap_month,
                "cap_week": v.cap_week,
                "cap_day": v.cap_day,
                "history_centres": sorted(v.history_centres),
                "history_series": sorted(v.history_series),
            }
            for v in problem.volunteers
        ],
        "slots": [
            {
                "id": s.id,
                "centre": s.centre,
                "category": s.category,
                "start": s.start.isoformat(timespec="minutes"),
                "end": s.end.isoformat(timespec="minutes"),
                "seats": s.seats,
                "child_facing": s.child_facing,
                "language": s.language,
                "series": s.series,
            }
            for s in problem.slots
        ],
        "fixed": _pairs(problem.fixed),
        "previous": _pairs(problem.previous),
        "declined": _pairs(problem.declined),
        "load": {
            str(vid): {
                kind: {_load_key(kind, k): n for k, n in sorted(per.get(kind, {}).items())}
                for kind in per
            }
            for vid, per in sorted((problem.load or {}).items())
        },
    }


def problem_from_json(data: dict) -> Problem:
    """The Problem of a parsed problem JSON (equal to building it with the dataclasses).

    Repeated values are parsed once (windows, times, certificate dates, sets of ids), equal
    immutable values are shared between volunteers and slots, and the objects are made with
    `problem.assemble` (the same objects as the dataclasses' constructors make, faster)."""
    if data.get("format", FORMAT) != FORMAT:
        raise ValueError(f"unknown format {data.get('format')!r}, expected {FORMAT!r}")
    opts = data.get("options") or {}
    windows_of: dict = {}  # (weekday, start, end) as written -> Window
    ids_of: dict = {}  # tuple of ids as written -> frozenset of ints
    days: dict = {}  # ISO date -> date
    empty = frozenset()

    def window(w) -> Window:
        key = (w["weekday"], w["start"], w["end"])
        found = windows_of.get(key)
        if found is None:
            found = windows_of[key] = assemble(
                Window,
                {
                    "weekday": int(w["weekday"]),
                    "start_minute": _minutes(w["start"]),
                    "end_minute": _minutes(w["end"]),
                },
            )
        return found

    def ids(values) -> frozenset:
        key = tuple(values)  # None is as unreadable as before
        if not key:
            return empty
        found = ids_of.get(key)
        if found is None:
            found = ids_of[key] = frozenset(map(int, key))
        return found

    volunteers = []
    for v in data.get("volunteers", ()):
        valid = v.get("certificate_valid_until")
        if valid:
            valid = days.get(valid) or days.setdefault(valid, date.fromisoformat(valid))
        volunteers.append(
            assemble(
                Volunteer,
                {
                    "id": int(v["id"]),
                    "interests": ids(v.get("interests", ())),
                    "open_to_anything": bool(v.get("open_to_anything", False)),
                    "windows": tuple(map(window, v.get("windows", ()))),
                    "centres": ids(v.get("centres", ())),
                    "certificate_valid_until": valid or None,
                    "languages": frozenset(v.get("languages", ())),
                    "cap_month": v.get("cap_month"),
                    "cap_week": v.get("cap_week"),
                    "cap_day": int(v.get("cap_day", 1)),
                    "history_centres": ids(v.get("history_centres", ())),
                    "history_series": ids(v.get("history_series", ())),
                },
            )
        )
    fromiso = datetime.fromisoformat
    moments: dict = {}  # ISO text -> datetime (slots share their times)
    slots = []
    for s in data.get("slots", ()):
        slots.append(
            assemble(
                Slot,
                {
                    "id": int(s["id"]),
                    "centre": int(s["centre"]),
                    "category": int(s["category"]),
                    "start": moments.get(start := s["start"])
                    or moments.setdefault(start, fromiso(start)),
                    "end": moments.get(end := s["end"]) or moments.setdefault(end, fromiso(end)),
                    "seats": int(s.get("seats", 1)),
                    "child_facing": bool(s.get("child_facing", False)),
                    "language": s.get("language"),
                    "series": s.get("series"),
                },
            )
        )
    load = {
        int(vid): {
            kind: {_parse_load_key(kind, k): int(n) for k, n in per.items()}
            for kind, per in kinds.items()
        }
        for vid, kinds in (data.get("load") or {}).items()
    }
    return Problem(
        volunteers=tuple(volunteers),
        slots=tuple(slots),
        fixed=tuple(Pair(int(a), int(b)) for a, b in data.get("fixed", ())),
        previous=tuple(Pair(int(a), int(b)) for a, b in data.get("previous", ())),
        declined=frozenset(Pair(int(a), int(b)) for a, b in data.get("declined", ())),
        load=load,
        options=Options(
            allow_same_day=bool(opts.get("allow_same_day", False)),
            same_person_for_series=bool(opts.get("same_person_for_series", False)),
            time_limit_s=float(opts.get("time_limit_s", 10.0)),
        ),
    )


def solution_to_json(solution: Solution) -> dict:
    return {
        "engine": solution.engine,
        "status": solution.status,
        "gap": solution.gap,
        "objective": solution.objective,
        "bound": solution.bound,
        "terms": solution.terms,
        "weights": solution.stats.get("weights"),
        "seconds": solution.seconds,
        "pairs": _pairs(solution.pairs),
        "notes": list(solution.notes),
        "stats": {k: v for k, v in solution.stats.items() if k != "weights"},
    }


def dumps_indented(data: dict) -> str:
    """`json.dumps(data, indent=1)`, the same text, faster for a solution's long pair list.

    With `indent` the json module encodes in Python, token by token; here every value but the
    pairs goes through `json.dumps` (the pairs are written directly), and nesting one level
    deeper only adds a space after each line break (JSON strings hold no raw line breaks)."""
    if not data:
        return "{}"
    parts = []
    for key, value in data.items():
        if key == "pairs" and value and all(type(a) is int and type(b) is int for a, b in value):
            text = "[\n" + ",\n".join(f"  [\n   {a},\n   {b}\n  ]" for a, b in value) + "\n ]"
        else:
            text = json.dumps(value, indent=1).replace("\n", "\n ")
        parts.append(f" {json.dumps(key)}: {text}")
    return "{\n" + ",\n".join(parts) + "\n}"
