"""Sign-up state changes. Every function owns its transaction (``write_transaction``).

Invariants, kept here and in the database: ``0 <= slot.taken = confirmed sign-ups <= capacity``
(conditional UPDATE … WHERE taken < capacity, whose row count decides, plus a CHECK);
one row per (slot, volunteer) (UNIQUE); no two overlapping active sign-ups of one
volunteer (checked under the volunteer's row lock / SQLite's write lock).

Interface agreed between features — implementation by the sign-ups feature.
"""

from __future__ import annotations

from dataclasses import dataclass

from volunteer_app.accounts.models import User
from volunteer_app.activities.models import Slot
from volunteer_app.signups.models import Signup


@dataclass(frozen=True)
class SignupResult:
    signup: Signup
    outcome: str  # "confirmed" | "pending" | "waitlisted"


def sign_up(slot_id: int, *, actor: User) -> SignupResult:
    """The volunteer (actor) signs up: confirmed if a seat is free and the mode is open,
    pending if the activity needs approval, waitlisted if full. Raises DomainError subclasses
    for: cancelled slot, slot in the past, overlap with another of the actor's slots,
    child-facing activity without a valid certificate, already signed up."""
    raise NotImplementedError


def cancel_signup(signup_id: int, *, actor: User) -> None:
    """The volunteer cancels (until the activity's deadline); a freed seat goes to the
    first on the waitlist automatically, who is told."""
    raise NotImplementedError


def assign(slot_id: int, volunteer_id: int, *, actor: User) -> Signup:
    """A coordinator assigns a volunteer directly (confirmed; refuses when full/overlap)."""
    raise NotImplementedError


def unassign(signup_id: int, *, actor: User) -> None:
    """A coordinator removes a confirmed/pending/waitlisted volunteer; the seat is refilled
    from the waitlist."""
    raise NotImplementedError


def approve(signup_id: int, *, actor: User) -> Signup:
    """Approve a pending sign-up (confirmed if a seat is free, else waitlisted)."""
    raise NotImplementedError


def decline(signup_id: int, *, actor: User) -> Signup:
    """Decline a pending or waitlisted sign-up."""
    raise NotImplementedError


def promote(signup_id: int, *, actor: User) -> Signup:
    """Move a waitlisted person up (needs a free seat)."""
    raise NotImplementedError


def record_attendance(signup_id: int, attendance: str, hours, *, actor: User) -> Signup:
    """attended / no_show, with hours (0–24) for a past slot's confirmed sign-up."""
    raise NotImplementedError


def change_capacity(slot_id: int, capacity: int, *, actor: User) -> Slot:
    """Raise (fills from the waitlist) or lower (refused below the confirmed count)."""
    raise NotImplementedError


def cancel_slot_signups(slot: Slot, *, actor: User) -> list[Signup]:
    """Called by the activities feature inside its transaction when a slot is cancelled:
    tells everyone active on it. Returns the sign-ups affected."""
    raise NotImplementedError
