"""Models of reports: the certificate of volunteering (Ehrenamtsnachweis) and its sign-off."""

from __future__ import annotations

import json

import peewee as pw

from volunteer_app.accounts.models import User
from volunteer_app.centres.models import Centre
from volunteer_app.db import BaseModel, utcnow

CERTIFICATE_STATUSES = ("requested", "signed")


class VolunteeringCertificate(BaseModel):
    """A volunteer's request for a certificate of their volunteering at one centre in a
    period, and the coordinator's sign-off. At sign-off the figures are frozen
    (``total_hours``, ``dates_count``, ``details``), so that a printed certificate always says
    what was signed, even if attendance is corrected later."""

    volunteer = pw.ForeignKeyField(
        User, backref="volunteering_certificates", on_delete="CASCADE", index=False
    )
    centre = pw.ForeignKeyField(Centre, backref="volunteering_certificates", on_delete="CASCADE")
    period_start = pw.DateField()
    period_end = pw.DateField()
    status = pw.CharField(max_length=10, default="requested")
    requested_at = pw.DateTimeField(default=utcnow)
    signed_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    signed_by_name = pw.CharField(max_length=100, default="")
    signed_on = pw.DateField(null=True)
    total_hours = pw.DecimalField(max_digits=8, decimal_places=2, null=True)
    dates_count = pw.IntegerField(null=True)
    # JSON list of {"category": shown name, "activities": [titles], "dates": n, "hours": "1.50"}
    details = pw.TextField(default="[]")

    class Meta:
        indexes = ((("volunteer", "centre", "period_start", "period_end"), True),)
        constraints = [
            pw.SQL("CHECK (status IN ('requested', 'signed'))"),
            pw.SQL("CHECK (period_end >= period_start)"),
            pw.SQL(
                "CHECK (status = 'requested' OR (signed_on IS NOT NULL AND signed_by_name <> ''))"
            ),
        ]

    @property
    def is_signed(self) -> bool:
        return self.status == "signed"

    @property
    def detail_rows(self) -> list[dict]:
        return json.loads(self.details or "[]")


# Every model of this feature; volunteer_app/models.py collects them.
MODELS: list = [VolunteeringCertificate]
