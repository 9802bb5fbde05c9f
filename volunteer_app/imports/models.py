"""Invitations of imported volunteers: only what the invitation needs, until they accept."""

from __future__ import annotations

import peewee as pw

from volunteer_app.accounts.models import User
from volunteer_app.centres.models import Centre
from volunteer_app.db import BaseModel, utcnow


class ImportInvitation(BaseModel):
    """A person from a centre's imported list, invited to create their account and consent.

    Nothing but name and address is kept (and only the token's hash); accepting deletes the
    row, and so does the retention job once it has expired (docs/privacy.md)."""

    centre = pw.ForeignKeyField(
        Centre, backref="import_invitations", on_delete="CASCADE", index=False
    )
    email = pw.CharField(max_length=254)
    name = pw.CharField(max_length=100)
    invited_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
    token_hash = pw.CharField(max_length=64, unique=True)
    created_at = pw.DateTimeField(default=utcnow)
    expires_at = pw.DateTimeField(index=True)

    class Meta:
        indexes = ((("centre", "email"), True),)


# Every model of this feature; volunteer_app/models.py collects them.
MODELS: list = [ImportInvitation]
