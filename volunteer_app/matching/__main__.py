"""Command line: ``python -m volunteer_app.matching solve PROBLEM.json [--engine ...]`` and
``python -m volunteer_app.matching generate --volunteers N --slots M --seed S [-o FILE]``."""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys

from .check import check
from .jsonio import dumps_indented, problem_from_json, problem_to_json, solution_to_json
from .solve import ENGINES, solve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m volunteer_app.matching", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p_solve = sub.add_parser("solve", help="solve a problem file and print the assignment as JSON")
    p_solve.add_argument("problem", help="problem JSON file (see docs/matching.md), - for stdin")
    p_solve.add_argument("--engine", choices=ENGINES, default="auto")
    p_solve.add_argument("--time-limit", type=float, default=None, help="seconds (CP-SAT)")
    p_gen = sub.add_parser("generate", help="write a seeded synthetic Thuringia-like instance")
    p_gen.add_argument("--volunteers", type=int, required=True)
    p_gen.add_argument("--slots", type=int, required=True)
    p_gen.add_argument("--seed", type=int, default=1)
    p_gen.add_argument("-o", "--output", default="-", help="file to write, - for stdout")
    args = parser.parse_args(argv)

    if args.command == "generate":
        from .generate import generate

        if args.volunteers < 0 or args.slots < 0:
            parser.error("--volunteers and --slots must not be negative")
        text = json.dumps(
            problem_to_json(generate(args.volunteers, args.slots, args.seed)), indent=1
        )
        if args.output == "-":
            sys.stdout.write(text + "\n")
        else:
            with open(args.output, "w", encoding="utf-8") as fh:
                fh.write(text + "\n")
        return 0

    # A short run that makes hundreds of thousands of objects and frees them at the end: the
    # cyclic garbage collector would only walk them again and again (none of them form cycles
    # that must go before the process ends).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _solve(args)
    finally:
        if collecting:
            gc.enable()


def _solve(args) -> int:
    if "numpy" not in sys.modules and "OPENBLAS_NUM_THREADS" not in os.environ:
        # numpy's OpenBLAS starts a thread per core when it is loaded; the engine does no
        # linear algebra, so it is loaded with one (an explicit setting is kept)
        os.environ["OPENBLAS_NUM_THREADS"] = "1"
        try:
            import numpy  # noqa: F401
        finally:
            del os.environ["OPENBLAS_NUM_THREADS"]
    try:
        if args.problem == "-":
            data = json.load(sys.stdin)
        else:
            with open(args.problem, encoding="utf-8") as fh:
                data = json.load(fh)
        problem = problem_from_json(data)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"cannot read problem: {exc}", file=sys.stderr)
        return 2
    if args.time_limit is not None:
        from dataclasses import replace

        problem = replace(problem, options=replace(problem.options, time_limit_s=args.time_limit))
    solution = solve(problem, engine=args.engine)
    out = solution_to_json(solution)
    out["violations"] = check(problem, solution.pairs)
    sys.stdout.write(dumps_indented(out) + "\n")  # one write, not one per token
    return 1 if out["violations"] else 0


if __name__ == "__main__":
    sys.exit(main())
