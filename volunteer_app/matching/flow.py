"""Exact engine for nested caps: OR-Tools max flow + min-cost flow (imported lazily).

Network: source → volunteer (parallel arcs with rising fairness cost) → the person's binding
caps as a tree (month / week sets of days, laminar) → (volunteer, day) → slot → FIRST (the
slot's first seat, when nobody is fixed on it) or FURTHER (the other open seats) → sink.

Seat units reachable by one flow form a matroid (the unit points of the polymatroid of a
single-source capacitated network), so the lexicographic optimum of (first seats, further
seats) is a maximum flow that uses as many first seats as the first-seat-only network can take:
r1 = max flow with only FIRST open, F = max flow of the whole network. Phase two is one min-cost
flow of value F with FIRST capped at r1 and FURTHER at F − r1, whose arc costs carry only the
lower tiers (−kept · W3' − preference · W4' on pair arcs;
fairness on the volunteer arcs; the small weights W3', W4' are proven enough in `flow_weights`).
The LP of a min-cost flow is integral, so the result is the proven lexicographic optimum.

The nesting is verified per volunteer: caps binding on a week that straddles two months whose
cap also binds, or several slots a day (``allow_same_day``) with overlapping candidates, are not
a tree; the builder then raises `NotNested` with the reason and the caller falls back to CP-SAT.

The network is built from numpy columns (`arrays.Columns.network`), not one Python object per
pair: per person its source arcs (runs of equal fairness cost), its cap sets, its days and its
pair arcs, then per slot its FIRST/FURTHER arcs, then FIRST→sink and FURTHER→sink. OR-Tools gets
an equivalent smaller min-cost flow (`reduce_network`: flows fixed by the two minimum cuts of the
second max flow, dead arcs out, series nodes contracted); its optimum is the network's.
"""

from __future__ import annotations

import time

from .model import PREF_MAX, Context
from .problem import Pair, assemble

SOURCE, SINK, FIRST, FURTHER = 0, 1, 2, 3


class NotNested(Exception):
    pass


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


def solve_flow(ctx: Context, columns=None):
    """Returns (new pairs, stats) or raises NotNested / RuntimeError.

    ``columns``: the `arrays.Columns` of this context when the caller already has them."""
    import numpy as np
    from ortools.graph.python import min_cost_flow

    from .arrays import Columns

    started = time.perf_counter()
    if columns is None:
        columns = Columns(ctx)
    net = columns.network()
    built = time.perf_counter()

    mf, caps, r1, total = seat_flows(net)
    # the minimum cuts nearest to the source and to the sink (the same for every maximum flow)
    source_side = np.array(mf.get_source_side_min_cut(), dtype=np.int64)
    sink_side = np.array(mf.get_sink_side_min_cut(), dtype=np.int64)
    max_flows = time.perf_counter()

    red = reduce_network(net, caps, total, source_side, sink_side)
    reduced = time.perf_counter()
    taken = red.taken.copy()
    if len(red.tails):
        mcf = min_cost_flow.SimpleMinCostFlow()
        mcf.add_arcs_with_capacity_and_unit_cost(red.tails, red.heads, red.caps, red.costs)
        mcf.set_nodes_supplies(red.supply_nodes, red.supplies)
        status = mcf.solve()
        if status != mcf.OPTIMAL:
            raise RuntimeError(f"min-cost flow status {status}")
        flows = mcf.flows(np.arange(len(red.tails), dtype=np.int32))
        carries = red.pair >= 0
        taken |= np.bincount(red.pair[carries], weights=flows[carries], minlength=len(taken)) > 0
    # pair arcs are in (volunteer id, slot id) order, so the pairs come out sorted
    chosen = [
        assemble(Pair, {"volunteer": v, "slot": s})
        for v, s in zip(net.pair_v[taken].tolist(), net.pair_s[taken].tolist(), strict=True)
    ]
    w3, w4 = net.weights
    done = time.perf_counter()
    stats = {
        "nodes": net.nodes,
        "arcs": len(net.tails),
        "pair_arcs": len(net.pair_arcs),
        "solver_nodes": red.nodes,
        "solver_arcs": len(red.tails),
        "build_s": round(built - started, 4),
        "solve_s": round(done - built, 4),
        "max_flow_s": round(max_flows - built, 4),
        "reduce_s": round(reduced - max_flows, 4),
        "min_cost_flow_s": round(done - reduced, 4),
        "max_flow": int(total),
        "first_seats_possible": int(r1),
        "flow_weights": {"kept": w3, "preference": w4, "fairness_cost": 1},
    }
    return chosen, stats


