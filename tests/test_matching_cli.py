"""JSON round trip, the command line end to end, and that importing stays light; the fast
reader and writer against the dataclasses' constructors and json.dumps."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from dataclasses import FrozenInstanceError, fields, replace
from datetime import date, datetime
from pathlib import Path

import pytest

from tests.factories_matching import tiny
from volunteer_app.matching import (
    Options,
    Pair,
    Problem,
    Reason,
    Slot,
    Solution,
    Volunteer,
    Window,
    check,
    problem_from_json,
    problem_to_json,
    solution_to_json,
    solve,
)
from volunteer_app.matching.__main__ import main
from volunteer_app.matching.generate import generate
from volunteer_app.matching.jsonio import _minutes, dumps_indented
from volunteer_app.matching.problem import assemble

ROOT = Path(__file__).resolve().parent.parent


def run(*args, stdin=None):
    return subprocess.run(
        [sys.executable, "-m", "volunteer_app.matching", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        input=stdin,
        timeout=60,
    )


def test_json_round_trip_keeps_everything():
    problem = tiny(4, volunteers=5, slots=6, options=Options(allow_same_day=True, time_limit_s=3.0))
    from dataclasses import replace

    problem = replace(
        problem,
        load={
            problem.volunteers[0].id: {
                "month": {(2026, 3): 2},
                "week": {(2026, 10): 1},
                "day": {date(2026, 3, 3): 1},
            }
        },
        declined=frozenset({Pair(problem.volunteers[1].id, problem.slots[0].id)}),
    )
    data = json.loads(json.dumps(problem_to_json(problem)))
    again = problem_from_json(data)
    assert again == problem
    assert again.load == problem.load
    assert problem_to_json(again) == data


def test_generate_is_seeded_and_solve_prints_a_checked_assignment(tmp_path, capsys):
    out = tmp_path / "p.json"
    made = run("generate", "--volunteers", "40", "--slots", "100", "--seed", "3", "-o", str(out))
    assert made.returncode == 0, made.stderr
    assert main(["generate", "--volunteers", "40", "--slots", "100", "--seed", "3"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(out.read_text())
    assert problem_from_json(json.loads(out.read_text())) == generate(40, 100, seed=3)

    problem = problem_from_json(json.loads(out.read_text()))
    results = {}
    for engine in ("flow", "greedy"):
        if engine == "flow":  # end to end in a fresh process
            done = run("solve", str(out), "--engine", engine)
            assert done.returncode == 0, done.stderr
            result = json.loads(done.stdout)
        else:
            assert main(["solve", str(out), "--engine", engine]) == 0
            result = json.loads(capsys.readouterr().out)
        assert result["engine"] == engine and result["violations"] == []
        assert set(result["terms"]) >= {
            "first_seats",
            "further_seats",
            "kept",
            "preference",
            "fairness_cost",
        }
        assert check(problem, [Pair(*p) for p in result["pairs"]]) == []
        results[engine] = result
    assert results["flow"]["status"] == "optimal" and results["flow"]["gap"] == 0
    assert results["greedy"]["status"] == "heuristic" and results["greedy"]["gap"] is None
    assert results["greedy"]["objective"] <= results["flow"]["objective"]
    weights = results["flow"]["weights"]
    assert (
        weights["first_seats"]
        > weights["further_seats"]
        >= weights["kept"]
        > weights["preference"]
        > 0
    )


def test_solve_reports_bad_input_clearly(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "other/9"}')
    assert main(["solve", str(bad)]) == 2
    assert "unknown format" in capsys.readouterr().err
    assert main(["solve", str(tmp_path / "missing.json")]) == 2
    assert "cannot read problem" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["solve", "-", "--engine", "nope"])
    assert exc.value.code == 2 and "invalid choice" in capsys.readouterr().err


def test_importing_the_engine_or_creating_the_app_does_not_load_the_solver():
    code = (
        "import sys, volunteer_app.matching as m\n"
        "from volunteer_app import create_app\n"
        "create_app()\n"
        "print(sorted(x for x in ('ortools', 'numpy', 'pandas') if x in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_engine_package_imports_no_flask_or_peewee():
    for path in (ROOT / "volunteer_app" / "matching").glob("*.py"):
        text = path.read_text()
        assert "flask" not in text.lower().replace("no flask", ""), path
        assert "import peewee" not in text and "from peewee" not in text, path


def _old_reader(data: dict) -> Problem:
    """problem_from_json as it was: the dataclasses' constructors, one value at a time."""
    return Problem(
        volunteers=tuple(
            Volunteer(
                id=int(v["id"]),
                interests=frozenset(map(int, v.get("interests", ()))),
                open_to_anything=bool(v.get("open_to_anything", False)),
                windows=tuple(
                    Window(int(w["weekday"]), _minutes(w["start"]), _minutes(w["end"]))
                    for w in v.get("windows", ())
                ),
                centres=frozenset(map(int, v.get("centres", ()))),
                certificate_valid_until=date.fromisoformat(v["certificate_valid_until"])
                if v.get("certificate_valid_until")
                else None,
                languages=frozenset(v.get("languages", ())),
                cap_month=v.get("cap_month"),
                cap_week=v.get("cap_week"),
                cap_day=int(v.get("cap_day", 1)),
                history_centres=frozenset(map(int, v.get("history_centres", ()))),
                history_series=frozenset(map(int, v.get("history_series", ()))),
            )
            for v in data.get("volunteers", ())
        ),
        slots=tuple(
            Slot(
                id=int(s["id"]),
                centre=int(s["centre"]),
                category=int(s["category"]),
                start=datetime.fromisoformat(s["start"]),
                end=datetime.fromisoformat(s["end"]),
                seats=int(s.get("seats", 1)),
                child_facing=bool(s.get("child_facing", False)),
                language=s.get("language"),
                series=s.get("series"),
            )
            for s in data.get("slots", ())
        ),
        fixed=tuple(Pair(int(a), int(b)) for a, b in data.get("fixed", ())),
        previous=tuple(Pair(int(a), int(b)) for a, b in data.get("previous", ())),
        declined=frozenset(Pair(int(a), int(b)) for a, b in data.get("declined", ())),
        load=problem_from_json({"load": data.get("load")}).load,
        options=problem_from_json({"options": data.get("options")}).options,
    )


