"""The engines against independent oracles, the checker, determinism and re-run semantics."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, datetime

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories_matching import all_single_pairs, exhaustive_best, key, tiny
from volunteer_app.matching import Options, Pair, Problem, Slot, Volunteer, Window, check, solve
from volunteer_app.matching.generate import generate
from volunteer_app.matching.model import PREF_MAX, Context


def _sol_key(problem, solution):
    assert check(problem, solution.pairs) == []
    return key(problem, list(solution.pairs))


@pytest.mark.parametrize("seed", range(12))
def test_flow_equals_exhaustive_search_and_other_engines_pass_the_checker(seed):
    problem = tiny(seed, volunteers=5, slots=6)
    best = exhaustive_best(problem)
    flow = solve(problem, "flow")
    assert flow.engine == "flow" and flow.status == "optimal" and flow.gap == 0.0
    assert _sol_key(problem, flow) == best
    cpsat = solve(problem, "cpsat")
    assert cpsat.status == "optimal"
    assert _sol_key(problem, cpsat) == best
    greedy = solve(problem, "greedy")
    assert greedy.status == "heuristic"
    assert _sol_key(problem, greedy) <= best
    assert greedy.objective <= flow.objective == cpsat.objective


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10**6), st.integers(2, 5), st.integers(2, 6))
def test_property_flow_is_optimal_and_feasible(seed, volunteers, slots):
    problem = tiny(seed, volunteers=volunteers, slots=slots)
    flow = solve(problem, "flow")
    assert _sol_key(problem, flow) == exhaustive_best(problem)
    greedy = solve(problem, "greedy")
    assert _sol_key(problem, greedy) <= _sol_key(problem, flow)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10**6))
def test_property_cpsat_with_same_day_and_series_is_exact(seed):
    for options in (Options(allow_same_day=True), Options(same_person_for_series=True)):
        problem = tiny(seed, volunteers=4, slots=5, days=4, options=options)
        result = solve(problem)
        assert result.engine in ("cpsat", "flow")
        assert result.status == "optimal"
        assert _sol_key(problem, result) == exhaustive_best(problem)
        greedy = solve(problem, "greedy")
        assert _sol_key(problem, greedy) <= _sol_key(problem, result)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10**6))
def test_property_week_across_two_months_is_exact(seed):
    """Mar 26 – Apr 3: ISO week 14 straddles the months; if both caps bind, flow hands over."""
    problem = tiny(seed, volunteers=4, slots=6, day0=date(2026, 3, 26))
    result = solve(problem)
    assert result.status == "optimal"
    assert _sol_key(problem, result) == exhaustive_best(problem)


def test_caps_of_a_week_straddling_two_months_fall_back_to_cpsat():
    person = Volunteer(
        1,
        frozenset({1}),
        False,
        tuple(Window(d, 0, 1440) for d in range(7)),
        frozenset({1}),
        None,
        frozenset({"de"}),
        cap_month=1,
        cap_week=1,
    )
    days = (datetime(2026, 3, 27, 10), datetime(2026, 3, 30, 10), datetime(2026, 4, 1, 10))
    # March = {27, 30} and ISO week 14 = {30, Apr 1} overlap without nesting; both caps bind.
    slots = tuple(Slot(i, 1, 1, d, d.replace(hour=11), 1) for i, d in enumerate(days, start=1))
    problem = Problem((person,), slots)
    result = solve(problem, "flow")
    assert result.engine == "cpsat" and any("nest" in n for n in result.notes)
    assert result.status == "optimal" and result.pairs == (Pair(1, 1), Pair(1, 3))
    assert check(problem, result.pairs) == []


def _networkx_optimum(problem: Problem) -> tuple:
    """Min-cost flow built here with networkx (month ⊇ week ⊇ day; one month; day cap 1)."""
    ctx = Context(problem)  # only for the remaining-capacity arithmetic of fixed pairs
    candidates = all_single_pairs(problem)
    slots = {s.id: s for s in problem.slots}
    vols = {v.id: v for v in problem.volunteers}
    fixed_on = {sid: sum(1 for p in problem.fixed if p.slot == sid) for sid in slots}
    q = sum(max(0, s.seats - fixed_on[s.id]) for s in slots.values())
    u5 = 0
    g = nx.DiGraph()
    for v in problem.volunteers:
        cap = (
            v.cap_month
            if v.cap_month is not None
            else (4 * v.cap_week if v.cap_week is not None else 4)
        )
        cap = max(1, cap)
        base = sum(1 for p in problem.fixed if p.volunteer == v.id)
        mine = [p for p in candidates if p.volunteer == v.id]
        for j in range(1, len(mine) + 1):  # parallel arcs through helper nodes
            cost = 8 * (base + j) // cap
            u5 += cost
            g.add_edge("s", ("f", v.id, j), capacity=1, weight=cost)
            g.add_edge(("f", v.id, j), ("v", v.id), capacity=1, weight=0)
        for p in mine:
            s = slots[p.slot]
            d = s.start.date()
            month = (d.year, d.month)
            week = d.isocalendar()[:2]
            rm, rw, rd = ctx.remaining(v, d)
            big = 10**6
            g.add_edge(
                ("v", v.id), ("m", v.id, month), capacity=big if rm is None else rm, weight=0
            )
            g.add_edge(
                ("m", v.id, month), ("w", v.id, week), capacity=big if rw is None else rw, weight=0
            )
            g.add_edge(("w", v.id, week), ("d", v.id, d), capacity=rd, weight=0)
    r = sum(1 for p in problem.previous if p in set(candidates))
    w4 = u5 + 1
    w3 = w4 * PREF_MAX * q + u5 + 1
    w2 = w3 * r + w4 * PREF_MAX * q + u5 + 1
    w1 = w2 * q + w3 * r + w4 * PREF_MAX * q + u5 + 1
    for p in candidates:
        v, s = vols[p.volunteer], slots[p.slot]
        pref = 4 * (s.category in v.interests) + 2 * (s.centre in v.history_centres)
        pref += 2 * (s.series is not None and s.series in v.history_series)
        pref += s.language is not None and s.language in v.languages
        g.add_edge(("d", v.id, s.start.date()), ("pair", p.volunteer, p.slot), capacity=1, weight=0)
        g.add_edge(
            ("pair", p.volunteer, p.slot),
            ("slot", s.id),
            capacity=1,
            weight=-(w3 * (p in problem.previous) + w4 * pref),
        )
    for s in slots.values():
        free = max(0, s.seats - fixed_on[s.id])
        if free and fixed_on[s.id] == 0:
            g.add_edge(("slot", s.id), "first", capacity=1, weight=0)
            g.add_edge(("slot", s.id), ("further", s.id), capacity=free - 1, weight=0)
        elif free:
            g.add_edge(("slot", s.id), ("further", s.id), capacity=free, weight=0)
        g.add_edge(("further", s.id), "further", capacity=10**6, weight=0)
    g.add_edge("first", "t", capacity=10**6, weight=-w1)
    g.add_edge("further", "t", capacity=10**6, weight=-w2)
    g.add_edge("s", "t", capacity=10**6, weight=0)
    g.nodes["s"]["demand"] = -q
    g.nodes["t"]["demand"] = q
    flow = nx.min_cost_flow(g)
    chosen = [
        Pair(node[1], node[2])
        for node, out in flow.items()
        if isinstance(node, tuple) and node[0] == "pair" and sum(out.values())
    ]
    assert check(problem, chosen) == []
    return key(problem, chosen)


@pytest.mark.parametrize("seed", range(4))
def test_flow_equals_networkx_min_cost_flow_on_generated_instances(seed):
    problem = generate(25, 60, seed=seed)
    rng = random.Random(seed)
    first = solve(problem, "greedy").pairs
    problem = replace(
        problem,
        fixed=tuple(p for p in first if rng.random() < 0.2),
        previous=tuple(p for p in first if rng.random() < 0.5),
    )
    result = solve(problem, "flow")
    assert result.status == "optimal"
    assert _sol_key(problem, result) == _networkx_optimum(problem)


@pytest.mark.parametrize("seed", range(3))
def test_cpsat_equals_flow_where_both_apply(seed):
    problem = generate(40, 120, seed=seed)
    flow, cpsat = solve(problem, "flow"), solve(problem, "cpsat")
    assert cpsat.status == "optimal"
    assert flow.objective == cpsat.objective and flow.terms == cpsat.terms
    assert check(problem, cpsat.pairs) == []


def test_same_input_in_any_order_gives_the_same_pairs():
    problem = generate(40, 120, seed=5)
    shuffled = list(problem.volunteers), list(problem.slots)
    rng = random.Random(1)
    rng.shuffle(shuffled[0])
    rng.shuffle(shuffled[1])
    other = replace(problem, volunteers=tuple(shuffled[0]), slots=tuple(shuffled[1]))
    for engine in ("flow", "greedy", "cpsat"):
        a, b = solve(problem, engine), solve(other, engine)
        assert a.pairs == b.pairs and a.pairs == tuple(sorted(a.pairs))
    assert solve(problem).pairs == solve(problem).pairs


def test_rerun_keeps_fixed_never_proposes_declined_and_fills_freed_seats():
    problem = generate(80, 240, seed=7)
    first = solve(problem)
    assert first.pairs
    cancelled = set(first.pairs[::10])
    kept_pairs = tuple(p for p in first.pairs if p not in cancelled)
    rerun = replace(problem, fixed=kept_pairs, declined=frozenset(cancelled))
    second = solve(rerun)
    assert check(rerun, second.pairs) == []
    assert not set(second.pairs) & cancelled
    assert not set(second.pairs) & set(kept_pairs)  # fixed are not repeated
    refilled = {p.slot for p in second.pairs} & {p.slot for p in cancelled}
    assert refilled  # some freed seats were filled again by others


def test_previous_proposals_are_kept_when_nothing_better_exists():
    problem = generate(80, 240, seed=8)
    first = solve(problem)
    again = solve(replace(problem, previous=first.pairs))
    assert again.terms["kept"] == len(first.pairs)
    assert set(again.pairs) == set(first.pairs)


def test_flow_falls_back_to_cpsat_when_caps_do_not_nest():
    problem = tiny(3, volunteers=4, slots=6, days=2, options=Options(allow_same_day=True))
    wide = tuple(replace(v, cap_day=3) for v in problem.volunteers)
    overlapping = tuple(
        replace(s, start=s.start.replace(day=2, hour=10), end=s.start.replace(day=2, hour=12))
        for s in problem.slots
    )
    problem = replace(
        problem, volunteers=wide, slots=overlapping, fixed=(), previous=(), declined=frozenset()
    )
    result = solve(problem, "flow")
    if Context(problem).eligible_pairs():
        assert result.engine == "cpsat" and any("nest" in note for note in result.notes)
    assert check(problem, result.pairs) == []


def test_gap_bound_of_an_early_stop_is_above_the_optimum():
    from volunteer_app.matching.solve import _bound

    problem = generate(40, 120, seed=2)
    ctx = Context(problem)
    weights = ctx.weights()
    best = solve(problem, "flow")
    greedy = ctx.terms(solve(problem, "greedy").pairs)
    t = best.terms
    q = weights.bounds["open_seats"]
    seats_value = (q + 1) * t["first_seats"] + t["further_seats"]
    lower_value = weights.w3 * t["kept"] + weights.w4 * t["preference"] - t["fairness_cost"]
    assert _bound(weights, greedy, ("seats", seats_value)) >= best.objective
    assert _bound(weights, greedy, ("seats", None)) >= best.objective
    assert _bound(weights, t, ("lower", lower_value)) == best.objective
    assert _bound(weights, t, ("lower", None)) >= best.objective
    assert weights.w1 == (q + 1) * weights.w2


def test_empty_and_full_problems():
    empty = Problem((), ())
    for engine in ("auto", "flow", "cpsat", "greedy"):
        result = solve(empty, engine)
        assert result.pairs == () and result.objective == 0
    problem = tiny(3, volunteers=5, slots=6)
    full = replace(problem, fixed=solve(problem).pairs)
    full = replace(full, slots=tuple(replace(s, seats=1) for s in full.slots))
    for engine in ("auto", "cpsat", "greedy"):
        assert check(full, solve(full, engine).pairs) == []
