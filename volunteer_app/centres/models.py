"""Centres (ThEKiZ), their operators, closing days, coordinators and invitations."""

from __future__ import annotations

import re

import peewee as pw

from volunteer_app.accounts.models import User
from volunteer_app.db import BaseModel, utcnow


class Operator(BaseModel):
    """Träger: runs one or more centres."""

    name = pw.CharField(max_length=150, unique=True)


# What a centre's coordinators may change (the operator and slug are for admins).
CENTRE_FIELDS = (
    "name",
    "street",
    "postcode",
    "town",
    "description",
    "contact_email",
    "contact_phone",
)


class Centre(BaseModel):
    operator = pw.ForeignKeyField(Operator, backref="centres", null=True, on_delete="SET NULL")
    name = pw.CharField(max_length=150)
    slug = pw.CharField(max_length=80, unique=True)
    street = pw.CharField(max_length=150, default="")
    postcode = pw.CharField(max_length=10, default="")
    town = pw.CharField(max_length=100)
    description = pw.TextField(default="")
    contact_email = pw.CharField(max_length=254, default="")
    contact_phone = pw.CharField(max_length=40, default="")
    # Families' new wishes: shown publicly only once a coordinator approved them (True), or
    # at once (False); the wishes desk switches it (wishes/services.py).
    wishes_need_approval = pw.BooleanField(default=True)
    created_at = pw.DateTimeField(default=utcnow)

    @property
    def phone_href(self) -> str:
        """``tel:`` link of the contact phone: digits and a leading plus only."""
        digits = re.sub(r"[^0-9]", "", self.contact_phone)
        return "tel:" + ("+" if self.contact_phone.strip().startswith("+") else "") + digits


class ClosingDay(BaseModel):
    centre = pw.ForeignKeyField(Centre, backref="closing_days", on_delete="CASCADE", index=False)
    day = pw.DateField()
    reason = pw.CharField(max_length=150, default="")

    class Meta:
        indexes = ((("centre", "day"), True),)


class CentreMembership(BaseModel):
    """A coordinator's membership of a centre: what they may see and change."""

    user = pw.ForeignKeyField(User, backref="memberships", on_delete="CASCADE", index=False)
    centre = pw.ForeignKeyField(Centre, backref="memberships", on_delete="CASCADE")
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("user", "centre"), True),)


class Invitation(BaseModel):
    """An admin's invitation for a coordinator of a centre; only the token hash is kept."""

    email = pw.CharField(max_length=254)
    name = pw.CharField(max_length=100, default="")
    centre = pw.ForeignKeyField(Centre, backref="invitations", on_delete="CASCADE")
    invited_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
    token_hash = pw.CharField(max_length=64, unique=True)
    created_at = pw.DateTimeField(default=utcnow)
    expires_at = pw.DateTimeField()
    accepted_at = pw.DateTimeField(null=True)
    withdrawn_at = pw.DateTimeField(null=True)

    @classmethod
    def is_open(cls):
        """SQL condition: neither accepted nor withdrawn (it may have expired)."""
        return cls.accepted_at.is_null() & cls.withdrawn_at.is_null()

    def is_expired(self, now) -> bool:
        return self.expires_at <= now


# At most one open invitation per address and centre: inviting again renews it instead.
Invitation.add_index(
    Invitation.index(
        Invitation.centre,
        Invitation.email,
        unique=True,
        where=Invitation.is_open(),
        name="invitation_open_centre_email",
    )
)


# Every model of this feature; volunteer_app/models.py collects them.
MODELS: list = [Operator, Centre, ClosingDay, CentreMembership, Invitation]
