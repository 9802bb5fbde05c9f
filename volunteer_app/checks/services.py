"""Recording the legally required checks — only what the law allows (docs/domain.md).

Certificate inspection (§ 72a SGB VIII): the certificate's date, the inspection date, who
inspected it (the acting coordinator) and eligible yes/no. Measles (§ 20 IfSG): a dated
yes/no. Nothing else is stored: no document, no entries, no notes. The audit trail records
only THAT a check was recorded, never its outcome, so that deleting the check under the
retention rules leaves nothing of it behind.
"""

from __future__ import annotations

import datetime as dt
import logging

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext

from volunteer_app.accounts.models import User
from volunteer_app.audit.services import record
from volunteer_app.centres.models import Centre
from volunteer_app.centres.queries import can_manage, today
from volunteer_app.checks.models import CertificateCheck, MeaslesProof
from volunteer_app.checks.queries import certificate_valid_years
from volunteer_app.common.errors import DomainError, NotAllowed, NotFound
from volunteer_app.db import utcnow, write_transaction
from volunteer_app.volunteers.queries import visible_volunteers

log = logging.getLogger(__name__)

# The Masernschutzgesetz (§ 20 IfSG) applies from this day: earlier notes make no sense.
MEASLES_LAW_START = dt.date(2020, 3, 1)


def certificate_max_age_months() -> int:
    """How old the certificate may be when inspected (``CERTIFICATE_MAX_AGE_MONTHS``, § 72a
    practice): the operator decides the legal details."""
    return int(current_app.config["CERTIFICATE_MAX_AGE_MONTHS"])


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months earlier (the month's last day if it is shorter)."""
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, candidate)
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover - 28 exists in every month


def _require_manager(actor: User, centre: Centre) -> None:
    if not can_manage(actor, centre):
        raise NotAllowed(_("Only the coordinators of this centre may record checks."))


def _volunteer(volunteer_id: int, actor: User) -> User:
    """The volunteer, if ``actor`` may see them (else "not found", whatever the id)."""
    volunteer = User.get_or_none(
        (User.id == volunteer_id) & (User.role == "volunteer") & visible_volunteers(actor)
    )
    if volunteer is None:
        raise NotFound(_("This volunteer does not exist (any more)."))
    return volunteer


def _check_not_future(day: dt.date, field: str, now: dt.date) -> None:
    if day > now:
        raise DomainError(_("This date is in the future. Please enter a date up to today."), field)


def validate_certificate_dates(
    certificate_date: dt.date, inspected_on: dt.date, now: dt.date, max_age_months: int
) -> None:
    """Refuse dates the law does not accept; raises DomainError naming the field."""
    _check_not_future(inspected_on, "inspected_on", now)
    _check_not_future(certificate_date, "certificate_date", now)
    years = certificate_valid_years()
    if inspected_on < months_before(now, years * 12):
        raise DomainError(
            ngettext(
                "This inspection is more than %(num)d year ago and no longer counts.",
                "This inspection is more than %(num)d years ago and no longer counts.",
                years,
            ),
            "inspected_on",
        )
    if certificate_date > inspected_on:
        raise DomainError(
            _("The certificate cannot be issued after the day it was inspected."),
            "certificate_date",
        )
    if certificate_date < months_before(inspected_on, max_age_months):
        raise DomainError(
            _(
                "The certificate was more than %(months)d months old on the inspection date. "
                "Please ask the volunteer for a new one (free of charge for volunteers).",
                months=max_age_months,
            ),
            "certificate_date",
        )


def record_certificate_check(
    centre: Centre,
    volunteer_id: int,
    *,
    certificate_date: dt.date,
    inspected_on: dt.date,
    eligible: bool,
    actor: User,
    now: dt.date | None = None,
) -> CertificateCheck:
    """Record (or replace) this centre's inspection of a volunteer's extended certificate.

    Stores exactly: certificate date, inspection date, inspected by (the actor), eligible.
    """
    _require_manager(actor, centre)
    volunteer = _volunteer(volunteer_id, actor)
    validate_certificate_dates(
        certificate_date, inspected_on, now or today(), certificate_max_age_months()
    )
    values = {
        "certificate_date": certificate_date,
        "inspected_on": inspected_on,
        "inspected_by": actor.id,
        "eligible": bool(eligible),
    }
    with write_transaction():
        (
            CertificateCheck.insert(
                volunteer=volunteer.id, centre=centre.id, created_at=utcnow(), **values
            )
            .on_conflict(
                conflict_target=[CertificateCheck.volunteer, CertificateCheck.centre],
                update=values,
            )
            .execute()
        )
        record(centre.id, actor, "check.certificate", subject=volunteer.id)
    log.info("certificate check of user %s at centre %s by %s", volunteer.id, centre.id, actor.id)
    return CertificateCheck.get(
        (CertificateCheck.volunteer == volunteer.id) & (CertificateCheck.centre == centre.id)
    )


def record_measles_proof(
    centre: Centre,
    volunteer_id: int,
    *,
    shown_on: dt.date,
    proof_ok: bool,
    actor: User,
    now: dt.date | None = None,
) -> MeaslesProof:
    """Record (or replace) this centre's dated yes/no note on measles protection."""
    _require_manager(actor, centre)
    volunteer = _volunteer(volunteer_id, actor)
    current = now or today()
    _check_not_future(shown_on, "shown_on", current)
    if shown_on < MEASLES_LAW_START:
        raise DomainError(
            _(
                "Please enter a date from 1 March 2020 on, when the measles protection law "
                "came into force."
            ),
            "shown_on",
        )
    values = {"shown_on": shown_on, "proof_ok": bool(proof_ok), "recorded_by": actor.id}
    with write_transaction():
        (
            MeaslesProof.insert(
                volunteer=volunteer.id, centre=centre.id, created_at=utcnow(), **values
            )
            .on_conflict(
                conflict_target=[MeaslesProof.volunteer, MeaslesProof.centre], update=values
            )
            .execute()
        )
        record(centre.id, actor, "check.measles", subject=volunteer.id)
    log.info("measles note of user %s at centre %s by %s", volunteer.id, centre.id, actor.id)
    return MeaslesProof.get(
        (MeaslesProof.volunteer == volunteer.id) & (MeaslesProof.centre == centre.id)
    )
