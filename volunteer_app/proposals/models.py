"""Models of proposals: matching runs, the proposals they make, and the weekly e-mail opt-in.

A run covers one centre or every centre of one operator, for a period of Berlin dates. It is
solved by the task queue (never inside a web request) and reports its progress here. Each
proposal pairs a volunteer with a slot; the coordinator confirms it as an invitation (the
volunteer answers by link or in the app) or as a direct assignment through the booking
service. A declined pair is never proposed again.
"""

from __future__ import annotations

import json

import peewee as pw

from volunteer_app.accounts.models import User
from volunteer_app.activities.models import Slot
from volunteer_app.centres.models import Centre, Operator
from volunteer_app.db import BaseModel, utcnow
from volunteer_app.signups.models import Signup

RUN_STATUSES = ("queued", "running", "done", "failed")
# proposed: made by a run, waits for the coordinator; invited: confirmed as an invitation,
# waits for the volunteer; confirmed: assigned directly; accepted / declined: the answer;
# replaced / removed: the coordinator changed the proposal; expired: the invitation can no
# longer be taken (slot full, cancelled or started when the answer came).
PROPOSAL_STATUSES = (
    "proposed",
    "invited",
    "confirmed",
    "accepted",
    "declined",
    "replaced",
    "removed",
    "expired",
)
# Proposals that still hold the seat they propose (for seat counts and re-runs).
HOLDING = ("proposed", "invited")
# Pairs a later run must never propose again.
EXCLUDED = ("declined", "removed")


class JSONField(pw.TextField):
    """JSON in a text column (the same on SQLite and PostgreSQL)."""

    def db_value(self, value):
        return None if value is None else json.dumps(value, separators=(",", ":"), default=str)

    def python_value(self, value):
        return None if value is None else json.loads(value)


class MatchRun(BaseModel):
    # Exactly one of centre / operator: one centre, or all centres of an operator.
    centre = pw.ForeignKeyField(
        Centre, null=True, backref="match_runs", on_delete="CASCADE", index=False
    )
    operator = pw.ForeignKeyField(
        Operator, null=True, backref="match_runs", on_delete="CASCADE", index=False
    )
    period_from = pw.DateField()  # Berlin dates, both included
    period_to = pw.DateField()
    allow_same_day = pw.BooleanField(default=False)
    same_person_for_series = pw.BooleanField(default=False)
    status = pw.CharField(max_length=10, default="queued")
    progress = pw.IntegerField(default=0)
    message = pw.CharField(max_length=255, default="")
    engine = pw.CharField(max_length=10, default="")
    solve_status = pw.CharField(max_length=10, default="")  # optimal | gap | heuristic
    objective = pw.BigIntegerField(null=True)
    gap = pw.FloatField(null=True)
    seconds = pw.FloatField(null=True)
    # {"slots", "seats", "open_seats", "fixed", "volunteers", "proposals", "unfilled"}
    counts = JSONField(default=dict)
    # slot id -> [[rule, volunteers left], ...] for each slot the run leaves with a free seat
    funnels = JSONField(default=dict)
    # slot id -> eligible volunteer ids (the coordinator's choices when replacing)
    candidates = JSONField(default=dict)
    created_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    created_at = pw.DateTimeField(default=utcnow)
    started_at = pw.DateTimeField(null=True)
    finished_at = pw.DateTimeField(null=True)

    class Meta:
        indexes = ((("centre", "created_at"), False), (("operator", "created_at"), False))
        constraints = [
            pw.SQL("CHECK ((centre_id IS NULL) <> (operator_id IS NULL))"),
            pw.SQL("CHECK (status IN ('queued', 'running', 'done', 'failed'))"),
            pw.SQL("CHECK (progress >= 0 AND progress <= 100)"),
            pw.SQL("CHECK (period_to >= period_from)"),
        ]

    @property
    def is_finished(self) -> bool:
        return self.status in ("done", "failed")


class Proposal(BaseModel):
    run = pw.ForeignKeyField(MatchRun, backref="proposals", on_delete="CASCADE", index=False)
    slot = pw.ForeignKeyField(Slot, backref="proposals", on_delete="CASCADE", index=False)
    volunteer = pw.ForeignKeyField(User, backref="proposals", on_delete="CASCADE", index=False)
    status = pw.CharField(max_length=10, default="proposed")
    reasons = JSONField(default=list)  # [{"kind": ..., "data": {...}}, ...] from the engine
    # The invitation link's token, hashed (single use: only an "invited" proposal answers).
    token_hash = pw.CharField(max_length=64, null=True, unique=True)
    invited_at = pw.DateTimeField(null=True)
    invited_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    answered_at = pw.DateTimeField(null=True)
    signup = pw.ForeignKeyField(Signup, null=True, on_delete="SET NULL", backref="+")
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = (
            (("run", "slot", "volunteer"), True),
            (("slot", "status"), False),
            (("volunteer", "status"), False),
        )
        constraints = [
            pw.SQL(
                "CHECK (status IN ('proposed', 'invited', 'confirmed', 'accepted', 'declined', "
                "'replaced', 'removed', 'expired'))"
            ),
        ]


# asked: waits for the volunteer's answer; accepted: got the place; declined: said no (never
# asked again for that slot); taken: somebody else got the last place first (told by mail);
# lapsed: the slot was cancelled or had started when the answer came.
STANDIN_STATUSES = ("asked", "accepted", "declined", "taken", "lapsed")


class StandinRequest(BaseModel):
    """A coordinator asks one volunteer to step in on one slot that is short of people.

    Several people may be asked at once; the booking service's conditional update gives
    the place to the first who accepts, the others' requests become "taken". One row per
    slot and person: asking again (after "taken" or "lapsed") reopens it with a new link.
    """

    slot = pw.ForeignKeyField(Slot, backref="standin_requests", on_delete="CASCADE", index=False)
    volunteer = pw.ForeignKeyField(User, backref="+", on_delete="CASCADE", index=False)
    status = pw.CharField(max_length=10, default="asked")
    reasons = JSONField(default=list)  # the engine's reasons, as for proposals
    # The link's token, hashed; the link answers only while the request is "asked".
    token_hash = pw.CharField(max_length=64, unique=True)
    asked_at = pw.DateTimeField(default=utcnow)
    asked_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    answered_at = pw.DateTimeField(null=True)
    signup = pw.ForeignKeyField(Signup, null=True, on_delete="SET NULL", backref="+")

    class Meta:
        indexes = ((("slot", "volunteer"), True), (("volunteer", "status"), False))
        constraints = [
            pw.SQL("CHECK (status IN ('asked', 'accepted', 'declined', 'taken', 'lapsed'))"),
        ]


class WeeklySuggestions(BaseModel):
    """A volunteer's opt-in to the weekly "Passt zu dir" e-mail.

    ``last_week`` ("2026-W07") is claimed with one conditional update before a mail is
    queued, so a week's mail goes out once however often the job runs.
    """

    user = pw.ForeignKeyField(User, backref="+", unique=True, on_delete="CASCADE")
    created_at = pw.DateTimeField(default=utcnow)
    last_week = pw.CharField(max_length=8, null=True)


# Every model of this feature; volunteer_app/models.py collects them.
MODELS: list = [MatchRun, Proposal, StandinRequest, WeeklySuggestions]
