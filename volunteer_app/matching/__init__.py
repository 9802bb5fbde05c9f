"""Matching volunteers to slots: a pure engine (no Flask, no database).

Solvers (OR-Tools) are imported lazily inside the solve functions so that importing this
package, and starting the web app, stays light.
"""

from .check import check
from .jsonio import problem_from_json, problem_to_json, solution_to_json
from .problem import Options, Pair, Problem, Reason, Slot, Solution, Volunteer, Window
from .rules import candidates, eligible, funnel, funnels, reasons, suggest
from .solve import solve

__all__ = [
    "Options",
    "Pair",
    "Problem",
    "Reason",
    "Slot",
    "Solution",
    "Volunteer",
    "Window",
    "candidates",
    "check",
    "eligible",
    "funnel",
    "funnels",
    "problem_from_json",
    "problem_to_json",
    "reasons",
    "solution_to_json",
    "solve",
    "suggest",
]
