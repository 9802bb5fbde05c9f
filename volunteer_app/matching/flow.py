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
pair arcs, then per slot its FIRST/FURTHER arcs, then FIRST→sink and FURTHER→sink.
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
    from ortools.graph.python import max_flow, min_cost_flow

    from .arrays import Columns

    started = time.perf_counter()
    if columns is None:
        columns = Columns(ctx)
    net = columns.network()
    tails, heads, caps = net.tails, net.heads, net.caps
    built = time.perf_counter()

    mf = max_flow.SimpleMaxFlow()
    mf.add_arcs_with_capacity(tails, heads, caps)
    mf.set_arc_capacity(net.further_sink, 0)
    if mf.solve(SOURCE, SINK) != mf.OPTIMAL:
        raise RuntimeError("max flow (first seats) failed")
    r1 = mf.optimal_flow()
    mf.set_arc_capacity(net.further_sink, int(caps[net.further_sink]))
    if mf.solve(SOURCE, SINK) != mf.OPTIMAL:
        raise RuntimeError("max flow failed")
    total = mf.optimal_flow()
    max_flows = time.perf_counter()

    caps = caps.copy()
    caps[net.first_sink] = r1
    caps[net.further_sink] = total - r1
    mcf = min_cost_flow.SimpleMinCostFlow()
    mcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, net.costs)
    # the other nodes' supplies stay 0; the last one is set too, so that the solver's graph has
    # exactly net.nodes nodes (their number scales its costs)
    mcf.set_node_supply(net.nodes - 1, 0)
    mcf.set_node_supply(SOURCE, total)
    mcf.set_node_supply(SINK, -total)
    status = mcf.solve()
    if status != mcf.OPTIMAL:
        raise RuntimeError(f"min-cost flow status {status}")
    arc_ids = net.pair_arcs.astype(np.int32)
    taken = mcf.flows(arc_ids) > 0 if len(arc_ids) else np.zeros(0, dtype=bool)
    # pair arcs are in (volunteer id, slot id) order, so the pairs come out sorted
    chosen = [
        assemble(Pair, {"volunteer": v, "slot": s})
        for v, s in zip(net.pair_v[taken].tolist(), net.pair_s[taken].tolist(), strict=True)
    ]
    w3, w4 = net.weights
    done = time.perf_counter()
    stats = {
        "nodes": net.nodes,
        "arcs": len(tails),
        "pair_arcs": len(arc_ids),
        "build_s": round(built - started, 4),
        "solve_s": round(done - built, 4),
        "max_flow_s": round(max_flows - built, 4),
        "min_cost_flow_s": round(done - max_flows, 4),
        "max_flow": int(total),
        "first_seats_possible": int(r1),
        "flow_weights": {"kept": w3, "preference": w4, "fairness_cost": 1},
    }
    return chosen, stats
