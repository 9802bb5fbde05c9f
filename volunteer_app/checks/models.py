"""The legally required checks, stored the minimal way the law allows (docs/domain.md).

Certificate (§72a SGB VIII): only the certificate's date, the inspection date, who
inspected it and eligible yes/no — never the document or its entries. Measles
(§20 IfSG): a dated yes/no note. Both are visible only to the centre's coordinators.
"""

from __future__ import annotations

import peewee as pw

from volunteer_app.accounts.models import User
from volunteer_app.centres.models import Centre
from volunteer_app.db import BaseModel, utcnow


class CertificateCheck(BaseModel):
    volunteer = pw.ForeignKeyField(
        User, backref="certificate_checks", on_delete="CASCADE", index=False
    )
    centre = pw.ForeignKeyField(Centre, backref="certificate_checks", on_delete="CASCADE")
    certificate_date = pw.DateField()
    inspected_on = pw.DateField()
    inspected_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    eligible = pw.BooleanField()
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("volunteer", "centre"), True),)


class MeaslesProof(BaseModel):
    volunteer = pw.ForeignKeyField(User, backref="measles_proofs", on_delete="CASCADE", index=False)
    centre = pw.ForeignKeyField(Centre, backref="measles_proofs", on_delete="CASCADE")
    shown_on = pw.DateField()
    proof_ok = pw.BooleanField()
    recorded_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("volunteer", "centre"), True),)


# Every model of this feature; volunteer_app/models.py collects them.
MODELS: list = [CertificateCheck, MeaslesProof]
