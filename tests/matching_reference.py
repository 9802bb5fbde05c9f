"""The per-object flow network builder as it was before the array builder (tests only).

`volunteer_app/matching/arrays.py` builds the same network from numpy columns; the tests
compare the two arc for arc, so the solver sees the same input and returns the same pairs.
`check` at the end is the checker as it was before it worked on (volunteer, slot) tuples and
counts (`volunteer_app/matching/check.py`); the tests compare the two message for message.
"""

from __future__ import annotations

import itertools
import math
import time
from collections import defaultdict
from datetime import datetime

from volunteer_app.matching.model import (
    PREF_MAX,
    Context,
    month_key,
    overlaps,
    preference,
    week_key,
)
from volunteer_app.matching.problem import Pair

SOURCE, SINK, FIRST, FURTHER = 0, 1, 2, 3


class NotNested(Exception):
    pass


class Network:
    def __init__(self):
        self.tails: list[int] = []
        self.heads: list[int] = []
        self.caps: list[int] = []
        self.costs: list[int] = []
        self.nodes = 4

    def node(self) -> int:
        self.nodes += 1
        return self.nodes - 1

    def arc(self, tail: int, head: int, cap: int, cost: int = 0) -> int:
        self.tails.append(tail)
        self.heads.append(head)
        self.caps.append(cap)
        self.costs.append(cost)
        return len(self.tails) - 1


def _volunteer_tree(ctx: Context, net: Network, v, by_day: dict, fairness: list[int]):
    """Adds the person's nodes; returns {slot id: day node}. Raises NotNested."""
    day_cap = {}
    plain = not ctx._touched(v)
    for d, slots in by_day.items():
        rd = ctx.day_cap(v) if plain else ctx.remaining(v, d)[2]
        if rd >= 2 and len(slots) > 1:
            ordered = sorted(slots, key=lambda s: (s.start, s.id))
            if any(overlaps(a, b) for a, b in itertools.pairwise(ordered)):
                raise NotNested(
                    f"volunteer {v.id}: overlapping candidate slots on {d}, several allowed"
                )
        day_cap[d] = min(rd, len(slots))
    sets = []  # (days, cap, kind order)
    for keyf, index, cap in ((month_key, 0, v.cap_month), (week_key, 1, v.cap_week)):
        if cap is None:
            continue
        groups: dict = defaultdict(list)
        for d in day_cap:
            groups[keyf(d)].append(d)
        for days in groups.values():
            rem = ctx.remaining(v, days[0])[index]
            if rem < sum(day_cap[d] for d in days):
                sets.append((frozenset(days), max(0, rem), index))
    for i, (a, _, _) in enumerate(sets):
        for b, _, _ in sets[i + 1 :]:
            if a & b and not (a <= b or b <= a):
                raise NotNested(f"volunteer {v.id}: week and month caps do not nest")
    sets.sort(key=lambda t: (-len(t[0]), t[2], min(t[0])))
    root = net.node()
    run_cost, run_len = fairness[0], 0
    for cost in [*fairness, None]:
        if cost == run_cost:
            run_len += 1
            continue
        net.arc(SOURCE, root, run_len, run_cost)
        run_cost, run_len = cost, 1
    set_nodes = []
    for i, (days, cap, _) in enumerate(sets):
        parent = root
        for j in range(i - 1, -1, -1):  # the smallest earlier set containing this one
            if days <= sets[j][0]:
                parent = set_nodes[j]
                break
        node = net.node()
        net.arc(parent, node, cap)
        set_nodes.append(node)
    slot_day = {}
    for d in sorted(day_cap):
        parent = root
        for j in range(len(sets) - 1, -1, -1):
            if d in sets[j][0]:
                parent = set_nodes[j]
                break
        node = net.node()
        net.arc(parent, node, day_cap[d])
        for s in by_day[d]:
            slot_day[s.id] = node
    return slot_day


def flow_weights(ctx: Context, fairness_max: int) -> tuple[int, int]:
    """Weights of kept and preference inside the flow (small, so cost scaling stays fast).

    At a min-cost flow no residual cycle has negative cost. A simple residual cycle passes the
    source at most once, so it changes the fairness cost by at most 2·Cmax (Cmax = the largest
    marginal fairness cost), and it changes preference by at most PREF_MAX·Q. Any lexicographic
    improvement decomposes into simple cycles, one of which improves the highest changed tier by
    ≥ 1; with W4 = 2·Cmax + 1 and W3 = W4·PREF_MAX·Q + 2·Cmax + 1 that cycle would have negative
    cost: so the min-cost flow is the lexicographic optimum of (kept, preference, −fairness).
    """
    q = sum(ctx.open_seats.values())
    w4 = 2 * fairness_max + 1
    w3 = w4 * PREF_MAX * q + 2 * fairness_max + 1
    return w3, w4


