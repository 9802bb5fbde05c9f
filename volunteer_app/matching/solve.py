"""`solve(problem, engine)`: pick the engine, run it, and report the objective by tier."""

from __future__ import annotations

import time

from .model import PREF_MAX, Context
from .problem import Problem, Solution

ENGINES = ("auto", "flow", "cpsat", "greedy")


def solve(problem: Problem, engine: str = "auto") -> Solution:
    """Solve the problem.

    ``auto``: the exact min-cost flow when the caps nest (one slot a day, or several without
    overlapping candidates; month and week caps laminar) and no series rule is asked for;
    otherwise CP-SAT. ``flow`` falls back to CP-SAT (with a note) when the nesting does not hold.
    CP-SAT falls back to greedy when it finds nothing in its time limit.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    from .arrays import Columns  # numpy: the solve path only

    started = time.perf_counter()
    ctx = Context(problem)
    columns = Columns(ctx)  # the eligibility pass, once: weights, network and engines read it
    weights = columns.weights()
    prepared = time.perf_counter() - started
    notes: list[str] = []
    stats: dict = {"eligible_pairs": len(columns), "prepare_s": round(prepared, 4)}

    wanted = engine
    if engine == "auto":
        wanted = "cpsat" if problem.options.same_person_for_series else "flow"
    elif engine == "flow" and problem.options.same_person_for_series:
        notes.append("flow cannot keep one person per series: solved with CP-SAT")
        wanted = "cpsat"

    chosen, status, gap, bound = [], "heuristic", None, None
    used = wanted
    if wanted == "flow":
        from .flow import NotNested, solve_flow

        try:
            chosen, flow_stats = solve_flow(ctx, columns)
            stats.update(flow_stats)
            status, gap = "optimal", 0.0
        except NotNested as exc:
            notes.append(f"caps do not nest ({exc}): solved with CP-SAT")
            wanted = used = "cpsat"
    pairs = []
    if wanted != "flow":  # CP-SAT and greedy read the pairs per volunteer from the context
        columns.fill(ctx)
        pairs = ctx.eligible_pairs()
    if wanted == "cpsat":
        from .cpsat import solve_cpsat

        start = _start_solution(problem, ctx, pairs)
        remaining = max(0.1, problem.options.time_limit_s - (time.perf_counter() - started))
        chosen, cp_status, stage, cp_stats = solve_cpsat(
            ctx, pairs, weights, remaining, start=start
        )
        stats.update(cp_stats)
        if cp_status == "none":
            notes.append("CP-SAT found no solution in the time limit: greedy result")
            wanted = used = "greedy"
        else:
            status = cp_status
    if wanted == "greedy":
        from .greedy import solve_greedy

        chosen = solve_greedy(ctx, pairs)
        status, gap = "heuristic", None

    # the flow's pairs are eligible pairs of the columns: their terms are sums over columns
    terms = columns.terms(chosen) if used == "flow" else ctx.terms(chosen)
    objective = weights.objective(terms)
    if status == "optimal":
        bound, gap = objective, 0.0
    elif status == "gap":
        bound = _bound(weights, terms, stage)
        gap = (bound - objective) / max(1, abs(bound))
    stats["weights"] = weights.as_dict()
    stats["weight_bounds"] = weights.bounds
    return Solution(
        pairs=tuple(sorted(chosen, key=_pair_key)),
        objective=objective,
        terms=terms,
        status=status,
        gap=gap,
        engine=used,
        seconds=round(time.perf_counter() - started, 4),
        bound=bound,
        notes=tuple(notes),
        stats=stats,
    )


def _pair_key(pair) -> tuple[int, int]:
    return (pair.volunteer, pair.slot)  # the order of Pair, without its dataclass __lt__


def _start_solution(problem: Problem, ctx: Context, pairs) -> list:
    """A feasible start for CP-SAT: the exact flow with one slot a day (always feasible for the
    same-day problem) when no series rule applies, else greedy."""
    from .greedy import solve_greedy

    if not problem.options.same_person_for_series:
        from dataclasses import replace

        from .flow import NotNested, solve_flow

        try:
            strict = Context(
                replace(problem, options=replace(problem.options, allow_same_day=False))
            )
            chosen, _ = solve_flow(strict)
            if chosen:
                return chosen
        except NotNested:
            pass
    return solve_greedy(ctx, pairs)


def _bound(weights, terms: dict, stage) -> int:
    """A proven upper bound of the weighted objective when CP-SAT stopped early at `stage`.

    Stage "seats" bounds (Q+1)·first + further (W1 = (Q+1)·W2); stage "lower" bounds
    W3·kept + W4·preference − fairness. `None`: no bound known beyond the tiers' maxima.
    """
    name, value = stage
    q, r = weights.bounds["open_seats"], weights.bounds["previous"]
    lower_max = weights.w3 * r + weights.w4 * PREF_MAX * q
    if name == "seats":
        seats_max = (q + 1) * q + q if value is None else value
        return weights.w2 * seats_max + lower_max
    seat_part = weights.w1 * terms["first_seats"] + weights.w2 * terms["further_seats"]
    return seat_part + (lower_max if value is None else value)
