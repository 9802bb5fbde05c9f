"""Proposal state changes. Each function owns its transaction and takes the actor.

Seats are only ever taken through the booking service (``signups.services.assign``), whose
conditional update decides; a proposal or an invitation never holds a seat by itself.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

from flask import current_app
from flask_babel import gettext as _

from volunteer_app import matching
from volunteer_app.accounts.models import User
from volunteer_app.audit import services as audit
from volunteer_app.centres.models import Centre
from volunteer_app.centres.queries import can_manage, coordinators_of
from volunteer_app.common.errors import Conflict, DomainError, NotAllowed, NotFound
from volunteer_app.common.security import new_token
from volunteer_app.common.time import to_berlin
from volunteer_app.common.urls import external_url
from volunteer_app.db import utcnow, write_transaction
from volunteer_app.notifications.services import queue_mail
from volunteer_app.proposals import queries, tasks
from volunteer_app.proposals.explain import reason_dicts
from volunteer_app.proposals.models import HOLDING, MatchRun, Proposal, WeeklySuggestions
from volunteer_app.proposals.standin import tell_inviter
from volunteer_app.signups import services as booking
from volunteer_app.volunteers.queries import volunteer_visible_to

log = logging.getLogger(__name__)

MAX_PERIOD_DAYS = 92
DEFAULT_PERIOD_DAYS = 28


class InvalidPeriod(DomainError):
    """The period is empty, in the past or too long."""


# --- Runs ---------------------------------------------------------------------------------


def start_run(
    centre: Centre,
    *,
    operator_wide: bool,
    period_from: dt.date,
    period_to: dt.date,
    allow_same_day: bool = False,
    same_person_for_series: bool = False,
    actor: User,
) -> MatchRun:
    """Queue a matching run for the centre (or every centre of its operator) and period.

    The solve runs in the task queue; the run row reports its progress."""
    today = to_berlin(utcnow()).date()
    if period_from < today:
        raise InvalidPeriod(_("The period cannot start in the past."), "period_from")
    if period_to < period_from:
        raise InvalidPeriod(_("The end must not be before the start."), "period_to")
    if (period_to - period_from).days >= MAX_PERIOD_DAYS:
        raise InvalidPeriod(
            _("Please choose a period of at most %(days)d days.", days=MAX_PERIOD_DAYS),
            "period_to",
        )
    with write_transaction():
        operator = queries.operator_scope(actor, centre) if operator_wide else None
        if operator_wide and operator is None:
            raise NotAllowed(_("You may only plan for all centres you coordinate."))
        if not operator_wide and not can_manage(actor, centre):
            raise NotAllowed(_("Only the coordinators of this centre may do this."))
        run = MatchRun.create(
            centre=None if operator else centre.id,
            operator=operator.id if operator else None,
            period_from=period_from,
            period_to=period_to,
            allow_same_day=allow_same_day,
            same_person_for_series=same_person_for_series,
            created_by=actor.id,
        )
    enqueue_run(run.id)
    return run


def enqueue_run(run_id: int) -> None:
    """Hand the run to the task queue (after the commit that made it visible).

    With ``HUEY_IMMEDIATE`` (tests) the task body runs here and now."""
    try:
        if current_app.config["HUEY_IMMEDIATE"]:
            tasks.match_run.call_local(run_id)
        else:
            tasks.match_run(run_id)
    except Exception:
        log.exception("Could not queue matching run %s", run_id)
        with write_transaction():
            MatchRun.update(
                status="failed", progress=100, message="queue unavailable", finished_at=utcnow()
            ).where((MatchRun.id == run_id) & (MatchRun.status == "queued")).execute()


def _require_run_manager(run: MatchRun, actor: User) -> None:
    if not queries.may_manage_all(actor, queries.run_centre_ids(run)):
        raise NotAllowed(_("Only the coordinators of these centres may do this."))


def _holding_proposal(run: MatchRun, proposal_id: int) -> Proposal:
    proposal = queries.run_proposal(run.id, proposal_id)
    if proposal is None:
        raise NotFound(_("This proposal does not exist."))
    if proposal.status != "proposed":
        raise Conflict(_("This proposal has already been dealt with. Please reload the page."))
    return proposal


def _set_status(proposal: Proposal, status: str, expect: str | tuple = "proposed", **fields):
    """Change a proposal still in the state it was read in (else: changed meanwhile)."""
    expected = (expect,) if isinstance(expect, str) else expect
    changed = (
        Proposal.update(status=status, updated_at=utcnow(), **fields)
        .where((Proposal.id == proposal.id) & Proposal.status.in_(expected))
        .execute()
    )
    if not changed:
        raise Conflict(_("This proposal has already been dealt with. Please reload the page."))
    proposal.status = status
    for name, value in fields.items():
        setattr(proposal, name, value)


def remove_proposal(run: MatchRun, proposal_id: int, *, actor: User) -> Proposal:
    """The coordinator takes a proposal back; the pair is not proposed again."""
    _require_run_manager(run, actor)
    with write_transaction():
        proposal = _holding_proposal(run, proposal_id)
        _set_status(proposal, "removed")
    return proposal


def replace_proposal(
    run: MatchRun, proposal_id: int, volunteer_id: int, *, actor: User
) -> Proposal:
    """Propose another eligible volunteer for the proposal's slot instead.

    The replacement must fit every rule together with the run's other open proposals
    (checked by the engine's independent checker)."""
    _require_run_manager(run, actor)
    with write_transaction():
        proposal = _holding_proposal(run, proposal_id)
        allowed = (run.candidates or {}).get(str(proposal.slot_id), [])
        if volunteer_id not in allowed:
            raise DomainError(_("This person cannot take this slot."), "volunteer_id")
        if (
            Proposal.select()
            .where(
                (Proposal.run == run.id)
                & (Proposal.slot == proposal.slot_id)
                & (Proposal.volunteer == volunteer_id)
            )
            .exists()
        ):
            raise DomainError(
                _("This person has already been proposed for this slot."), "volunteer_id"
            )
        built = queries.run_problem(run, exclude_run=run.id)
        pairs = [
            matching.Pair(p.volunteer_id, p.slot_id)
            for p in Proposal.select(Proposal.volunteer, Proposal.slot).where(
                (Proposal.run == run.id)
                & (Proposal.status == "proposed")
                & (Proposal.id != proposal.id)
            )
        ]
        new = matching.Pair(volunteer_id, proposal.slot_id)
        if matching.check(built.problem, [*pairs, new]):
            raise DomainError(
                _(
                    "This person cannot take this slot as well: it would go beyond their "
                    "limits, clash with another date or with an earlier no."
                ),
                "volunteer_id",
            )
        _set_status(proposal, "replaced")
        now = utcnow()
        replacement = Proposal.create(
            run=run.id,
            slot=proposal.slot_id,
            volunteer=volunteer_id,
            reasons=reason_dicts(built.reasons(volunteer_id, proposal.slot_id)),
            created_at=now,
            updated_at=now,
        )
    return replacement


# --- Confirming: invitations or direct assignments ----------------------------------------


@dataclasses.dataclass
class ConfirmResult:
    invited: int = 0
    assigned: int = 0
    failed: list[tuple[Proposal, str]] = dataclasses.field(default_factory=list)


def confirm_proposals(
    run: MatchRun, proposal_ids: list[int] | None, *, direct: bool, actor: User
) -> ConfirmResult:
    """Confirm the given proposals (None: every open one of the run).

    Each becomes an invitation mailed to the volunteer, or with ``direct`` a confirmed
    sign-up through the booking service (which refuses a full slot or an overlap). Each
    proposal is its own transaction: one refusal does not undo the others."""
    _require_run_manager(run, actor)
    query = Proposal.select().where((Proposal.run == run.id) & (Proposal.status == "proposed"))
    if proposal_ids is not None:
        query = query.where(Proposal.id.in_(list(proposal_ids)))
    result = ConfirmResult()
    for proposal in query.order_by(Proposal.slot, Proposal.id):
        try:
            if direct:
                assign_directly(proposal, actor=actor)
                result.assigned += 1
            else:
                invite(proposal, actor=actor)
                result.invited += 1
        except DomainError as exc:
            result.failed.append((proposal, exc.message))
    return result


def assign_directly(proposal: Proposal, *, actor: User) -> Proposal:
    """Sign the volunteer up at once (the booking service notifies them)."""
    with write_transaction():
        signup = booking.assign(proposal.slot_id, proposal.volunteer_id, actor=actor)
        _set_status(proposal, "confirmed", signup=signup.id, answered_at=utcnow())
    return proposal


def invite(proposal: Proposal, *, actor: User) -> Proposal:
    """Mail the volunteer an invitation with a single-use link to accept or decline."""
    with write_transaction():
        details = queries.invitation_of(proposal.id)
        if not volunteer_visible_to(actor, details.volunteer_id):
            # They dropped the centre since the run: the coordinator may no longer see them.
            raise NotFound(_("This person was not found."))
        slot = details.slot
        if slot.status != "scheduled" or slot.starts_at <= utcnow():
            raise Conflict(_("This slot has been cancelled or has already started."))
        token, token_hash = new_token()
        _set_status(
            proposal, "invited", token_hash=token_hash, invited_at=utcnow(), invited_by=actor.id
        )
        volunteer = details.volunteer
        queue_mail(
            volunteer.email,
            "match_invitation",
            locale=volunteer.locale,
            user=volunteer,
            slot=slot,
            activity=slot.activity,
            centre=slot.activity.centre,
            actor=actor,
            reasons=proposal.reasons,
            link=external_url("proposals.answer_invitation", token=token),
        )
        audit.record(
            slot.activity.centre_id,
            actor,
            "proposal.invited",
            subject=volunteer,
            slot_id=slot.id,
        )
    return proposal


# --- The volunteer's answer -----------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Answer:
    outcome: str  # "accepted" | "declined" | "refused"
    message: str


def _booking_actor(proposal: Proposal, centre: Centre) -> User | None:
    """Who signs the volunteer up on accepting: the inviting coordinator, or (if they no
    longer coordinate the centre) another coordinator of it."""
    inviter = proposal.invited_by
    if inviter is not None and inviter.is_active and can_manage(inviter, centre):
        return inviter
    return next((c for c in coordinators_of(centre) if c.is_active), None)


def answer_invitation(proposal_id: int, accept: bool, *, actor: User | None = None) -> Answer:
    """Accept (a confirmed sign-up through the booking service) or decline an invitation.

    ``actor``: the logged-in volunteer answering in the app (must be the invited person);
    None when the answer comes through the invitation link (the token is the proof).
    A slot that is full, cancelled or started by now lets the invitation lapse; an overlap
    or a missing certificate is explained and the invitation stays open."""
    with write_transaction():
        proposal = queries.invitation_of(proposal_id)
        if proposal is None or (actor is not None and proposal.volunteer_id != actor.id):
            raise NotFound(_("We could not find this invitation."))
        if proposal.status != "invited":
            raise Conflict(_answered_message(proposal.status))
        slot, volunteer = proposal.slot, proposal.volunteer
        centre = slot.activity.centre
        if not accept:
            _set_status(proposal, "declined", expect="invited", answered_at=utcnow())
            _tell_coordinator(proposal, accepted=False)
            return Answer(
                "declined",
                _("Thank you for letting us know. We will not ask you for this date again."),
            )
        booker = _booking_actor(proposal, centre)
        if booker is None:
            _set_status(proposal, "expired", expect="invited", answered_at=utcnow())
            return Answer(
                "refused", _("This invitation is no longer valid. Please contact the centre.")
            )
        try:
            signup = booking.assign(slot.id, volunteer.id, actor=booker, invited=True)
        except booking.AlreadySignedUp:
            signup = None
        except (booking.SlotFull, booking.SlotCancelled, booking.SlotStarted) as exc:
            _set_status(proposal, "expired", expect="invited", answered_at=utcnow())
            return Answer("refused", _lapsed_message(exc))
        except booking.OverlapError:
            return Answer(
                "refused",
                _(
                    "You already have another date at that time. If you would rather take this "
                    "one, please cancel the other date first; the invitation stays open until "
                    "the date begins."
                ),
            )
        except booking.CertificateRequired:
            return Answer(
                "refused",
                _(
                    "This date is with children and needs an extended police certificate that "
                    "%(centre)s has seen and that is valid on that day. Please talk to the centre.",
                    centre=centre.name,
                ),
            )
        _set_status(
            proposal,
            "accepted",
            expect="invited",
            answered_at=utcnow(),
            signup=signup.id if signup else None,
        )
        _tell_coordinator(proposal, accepted=True)
    return Answer("accepted", _("You are signed up. Thank you! We have sent you a confirmation."))


def _answered_message(status: str) -> str:
    if status == "accepted":
        return _("You have already accepted this invitation. Thank you!")
    if status == "declined":
        return _("You have already declined this invitation.")
    return _("This invitation is no longer open.")


def _lapsed_message(exc: DomainError) -> str:
    if isinstance(exc, booking.SlotFull):
        return _(
            "Sorry, all places for this date have been taken in the meantime. Thank you all the same!"
        )
    if isinstance(exc, booking.SlotCancelled):
        return _("Sorry, this date has been cancelled.")
    return _("This date has already started, so the invitation has lapsed.")


def _tell_coordinator(proposal: Proposal, *, accepted: bool) -> None:
    tell_inviter(proposal.invited_by, proposal.volunteer, proposal.slot, accepted=accepted)


# --- Weekly suggestions -------------------------------------------------------------------


def set_weekly_suggestions(user: User, enabled: bool) -> None:
    """Opt in or out of the weekly "Passt zu dir" e-mail (sent by ``suggestions.py``)."""
    with write_transaction():
        if enabled:
            WeeklySuggestions.insert(
                user=user.id, created_at=utcnow()
            ).on_conflict_ignore().execute()
        else:
            WeeklySuggestions.delete().where(WeeklySuggestions.user == user.id).execute()


def open_proposal_count(run: MatchRun) -> int:
    return Proposal.select().where((Proposal.run == run.id) & Proposal.status.in_(HOLDING)).count()
