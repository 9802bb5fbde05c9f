"""The proposals' jobs: a matching run, and the weekly suggestions mail.

A matching run is queued by ``services.start_run`` and solved in the task queue's worker
(``match_run``): claim it, build the problem, solve, store proposals. It runs inside an app
context and an open connection; progress is written to the run row as it goes, each step
committed, so the run page can show it. Never called inside a web request (except in
immediate mode).
"""

from __future__ import annotations

import logging
import time

from volunteer_app import matching
from volunteer_app.db import utcnow, write_transaction
from volunteer_app.proposals import queries, suggestions
from volunteer_app.proposals.explain import reason_dicts
from volunteer_app.proposals.models import MatchRun, Proposal
from volunteer_app.proposals.problem import Built
from volunteer_app.taskqueue import huey, job_context, weekly_at_berlin_time

log = logging.getLogger(__name__)

MAX_CANDIDATES = 40  # per slot, the choices offered when replacing a proposal


def _progress(run_id: int, progress: int, message: str = "", **fields) -> None:
    with write_transaction():
        MatchRun.update(progress=progress, message=message[:255], **fields).where(
            MatchRun.id == run_id
        ).execute()


def execute_run(run_id: int) -> str:
    """Solve a queued run; returns its final status ("done", "failed" or "skipped")."""
    with write_transaction():
        claimed = (
            MatchRun.update(status="running", progress=5, started_at=utcnow())
            .where((MatchRun.id == run_id) & (MatchRun.status == "queued"))
            .execute()
        )
    if not claimed:
        return "skipped"  # taken by another worker, or no longer queued
    run = MatchRun.get_by_id(run_id)
    try:
        _progress(run_id, 10, "reading")
        built = queries.run_problem(run, exclude_run=run.id)
        problem = built.problem
        _progress(run_id, 30, "solving")
        started = time.perf_counter()
        solution = matching.solve(problem)
        seconds = time.perf_counter() - started
        _progress(run_id, 80, "saving")
        _store(run, built, solution, seconds)
    except Exception as exc:
        log.exception("Matching run %s failed", run_id)
        with write_transaction():
            MatchRun.update(
                status="failed",
                progress=100,
                message=f"{type(exc).__name__}: {exc}"[:255],
                finished_at=utcnow(),
            ).where(MatchRun.id == run_id).execute()
        return "failed"
    return "done"


def _store(run: MatchRun, built: Built, solution, seconds: float) -> None:
    problem = built.problem
    taken = {}  # slot -> seats used by fixed + new pairs
    for pair in (*problem.fixed, *solution.pairs):
        taken[pair.slot] = taken.get(pair.slot, 0) + 1
    eligible = matching.eligible(problem)
    funnels, candidates = {}, {}
    for slot in problem.slots:
        candidates[str(slot.id)] = list(eligible.get(slot.id, []))[:MAX_CANDIDATES]
        if taken.get(slot.id, 0) < slot.seats:
            variant = built.for_centre(slot.centre)
            funnels[str(slot.id)] = [
                [rule, int(n)] for rule, n in matching.funnel(variant, slot.id)
            ]
    now = utcnow()
    rows = []
    for pair in solution.pairs:
        rows.append(
            {
                "run": run.id,
                "slot": pair.slot,
                "volunteer": pair.volunteer,
                "status": "proposed",
                "reasons": reason_dicts(built.reasons(pair.volunteer, pair.slot)),
                "created_at": now,
                "updated_at": now,
            }
        )
    seats = sum(s.seats for s in problem.slots)
    counts = {
        "slots": len(problem.slots),
        "seats": seats,
        "fixed": len(problem.fixed),
        "volunteers": len(problem.volunteers),
        "proposals": len(solution.pairs),
        "unfilled": len(funnels),
        "open_seats": max(seats - len(problem.fixed) - len(solution.pairs), 0),
    }
    slot_ids = [s.id for s in problem.slots]
    with write_transaction():
        # Earlier runs' proposals for these slots that nobody acted on are superseded.
        if slot_ids:
            Proposal.update(status="replaced", updated_at=now).where(
                Proposal.slot.in_(slot_ids)
                & (Proposal.status == "proposed")
                & (Proposal.run != run.id)
            ).execute()
        for start in range(0, len(rows), 200):
            Proposal.insert_many(rows[start : start + 200]).execute()
        MatchRun.update(
            status="done",
            progress=100,
            message="",
            engine=solution.engine,
            solve_status=solution.status,
            objective=solution.objective,
            gap=solution.gap,
            seconds=round(seconds, 3),
            counts=counts,
            funnels=funnels,
            candidates=candidates,
            finished_at=utcnow(),
        ).where(MatchRun.id == run.id).execute()


def run_match(run_id: int) -> str:
    """Solve one queued matching run (the body of ``match_run``); progress goes to the run."""
    with job_context():
        return execute_run(run_id)


@huey.task(name="match_run")
def match_run(run_id: int) -> str:
    """Queued by "Vorschläge erzeugen": never solved inside the web request."""
    return run_match(run_id)


def run_send_suggestions():
    """Queue this ISO week's "Passt zu dir" mail for everyone who opted in (once a week)."""
    with job_context():
        return suggestions.send_weekly_suggestions()


@huey.periodic_task(weekly_at_berlin_time(0, 8, 0), name="send_suggestions_weekly")
def send_suggestions_weekly():
    """Mondays at 08:00 Berlin time: the weekly suggestions (idempotent per ISO week)."""
    run_send_suggestions()
