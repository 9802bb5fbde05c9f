"""An independent checker of every hard constraint (written apart from the engines' code path).

`check(problem, pairs)` takes the NEW pairs of a solution (fixed pairs are implied) and returns
the violations in words (empty list = feasible). Capacity-type rules (seats, caps) count fixed
pairs and outside load too, but are only reported when a new pair takes part in the excess, so
a problem whose confirmed assignments already exceed a cap is not blamed on the solver.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime

from .problem import Problem


def _pair_key(pair) -> tuple[int, int]:
    return (pair.volunteer, pair.slot)  # the order of Pair, without its dataclass __lt__


def _minutes(moment: datetime, day) -> int:
    """Minutes from midnight of `day` to `moment`, rounded up."""
    return math.ceil((moment - datetime(day.year, day.month, day.day)).total_seconds() / 60)


def _static_violations(v, s) -> list[str]:
    out = []
    if not (v.open_to_anything or s.category in v.interests):
        out.append("category not among interests")
    day = s.start.date()
    start = s.start.hour * 60 + s.start.minute
    end = _minutes(s.end, day)
    if not any(
        w.weekday == s.start.weekday() and w.start_minute <= start and end <= w.end_minute
        for w in v.windows
    ):
        out.append("outside availability windows")
    if s.centre not in v.centres:
        out.append("centre not reachable")
    if s.child_facing and (v.certificate_valid_until is None or v.certificate_valid_until < day):
        out.append("no certificate valid on the slot date")
    if s.language is not None and s.language not in v.languages:
        out.append(f"language {s.language} not spoken")
    return out


def check(problem: Problem, pairs) -> list[str]:
    pairs = list(pairs)
    vols = {v.id: v for v in problem.volunteers}
    slots = {s.id: s for s in problem.slots}
    fixed = [p for p in problem.fixed if p.slot in slots]
    fixed_set = set(fixed)
    problems: list[str] = []

    declined = problem.declined
    seen = set()
    for p in pairs:
        if p in seen:
            problems.append(f"{p}: proposed twice")
        seen.add(p)
    ordered = sorted(seen, key=_pair_key)
    news = [p for p in ordered if p.volunteer in vols and p.slot in slots]
    for p in ordered:
        if p.volunteer not in vols:
            problems.append(f"{p}: unknown volunteer")
        if p.slot not in slots:
            problems.append(f"{p}: unknown slot")

    for p in news:
        v, s = vols[p.volunteer], slots[p.slot]
        for why in _static_violations(v, s):
            problems.append(f"{p}: {why}")
        if declined and p in declined:
            problems.append(f"{p}: declined before")
        if fixed_set and p in fixed_set:
            problems.append(f"{p}: already fixed (fixed pairs are not repeated)")

    # Seats: fixed + new ≤ seats.
    on_slot: dict[int, list[bool]] = defaultdict(list)
    for p in fixed:
        on_slot[p.slot].append(False)
    fresh = [p for p in news if p not in fixed_set] if fixed_set else news
    for p in fresh:
        on_slot[p.slot].append(True)
    for sid, marks in sorted(on_slot.items()):
        if any(marks) and len(marks) > slots[sid].seats:
            problems.append(f"slot {sid}: {len(marks)} people for {slots[sid].seats} seats")

    # Caps and overlaps per volunteer, over fixed + new (+ outside load for the caps).
    of_person: dict[int, list[tuple[object, bool]]] = defaultdict(list)
    for p in fixed:
        of_person[p.volunteer].append((slots[p.slot], False))
    for p in fresh:
        of_person[p.volunteer].append((slots[p.slot], True))
    same_day = problem.options.allow_same_day
    calendar: dict = {}  # day -> (month, ISO week)
    for vid, items in sorted(of_person.items()):
        v = vols.get(vid)
        if v is None or not any(new for _, new in items):
            continue
        load = (problem.load or {}).get(vid, {})
        buckets = {"month": defaultdict(list), "week": defaultdict(list), "day": defaultdict(list)}
        for s, new in items:
            d = s.start.date()
            keys = calendar.get(d)
            if keys is None:
                iso = d.isocalendar()
                keys = calendar[d] = ((d.year, d.month), (iso[0], iso[1]))
            buckets["month"][keys[0]].append(new)
            buckets["week"][keys[1]].append(new)
            buckets["day"][d].append(new)
        day_cap = v.cap_day if same_day else min(v.cap_day, 1)
        caps = {"month": v.cap_month, "week": v.cap_week, "day": day_cap}
        for kind, groups in buckets.items():
            cap = caps[kind]
            if cap is None:
                continue
            over = []  # reported in the order of str(key)
            for key, marks in groups.items():
                total = len(marks) + load.get(kind, {}).get(key, 0)
                if total > cap and any(marks):
                    over.append(
                        (str(key), f"volunteer {vid}: {total} slots in {kind} {key}, cap {cap}")
                    )
            problems.extend(text for _, text in sorted(over))
        ordered = sorted(items, key=lambda item: (item[0].start, item[0].id))
        for i, (a, new_a) in enumerate(ordered):
            for b, new_b in ordered[i + 1 :]:
                if b.start >= a.end:
                    break
                if new_a or new_b:
                    problems.append(f"volunteer {vid}: slots {a.id} and {b.id} overlap")

    if problem.options.same_person_for_series:
        series_slots: dict[int, set[int]] = defaultdict(set)
        for s in slots.values():
            if s.series is not None:
                series_slots[s.series].add(s.id)
        mine: dict[tuple[int, int], set[int]] = defaultdict(set)
        for p in fixed:
            if slots[p.slot].series is not None:
                mine[(p.volunteer, slots[p.slot].series)].add(p.slot)
        news_in: dict[tuple[int, int], int] = defaultdict(int)
        for p in news:
            series = slots[p.slot].series
            if series is not None and p not in fixed_set:
                mine[(p.volunteer, series)].add(p.slot)
                news_in[(p.volunteer, series)] += 1
        for (vid, series), count in sorted(news_in.items()):
            missing = series_slots[series] - mine[(vid, series)]
            if count and missing:
                problems.append(
                    f"volunteer {vid}: series {series} taken only in part (missing {sorted(missing)})"
                )
    return problems
