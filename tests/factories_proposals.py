"""Helpers for the proposal tests: volunteers with a matching profile, slots on a Berlin day."""

from __future__ import annotations

import datetime as dt

from tests.factories import (  # noqa: F401 (re-exported)
    builtin,
    make_activity,
    make_centre,
    make_check,
    make_coordinator,
    make_operator,
    make_signup,
    make_slot,
    make_user,
    reload,
)
from volunteer_app.centres.queries import today
from volunteer_app.common.time import berlin_to_utc
from volunteer_app.proposals.models import MatchRun, Proposal
from volunteer_app.volunteers.models import (
    AvailabilityWindow,
    Interest,
    ReachableCentre,
    VolunteerProfile,
)


def next_weekday(weekday: int, weeks_ahead: int = 1) -> dt.date:
    """The date of ``weekday`` (0 = Monday) at least ``weeks_ahead`` weeks from today."""
    start = today() + dt.timedelta(days=7 * weeks_ahead)
    return start + dt.timedelta(days=(weekday - start.weekday()) % 7)


def slot_on(activity, day: dt.date, hour: int = 15, hours: int = 2, **fields):
    """A slot of the activity on a Berlin day, starting at ``hour`` Berlin time."""
    starts = berlin_to_utc(dt.datetime.combine(day, dt.time(hour)))
    return make_slot(activity, starts_at=starts, hours=hours, **fields)


def make_volunteer(
    *centres,
    categories=("reading",),
    weekdays=(0, 1, 2, 3, 4, 5, 6),
    start="08:00",
    end="20:00",
    open_to_anything: bool = False,
    max_per_week: int = 2,
    max_per_month: int = 6,
    languages: str = "de",
    **user_fields,
):
    """A volunteer with a profile: interests (built-in keys or Category rows), weekly windows,
    reachable centres and limits."""
    user = make_user(**user_fields)
    VolunteerProfile.create(
        user=user,
        open_to_anything=open_to_anything,
        max_per_week=max_per_week,
        max_per_month=max_per_month,
        languages=languages,
    )
    for category in categories:
        Interest.create(
            user=user, category=builtin(category) if isinstance(category, str) else category
        )
    for weekday in weekdays:
        AvailabilityWindow.create(
            user=user,
            weekday=weekday,
            start_time=dt.time.fromisoformat(start),
            end_time=dt.time.fromisoformat(end),
        )
    for centre in centres:
        ReachableCentre.create(user=user, centre=centre)
    return user


def make_run(centre, actor=None, days: int = 27, **fields) -> MatchRun:
    """A queued run for the centre over the next ``days`` days (not solved)."""
    start = today() + dt.timedelta(days=1)
    return MatchRun.create(
        centre=centre,
        period_from=fields.pop("period_from", start),
        period_to=fields.pop("period_to", start + dt.timedelta(days=days)),
        created_by=actor,
        **fields,
    )


def proposals_of(run) -> list[Proposal]:
    return list(Proposal.select().where(Proposal.run == run.id).order_by(Proposal.id))


def pairs_of(run, status: str = "proposed") -> set[tuple[int, int]]:
    return {(p.volunteer_id, p.slot_id) for p in proposals_of(run) if p.status == status}


# --- The authorization matrix's world ----------------------------------------------------------


def authz_proposals(world):
    """Centre A's run in the matrix's world, made on first use: a slot with a proposal for
    the world's volunteer (and another eligible person to swap in), and a second slot the
    volunteer has been invited to by centre A's coordinator."""
    found = getattr(world, "_proposals", None)
    if found is None:
        from types import SimpleNamespace

        from volunteer_app.volunteers.models import VolunteerProfile

        activity = make_activity(world.centre_a, title="Vorlesen A", volunteers_needed=1)
        day = next_weekday(2)
        slot = slot_on(activity, day)
        invited_slot = slot_on(activity, day + dt.timedelta(days=7))
        if (
            not VolunteerProfile.select()
            .where(VolunteerProfile.user == world.volunteer.id)
            .exists()
        ):
            VolunteerProfile.create(user=world.volunteer, open_to_anything=True)
            ReachableCentre.create(user=world.volunteer, centre=world.centre_a)
        other = make_volunteer(world.centre_a, name="Olga Ersatz")
        run = MatchRun.create(
            centre=world.centre_a,
            period_from=day,
            period_to=day + dt.timedelta(days=7),
            status="done",
            progress=100,
            created_by=world.coordinator_a,
            candidates={str(slot.id): [world.volunteer.id, other.id]},
        )
        proposal = Proposal.create(
            run=run, slot=slot, volunteer=world.volunteer, reasons=[{"kind": "open", "data": {}}]
        )
        invitation = Proposal.create(
            run=run,
            slot=invited_slot,
            volunteer=world.volunteer,
            status="invited",
            token_hash="0" * 64,
            invited_by=world.coordinator_a,
        )
        found = SimpleNamespace(
            run=run, slot=slot, proposal=proposal, invitation=invitation, other=other
        )
        world._proposals = found
    return found


def authz_run(world) -> dict:
    return {"run_id": authz_proposals(world).run.id}


def authz_proposal(world) -> dict:
    found = authz_proposals(world)
    return {"run_id": found.run.id, "proposal_id": found.proposal.id}
