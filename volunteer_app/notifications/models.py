"""The outbox: mail written inside the service's transaction, delivered by a job."""

from __future__ import annotations

import peewee as pw

from volunteer_app.accounts.models import User
from volunteer_app.db import BaseModel, utcnow

STATUSES = ("pending", "sending", "sent", "failed")


class OutboxMessage(BaseModel):
    """One mail. Usually written (subject and both parts) when it is queued; a mail queued
    with ``services.queue_later`` holds only its ``template`` and a few ``params`` (ids,
    a number, as JSON) until the job that sends it writes it (``services.written``): then
    both are emptied and subject and text filled in, as for any other mail."""

    recipient = pw.CharField(max_length=254)
    locale = pw.CharField(max_length=5, default="de")
    subject = pw.CharField(max_length=255)
    body_text = pw.TextField()
    body_html = pw.TextField()
    # With a default in the database too: code from before these columns can still queue.
    template = pw.CharField(max_length=60, default="", constraints=[pw.SQL("DEFAULT ''")])
    params = pw.TextField(default="", constraints=[pw.SQL("DEFAULT ''")])
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

    user = pw.ForeignKeyField(User, on_delete="CASCADE", backref="+", index=False)
    day = pw.DateField()
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("user", "day"), True),)


# Every model of this feature; volunteer_app/models.py collects them.
MODELS: list = [OutboxMessage, DigestSent]
