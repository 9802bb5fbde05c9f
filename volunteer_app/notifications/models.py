"""The outbox: mail written inside the service's transaction, delivered by a job."""

from __future__ import annotations

import peewee as pw

from volunteer_app.accounts.models import User
from volunteer_app.db import BaseModel, utcnow

STATUSES = ("pending", "sending", "sent", "failed")


class OutboxMessage(BaseModel):
    recipient = pw.CharField(max_length=254)
    locale = pw.CharField(max_length=5, default="de")
    subject = pw.CharField(max_length=255)
    body_text = pw.TextField()
    body_html = pw.TextField()
    status = pw.CharField(max_length=10, default="pending")
    attempts = pw.IntegerField(default=0)
    next_attempt_at = pw.DateTimeField(default=utcnow)
    claimed_at = pw.DateTimeField(null=True)
    sent_at = pw.DateTimeField(null=True)
    last_error = pw.TextField(default="")
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("status", "next_attempt_at"), False),)
        constraints = [pw.SQL("CHECK (status IN ('pending', 'sending', 'sent', 'failed'))")]


class DigestSent(BaseModel):
    """A coordinator's daily digest for one Berlin date: makes the digest job idempotent."""

    user = pw.ForeignKeyField(User, on_delete="CASCADE", backref="+")
    day = pw.DateField()
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("user", "day"), True),)


# Every model of this feature; volunteer_app/models.py collects them.
MODELS: list = [OutboxMessage, DigestSent]
