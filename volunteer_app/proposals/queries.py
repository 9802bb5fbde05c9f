"""Read helpers: runs, proposals, invitations and suggestions.

The matching problem itself is read in ``problem.py``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

import peewee as pw

from volunteer_app import matching
from volunteer_app.accounts.models import User
from volunteer_app.activities.models import Activity, Category, Slot
from volunteer_app.activities.queries import join_activity, slots_with_activity
from volunteer_app.centres.models import Centre, CentreMembership, Operator
from volunteer_app.common.security import hash_token
from volunteer_app.common.time import to_berlin
from volunteer_app.db import utcnow
from volunteer_app.proposals import standin
from volunteer_app.proposals.models import HOLDING, MatchRun, Proposal, WeeklySuggestions
from volunteer_app.proposals.problem import Built, build_problem
from volunteer_app.signups.models import Signup
from volunteer_app.volunteers.models import (
    ReachableCentre,
    VolunteerProfile,
)

# --- Scope: which centres a run covers, who may start and see it ----------------------------


def operator_centre_ids(operator_id: int) -> list[int]:
    return [c.id for c in Centre.select(Centre.id).where(Centre.operator == operator_id)]


def run_centre_ids(run: MatchRun) -> list[int]:
    """The centres a run covers: its centre, or every centre of its operator now."""
    if run.centre_id is not None:
        return [run.centre_id]
    return operator_centre_ids(run.operator_id)


def may_manage_all(user, centre_ids: Iterable[int]) -> bool:
    """Admins, or a coordinator who belongs to every one of the centres (one query)."""
    ids = set(centre_ids)
    if not getattr(user, "is_authenticated", False) or not ids:
        return False
    if user.is_admin:
        return True
    if user.role != "coordinator":
        return False
    mine = CentreMembership.select(CentreMembership.centre).where(
        (CentreMembership.user == user.id) & CentreMembership.centre.in_(list(ids))
    )
    return {m.centre_id for m in mine} == ids


def operator_scope(user, centre: Centre) -> Operator | None:
    """The centre's operator, if it runs more than this centre and the user manages them all."""
    if centre.operator_id is None:
        return None
    ids = operator_centre_ids(centre.operator_id)
    if len(ids) < 2 or not may_manage_all(user, ids):
        return None
    return Operator.get_by_id(centre.operator_id)


def run_with_scope(run_id: int) -> MatchRun | None:
    """A run with its centre or operator and its creator (one query)."""
    creator = User.alias()
    return (
        MatchRun.select(MatchRun, Centre, Operator, creator)
        .join(Centre, pw.JOIN.LEFT_OUTER, on=(MatchRun.centre == Centre.id))
        .switch(MatchRun)
        .join(Operator, pw.JOIN.LEFT_OUTER, on=(MatchRun.operator == Operator.id))
        .switch(MatchRun)
        .join(creator, pw.JOIN.LEFT_OUTER, on=(MatchRun.created_by == creator.id))
        .where(MatchRun.id == run_id)
        .first()
    )


def recent_runs(centre: Centre, limit: int = 10) -> list[MatchRun]:
    """The centre's runs and its operator's, newest first (one query)."""
    where = MatchRun.centre == centre.id
    if centre.operator_id is not None:
        where |= MatchRun.operator == centre.operator_id
    return list(MatchRun.select().where(where).order_by(MatchRun.id.desc()).limit(limit))


# --- The problem of a run -------------------------------------------------------------------


def run_problem(run: MatchRun, **kw) -> Built:
    return build_problem(
        run_centre_ids(run),
        run.period_from,
        run.period_to,
        allow_same_day=run.allow_same_day,
        same_person_for_series=run.same_person_for_series,
        **kw,
    )


# --- The run page -------------------------------------------------------------------------


@dataclasses.dataclass
class SlotBlock:
    """One slot of a run: its proposals, seats still free, and (if not full) its funnel."""

    slot: Slot
    proposals: list[Proposal]
    free: int  # seats no confirmed sign-up and no open proposal/invitation covers
    funnel: list | None
    candidates: list[User]


