"""Models of erasure: scheduled deletions, inactivity notices and the hours that outlive a person.

Links in mails (cancel a deletion, keep an inactive account) are stored only as the SHA-256
of the token, like ``accounts.models.LoginToken``: a database dump reveals no working link.
"""

from __future__ import annotations

import peewee as pw

from volunteer_app.accounts.models import User
from volunteer_app.activities.models import Category
from volunteer_app.centres.models import Centre
from volunteer_app.db import BaseModel, utcnow


class DeletionRequest(BaseModel):
    """A person asked to delete their account; it is erased at ``due_at`` unless they sign in
    or open the link of the confirmation mail before. The row goes with the account."""

    user = pw.ForeignKeyField(User, backref="+", unique=True, on_delete="CASCADE")
    requested_at = pw.DateTimeField(default=utcnow)
    due_at = pw.DateTimeField(index=True)
    token_hash = pw.CharField(max_length=64, unique=True)


class InactivityNotice(BaseModel):
    """The "we will delete your account" mail to an inactive person and its "keep" link.

    ``warned_at`` is when the mail went out (None after the person kept the account);
    ``kept_at`` is the last use of the link, which counts as activity.
    """

    user = pw.ForeignKeyField(User, backref="+", unique=True, on_delete="CASCADE")
    warned_at = pw.DateTimeField(null=True)
    token_hash = pw.CharField(max_length=64, null=True, unique=True)
    kept_at = pw.DateTimeField(null=True)


class AnonymousHours(BaseModel):
    """Attended hours of an erased person at one centre, in one category and Berlin month.

    Nothing here points to a person: no user, no date, no activity, no time of the erasure.
    ``person_key`` is a random value made at the erasure and stored nowhere else; it only
    lets a report count the people of a period (an erased person active in March and May is
    one person, not two), so that funders' figures stay what they were.
    """

    centre = pw.ForeignKeyField(Centre, backref="+", on_delete="CASCADE", index=False)
    category = pw.ForeignKeyField(Category, backref="+", on_delete="CASCADE")
    month = pw.DateField()  # the first day of the Berlin month
    hours = pw.DecimalField(max_digits=8, decimal_places=2)
    signups = pw.IntegerField()  # attended dates
    person_key = pw.CharField(max_length=32)

    class Meta:
        indexes = (
            (("centre", "month"), False),
            (("person_key", "centre", "category", "month"), True),
        )
        constraints = [
            pw.SQL("CHECK (hours >= 0)"),
            pw.SQL("CHECK (signups >= 1)"),
        ]


# Every model of this feature; volunteer_app/models.py collects them.
MODELS: list = [DeletionRequest, InactivityNotice, AnonymousHours]