def seat_flows(net):
    """The two maximum flows of `solve_flow` on the network ``net``: r1 with only the first
    seats open, then the whole network's (total). Returns (the max flow solver after the second,
    for its minimum cuts; the capacities with FIRST→sink at r1 and FURTHER→sink at total − r1,
    as the min-cost flow takes them; r1; total)."""
    from ortools.graph.python import max_flow

    caps = net.caps
    mf = max_flow.SimpleMaxFlow()
    mf.add_arcs_with_capacity(net.tails, net.heads, caps)
    mf.set_arc_capacity(net.further_sink, 0)
    if mf.solve(SOURCE, SINK) != mf.OPTIMAL:
        raise RuntimeError("max flow (first seats) failed")
    r1 = mf.optimal_flow()
    mf.set_arc_capacity(net.further_sink, int(caps[net.further_sink]))
    if mf.solve(SOURCE, SINK) != mf.OPTIMAL:
        raise RuntimeError("max flow failed")
    total = mf.optimal_flow()
    caps = caps.copy()
    caps[net.first_sink] = r1
    caps[net.further_sink] = total - r1
    return mf, caps, r1, total


class Reduced:
    """The min-cost flow problem handed to OR-Tools (see `reduce_network`)."""

    def __init__(self, **fields):
        self.__dict__.update(fields)