def run_blocks(run: MatchRun) -> list[SlotBlock]:
    """Every slot the run proposed for or left with a free seat, in time order (3 queries).

    Proposals come with their volunteer; slots with activity, category and centre.
    """
    shown = ("proposed", "invited", "confirmed", "accepted", "declined", "expired")
    proposals = list(
        Proposal.select(Proposal, User)
        .join(User, on=(Proposal.volunteer == User.id))
        .where((Proposal.run == run.id) & Proposal.status.in_(shown))
        .order_by(Proposal.slot, User.name, Proposal.id)
    )
    funnels = run.funnels or {}
    slot_ids = {p.slot_id for p in proposals} | {int(k) for k in funnels}
    slots = list(
        slots_with_activity().where(Slot.id.in_(list(slot_ids))).order_by(Slot.starts_at, Slot.id)
    )
    candidate_ids = {i for ids in (run.candidates or {}).values() for i in ids}
    people = (
        {u.id: u for u in User.select(User.id, User.name).where(User.id.in_(list(candidate_ids)))}
        if candidate_ids
        else {}
    )
    by_slot = defaultdict(list)
    for p in proposals:
        by_slot[p.slot_id].append(p)
    blocks = []
    for slot in slots:
        mine = by_slot.get(slot.id, [])
        holding = sum(1 for p in mine if p.status in HOLDING)
        on_slot = {p.volunteer_id for p in mine if p.status in (*HOLDING, "confirmed", "accepted")}
        candidates = [
            people[i]
            for i in (run.candidates or {}).get(str(slot.id), [])
            if i in people and i not in on_slot
        ]
        blocks.append(
            SlotBlock(
                slot=slot,
                proposals=mine,
                free=max(slot.capacity - slot.taken - holding, 0),
                funnel=funnels.get(str(slot.id)),
                candidates=candidates,
            )
        )
    return blocks


@dataclasses.dataclass(frozen=True)
class OpenProposals:
    proposals: int  # each becomes one mail (an invitation, or the sign-up's confirmation)
    people: int  # distinct volunteers those mails go to


def open_proposals(run: MatchRun) -> OpenProposals:
    """How many proposals of the run are still open and for how many people (one query)."""
    proposals, people = (
        Proposal.select(pw.fn.COUNT(Proposal.id), pw.fn.COUNT(pw.fn.DISTINCT(Proposal.volunteer)))
        .where((Proposal.run == run.id) & (Proposal.status == "proposed"))
        .tuples()
        .first()
    )
    return OpenProposals(proposals or 0, people or 0)


def run_proposal(run_id: int, proposal_id: int) -> Proposal | None:
    return Proposal.get_or_none((Proposal.id == proposal_id) & (Proposal.run == run_id))


# --- Invitations ----------------------------------------------------------------------------


def _invitation_select():
    inviter = User.alias()
    return (
        join_activity(
            Proposal.select(Proposal, Slot, Activity, Category, Centre, User, inviter).join(
                Slot, on=(Proposal.slot == Slot.id)
            )
        )
        .switch(Proposal)
        .join(User, on=(Proposal.volunteer == User.id))
        .switch(Proposal)
        .join(inviter, pw.JOIN.LEFT_OUTER, on=(Proposal.invited_by == inviter.id))
    )


def invitation_by_token(token: str) -> Proposal | None:
    """The proposal an invitation link points to (whatever its state), fully joined."""
    if not token or len(token) > 200:
        return None
    return _invitation_select().where(Proposal.token_hash == hash_token(token)).first()


def invitation_of(proposal_id: int) -> Proposal | None:
    return _invitation_select().where(Proposal.id == proposal_id).first()


def open_invitations(user) -> list[Proposal]:
    """The person's invitations still to answer, for dates not started yet (one query)."""
    return list(
        _invitation_select()
        .where(
            (Proposal.volunteer == user.id)
            & (Proposal.status == "invited")
            & (Slot.status == "scheduled")
            & (Slot.starts_at > utcnow())
        )
        .order_by(Slot.starts_at)
    )


