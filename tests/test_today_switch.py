"""``--today`` moves "today" for the app and the tests alike (see CONTRIBUTING.md).

The runs in a process of their own load pytest and this project's conftest only
(``PYTEST_DISABLE_PLUGIN_AUTOLOAD``): the option is the conftest's, and loading the installed
plugins (hypothesis, schemathesis, xdist, coverage) took about half of each run. With all of
them loaded the option is checked where it is used: ``make test-dates`` runs
``test_today_follows_the_option`` as of four days.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from volunteer_app.centres.queries import today
from volunteer_app.common.time import to_berlin
from volunteer_app.db import utcnow

ROOT = Path(__file__).resolve().parent.parent


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "TEST_TODAY"}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    return env


@pytest.mark.dates
def test_today_follows_the_option(request):
    """As of the chosen day (when one is chosen): the app's and Python's clocks agree on it."""
    chosen = request.config.getoption("--today")
    expected = dt.date.fromisoformat(chosen) if chosen else to_berlin(utcnow()).date()
    assert today() == expected
    if chosen:
        # Python's local date (the machine's time zone): travelled to 10:00 in Berlin, that
        # day in UTC too. Without a chosen day it may be another day than Berlin's (between
        # midnight in Berlin and midnight UTC on a machine running in UTC).
        assert dt.date.today() == expected
    assert to_berlin(utcnow()).date() == expected


@pytest.mark.parametrize("day", ["2026-12-20", "2028-02-29"])
def test_a_run_as_of_another_day_sees_that_day(day):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            f"{Path(__file__).name}::test_today_follows_the_option",
            f"--today={day}",
            "-p",
            "no:cacheprovider",
        ],
        cwd=ROOT / "tests",
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"today: {day}" in done.stdout
    assert "1 passed" in done.stdout


def test_a_malformed_day_is_refused():
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--today=20.12.2026", "--collect-only", "-q"],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert "--today needs a date as YYYY-MM-DD" in done.stderr + done.stdout
