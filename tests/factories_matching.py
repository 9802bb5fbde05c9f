"""Small random matching problems and an independent exhaustive oracle (tests only)."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, datetime, timedelta

from volunteer_app.matching import Options, Pair, Problem, Slot, Volunteer, Window, check

DAY0 = date(2026, 3, 2)  # Monday; every tiny instance stays inside March


def tiny(
    seed: int,
    volunteers: int = 4,
    slots: int = 5,
    days: int = 9,
    options: Options | None = None,
    day0: date = DAY0,
) -> Problem:
    rng = random.Random(seed)
    slot_list = []
    for sid in range(1, slots + 1):
        day = day0 + timedelta(days=rng.randrange(days))
        start = datetime.combine(day, datetime.min.time()) + timedelta(
            hours=rng.choice((9, 10, 11, 14, 15))
        )
        slot_list.append(
            Slot(
                id=sid * 10 + rng.randrange(3),
                centre=rng.choice((1, 2)),
                category=rng.choice((1, 2, 3)),
                start=start,
                end=start + timedelta(minutes=rng.choice((60, 90, 120))),
                seats=rng.choice((1, 1, 2, 3)),
                child_facing=rng.random() < 0.3,
                language=rng.choice((None, None, None, "ar")),
                series=rng.choice((None, 1, 2)),
            )
        )
    people = []
    for vid in range(1, volunteers + 1):
        windows = tuple(
            Window(wd, rng.choice((8 * 60, 10 * 60)), rng.choice((13 * 60, 18 * 60)))
            for wd in sorted(rng.sample(range(7), rng.randint(3, 6)))
        )
        people.append(
            Volunteer(
                id=vid * 7 + rng.randrange(5),
                interests=frozenset(rng.sample((1, 2, 3), rng.randint(1, 2))),
                open_to_anything=rng.random() < 0.3,
                windows=windows,
                centres=frozenset(rng.sample((1, 2), rng.randint(1, 2))),
                certificate_valid_until=rng.choice((None, date(2026, 3, 8), date(2027, 1, 1))),
                languages=frozenset({"de"} | ({"ar"} if rng.random() < 0.4 else set())),
                cap_month=rng.choice((None, 1, 2, 3)),
                cap_week=rng.choice((None, 1, 2)),
                cap_day=rng.choice((1, 1, 2)),
                history_centres=frozenset(rng.sample((1, 2), rng.randint(0, 1))),
                history_series=frozenset(rng.sample((1, 2), rng.randint(0, 1))),
            )
        )
    problem = Problem(tuple(people), tuple(slot_list), options=options or Options())
    allowed = all_single_pairs(problem)
    fixed = tuple(p for p in allowed if rng.random() < 0.1)
    rest = [p for p in allowed if p not in fixed]
    previous = tuple(p for p in rest if rng.random() < 0.3)
    declined = frozenset(p for p in rest if rng.random() < 0.1)
    fixed_ok = []
    for p in fixed:  # keep the confirmed pairs themselves feasible
        if not check(
            Problem(
                problem.volunteers, problem.slots, fixed=tuple(fixed_ok), options=problem.options
            ),
            [p],
        ):
            fixed_ok.append(p)
    return Problem(
        problem.volunteers,
        problem.slots,
        tuple(fixed_ok),
        previous,
        declined,
        options=problem.options,
    )


def all_single_pairs(problem: Problem) -> list[Pair]:
    """Pairs feasible on their own (the series rule is judged on whole sets, not here)."""
    problem = replace(problem, options=replace(problem.options, same_person_for_series=False))
    return [
        Pair(v.id, s.id)
        for v in problem.volunteers
        for s in problem.slots
        if not check(problem, [Pair(v.id, s.id)])
    ]


def fairness_cost(problem: Problem, pairs) -> int:
    """The documented fairness cost, recomputed here: j-th slot of a person costs 8·j // cap."""
    total = 0
    months = {(s.start.year, s.start.month) for s in problem.slots}
    slots = {s.id for s in problem.slots}
    for v in problem.volunteers:
        n = sum(1 for p in pairs if p.volunteer == v.id)
        if not n:
            continue
        cap = (
            v.cap_month
            if v.cap_month is not None
            else (4 * v.cap_week if v.cap_week is not None else 4)
        )
        cap = max(1, cap)
        load = (problem.load or {}).get(v.id, {}).get("month", {})
        base = sum(1 for p in problem.fixed if p.volunteer == v.id and p.slot in slots)
        base += sum(k for m, k in load.items() if m in months)
        total += sum(8 * (base + j) // cap for j in range(1, n + 1))
    return total


def key(problem: Problem, pairs) -> tuple:
    """Lexicographic value (first seats, further seats, kept, preference, −fairness)."""
    slots = {s.id: s for s in problem.slots}
    vols = {v.id: v for v in problem.volunteers}
    fixed_slots = {p.slot for p in problem.fixed}
    firsts = {p.slot for p in pairs if p.slot not in fixed_slots}
    pref = 0
    for p in pairs:
        v, s = vols[p.volunteer], slots[p.slot]
        pref += 4 * (s.category in v.interests) + 2 * (s.centre in v.history_centres)
        pref += 2 * (s.series is not None and s.series in v.history_series)
        pref += s.language is not None and s.language in v.languages
    kept = sum(1 for p in pairs if p in set(problem.previous))
    return (len(firsts), len(pairs) - len(firsts), kept, pref, -fairness_cost(problem, pairs))


def exhaustive_best(problem: Problem) -> tuple:
    """Best lexicographic key over every feasible set of pairs (checker decides feasibility)."""
    candidates = all_single_pairs(problem)
    monotone = not problem.options.same_person_for_series
    best = [key(problem, [])]

    def walk(i: int, chosen: list) -> None:
        if i == len(candidates):
            if not monotone and check(problem, chosen):
                return
            best[0] = max(best[0], key(problem, chosen))
            return
        walk(i + 1, chosen)
        chosen.append(candidates[i])
        if not monotone or not check(problem, chosen):
            walk(i + 1, chosen)
        chosen.pop()

    walk(0, [])
    return best[0]