# --- Suggestions for one volunteer ------------------------------------------------------------

SUGGESTION_DAYS = 28


@dataclasses.dataclass
class Suggestion:
    slot: Slot
    reasons: list


def suggestions_for(user, limit: int = 10, days: int = SUGGESTION_DAYS) -> list[Suggestion]:
    """Open slots ranked for this person, with reasons ("Passt zu dir"). No solver runs.

    The problem covers the centres the person can reach over the next ``days`` days, with
    everybody who reaches them (the engine ranks slots that are hard to fill higher).
    """
    if not getattr(user, "is_authenticated", False):
        return []
    centre_ids = [
        r.centre_id
        for r in ReachableCentre.select(ReachableCentre.centre).where(
            ReachableCentre.user == user.id
        )
    ]
    if not centre_ids:
        return []
    today = to_berlin(utcnow()).date()
    built = build_problem(centre_ids, today, today + dt.timedelta(days=days))
    if user.id not in {v.id for v in built.problem.volunteers}:
        return []
    mine = {
        s.slot_id
        for s in Signup.select(Signup.slot).where(
            (Signup.volunteer == user.id) & Signup.slot.in_(list(built.slot_rows))
        )
    }
    ranked = matching.suggest(built.problem, user.id, limit=limit + len(mine))
    out = []
    for slot_id, _engine_reasons in ranked:
        if slot_id in mine or slot_id not in built.slot_rows:
            continue
        slot = built.slot_rows[slot_id]
        # Reasons against the slot centre's own certificate record.
        out.append(Suggestion(slot=slot, reasons=built.reasons(user.id, slot_id)))
        if len(out) >= limit:
            break
    _attach_centres([s.slot for s in out])
    return out


def _attach_centres(slots: list[Slot]) -> None:
    """Give each slot's activity its category and centre (two queries for all)."""
    if not slots:
        return
    categories = {
        c.id: c
        for c in Category.select().where(Category.id.in_({s.activity.category_id for s in slots}))
    }
    centres = {
        c.id: c for c in Centre.select().where(Centre.id.in_({s.activity.centre_id for s in slots}))
    }
    for s in slots:
        s.activity.category = categories[s.activity.category_id]
        s.activity.centre = centres[s.activity.centre_id]


def weekly_opt_in(user) -> WeeklySuggestions | None:
    return WeeklySuggestions.get_or_none(WeeklySuggestions.user == user.id)


def weekly_subscribers(week: str) -> list[User]:
    """Active volunteers who opted in and have not had this ISO week's mail (one query)."""
    return list(
        User.select(User)
        .join(WeeklySuggestions, on=(WeeklySuggestions.user == User.id))
        .where(
            (User.is_active == True)  # noqa: E712
            & (WeeklySuggestions.last_week.is_null() | (WeeklySuggestions.last_week < week))
        )
        .order_by(User.id)
    )


def iso_week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def first_centre(run: MatchRun) -> Centre | None:
    """A centre of an operator-wide run, for the breadcrumbs (by name)."""
    ids = run_centre_ids(run)
    return Centre.select().where(Centre.id.in_(ids)).order_by(Centre.name).first() if ids else None


def has_profile(user) -> bool:
    return VolunteerProfile.select().where(VolunteerProfile.user == user.id).exists()


def slot_with_centre(slot_id: int) -> Slot | None:
    return slots_with_activity().where(Slot.id == slot_id).first()


@dataclasses.dataclass
class StartBox:
    """The "Passt zu dir" box of the start page."""

    invitations: list
    suggestions: list
    standins: list = dataclasses.field(default_factory=list)  # requests to step in


def start_box(user, limit: int = 3) -> StartBox | None:
    """Open invitations and the top suggestions for a volunteer with a profile, else None."""
    if not getattr(user, "is_authenticated", False) or user.role != "volunteer":
        return None
    if not has_profile(user):
        return None
    return StartBox(
        open_invitations(user), suggestions_for(user, limit=limit), standin.open_requests(user)
    )
