"""Reading the legally required checks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app
from peewee import JOIN

from volunteer_app.accounts.models import User
from volunteer_app.checks.models import CertificateCheck, MeaslesProof
from volunteer_app.db import Prepared


def certificate_valid_years() -> int:
    """How many years an inspection counts (``CERTIFICATE_VALID_YEARS``, § 72a practice)."""
    return current_app.config["CERTIFICATE_VALID_YEARS"]


def certificate_valid_until(check: CertificateCheck) -> dt.date | None:
    """The first day the inspection no longer counts (None if it found the person ineligible)."""
    if not check.eligible:
        return None
    d, years = check.inspected_on, certificate_valid_years()
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


# Asked on every slot page of a child-facing activity and every sign-up for one: SQL built once.
_CHECK = Prepared(
    lambda volunteer_id, centre_id: (
        CertificateCheck.select()
        .where(
            (CertificateCheck.volunteer == volunteer_id) & (CertificateCheck.centre == centre_id)
        )
        .limit(1)
    )
)


def has_valid_certificate(volunteer_id: int, centre_id: int, on: dt.date) -> bool:
    """Eligible per an inspection by this centre that is still valid on the given date."""
    check = _CHECK.first(volunteer_id, centre_id)
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


# --- Status for the coordinators' pages --------------------------------------------------

CERTIFICATE_STATES = ("valid", "expired", "not_eligible", "missing")


@dataclass(frozen=True)
class CertificateStatus:
    """Where a volunteer stands with the certificate at one centre on one day.

    ``state``: valid (eligible, inspection still valid on the day), expired (eligible, but
    the ``CERTIFICATE_VALID_YEARS`` have run out), not_eligible, missing (no inspection recorded).
    """

    state: str
    valid_until: dt.date | None = None
    inspected_on: dt.date | None = None

    @property
    def is_valid(self) -> bool:
        return self.state == "valid"


def certificate_status(check: CertificateCheck | None, on: dt.date) -> CertificateStatus:
    """The status a (possibly absent) check gives on the given date."""
    if check is None or check.id is None:
        return CertificateStatus("missing")
    if not check.eligible:
        return CertificateStatus("not_eligible", inspected_on=check.inspected_on)
    until = certificate_valid_until(check)
    state = "valid" if until is not None and check.inspected_on <= on < until else "expired"
    return CertificateStatus(state, valid_until=until, inspected_on=check.inspected_on)


def present(row, attr: str):
    """A row joined with LEFT OUTER JOIN: the joined instance, or None when nothing matched."""
    joined = getattr(row, attr, None)
    return joined if joined is not None and joined.id is not None else None


def checks_of(
    volunteer_id: int, centre_id: int
) -> tuple[CertificateCheck | None, MeaslesProof | None]:
    """This centre's certificate check and measles proof of the volunteer, each with the
    person who recorded it (``inspected_by`` / ``recorded_by``), one query each."""
    inspector = User.alias()
    check = (
        CertificateCheck.select(CertificateCheck, inspector)
        .join(inspector, JOIN.LEFT_OUTER, on=(CertificateCheck.inspected_by == inspector.id))
        .where(
            (CertificateCheck.volunteer == volunteer_id) & (CertificateCheck.centre == centre_id)
        )
        .first()
    )
    recorder = User.alias()
    measles = (
        MeaslesProof.select(MeaslesProof, recorder)
        .join(recorder, JOIN.LEFT_OUTER, on=(MeaslesProof.recorded_by == recorder.id))
        .where((MeaslesProof.volunteer == volunteer_id) & (MeaslesProof.centre == centre_id))
        .first()
    )
    return check, measles
