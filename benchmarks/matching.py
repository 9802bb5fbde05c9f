"""Matching engine benchmark: exact min-cost flow vs. greedy "auto-assign" on seeded instances.

    .venv/bin/python benchmarks/matching.py                       # 2,000×10,000 and 5,000×25,000
    .venv/bin/python benchmarks/matching.py --sizes 2000x10000 --seed 1 --cpsat-size 150x600

For each size it generates the seeded Thuringia-like instance (``volunteer_app.matching.generate``),
solves it with the flow engine (proven lexicographic optimum) and with greedy (top-ranked free
people per slot, earliest slot first), checks both with the independent checker, and prints:
time (preparation = eligibility and weights; build = network; solve = max flows + min-cost flow),
the objective by tier and greedy's gap to the optimum, seats filled, slots with at least one
person (also child-facing), share of pairs matching a stated interest, fairness (max and mean of
load ÷ month cap over volunteers with a month cap and any eligible slot; volunteers with availability but no slot),
and model size. Then a re-run after 5 % of the pairs are cancelled (and declined): only the slots
with freed seats (the other confirmed pairs passed as outside ``load``); the whole month with
the confirmed pairs fixed; a full re-solve with a bonus for keeping earlier
pairs; and a full re-solve without it — with the moves of confirmed pairs for each. Optionally a
small instance is solved with CP-SAT as well, to compare with the flow.

First, per size, the whole process as a user runs it: the instance is written to a JSON file and
``python -m volunteer_app.matching solve FILE`` is run ``--repeat`` times (default 3) in a fresh
interpreter (``--only-time`` runs only that; ``--root DIR`` runs another checkout's engine, and
given twice, e.g. ``--root /tmp/before --root .``, alternates the two run by run). Printed per run: wall time of the whole process (interpreter start, imports, reading
and building the problem, the solve, the independent check, writing the JSON), its CPU time
(user + system) and peak memory (``os.wait4`` rusage of that child), and the solve alone as the
process reports it (``seconds`` of `solve`: eligibility and weights, network, two max flows,
min-cost flow, objective). The load average before and after shows how busy the shared machine was.
After each run, OR-Tools' own solve of the same instance: ``SimpleMinCostFlow.solve()`` alone, in a
fresh process, on the whole network as the engine builds it (before ``flow.reduce_network``), with
the seat arcs at the two max flows' values: the floor the issue measured. Each run's wall and CPU
time is also printed as a multiple of that run's own solve, which holds on a machine whose speed
moves between runs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from volunteer_app.matching import check, solve
from volunteer_app.matching.generate import generate
from volunteer_app.matching.jsonio import problem_to_json
from volunteer_app.matching.model import Context


def figures(problem, solution) -> dict:
    ctx = Context(problem)
    eligible = {}
    for vid, sid in ctx.eligible_pairs():
        eligible.setdefault(vid, []).append(sid)
    pairs = set(solution.pairs) | set(ctx.fixed)
    per_slot: dict[int, int] = {}
    per_person: dict[int, int] = {}
    for p in pairs:
        per_slot[p.slot] = per_slot.get(p.slot, 0) + 1
        per_person[p.volunteer] = per_person.get(p.volunteer, 0) + 1
    seats = sum(s.seats for s in problem.slots)
    child = [s for s in problem.slots if s.child_facing]
    ratios = [
        per_person.get(vid, 0) / ctx.volunteers[vid].cap_month
        for vid in eligible
        if ctx.volunteers[vid].cap_month
    ]
    interest = sum(
        1
        for p in solution.pairs
        if ctx.slots[p.slot].category in ctx.volunteers[p.volunteer].interests
    )
    return {
        "seats_filled_pct": 100 * sum(per_slot.values()) / max(1, seats),
        "slots_staffed_pct": 100
        * sum(1 for s in problem.slots if per_slot.get(s.id))
        / max(1, len(problem.slots)),
        "child_slots_staffed_pct": 100
        * sum(1 for s in child if per_slot.get(s.id))
        / max(1, len(child)),
        "interest_pct": 100 * interest / max(1, len(solution.pairs)),
        "max_load_cap": max(ratios, default=0.0),
        "mean_load_cap": sum(ratios) / max(1, len(ratios)),
        "idle_with_availability": sum(1 for vid in eligible if not per_person.get(vid)),
        "volunteers_with_availability": len(eligible),
    }


def line(name: str, sol, fig: dict, ref=None) -> str:
    t = sol.terms
    gap = (
        "" if ref is None else f" gap {100 * (ref.objective - sol.objective) / ref.objective:.2f} %"
    )
    if ref is not None:
        gap += (
            f" (first seats {t['first_seats'] - ref.terms['first_seats']:+d},"
            f" all seats {t['first_seats'] + t['further_seats'] - ref.terms['first_seats'] - ref.terms['further_seats']:+d},"
            f" preference {t['preference'] - ref.terms['preference']:+d})"
        )
    return (
        f"  {name:7s} {sol.status:9s} {sol.seconds:6.2f} s | pairs {len(sol.pairs):6d} | first {t['first_seats']:6d}"
        f" further {t['further_seats']:5d} kept {t['kept']:5d} pref {t['preference']:6d} fair {t['fairness_cost']:6d}"
        f" | seats {fig['seats_filled_pct']:5.1f} % staffed {fig['slots_staffed_pct']:5.1f} %"
        f" child {fig['child_slots_staffed_pct']:5.1f} % interest {fig['interest_pct']:5.1f} %"
        f" | load/cap max {fig['max_load_cap']:.2f} mean {fig['mean_load_cap']:.2f}"
        f" idle {fig['idle_with_availability']}/{fig['volunteers_with_availability']}{gap}"
    )


def _load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def whole_process(problem, repeat: int, roots: list[str] | None = None) -> None:
    """Runs the command line on the instance in fresh interpreters; wall, CPU, memory, phases.

    ``roots``: the checkouts whose engine runs (default this one). With several, e.g. an export
    of an earlier commit and this one, each run goes through all of them, in turn first, on
    the same file: before and after under the same machine state."""
    here = str(Path(__file__).resolve().parent.parent)
    roots = roots or [here]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "problem.json"
        started = time.perf_counter()
        path.write_text(json.dumps(problem_to_json(problem)), encoding="utf-8")
        print(
            f"  whole process: `python -m volunteer_app.matching solve FILE` ({path.stat().st_size / 1e6:.1f} MB"
            f" written in {time.perf_counter() - started:.2f} s), load average {_load()} before"
        )
        network = Path(tmp) / "network.npz"
        _write_full_network(problem, network)
        seen: dict[str, list[tuple[float, float]]] = {root: [] for root in roots}
        own: list[tuple[float, float]] = []
        for run in range(1, repeat + 1):
            turn = roots[(run - 1) % len(roots) :] + roots[: (run - 1) % len(roots)]
            for root in turn:
                label = "" if len(roots) == 1 else f" [{'this checkout' if root == here else root}]"
                seen[root].append(_one_run(path, root, run, label))
            own.append(_own_solve(network))
            print(
                f"    run {run}: OR-Tools' own solve of the whole network {own[-1][0]:5.2f} s wall,"
                f" {own[-1][1]:5.2f} s CPU"
            )
        for root, runs in seen.items():
            label = "this checkout" if root == here else root
            for i, kind in enumerate(("wall", "CPU")):
                ratios = sorted(r[i] / o[i] for r, o in zip(runs, own, strict=True))
                print(
                    f"    median {kind} {_median([r[i] for r in runs]):5.2f} s; ÷ OR-Tools' own"
                    f" solve (median {_median([o[i] for o in own]):.2f} s) run by run:"
                    f" {', '.join(f'{r:.2f}' for r in ratios)}: {label}"
                )
        print(f"    load average {_load()} after")


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def _write_full_network(problem, path: Path) -> None:
    """The min-cost flow the engine would hand OR-Tools without ``flow.reduce_network``: the
    whole network with its first-seat and further-seat arcs at the two max flows' values.
    OR-Tools' own time on it is the floor the issue measured ("OR-Tools' own solve of such an
    instance"); the whole process is reported as a multiple of it, run by run, so that the
    figure holds on a machine whose speed moves."""
    import numpy as np

    from volunteer_app.matching.arrays import Columns
    from volunteer_app.matching.flow import seat_flows

    net = Columns(Context(problem)).network()
    _, caps, _, total = seat_flows(net)
    np.savez(path, tails=net.tails, heads=net.heads, caps=caps, costs=net.costs, total=total)


def _own_solve(network: Path) -> tuple[float, float]:
    """Wall and CPU seconds of ``SimpleMinCostFlow.solve()`` alone on the whole network, in a
    fresh process."""
    out = subprocess.run(
        [sys.executable, __file__, "--own-solve", str(network)],
        capture_output=True,
        text=True,
        check=True,
    )
    wall, cpu = out.stdout.split()[-2:]
    return float(wall), float(cpu)


def own_solve_main(network: str) -> int:
    import numpy as np
    from ortools.graph.python import min_cost_flow

    from volunteer_app.matching.flow import SINK, SOURCE

    data = np.load(network)
    mcf = min_cost_flow.SimpleMinCostFlow()
    mcf.add_arcs_with_capacity_and_unit_cost(
        data["tails"], data["heads"], data["caps"], data["costs"]
    )
    total = int(data["total"])
    mcf.set_nodes_supplies(np.array([SOURCE, SINK], dtype=np.int32), np.array([total, -total]))
    started, cpu = time.perf_counter(), time.process_time()
    status = mcf.solve()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    if status != mcf.OPTIMAL:
        raise SystemExit(f"min-cost flow status {status}")
    print(f"{seconds:.4f} {cpu:.4f}")
    return 0


def _one_run(path: Path, root: str, run: int, label: str) -> tuple[float, float]:
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "volunteer_app.matching", "solve", str(path)],
        cwd=root,
        stdout=subprocess.PIPE,
    )
    out = child.stdout.read()
    child.stdout.close()
    _, status, usage = os.wait4(child.pid, 0)  # this child's own CPU time and peak RSS
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    result = json.loads(out)
    st = result["stats"]
    flows = (
        f"max flows {st['max_flow_s']:.2f}, min-cost flow {st['min_cost_flow_s']:.2f}"
        if "max_flow_s" in st
        else f"max flows + min-cost flow {st['solve_s']:.2f}"
    )
    if "reduce_s" in st:  # the smaller equivalent min-cost flow (flow.reduce_network)
        flows += (
            f" on {st['solver_nodes']:,} nodes / {st['solver_arcs']:,} arcs"
            f" of {st['nodes']:,} / {st['arcs']:,}, reduced in {st['reduce_s']:.2f}"
        )
    print(
        f"    run {run}{label}: whole process {wall:5.2f} s wall, {usage.ru_utime + usage.ru_stime:5.2f} s CPU,"
        f" peak {usage.ru_maxrss / 1024:4.0f} MB | solve alone {result['seconds']:5.2f} s"
        f" (eligibility + weights {st['prepare_s']:.2f}, network {st['build_s']:.2f}, {flows})"
        f" | objective {result['objective']}, violations {len(result['violations'])}"
    )
    return wall, usage.ru_utime + usage.ru_stime


def run_size(volunteers: int, slots: int, seed: int, repeat: int = 3) -> None:
    started = time.perf_counter()
    problem = generate(volunteers, slots, seed=seed)
    print(
        f"\n{volunteers:,} volunteers × {slots:,} slots (seed {seed}), generated in {time.perf_counter() - started:.2f} s"
    )
    if repeat:
        whole_process(problem, repeat)
    cpu = time.process_time()
    flow = solve(problem, "flow")
    cpu = time.process_time() - cpu
    st = flow.stats
    assert check(problem, flow.pairs) == [], "flow result violates a hard constraint"
    print(
        f"  model: {st['eligible_pairs']:,} eligible pairs, {st['nodes']:,} nodes, {st['arcs']:,} arcs;"
        f" prepare {st['prepare_s']:.2f} s, build {st['build_s']:.2f} s, solve {st['solve_s']:.2f} s"
        f" (total {flow.seconds:.2f} s wall, {cpu:.2f} s CPU, in this process);"
        f" objective {flow.objective} = bound (gap 0)"
    )
    print(line("flow", flow, figures(problem, flow)))
    greedy = solve(problem, "greedy")
    assert check(problem, greedy.pairs) == [], "greedy result violates a hard constraint"
    print(line("greedy", greedy, figures(problem, greedy), ref=flow))

    rng = random.Random(seed)
    confirmed = list(flow.pairs)
    cancelled = set(rng.sample(confirmed, max(1, len(confirmed) // 20)))
    remaining = tuple(p for p in confirmed if p not in cancelled)
    declined = frozenset(cancelled)
    print(f"  re-run after {len(cancelled)} cancellations (5 %) of {len(confirmed)} pairs:")
    freed = {p.slot for p in cancelled}
    slots_by_id = {s.id: s for s in problem.slots}
    load: dict = {}
    for p in remaining:
        if p.slot in freed:
            continue
        d = slots_by_id[p.slot].start.date()
        per = load.setdefault(p.volunteer, {"month": {}, "week": {}, "day": {}})
        for kind, key in (
            ("month", (d.year, d.month)),
            ("week", tuple(d.isocalendar()[:2])),
            ("day", d),
        ):
            per[kind][key] = per[kind].get(key, 0) + 1
    only_freed = replace(
        problem,
        slots=tuple(s for s in problem.slots if s.id in freed),
        fixed=tuple(p for p in remaining if p.slot in freed),
        declined=declined,
        load=load,
    )
    whole = replace(problem, fixed=remaining, declined=declined)
    for label, variant in (
        ("only the freed slots (rest as load)", only_freed),
        (
            "fill freed seats (confirmed fixed)",
            replace(problem, fixed=remaining, declined=declined),
        ),
        (
            "full re-solve, bonus for keeping",
            replace(problem, previous=remaining, declined=declined),
        ),
        ("full re-solve, no bonus", replace(problem, declined=declined)),
    ):
        again = solve(variant, "flow")
        assert check(variant, again.pairs) == []
        if variant is only_freed:  # the small result must also hold in the whole month
            assert check(whole, again.pairs) == []
        now = set(again.pairs) | set(variant.fixed)
        in_problem = {s.id for s in variant.slots}
        moves = sum(1 for p in remaining if p.slot in in_problem and p not in now)
        refilled = len({p.slot for p in again.pairs} & {p.slot for p in cancelled})
        print(
            f"    {label:36s} {again.seconds:6.2f} s, moves of confirmed {moves:5d},"
            f" new pairs {len(set(again.pairs) - set(remaining)):5d}, freed slots refilled {refilled}"
        )


def run_cpsat(volunteers: int, slots: int, seed: int) -> None:
    problem = generate(volunteers, slots, seed=seed)
    problem = replace(problem, options=replace(problem.options, time_limit_s=60.0))
    flow, cpsat = solve(problem, "flow"), solve(problem, "cpsat")
    same = (
        "equal"
        if flow.objective == cpsat.objective
        else f"differs by {flow.objective - cpsat.objective}"
    )
    print(
        f"\nCP-SAT check {volunteers}×{slots}: flow {flow.seconds:.2f} s, CP-SAT {cpsat.seconds:.2f} s"
        f" ({cpsat.status}, {cpsat.stats.get('variables')} variables, 2 stages: seats, then the lower tiers); objective {same}"
    )


def main() -> int:
    if sys.argv[1:2] == ["--own-solve"]:  # the child of _own_solve
        return own_solve_main(sys.argv[2])
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="2000x10000,5000x25000")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--cpsat-size", default="150x600", help="small instance for CP-SAT vs flow; '' to skip"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of the whole command line per size; 0 to skip"
    )
    parser.add_argument(
        "--only-time", action="store_true", help="the whole-process runs only (no comparisons)"
    )
    parser.add_argument(
        "--root",
        action="append",
        default=None,
        help="run the command line of this checkout instead (repeat the option to alternate"
        " several, e.g. --root /tmp/before --root . for before/after)",
    )
    args = parser.parse_args()
    print(
        f"machine: {os.cpu_count()} CPUs, load average {_load()} (1/5/15 min) at start; Python {sys.version.split()[0]}"
    )
    started = time.perf_counter()
    import ortools.graph.python.max_flow
    import ortools.graph.python.min_cost_flow  # noqa: F401  (the app imports it once per worker)

    print(
        f"importing the flow solver: {time.perf_counter() - started:.2f} s (not in the times below)"
    )
    for size in args.sizes.split(","):
        v, s = (int(x) for x in size.lower().split("x"))
        if args.only_time:
            print(f"\n{v:,} volunteers × {s:,} slots (seed {args.seed})")
            roots = [str(Path(r).resolve()) for r in args.root] if args.root else None
            whole_process(generate(v, s, seed=args.seed), max(1, args.repeat), roots)
            continue
        run_size(v, s, args.seed, args.repeat)
    if args.cpsat_size and not args.only_time:
        v, s = (int(x) for x in args.cpsat_size.lower().split("x"))
        run_cpsat(v, s, args.seed)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"load average at the end {_load()}; peak memory of this benchmark process {peak:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
