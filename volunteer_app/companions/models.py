"""Families who volunteer together: children who come along on a sign-up, invitations for
adult companions (who sign up themselves), and a parent's link to their child's own account."""

from __future__ import annotations

import peewee as pw

from volunteer_app.accounts.models import User
from volunteer_app.db import BaseModel, utcnow
from volunteer_app.signups.models import Signup

MAX_CHILDREN = 10  # children one volunteer brings along to one date
MAX_INVITES = 5  # invitations for adult companions per sign-up
# Minors with an account of their own whom a parent may link: 14 to 17 years old.
MINOR_AGES = (14, 17)


class ComingAlong(BaseModel):
    """How many children come along with a volunteer on a sign-up: counted for the
    activity's planning, never for its volunteer places (``Slot.taken``), never shown to
    families. No names or ages: only the number. Goes with the sign-up."""

    signup = pw.ForeignKeyField(Signup, backref="+", on_delete="CASCADE", unique=True)
    children = pw.IntegerField(default=0)
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "coming_along"
        constraints = [pw.SQL("CHECK (children >= 0 AND children <= 10)")]


class CompanionInvite(BaseModel):
    """A link a volunteer sent to an adult who comes along: it leads to the date, where the
    adult signs up with an account of their own. The address is not kept (only the mail in
    the outbox has it); the link expires when the date starts and is deleted then."""

    signup = pw.ForeignKeyField(Signup, backref="+", on_delete="CASCADE")
    token_hash = pw.CharField(max_length=64, unique=True)
    created_at = pw.DateTimeField(default=utcnow)


class FamilyLink(BaseModel):
    """A parent's link to the own account of their child aged 14 to 17. The parent asks,
    the child confirms from their own account (with their year of birth, kept only here);
    either of them ends it (the row goes). While confirmed, the parent sees the child's dates
    and signs the child up or cancels where the activity is open to the child's age."""

    parent = pw.ForeignKeyField(User, backref="+", on_delete="CASCADE", index=False)
    child = pw.ForeignKeyField(User, backref="+", on_delete="CASCADE")
    birth_year = pw.IntegerField(null=True)  # given by the child when confirming
    created_at = pw.DateTimeField(default=utcnow)
    confirmed_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "family_link"
        indexes = ((("parent", "child"), True), (("child",), False))
        constraints = [pw.SQL("CHECK (parent_id <> child_id)")]


# Every model of this feature; volunteer_app/models.py collects them.
MODELS: list = [ComingAlong, CompanionInvite, FamilyLink]