def test_the_reader_makes_the_objects_the_constructors_make():
    """problem_from_json parses repeated values once, shares equal immutable values and makes
    the objects with problem.assemble: the same fields, types, equality and hashes."""
    problem = generate(120, 500, seed=5)
    first = solve(problem, "greedy").pairs
    problem = replace(
        problem,
        fixed=first[:20],
        previous=first[20:60],
        declined=frozenset(first[60:70]),
        load={problem.volunteers[0].id: {"month": {(2026, 3): 2}, "day": {date(2026, 3, 4): 1}}},
    )
    data = json.loads(json.dumps(problem_to_json(problem)))
    data["volunteers"][0]["windows"][0]["start"] = "9:05"  # loose forms the reader accepts
    data["volunteers"][1]["cap_day"] = "2"
    data["slots"][0]["start"] = "2026-03-02T09:00:30"
    data["slots"][1].pop("seats")
    new, old = problem_from_json(data), _old_reader(data)
    assert new == old and hash(new.volunteers) == hash(old.volunteers)
    assert repr(new) == repr(old) and new.load == old.load
    for a, b in zip(new.volunteers + new.slots, old.volunteers + old.slots, strict=True):
        assert type(a) is type(b) and vars(a) == vars(b) and hash(a) == hash(b)
        assert list(vars(a)) == [f.name for f in fields(a)]
        for f in fields(a):
            assert type(getattr(a, f.name)) is type(getattr(b, f.name)), f.name
    windows = [w for v in new.volunteers for w in v.windows]
    assert len({id(w) for w in windows}) == len(set(windows))  # equal windows are one object
    for broken in ({"interests": None}, {"windows": [{"weekday": [1], "start": "9:00"}]}):
        volunteer = {"id": 1, **broken}
        for reader in (problem_from_json, _old_reader):
            with pytest.raises((TypeError, KeyError)):
                reader({"volunteers": [volunteer]})
    with pytest.raises(ValueError, match="out of range"):
        problem_from_json(
            {
                "volunteers": [
                    {"id": 1, "windows": [{"weekday": 0, "start": "25:00", "end": "26:00"}]}
                ]
            }
        )


def test_assemble_makes_what_the_constructor_makes():
    values = {
        Window: {"weekday": 2, "start_minute": 60, "end_minute": 120},
        Pair: {"volunteer": 3, "slot": 4},
        Slot: {
            "id": 1,
            "centre": 2,
            "category": 3,
            "start": datetime(2026, 3, 3, 10),
            "end": datetime(2026, 3, 3, 11),
            "seats": 2,
            "child_facing": True,
            "language": "ar",
            "series": None,
        },
    }
    for cls, given_fields in values.items():
        assert not hasattr(cls, "__post_init__")  # assemble skips __init__ and would skip it
        made = assemble(cls, dict(given_fields))
        assert made == cls(**given_fields) and hash(made) == hash(cls(**given_fields))
        assert repr(made) == repr(cls(**given_fields))
        with pytest.raises(FrozenInstanceError):
            made.id = 5  # still frozen
    assert assemble(Pair, {"volunteer": 1, "slot": 2}) < Pair(1, 3)
    for cls in (Volunteer, Options, Problem, Solution, Reason):
        assert not hasattr(cls, "__post_init__")


def test_the_solution_text_is_json_dumps_with_indent_1(tmp_path):
    """dumps_indented writes the pairs itself; the text is exactly json.dumps(…, indent=1)."""
    problem = generate(60, 240, seed=2)
    for engine in ("flow", "greedy"):
        out = solution_to_json(solve(problem, engine))
        out["violations"] = ["Pair(volunteer=1, slot=2): ünknown — “quoted”", "a\nb"]
        assert dumps_indented(out) == json.dumps(out, indent=1)
        out["pairs"] = []
        assert dumps_indented(out) == json.dumps(out, indent=1)
    for odd in ({}, {"pairs": [[True, 2]]}, {"pairs": [[1.5, 2]], "a": {"b": [1, {"c": None}]}}):
        assert dumps_indented(odd) == json.dumps(odd, indent=1)
    path = tmp_path / "p.json"
    path.write_text(json.dumps(problem_to_json(problem)))
    done = run("solve", str(path))
    assert done.returncode == 0, done.stderr
    assert done.stdout == json.dumps(json.loads(done.stdout), indent=1) + "\n"


def test_solving_from_the_command_line_leaves_the_collector_and_environment_as_they_were(
    tmp_path, capsys
):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(problem_to_json(tiny(3, volunteers=4, slots=5))))
    before = dict(os.environ)
    assert gc.isenabled()
    assert main(["solve", str(path)]) == 0
    assert gc.isenabled() and dict(os.environ) == before
    gc.disable()
    try:
        assert main(["solve", str(path)]) == 0
        assert not gc.isenabled()
    finally:
        gc.enable()
    capsys.readouterr()
