"""Models of partners: a centre's cooperation partners (Kooperationspartner)."""

from __future__ import annotations

import re

import peewee as pw

from volunteer_app.centres.models import Centre
from volunteer_app.db import BaseModel, utcnow

# Stored keys; the labels are translated in ``partners.forms.KIND_LABELS``.
KINDS = (
    "midwife",
    "counselling",
    "health_office",
    "education",
    "leisure",
    "association",
    "other",
)


class Partner(BaseModel):
    """A cooperation partner of one centre.

    Public fields (shown to families when ``is_public``): kind, name, offer, contact_*,
    website, languages. ``internal_notes`` and ``internal_contact`` are for the centre's
    coordinators only and never leave the centre's admin pages.
    """

    centre = pw.ForeignKeyField(Centre, backref="partners", on_delete="CASCADE", index=False)
    kind = pw.CharField(max_length=20, default="other")
    name = pw.CharField(max_length=150)
    offer = pw.TextField(default="")
    contact_name = pw.CharField(max_length=100, default="")
    contact_email = pw.CharField(max_length=254, default="")
    contact_phone = pw.CharField(max_length=40, default="")
    website = pw.CharField(max_length=300, default="")
    languages = pw.CharField(max_length=200, default="")  # comma list of codes, e.g. "de,ar"
    is_public = pw.BooleanField(default=False)
    internal_notes = pw.TextField(default="")
    internal_contact = pw.TextField(default="")
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("centre", "name"), False),)
        constraints = [
            pw.SQL(
                "CHECK (kind IN ('midwife', 'counselling', 'health_office', 'education', "
                "'leisure', 'association', 'other'))"
            )
        ]

    @property
    def language_list(self) -> list[str]:
        return [code.strip() for code in self.languages.split(",") if code.strip()]

    @property
    def phone_href(self) -> str:
        digits = re.sub(r"[^0-9]", "", self.contact_phone)
        return "tel:" + ("+" if self.contact_phone.strip().startswith("+") else "") + digits


# Every model of this feature; volunteer_app/models.py collects them.
MODELS: list = [Partner]
