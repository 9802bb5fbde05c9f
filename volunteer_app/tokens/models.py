"""API tokens: what a program shows to use the JSON API (/api/v1) instead of a login.

Two kinds. A **personal** token acts as its owner (``owner``, deleted with the account);
a **service** token belongs to exactly one centre or one operator (all its centres) and
keeps working when the staff member who made it (``created_by``) leaves. Only the SHA-256
of the secret is stored (``token_hash``, like every other token of the app) and its first
eight characters (``prefix``) so that people can tell their tokens apart; the secret itself
is shown once. Tokens are never the calendar-feed key nor a session: feeds/ and accounts/
keep their own. Revoked and expired rows are deleted after ``RETENTION_API_TOKEN_DAYS``.
"""

from __future__ import annotations

import peewee as pw

from volunteer_app.accounts.models import User
from volunteer_app.centres.models import Centre, Operator
from volunteer_app.db import BaseModel, utcnow

# The visible start of every token: recognisable in logs and by secret scanners.
TOKEN_MARKER = "thekiz_"
PREFIX_LENGTH = 8


class ApiToken(BaseModel):
    kind = pw.CharField(max_length=10)
    name = pw.CharField(max_length=80)
    prefix = pw.CharField(max_length=PREFIX_LENGTH)
    token_hash = pw.CharField(max_length=64, unique=True)
    # Space-separated scope names (tokens/scopes.py).
    scopes = pw.CharField(max_length=200)
    owner = pw.ForeignKeyField(User, null=True, on_delete="CASCADE", backref="+")
    created_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    operator = pw.ForeignKeyField(Operator, null=True, on_delete="CASCADE", backref="+")
    centre = pw.ForeignKeyField(Centre, null=True, on_delete="CASCADE", backref="+")
    created_at = pw.DateTimeField(default=utcnow)
    last_used_at = pw.DateTimeField(null=True)
    expires_at = pw.DateTimeField(null=True)
    revoked_at = pw.DateTimeField(null=True)
    revoked_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")

    class Meta:
        constraints = [
            pw.SQL("CHECK (kind IN ('service', 'personal'))"),
            # A personal token has an owner and no centre or operator; a service token has
            # no owner and exactly one of centre and operator.
            pw.SQL(
                "CHECK ((kind = 'personal' AND owner_id IS NOT NULL AND operator_id IS NULL"
                " AND centre_id IS NULL) OR (kind = 'service' AND owner_id IS NULL AND"
                " ((operator_id IS NULL AND centre_id IS NOT NULL) OR"
                " (operator_id IS NOT NULL AND centre_id IS NULL))))"
            ),
        ]

    @property
    def shown_prefix(self) -> str:
        return f"{TOKEN_MARKER}{self.prefix}…"

    def is_active(self, now) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


# Every model of this feature; volunteer_app/models.py collects them.
MODELS: list = [ApiToken]
