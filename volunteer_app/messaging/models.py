"""A centre's messages to its volunteers, who got each one, and who turned such messages off."""

from __future__ import annotations

import peewee as pw

from volunteer_app.accounts.models import User
from volunteer_app.centres.models import Centre
from volunteer_app.db import BaseModel, utcnow
from volunteer_app.notifications.models import OutboxMessage

# slot and activity: the people booked there (about their own bookings: essential, always
# sent); category and centre: the people who chose it (news: they can turn it off).
AUDIENCES = ("slot", "activity", "category", "centre")
ESSENTIAL_AUDIENCES = frozenset({"slot", "activity"})
SUBJECT_MAX_LENGTH = 120
BODY_MAX_LENGTH = 5000


class CentreMessage(BaseModel):
    """One message as the coordinator wrote it, with its audience and how many got it."""

    centre = pw.ForeignKeyField(Centre, backref="+", on_delete="CASCADE", index=False)
    author = pw.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    audience = pw.CharField(max_length=10)
    audience_ref = pw.IntegerField(null=True)  # the slot, activity or category id
    audience_label = pw.CharField(max_length=255)  # as it was called when sent
    essential = pw.BooleanField()
    subject = pw.CharField(max_length=SUBJECT_MAX_LENGTH)
    body = pw.TextField()
    recipient_count = pw.IntegerField(default=0)
    opted_out_count = pw.IntegerField(default=0)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("centre", "created_at"), False),)
        constraints = [
            pw.SQL("CHECK (audience IN ('slot', 'activity', 'category', 'centre'))"),
        ]


class MessageRecipient(BaseModel):
    """Who got a message; the delivery status is the outbox row's while it is kept."""

    message = pw.ForeignKeyField(CentreMessage, backref="+", on_delete="CASCADE", index=False)
    user = pw.ForeignKeyField(User, backref="+", on_delete="CASCADE")
    outbox = pw.ForeignKeyField(OutboxMessage, null=True, backref="+", on_delete="SET NULL")

    class Meta:
        indexes = ((("message", "user"), True),)


class MessageOptOut(BaseModel):
    """The person turned off centres' news (category and centre messages); one row each."""

    user = pw.ForeignKeyField(User, unique=True, backref="+", on_delete="CASCADE")
    created_at = pw.DateTimeField(default=utcnow)


# Every model of this feature; volunteer_app/models.py collects them.
MODELS: list = [CentreMessage, MessageRecipient, MessageOptOut]
