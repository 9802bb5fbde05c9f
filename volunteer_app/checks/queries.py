"""Reading the legally required checks."""

from __future__ import annotations

import datetime as dt

from volunteer_app.checks.models import CertificateCheck, MeaslesProof

# An inspection is repeated every five years (§72a SGB VIII practice); configurable later.
CERTIFICATE_VALID_YEARS = 5


def certificate_valid_until(check: CertificateCheck) -> dt.date | None:
    if not check.eligible:
        return None
    d = check.inspected_on
    try:
        return d.replace(year=d.year + CERTIFICATE_VALID_YEARS)
    except ValueError:  # 29 February
        return d.replace(year=d.year + CERTIFICATE_VALID_YEARS, day=28)


def has_valid_certificate(volunteer_id: int, centre_id: int, on: dt.date) -> bool:
    """Eligible per an inspection by this centre that is still valid on the given date."""
    check = CertificateCheck.get_or_none(
        (CertificateCheck.volunteer == volunteer_id) & (CertificateCheck.centre == centre_id)
    )
    if check is None:
        return False
    until = certificate_valid_until(check)
    return until is not None and check.inspected_on <= on < until


def valid_certificate_map(centre_id: int, on: dt.date) -> dict[int, dt.date]:
    """Volunteer id -> valid-until date, for everyone with a valid certificate (one query)."""
    out = {}
    for check in CertificateCheck.select().where(CertificateCheck.centre == centre_id):
        until = certificate_valid_until(check)
        if until and check.inspected_on <= on < until:
            out[check.volunteer_id] = until
    return out


def measles_map(centre_id: int) -> dict[int, MeaslesProof]:
    return {
        m.volunteer_id: m for m in MeaslesProof.select().where(MeaslesProof.centre == centre_id)
    }
