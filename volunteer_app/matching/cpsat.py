"""CP-SAT engine (OR-Tools, imported lazily) for what a flow cannot express.

Used when the coordinator allows several slots a day (overlap checks between candidates) or
wants the same person for a whole series (``same_person_for_series``: a volunteer takes either
every slot of a series in the problem, together with the ones already fixed for them, or none),
and whenever the caps do not nest. The tiers are optimised lexicographically, one solve per
group of tiers — seats (first seats dominating further ones), then kept/preference/fairness with
the instance's dominating weights — each solve hinted with the previous solution (at first: the
exact flow with one slot a day, or greedy) and the seat value held. On two
cores CP-SAT needs ``num_workers=1`` with ``linearization_level=2``.
"""

from __future__ import annotations

import itertools
import time
from collections import defaultdict

from .model import Context, month_key, preference, week_key
from .problem import Pair


def solve_cpsat(ctx: Context, pairs, weights, time_limit_s: float, start=None):
    """Returns (new pairs, status, (stage, bound) or None, stats); status "optimal" | "gap" | "none".

    `start`: a feasible set of pairs to begin from (hint); returned with status "gap" when
    CP-SAT finds nothing better in time.
    """
    from ortools.sat.python import cp_model

    started = time.perf_counter()
    deadline = started + max(0.1, time_limit_s)
    m = cp_model.CpModel()
    x = {}
    for vid, sid in pairs:
        x[(vid, sid)] = m.new_bool_var(f"x_{vid}_{sid}")
    on_slot: dict[int, list] = defaultdict(list)
    for (_, sid), var in x.items():
        on_slot[sid].append(var)
    firsts = []
    first_of: dict[int, object] = {}
    steps_of: dict[int, list] = {}
    for sid, vars_ in sorted(on_slot.items()):
        m.add(sum(vars_) <= ctx.open_seats[sid])
        if ctx.fixed_on_slot[sid] == 0:
            f = m.new_bool_var(f"first_{sid}")
            m.add(f <= sum(vars_))
            firsts.append(f)
            first_of[sid] = f
    fairness_terms = []
    grouped = ctx.eligible_map()
    for vid, sids in sorted(grouped.items()):
        v = ctx.volunteers[vid]
        buckets = {"month": defaultdict(list), "week": defaultdict(list), "day": defaultdict(list)}
        for sid in sids:
            d = ctx.slots[sid].start.date()
            buckets["month"][month_key(d)].append(sid)
            buckets["week"][week_key(d)].append(sid)
            buckets["day"][d].append(sid)
        for index, kind in enumerate(("month", "week", "day")):
            for group in buckets[kind].values():
                rem = ctx.remaining(v, ctx.slots[group[0]].start.date())[index]
                if rem is not None and rem < len(group):
                    m.add(sum(x[(vid, sid)] for sid in group) <= max(0, rem))
        for group in buckets["day"].values():
            ordered = sorted((ctx.slots[sid] for sid in group), key=lambda s: (s.start, s.id))
            cliques = set()
            for s in ordered:
                active = frozenset(o.id for o in ordered if o.start <= s.start < o.end)
                if len(active) > 1:
                    cliques.add(active)
            for clique in sorted(cliques, key=sorted):
                m.add_at_most_one(x[(vid, sid)] for sid in sorted(clique))
        costs = ctx.fairness_costs(v, ctx.capacity_of(vid))
        steps = [m.new_bool_var(f"n_{vid}_{j}") for j in range(len(costs))]
        steps_of[vid] = steps
        m.add(sum(steps) == sum(x[(vid, sid)] for sid in sids))
        for a, b in itertools.pairwise(steps):
            m.add_implication(b, a)
        fairness_terms.extend(c * y for c, y in zip(costs, steps, strict=True) if c)
    if ctx.options.same_person_for_series:
        series_slots: dict[int, list[int]] = defaultdict(list)
        for sid, s in ctx.slots.items():
            if s.series is not None:
                series_slots[s.series].append(sid)
        for vid, sids in sorted(grouped.items()):
            for series in sorted(
                {ctx.slots[sid].series for sid in sids if ctx.slots[sid].series is not None}
            ):
                needed = [
                    sid for sid in series_slots[series] if Pair(vid, sid) not in ctx.fixed_set
                ]
                if all((vid, sid) in x for sid in needed):
                    for a, b in itertools.pairwise(needed):
                        m.add(x[(vid, a)] == x[(vid, b)])
                else:
                    for sid in needed:
                        if (vid, sid) in x:
                            m.add(x[(vid, sid)] == 0)
    q = weights.bounds["open_seats"]
    t1 = sum(firsts)
    seats = sum(x.values())
    # Stage "seats": (Q+1)·first + further = Q·first + all seats (further ≤ Q, so first dominates;
    # and W1 = (Q+1)·W2, so this is the seat part of the weighted objective divided by W2).
    # Stage "lower": W3·kept + W4·preference − fairness, the rest of the weighted objective.
    stage_seats = q * t1 + seats
    lower = []
    for (vid, sid), var in x.items():
        coef = weights.w4 * preference(ctx.volunteers[vid], ctx.slots[sid])
        coef += weights.w3 * ((vid, sid) in ctx.previous_pairs)
        if coef:
            lower.append(coef * var)
    stage_lower = sum(lower) - sum(fairness_terms)
    built = time.perf_counter()
    stages = [("seats", stage_seats), ("lower", stage_lower)]

    def hint(chosen: set) -> None:
        m.clear_hints()
        count: dict[int, int] = defaultdict(int)
        staffed = set()
        for key, var in x.items():
            m.add_hint(var, key in chosen)
            if key in chosen:
                count[key[0]] += 1
                staffed.add(key[1])
        for sid, f in first_of.items():
            m.add_hint(f, sid in staffed)
        for vid, steps in steps_of.items():
            for j, y in enumerate(steps):
                m.add_hint(y, j < count[vid])

    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.linearization_level = 2
    status_all = "optimal"
    bound_stage = None
    solution = None
    stage_log: list = []
    if start is not None:
        solution = {(p.volunteer, p.slot) for p in start if (p.volunteer, p.slot) in x}
        hint(solution)
    for i, (name, expr) in enumerate(stages):
        if isinstance(expr, int):  # empty sum
            continue
        m.maximize(expr)
        left = deadline - time.perf_counter()
        share = left if i == len(stages) - 1 else left * 2 / (len(stages) - i + 1)
        solver.parameters.max_time_in_seconds = max(0.05, share)
        st = solver.solve(m)
        stage_log.append((name, solver.status_name(st), round(solver.wall_time, 3)))
        if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            if solution is None:
                return [], "none", None, {"variables": len(x)}
            status_all = "gap"
            bound_stage = bound_stage or (name, None)
            break
        solution = {key for key, var in x.items() if solver.value(var)}
        value = round(solver.objective_value)
        if st != cp_model.OPTIMAL and bound_stage is None:
            status_all = "gap"
            bound_stage = (name, round(solver.best_objective_bound))
        hint(solution)
        m.add(expr >= value)
    chosen = sorted(Pair(vid, sid) for vid, sid in solution or [])
    stats = {
        "variables": len(x),
        "constraints": len(m.proto.constraints),
        "build_s": round(built - started, 4),
        "solve_s": round(time.perf_counter() - built, 4),
    }
    stats["stages"] = stage_log
    if bound_stage:
        stats["bound_stage"] = bound_stage[0]
    return chosen, status_all, bound_stage, stats
