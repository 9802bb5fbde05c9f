"""Who did what to whom: kept for accident insurance and accountability."""

from __future__ import annotations

import peewee as pw

from volunteer_app.accounts.models import User
from volunteer_app.centres.models import Centre
from volunteer_app.db import BaseModel, utcnow


class AuditEntry(BaseModel):
    centre = pw.ForeignKeyField(Centre, backref="audit_entries", on_delete="CASCADE")
    actor = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    action = pw.CharField(max_length=40)
    subject = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    slot_id = pw.IntegerField(null=True)
    detail = pw.CharField(max_length=255, default="")
    created_at = pw.DateTimeField(default=utcnow, index=True)
    # The actor's / subject's account was erased (``actor`` / ``subject`` is then NULL): the
    # log names them "deleted person", not "automatic" (erasure/services.py).
    actor_erased = pw.BooleanField(default=False)
    subject_erased = pw.BooleanField(default=False)


# Every model of this feature; volunteer_app/models.py collects them.
MODELS: list = [AuditEntry]