def reduce_network(net, caps, total: int, source_side, sink_side) -> Reduced:
    """The min-cost flow of value ``total`` on ``net`` (with ``caps``), made smaller and exact.

    1. Fixed arcs. Every flow of value ``total`` is a maximum flow of the network with its
       sink arcs at full capacity (the second max flow's), so it saturates every arc that leaves the source side of its minimum
       cut nearest to the source (S) or enters the sink side of the one nearest to the sink (T),
       and carries nothing on the arcs back; both sides are the same for every maximum flow.
       Those arcs are taken out with their flow, which becomes supply at the head and demand
       at the tail: S, T and the nodes between them are independent problems.
    2. Arcs that cannot carry flow go: those at a node without supply that has no arc in or no
       arc out.
    3. Series nodes (no supply) are contracted: a node with one arc out whose arcs in carry at
       most its capacity (or with one arc in either way) passes every arc in on to the head of
       that arc (capacity the smaller one, costs added); a node with one arc in whose arcs out
       carry at most its capacity passes the tail on to its arcs out. Every flow of the smaller
       network is one of the larger with the same cost and back, so its optimum is the optimum.
    4. The arcs left are sorted by (tail, head) (OR-Tools' work depends on their order, ±10 %;
       this order did no worse than the network's own on 2,000 × 10,000 and 5,000 × 25,000).
    Each remaining arc carries at most one pair arc (a path from source to sink has exactly
    one); ``pair`` gives its index in ``net.pair_arcs`` (−1: none), ``taken`` marks the pairs
    that step 1 fixed at flow 1 and ``fixed_cost`` is the cost of the fixed arcs' flow.
    """
    import numpy as np

    nodes = net.nodes
    t = net.tails.astype(np.int64)
    h = net.heads.astype(np.int64)
    c = np.asarray(caps, dtype=np.int64).copy()
    w = np.asarray(net.costs, dtype=np.int64).copy()
    n_pairs = len(net.pair_arcs)
    pair = np.full(len(t), -1, dtype=np.int64)
    pair[net.pair_arcs] = np.arange(n_pairs)

    part = np.ones(nodes, dtype=np.int64)  # 0 source side, 1 between, 2 sink side
    part[source_side[source_side < nodes]] = 0
    part[sink_side[sink_side < nodes]] = 2
    saturated = part[t] < part[h]
    supply = np.zeros(nodes, dtype=np.int64)
    supply[SOURCE] += total
    supply[SINK] -= total
    supply -= np.bincount(t[saturated], weights=c[saturated], minlength=nodes).astype(np.int64)
    supply += np.bincount(h[saturated], weights=c[saturated], minlength=nodes).astype(np.int64)
    fixed_cost = int((c[saturated] * w[saturated]).sum())
    taken = np.zeros(n_pairs, dtype=bool)
    fixed_pairs = pair[saturated & (c > 0)]
    taken[fixed_pairs[fixed_pairs >= 0]] = True
    keep = (part[t] == part[h]) & (c > 0)
    t, h, c, w, pair = t[keep], h[keep], c[keep], w[keep], pair[keep]
    free = supply == 0
    free[[SOURCE, SINK]] = False

    # rounds over the arcs still there (t, h, c, w, pair shrink), in their first order
    while True:
        indeg = np.bincount(h, minlength=nodes)
        outdeg = np.bincount(t, minlength=nodes)
        dead = free & ((indeg == 0) | (outdeg == 0))
        keep = ~(dead[t] | dead[h])
        if not keep.all():
            t, h, c, w, pair = t[keep], h[keep], c[keep], w[keep], pair[keep]
            continue
        in_cap = np.bincount(h, weights=c, minlength=nodes)
        out_cap = np.bincount(t, weights=c, minlength=nodes)
        rule1 = free & (outdeg == 1) & ((indeg == 1) | (in_cap <= out_cap))
        rule2 = free & (indeg == 1) & (out_cap <= in_cap) & ~rule1
        pick = rule1 | rule2
        pick[h[pick[t]]] = False  # no two neighbours in one round
        if not pick.any():
            break
        rule1 &= pick
        rule2 &= pick
        drop = np.zeros(len(t), dtype=bool)
        # a node of rule 1: its arcs in take over its one arc out
        only_out = np.full(nodes, -1, dtype=np.int64)
        sel = np.flatnonzero(rule1[t])
        only_out[t[sel]] = sel
        a = np.flatnonzero(rule1[h])
        b = only_out[h[a]]
        h[a], c[a], w[a] = h[b], np.minimum(c[a], c[b]), w[a] + w[b]
        pair[a] = np.maximum(pair[a], pair[b])
        drop[b] = True
        # a node of rule 2: its arcs out take over its one arc in
        only_in = np.full(nodes, -1, dtype=np.int64)
        sel = np.flatnonzero(rule2[h])
        only_in[h[sel]] = sel
        b = np.flatnonzero(rule2[t])
        a = only_in[t[b]]
        t[b], c[b], w[b] = t[a], np.minimum(c[a], c[b]), w[a] + w[b]
        pair[b] = np.maximum(pair[a], pair[b])
        drop[a] = True
        keep = ~drop
        t, h, c, w, pair = t[keep], h[keep], c[keep], w[keep], pair[keep]

    order = np.lexsort((h, t))  # arcs by (tail, head)
    t, h, c, w, pair = t[order], h[order], c[order], w[order], pair[order]
    used = supply != 0
    used[t] = True
    used[h] = True
    number = np.cumsum(used) - 1
    supply_nodes = np.flatnonzero(supply)
    return Reduced(
        nodes=int(used.sum()),
        tails=number[t].astype(np.int32),
        heads=number[h].astype(np.int32),
        caps=c,
        costs=w,
        pair=pair,
        supply_nodes=number[supply_nodes].astype(np.int32),
        supplies=supply[supply_nodes],
        taken=taken,
        fixed_cost=fixed_cost,
    )
