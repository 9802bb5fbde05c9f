"""Allowances paid to volunteers (Ehrenamtspauschale, Übungsleiterpauschale), per payment.

Only what the yearly sums and the statement need: who was paid, by which operator and centre,
on which day, which kind, how much (euro cents) and an optional short note. Never bank
details. A payment is never deleted by hand: it is cancelled (``cancelled_at``, with who and
why) or corrected (a new row that ``corrects`` the cancelled one), each with an audit entry.
Booking records are kept for ten years (§ 147 AO); when the person's account is erased the
rows stay without them (``volunteer`` NULL, note cleared), tied together only by
``payee_ref``, the reference printed on their statements (docs/privacy.md).
"""

from __future__ import annotations

import peewee as pw

from volunteer_app.accounts.models import User
from volunteer_app.allowances.limits import KINDS
from volunteer_app.centres.models import Centre, Operator
from volunteer_app.db import BaseModel, utcnow

_KINDS_SQL = ", ".join(f"'{kind}'" for kind in KINDS)


class AllowancePayment(BaseModel):
    volunteer = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+", index=False)
    # A random reference per person and operator, printed on the statement; it stays when
    # the account is erased, so the operator's books can still be matched.
    payee_ref = pw.CharField(max_length=12)
    operator = pw.ForeignKeyField(Operator, on_delete="CASCADE", backref="+")
    centre = pw.ForeignKeyField(Centre, on_delete="CASCADE", backref="+")
    paid_on = pw.DateField()
    kind = pw.CharField(max_length=20)
    amount_cents = pw.IntegerField()
    note = pw.CharField(max_length=200, default="")
    recorded_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    recorded_at = pw.DateTimeField(default=utcnow)
    cancelled_at = pw.DateTimeField(null=True)
    cancelled_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    cancel_reason = pw.CharField(max_length=200, default="")
    corrects = pw.ForeignKeyField("self", null=True, on_delete="SET NULL", backref="+")

    class Meta:
        indexes = ((("volunteer", "operator", "paid_on"), False), (("paid_on",), False))
        constraints = [
            pw.SQL(f"CHECK (kind IN ({_KINDS_SQL}))"),
            pw.SQL("CHECK (amount_cents > 0)"),
        ]

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None


# Every model of this feature; volunteer_app/models.py collects them.
MODELS: list = [AllowancePayment]
