"""The array pass (arrays.Columns) equals the per-object pass it replaced, arc for arc.

The flow engine used to build its network from one Python object per pair
(tests/matching_reference.py keeps that builder and its solve). The numpy builder must give the
same eligible pairs, capacities, weights and network (same arcs in the same order) on generated
problems with fixed, earlier, declined pairs, outside load, odd minutes and months that end
mid-week. The engine then hands OR-Tools a smaller, equivalent min-cost flow
(`flow.reduce_network`): its optimum is the whole network's, tier by tier, but OR-Tools may pick
another of the tied optimal assignments than the reference solve of the whole network does.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import matching_reference as reference
from tests.factories_matching import tiny
from volunteer_app.matching import Options, Pair, check, solve
from volunteer_app.matching.arrays import Columns
from volunteer_app.matching.flow import NotNested
from volunteer_app.matching.generate import generate
from volunteer_app.matching.model import Context, month_key, week_key

MARCH_27 = date(2026, 3, 27)  # a Friday: ISO week 14 runs from March 30 into April


def _with_load_and_seconds(problem, seed: int):
    """Outside load for some people, and slots that start or end off the full minute."""
    rng = random.Random(seed)
    days = sorted({s.start.date() for s in problem.slots})
    load = {}
    for v in problem.volunteers:
        if days and rng.random() < 0.3:
            d = rng.choice(days)
            load[v.id] = {
                "month": {month_key(d): rng.randint(0, 2)},
                "week": {week_key(d): rng.randint(0, 1)},
                "day": {d: rng.randint(0, 1)},
            }
    slots = tuple(
        replace(s, start=s.start + timedelta(seconds=30), end=s.end + timedelta(seconds=20))
        if rng.random() < 0.2
        else s
        for s in problem.slots
    )
    return replace(problem, slots=slots, load=load)


def _problems():
    for seed in range(30):
        options = (Options(), Options(allow_same_day=True))[seed % 2]
        day0 = (date(2026, 3, 2), date(2026, 3, 26))[seed % 3 == 0]  # weeks across March/April
        problem = tiny(seed, volunteers=6, slots=9, days=12, options=options, day0=day0)
        yield f"tiny-{seed}", problem
        yield f"tiny-load-{seed}", _with_load_and_seconds(problem, seed)
    for seed in (0, 1, 2, 3, 9):  # several slots a day allowed, overlapping candidates
        options = Options(allow_same_day=True)
        problem = tiny(seed, volunteers=6, slots=14, days=5, options=options, day0=MARCH_27)
        yield f"same-day-{seed}", problem
    for seed in (17, 18, 20, 33, 45):  # a week across March and April: caps may not nest
        yield f"straddle-{seed}", tiny(seed, volunteers=6, slots=14, days=8, day0=MARCH_27)
    for seed in range(4):
        problem = generate(60, 240, seed=seed)
        first = solve(problem, "greedy").pairs
        rng = random.Random(seed)
        cancelled = frozenset(p for p in first if rng.random() < 0.1)
        yield f"generated-{seed}", problem
        yield (
            f"generated-rerun-{seed}",
            replace(
                problem,
                fixed=tuple(p for p in first if p not in cancelled and rng.random() < 0.5),
                previous=tuple(p for p in first if rng.random() < 0.5),
                declined=cancelled,
            ),
        )
        yield f"generated-load-{seed}", _with_load_and_seconds(problem, seed)


PROBLEMS = list(_problems())


def _same_network(problem) -> str:
    """Compares eligibility, capacities, weights and the network; returns how it ended."""
    ctx, old = Context(problem), Context(problem)
    columns = Columns(ctx)
    assert columns.eligible_map() == old.eligible_map()
    assert len(columns) == len(old.eligible_pairs())
    for vid in old.eligible_map():
        assert int(columns.capacity[columns.vindex[vid]]) == old.capacity_of(vid), vid
    assert columns.weights() == old.weights()
    try:
        net, pair_arcs, first_sink, further_sink, weights = reference.build(old)
    except reference.NotNested as exc:
        with pytest.raises(NotNested) as new:
            columns.network()
        assert str(new.value) == str(exc)
        return "not nested"
    new = columns.network()
    assert new.nodes == net.nodes
    for name in ("tails", "heads", "caps", "costs"):
        assert np.array_equal(getattr(new, name), np.asarray(getattr(net, name))), name
    assert (new.first_sink, new.further_sink, new.weights) == (first_sink, further_sink, weights)
    assert new.pair_arcs.tolist() == [a for a, _, _ in pair_arcs]
    assert new.pair_v.tolist() == [v for _, v, _ in pair_arcs]
    assert new.pair_s.tolist() == [s for _, _, s in pair_arcs]
    return "nested"


@pytest.mark.parametrize(("name", "problem"), PROBLEMS, ids=[n for n, _ in PROBLEMS])
def test_columns_build_the_same_network_and_solve_to_the_same_pairs(name, problem):
    outcome = _same_network(problem)
    result = solve(problem, "flow")
    assert check(problem, result.pairs) == []
    if outcome == "nested":
        before, _ = reference.solve_flow(Context(problem))
        # Both are proven optima of the same network; the reduced problem may make OR-Tools pick
        # another tie, so the pairs (and the split of preference into interest, continuity and
        # language) may differ, but no tier of the objective may.
        ctx = Context(problem)
        tiers = ("first_seats", "further_seats", "kept", "preference", "fairness_cost")
        assert {t: result.terms[t] for t in tiers} == {t: ctx.terms(before)[t] for t in tiers}
        assert result.objective == ctx.weights().objective(ctx.terms(before))
        assert result.pairs == solve(problem, "flow").pairs  # and the tie is deterministic
    else:
        assert result.engine == "cpsat" and "nest" in result.notes[0]
    greedy = solve(problem, "greedy").pairs  # other sets of eligible pairs: the same terms
    assert Columns(Context(problem)).terms(list(greedy)) == Context(problem).terms(greedy)


def test_the_cases_above_include_both_outcomes_and_every_kind_of_input():
    assert {_same_network(p) for _, p in PROBLEMS} == {"nested", "not nested"}
    messages = set()
    for _, problem in PROBLEMS:
        try:
            Columns(Context(problem)).network()
        except NotNested as exc:
            messages.add("overlapping" if "overlapping" in str(exc) else "caps")
    assert messages == {"overlapping", "caps"}
    assert any(p.fixed and p.previous and p.declined for _, p in PROBLEMS)
    assert any(p.load for _, p in PROBLEMS)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(0, 10**6), st.integers(1, 8), st.integers(1, 12), st.integers(1, 10), st.booleans()
)
def test_property_columns_equal_the_per_object_pass(seed, volunteers, slots, days, same_day):
    options = Options(allow_same_day=same_day)
    day0 = date(2026, 3, 24) + timedelta(days=seed % 7)
    problem = tiny(seed, volunteers=volunteers, slots=slots, days=days, options=options, day0=day0)
    _same_network(_with_load_and_seconds(problem, seed))


def test_empty_problems_and_nobody_eligible():
    problem = tiny(1, volunteers=3, slots=4)
    for variant in (
        replace(problem, volunteers=()),
        replace(problem, slots=()),
        replace(problem, volunteers=(), slots=()),
        replace(problem, volunteers=tuple(replace(v, windows=()) for v in problem.volunteers)),
    ):
        _same_network(variant)
        assert solve(variant, "flow").pairs == ()
    full = replace(
        problem,
        fixed=tuple(Pair(v.id, s.id) for v in problem.volunteers[:1] for s in problem.slots[:1]),
    )
    _same_network(full)


def _min_cost(tails, heads, caps, costs, supplies) -> int:
    from ortools.graph.python import min_cost_flow

    mcf = min_cost_flow.SimpleMinCostFlow()
    mcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    nodes = np.flatnonzero(supplies)
    mcf.set_nodes_supplies(nodes.astype(np.int32), supplies[nodes])
    assert mcf.solve() == mcf.OPTIMAL
    return mcf.optimal_cost()


def test_the_reduced_min_cost_flow_has_the_optimum_of_the_whole_network():
    """flow.reduce_network (flows fixed by the minimum cuts, dead arcs out, series nodes
    contracted) keeps the optimal cost of the whole phase-two network, and a pair arc's flow
    comes back from the reduced arcs that carry it."""
    from ortools.graph.python import max_flow

    from volunteer_app.matching.flow import SINK, SOURCE, reduce_network

    checked = reduced_somewhere = 0
    for name, problem in [*PROBLEMS, ("month", generate(120, 500, seed=4))]:
        try:
            net = Columns(Context(problem)).network()
        except NotNested:
            continue
        mf = max_flow.SimpleMaxFlow()
        mf.add_arcs_with_capacity(net.tails, net.heads, net.caps)
        mf.set_arc_capacity(net.further_sink, 0)
        assert mf.solve(SOURCE, SINK) == mf.OPTIMAL
        r1 = mf.optimal_flow()
        mf.set_arc_capacity(net.further_sink, int(net.caps[net.further_sink]))
        assert mf.solve(SOURCE, SINK) == mf.OPTIMAL
        total = mf.optimal_flow()
        caps = net.caps.copy()
        caps[net.first_sink], caps[net.further_sink] = r1, total - r1
        red = reduce_network(
            net,
            caps,
            total,
            np.array(mf.get_source_side_min_cut(), dtype=np.int64),
            np.array(mf.get_sink_side_min_cut(), dtype=np.int64),
        )
        supplies = np.zeros(net.nodes, dtype=np.int64)
        supplies[SOURCE], supplies[SINK] = total, -total
        whole = _min_cost(net.tails, net.heads, caps, net.costs, supplies) if total else 0
        assert red.nodes <= net.nodes and len(red.tails) <= len(net.tails), name
        assert int(red.supplies.sum()) == 0, name
        part = 0
        if len(red.tails):
            supplies = np.zeros(red.nodes, dtype=np.int64)
            supplies[red.supply_nodes] = red.supplies
            part = _min_cost(red.tails, red.heads, red.caps, red.costs, supplies)
        assert part + red.fixed_cost == whole, name
        # every reduced arc carries at most one pair arc, each pair arc at most one kind
        assert red.pair.max(initial=-1) < len(net.pair_arcs)
        assert not (red.taken & np.isin(np.arange(len(red.taken)), red.pair)).any(), name
        checked += 1
        reduced_somewhere += len(red.tails) < len(net.tails)
    assert checked >= 40 and reduced_somewhere >= 20
