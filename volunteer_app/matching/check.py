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


def _minutes(moment: datetime, day) -> int:
    """Minutes from midnight of `day` to `moment`, rounded up."""
    return math.ceil((moment - datetime(day.year, day.month, day.day)).total_seconds() / 60)


class _Calendar(dict):
    """Per slot id, what the rules need of its times (worked out once per slot and per day):
    (day, weekday, start minute, end minute rounded up, (year, month), (ISO year, week))."""

    def __init__(self, slots: dict):
        super().__init__()
        self.slots = slots
        self.days: dict = {}

    def __missing__(self, sid: int) -> tuple:
        s = self.slots[sid]
        day = s.start.date()
        of_day = self.days.get(day)
        if of_day is None:
            iso = day.isocalendar()
            of_day = self.days[day] = (day.weekday(), (day.year, day.month), (iso[0], iso[1]))
        weekday, month, week = of_day
        found = self[sid] = (
            day,
            weekday,
            s.start.hour * 60 + s.start.minute,
            _minutes(s.end, day),
            month,
            week,
        )
        return found


def _static_violations(v, s, when: tuple) -> list[str]:
    out = []
    if not (v.open_to_anything or s.category in v.interests):
        out.append("category not among interests")
    day, weekday, start, end = when[:4]
    if not any(
        w.weekday == weekday and w.start_minute <= start and end <= w.end_minute for w in v.windows
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
    vols = {v.id: v for v in problem.volunteers}
    slots = {s.id: s for s in problem.slots}
    # pairs as (volunteer, slot) tuples: cheaper to hash and sort than Pair objects
    fixed = [(p.volunteer, p.slot) for p in problem.fixed if p.slot in slots]
    fixed_set = set(fixed)
    problems: list[str] = []

    first: dict[tuple[int, int], object] = {}  # the first object of each pair, for the messages
    for p in pairs:
        key = (p.volunteer, p.slot)
        if key in first:
            problems.append(f"{p}: proposed twice")
        else:
            first[key] = p
    ordered = sorted(first)
    news = [k for k in ordered if k[0] in vols and k[1] in slots]
    for k in ordered:
        if k[0] not in vols:
            problems.append(f"{first[k]}: unknown volunteer")
        if k[1] not in slots:
            problems.append(f"{first[k]}: unknown slot")

    declined = {(p.volunteer, p.slot) for p in problem.declined}
    calendar = _Calendar(slots)
    for k in news:
        found = _static_violations(vols[k[0]], slots[k[1]], calendar[k[1]])
        if found:
            problems.extend(f"{first[k]}: {why}" for why in found)
        if k in declined:
            problems.append(f"{first[k]}: declined before")
        if k in fixed_set:
            problems.append(f"{first[k]}: already fixed (fixed pairs are not repeated)")

    # Seats: fixed + new ≤ seats (reported when a new pair takes part).
    fresh = [k for k in news if k not in fixed_set] if fixed_set else news
    on_slot: dict[int, int] = defaultdict(int)
    for _, sid in fixed:
        on_slot[sid] += 1
    for _, sid in fresh:
        on_slot[sid] += 1
    for sid in sorted({sid for _, sid in fresh}):
        if on_slot[sid] > slots[sid].seats:
            problems.append(f"slot {sid}: {on_slot[sid]} people for {slots[sid].seats} seats")

    # Caps and overlaps per volunteer with a new pair, over fixed + new (+ outside load for the
    # caps).
    of_person: dict[int, list[tuple]] = defaultdict(list)
    for vid, sid in fresh:
        of_person[vid].append((slots[sid].start, sid, True))
    for vid, sid in fixed:
        if vid in of_person:
            of_person[vid].append((slots[sid].start, sid, False))
    same_day = problem.options.allow_same_day
    all_load = problem.load or {}
    for vid in sorted(of_person):
        v = vols[vid]
        items = of_person[vid]
        items.sort()  # by start, then slot id
        load = all_load.get(vid, {})
        caps = (v.cap_month, v.cap_week, v.cap_day if same_day else min(v.cap_day, 1))
        for index, kind in enumerate(("month", "week", "day")):
            cap = caps[index]
            outside = load.get(kind) if load else None
            most = len(items) + (max(outside.values(), default=0) if outside else 0)
            if cap is None or most <= cap:
                continue  # no cap, or not even all the slots together exceed it
            groups: dict = {}  # key -> [slots, any of them new]
            for _, sid, new in items:
                key = calendar[sid][(4, 5, 0)[index]]
                counts = groups.get(key)
                if counts is None:
                    groups[key] = [1, new]
                else:
                    counts[0] += 1
                    counts[1] = counts[1] or new
            over = []  # reported in the order of str(key)
            for key, (n, new) in groups.items():
                total = n + outside.get(key, 0) if outside else n
                if total > cap and new:
                    over.append(
                        (str(key), f"volunteer {vid}: {total} slots in {kind} {key}, cap {cap}")
                    )
            problems.extend(text for _, text in sorted(over))
        for i, (_, sid, new) in enumerate(items):
            end = slots[sid].end
            for start, other, other_new in items[i + 1 :]:
                if start >= end:
                    break
                if new or other_new:
                    problems.append(f"volunteer {vid}: slots {sid} and {other} overlap")

    if problem.options.same_person_for_series:
        series_slots: dict[int, set[int]] = defaultdict(set)
        for s in slots.values():
            if s.series is not None:
                series_slots[s.series].add(s.id)
        mine: dict[tuple[int, int], set[int]] = defaultdict(set)
        for vid, sid in fixed:
            if slots[sid].series is not None:
                mine[(vid, slots[sid].series)].add(sid)
        news_in: dict[tuple[int, int], int] = defaultdict(int)
        for vid, sid in fresh:
            series = slots[sid].series
            if series is not None:
                mine[(vid, series)].add(sid)
                news_in[(vid, series)] += 1
        for (vid, series), count in sorted(news_in.items()):
            missing = series_slots[series] - mine[(vid, series)]
            if count and missing:
                problems.append(
                    f"volunteer {vid}: series {series} taken only in part (missing {sorted(missing)})"
                )
    return problems
