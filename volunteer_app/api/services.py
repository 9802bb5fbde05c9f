"""Changes through the API: the very services the pages call, plus the API's audit entry.

Each function runs the feature's service (signups/services.py: same invariants, same locks,
same refusals with the same messages, same mails) inside one transaction with
``tokens.services.record_api_change``, so that the entry naming the token exists exactly
when the change does. The acting user is the token's person (``auth.acting_user``); the
token's scope, kind and centre were checked by the route (``auth.requires``,
``auth.require_centre``).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from volunteer_app.activities.queries import slot_for_manager
from volunteer_app.api.auth import acting_user, require_centre
from volunteer_app.common.errors import NotFound
from volunteer_app.db import write_transaction
from volunteer_app.signups import services as signups
from volunteer_app.signups.models import Signup
from volunteer_app.signups.queries import waitlist_position
from volunteer_app.tokens.auth import Principal
from volunteer_app.tokens.services import record_api_change


@dataclass(frozen=True)
class Outcome:
    """A sign-up after a change: ``outcome`` says what the service made of it."""

    signup: Signup
    outcome: str  # "confirmed" | "pending" | "waitlisted"
    waitlist_position: int | None = None


def sign_up(principal: Principal, slot_id: int) -> Outcome:
    """The token's person signs up for the slot."""
    actor = acting_user(principal)
    with write_transaction():
        result = signups.sign_up(slot_id, actor=actor)
        position = waitlist_position(result.signup) if result.outcome == "waitlisted" else None
        record_api_change(
            principal,
            f"signup.{result.outcome}",
            f"slot:{slot_id} signup:{result.signup.id}",
            slot_id=slot_id,
            subject=actor,
        )
    return Outcome(result.signup, result.outcome, position)


def cancel_signup(principal: Principal, signup_id: int) -> None:
    """The token's person cancels their own sign-up."""
    actor = acting_user(principal)
    with write_transaction():
        signups.cancel_signup(signup_id, actor=actor)
        signup = Signup.get_by_id(signup_id)
        record_api_change(
            principal,
            "signup.cancelled",
            f"slot:{signup.slot_id} signup:{signup_id}",
            slot_id=signup.slot_id,
            subject=actor,
        )


def _slot_of_covered_centre(principal: Principal, slot_id: int):
    slot = slot_for_manager(slot_id)
    if slot is None:
        raise NotFound(_("This slot does not exist."))
    require_centre(principal, slot.activity.centre)
    return slot


def assign(principal: Principal, slot_id: int, volunteer_id: int) -> Outcome:
    """A coordinator's (or a service token's maker's) assignment of a volunteer."""
    actor = acting_user(principal)
    _slot_of_covered_centre(principal, slot_id)
    with write_transaction():
        signup = signups.assign(slot_id, volunteer_id, actor=actor)
        record_api_change(
            principal,
            "signup.assigned",
            f"slot:{slot_id} signup:{signup.id} volunteer:{volunteer_id}",
            slot_id=slot_id,
            subject=signup.volunteer,
        )
    return Outcome(signup, "confirmed")


def unassign(principal: Principal, signup_id: int) -> None:
    """A coordinator takes a volunteer off a slot; the seat is refilled from the waitlist."""
    actor = acting_user(principal)
    signup = Signup.get_or_none(Signup.id == signup_id)
    if signup is None:
        raise NotFound(_("We could not find this sign-up."))
    _slot_of_covered_centre(principal, signup.slot_id)
    with write_transaction():
        signups.unassign(signup_id, actor=actor)
        record_api_change(
            principal,
            "signup.unassigned",
            f"slot:{signup.slot_id} signup:{signup_id} volunteer:{signup.volunteer_id}",
            slot_id=signup.slot_id,
            subject=signup.volunteer,
        )
