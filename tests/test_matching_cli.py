"""JSON round trip, the command line end to end, and that importing stays light."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from tests.factories_matching import tiny
from volunteer_app.matching import Options, Pair, check, problem_from_json, problem_to_json
from volunteer_app.matching.__main__ import main
from volunteer_app.matching.generate import generate

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
