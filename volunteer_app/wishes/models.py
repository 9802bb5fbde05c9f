"""Models of wishes: families suggest offers, others support them, the centre answers."""

from __future__ import annotations

import peewee as pw

from volunteer_app.accounts.models import User
from volunteer_app.activities.models import Activity
from volunteer_app.centres.models import Centre
from volunteer_app.db import BaseModel, utcnow

# new: nobody answered yet; planned: the centre works on it; realised: an activity exists;
# declined: not possible (the answer says why).
STATUSES = ("new", "planned", "realised", "declined")
OPEN_STATUSES = ("new", "planned")
TITLE_MAX = 120
DESCRIPTION_MAX = 1000
ANSWER_MAX = 1000


class Wish(BaseModel):
    """A suggestion for an offer of a centre. No account and no name: only the text, and an
    e-mail address when the wisher ticked the consent box (``email_consent_at`` proves it)."""

    centre = pw.ForeignKeyField(Centre, backref="wishes", on_delete="CASCADE", index=False)
    title = pw.CharField(max_length=TITLE_MAX)
    description = pw.TextField(default="")
    status = pw.CharField(max_length=10, default="new")
    answer = pw.TextField(default="")
    answered_at = pw.DateTimeField(null=True)
    answered_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    activity = pw.ForeignKeyField(Activity, null=True, on_delete="SET NULL", backref="wishes")
    realised_at = pw.DateTimeField(null=True)
    email = pw.CharField(max_length=254, null=True)
    email_consent_at = pw.DateTimeField(null=True)
    locale = pw.CharField(max_length=5, default="de")
    # Denormalised count of WishSupport rows, changed in the same transaction as they are.
    support_count = pw.IntegerField(default=0)
    # Shown publicly from this moment; NULL: awaiting a coordinator's approval (moderation).
    approved_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("centre", "status", "support_count"), False),)
        constraints = [
            pw.SQL("CHECK (status IN ('new', 'planned', 'realised', 'declined'))"),
            pw.SQL("CHECK (support_count >= 0)"),
            # An address is only ever stored together with the consent to store it.
            pw.SQL("CHECK (email IS NULL OR email_consent_at IS NOT NULL)"),
        ]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_pending(self) -> bool:
        """Not public yet: a coordinator has still to approve it."""
        return self.approved_at is None


class WishSupport(BaseModel):
    """One support of a wish by one browser: the hash of a random cookie id, never the id."""

    wish = pw.ForeignKeyField(Wish, backref="supports", on_delete="CASCADE", index=False)
    browser_hash = pw.CharField(max_length=64)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("wish", "browser_hash"), True),)


# Every model of this feature; volunteer_app/models.py collects them.
MODELS: list = [Wish, WishSupport]
