"""Sign-ups of volunteers for slots, with waitlist order and attendance."""

from __future__ import annotations

import peewee as pw

from volunteer_app.accounts.models import User
from volunteer_app.activities.models import Slot
from volunteer_app.db import BaseModel, utcnow

# confirmed: holds a seat (counted in Slot.taken); pending: waits for approval;
# waitlisted: waits for a seat; cancelled / declined: history.
STATUSES = ("confirmed", "pending", "waitlisted", "cancelled", "declined")
ACTIVE = ("confirmed", "pending", "waitlisted")
ATTENDANCE = ("attended", "no_show")
# The longest reason a volunteer may give for "I can't come".
REASON_MAX_LENGTH = 300


class Signup(BaseModel):
    slot = pw.ForeignKeyField(Slot, backref="signups", on_delete="CASCADE", index=False)
    volunteer = pw.ForeignKeyField(User, backref="signups", on_delete="CASCADE", index=False)
    status = pw.CharField(max_length=12)
    created_at = pw.DateTimeField(default=utcnow)
    # Waitlist order: the time the person joined the waitlist (or asked again).
    queued_at = pw.DateTimeField(default=utcnow)
    decided_at = pw.DateTimeField(null=True)
    decided_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    assigned_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    attendance = pw.CharField(max_length=10, null=True)
    hours = pw.DecimalField(max_digits=5, decimal_places=2, null=True)
    reminded_at = pw.DateTimeField(null=True)

    class Meta:
        # One row per person and slot: a second sign-up reactivates the row.
        indexes = ((("slot", "volunteer"), True), (("volunteer", "status"), False))
        constraints = [
            pw.SQL(
                "CHECK (status IN ('confirmed', 'pending', 'waitlisted', 'cancelled', 'declined'))"
            ),
            pw.SQL("CHECK (attendance IS NULL OR attendance IN ('attended', 'no_show'))"),
            pw.SQL("CHECK (hours IS NULL OR (hours >= 0 AND hours <= 24))"),
        ]


class CantCome(BaseModel):
    """A volunteer's "I can't come" after the cancellation deadline (the sign-up itself is
    cancelled and its seat freed): the optional reason, and when a coordinator of the
    centre dealt with it. The coordination desk lists it until then."""

    signup = pw.ForeignKeyField(Signup, backref="+", on_delete="CASCADE")
    reason = pw.CharField(max_length=REASON_MAX_LENGTH, default="")
    created_at = pw.DateTimeField(default=utcnow)
    handled_at = pw.DateTimeField(null=True)
    handled_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")


# Every model of this feature; volunteer_app/models.py collects them.
MODELS: list = [Signup, CantCome]
