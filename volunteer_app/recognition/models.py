"""Models of recognition: a volunteer's year of birth, the Thüringer Ehrenamtszertifikat as
signed, and the Ehrenamtsausweise (Ehrenamtscard, Jugendleiter-Card) a centre knows of."""

from __future__ import annotations

import json

import peewee as pw

from volunteer_app.accounts.models import User
from volunteer_app.centres.models import Centre
from volunteer_app.db import BaseModel, utcnow

CARD_KINDS = ("ehrenamtscard", "juleica")


class BirthYear(BaseModel):
    """The one fact the age limits need (18 for the Ehrenamtscard, 14 for the certificate),
    given by the volunteer themselves: the year only, never the date of birth."""

    user = pw.ForeignKeyField(User, backref="+", on_delete="CASCADE", unique=True)
    year = pw.SmallIntegerField()
    given_at = pw.DateTimeField(default=utcnow)

    class Meta:
        constraints = [pw.SQL("CHECK (year >= 1900 AND year <= 2100)")]


class EhrenamtsZertifikat(BaseModel):
    """A Thüringer Ehrenamtszertifikat as a coordinator of the centre signed it: what the
    coordinator confirmed (function, skills, trainings) and the figures frozen at signing
    (areas, hours, dates), so that a printed certificate always says what was signed."""

    volunteer = pw.ForeignKeyField(User, backref="+", on_delete="CASCADE", index=False)
    centre = pw.ForeignKeyField(Centre, backref="+", on_delete="CASCADE")
    period_start = pw.DateField()
    period_end = pw.DateField()
    function = pw.CharField(max_length=150)
    skills = pw.TextField(default="")
    trainings = pw.TextField(default="")
    # JSON list of the areas (category names shown) in the period.
    areas = pw.TextField(default="[]")
    total_hours = pw.DecimalField(max_digits=8, decimal_places=2)
    dates_count = pw.IntegerField()
    signed_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    signed_by_name = pw.CharField(max_length=100)
    signed_on = pw.DateField()
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("volunteer", "centre", "period_start", "period_end"), True),)
        constraints = [pw.SQL("CHECK (period_end >= period_start)")]

    @property
    def area_names(self) -> list[str]:
        return json.loads(self.areas or "[]")


class CardHolding(BaseModel):
    """An Ehrenamtsausweis a volunteer holds, as a centre recorded it: the kind, the number
    if the volunteer wants it noted, and the expiry date (for the reminder to renew)."""

    volunteer = pw.ForeignKeyField(User, backref="+", on_delete="CASCADE")
    centre = pw.ForeignKeyField(Centre, backref="+", on_delete="CASCADE", index=False)
    kind = pw.CharField(max_length=15)
    number = pw.CharField(max_length=40, default="")
    expires_on = pw.DateField()
    recorded_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("centre", "expires_on"), False),)
        constraints = [pw.SQL("CHECK (kind IN ('ehrenamtscard', 'juleica'))")]


# Every model of this feature; volunteer_app/models.py collects them.
MODELS: list = [BirthYear, EhrenamtsZertifikat, CardHolding]