def build(ctx: Context):
    """The phase-two network (costs of the lower tiers); raises NotNested."""
    net = Network()
    slot_node = {}
    for sid in ctx.slots:
        if ctx.open_seats[sid] > 0:
            slot_node[sid] = net.node()
    people = []
    cmax = 0
    slots = ctx.slots
    day_of = ctx.day_of
    for vid, sids in ctx.eligible_map().items():
        v = ctx.volunteers[vid]
        fairness = ctx.fairness_costs(v, ctx.capacity_of(vid))
        if fairness:
            by_day: dict = defaultdict(list)
            for sid in sids:
                by_day[day_of[sid]].append(slots[sid])
            cmax = max(cmax, fairness[-1])
            people.append((v, sids, by_day, fairness))
    w3, w4 = flow_weights(ctx, cmax)
    previous = ctx.previous_pairs
    if not previous:
        w3 = 0
    pair_arcs: list[tuple[int, int, int]] = []
    tails, heads, caps, costs = net.tails, net.heads, net.caps, net.costs
    for v, sids, _by_day, fairness in people:
        slot_day = _volunteer_tree(ctx, net, v, _by_day, fairness)
        vid = v.id
        first = len(tails)
        tails.extend(slot_day[sid] for sid in sids)
        heads.extend(slot_node[sid] for sid in sids)
        caps.extend([1] * len(sids))
        if previous:
            costs.extend(
                -w3 * ((vid, sid) in previous) - w4 * preference(v, slots[sid]) for sid in sids
            )
        else:
            costs.extend(-w4 * preference(v, slots[sid]) for sid in sids)
        pair_arcs.extend(zip(range(first, first + len(sids)), [vid] * len(sids), sids, strict=True))
    first_arcs, further_arcs = [], []
    for sid, node in slot_node.items():
        seats = ctx.open_seats[sid]
        if ctx.fixed_on_slot[sid] == 0:
            first_arcs.append(net.arc(node, FIRST, 1))
            seats -= 1
        if seats > 0:
            further_arcs.append(net.arc(node, FURTHER, seats))
    first_sink = net.arc(FIRST, SINK, len(first_arcs))
    further_sink = net.arc(FURTHER, SINK, sum(net.caps[a] for a in further_arcs))
    return net, pair_arcs, first_sink, further_sink, (w3, w4)


def solve_flow(ctx: Context):
    """The solve of flow.py before the array builder: (new pairs, stats)."""
    import numpy as np
    from ortools.graph.python import max_flow, min_cost_flow

    started = time.perf_counter()
    net, pair_arcs, first_sink, further_sink, (w3, w4) = build(ctx)
    tails = np.asarray(net.tails, dtype=np.int32)
    heads = np.asarray(net.heads, dtype=np.int32)
    caps = np.asarray(net.caps, dtype=np.int64)
    built = time.perf_counter()

    mf = max_flow.SimpleMaxFlow()
    mf.add_arcs_with_capacity(tails, heads, caps)
    mf.set_arc_capacity(further_sink, 0)
    if mf.solve(SOURCE, SINK) != mf.OPTIMAL:
        raise RuntimeError("max flow (first seats) failed")
    r1 = mf.optimal_flow()
    mf.set_arc_capacity(further_sink, net.caps[further_sink])
    if mf.solve(SOURCE, SINK) != mf.OPTIMAL:
        raise RuntimeError("max flow failed")
    total = mf.optimal_flow()

    caps[first_sink] = r1
    caps[further_sink] = total - r1
    mcf = min_cost_flow.SimpleMinCostFlow()
    mcf.add_arcs_with_capacity_and_unit_cost(
        tails, heads, caps, np.asarray(net.costs, dtype=np.int64)
    )
    supplies = np.zeros(net.nodes, dtype=np.int64)
    supplies[SOURCE], supplies[SINK] = total, -total
    mcf.set_nodes_supplies(np.arange(net.nodes, dtype=np.int32), supplies)
    status = mcf.solve()
    if status != mcf.OPTIMAL:
        raise RuntimeError(f"min-cost flow status {status}")
    arc_ids = np.asarray([a for a, _, _ in pair_arcs], dtype=np.int32)
    flows = mcf.flows(arc_ids) if len(arc_ids) else []
    chosen = [Pair(vid, sid) for (_, vid, sid), f in zip(pair_arcs, flows, strict=True) if f > 0]
    stats = {
        "nodes": net.nodes,
        "arcs": len(net.tails),
        "pair_arcs": len(pair_arcs),
        "build_s": round(built - started, 4),
        "solve_s": round(time.perf_counter() - built, 4),
        "max_flow": int(total),
        "first_seats_possible": int(r1),
        "flow_weights": {"kept": w3, "preference": w4, "fairness_cost": 1},
    }
    return sorted(chosen), stats


# --- the checker before (volunteer_app/matching/check.py) ------------------------------------


def _check_pair_key(pair) -> tuple[int, int]:
    return (pair.volunteer, pair.slot)  # the order of Pair, without its dataclass __lt__


def _check_minutes(moment: datetime, day) -> int:
    """Minutes from midnight of `day` to `moment`, rounded up."""
    return math.ceil((moment - datetime(day.year, day.month, day.day)).total_seconds() / 60)


def _check_static(v, s) -> list[str]:
    out = []
    if not (v.open_to_anything or s.category in v.interests):
        out.append("category not among interests")
    day = s.start.date()
    start = s.start.hour * 60 + s.start.minute
    end = _check_minutes(s.end, day)
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


def check(problem, pairs) -> list[str]:
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
    ordered = sorted(seen, key=_check_pair_key)
    news = [p for p in ordered if p.volunteer in vols and p.slot in slots]
    for p in ordered:
        if p.volunteer not in vols:
            problems.append(f"{p}: unknown volunteer")
        if p.slot not in slots:
            problems.append(f"{p}: unknown slot")

    for p in news:
        v, s = vols[p.volunteer], slots[p.slot]
        for why in _check_static(v, s):
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
