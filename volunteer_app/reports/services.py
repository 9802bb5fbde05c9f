"""State changes of certificates of volunteering: request, withdraw, sign off."""

from __future__ import annotations

import datetime as dt
import json
import logging

import peewee as pw
from flask_babel import gettext as _

from volunteer_app.accounts.models import User
from volunteer_app.audit import services as audit
from volunteer_app.centres.models import Centre
from volunteer_app.centres.queries import can_manage, today
from volunteer_app.common.errors import Conflict, DomainError, NotAllowed, NotFound
from volunteer_app.common.forms import has_control_characters
from volunteer_app.common.urls import external_url
from volunteer_app.db import write_transaction
from volunteer_app.notifications.services import tell_coordinators
from volunteer_app.reports import queries
from volunteer_app.reports.models import VolunteeringCertificate

log = logging.getLogger(__name__)

MAX_PERIOD_DAYS = 10 * 366


def check_period(first, last) -> tuple[dt.date, dt.date]:
    """A period of Berlin days that ends by today and spans at most ten years."""
    if not isinstance(first, dt.date) or not isinstance(last, dt.date):
        raise DomainError(_("Please enter a valid date, like 24.12.2026."), "period_start")
    if last < first:
        raise DomainError(_("The last day must not be before the first day."), "period_end")
    if (last - first).days > MAX_PERIOD_DAYS:
        raise DomainError(_("Please choose a period of at most ten years."), "period_start")
    return first, last


def request_certificate(
    centre: Centre, first: dt.date, last: dt.date, *, actor: User
) -> VolunteeringCertificate:
    """The volunteer asks the centre to sign off their volunteering in the period; there
    must be attended hours there in it. One request per centre and period. The centre's
    coordinators are told by mail (and see the open requests counted on their desk)."""
    first, last = check_period(first, last)
    if last > today():
        raise DomainError(_("The period must not end after today."), "period_end")
    if not queries.certificate_lines(actor.id, centre.id, first, last):
        raise DomainError(
            _("No hours of yours are recorded at %(centre)s in this period.", centre=centre.name),
            "centre_id",
        )
    try:
        with write_transaction():
            cert = VolunteeringCertificate.create(
                volunteer=actor.id, centre=centre.id, period_start=first, period_end=last
            )
            tell_coordinators(
                centre.id,
                "certificate_requested",
                volunteer=actor,
                centre=centre,
                cert=cert,
                link=external_url(
                    "reports.sign_certificate", slug=centre.slug, certificate_id=cert.id
                ),
            )
    except pw.IntegrityError as exc:
        raise Conflict(
            _("You have asked for a certificate for this centre and period already."),
            "period_start",
        ) from exc
    log.info("certificate %s requested by user %s at centre %s", cert.id, actor.id, centre.id)
    return cert


def withdraw_certificate(cert: VolunteeringCertificate, *, actor: User) -> None:
    """The volunteer withdraws a request that has not been signed yet."""
    if cert.volunteer_id != actor.id:
        raise NotAllowed(_("This is not your certificate."))
    with write_transaction():
        deleted = (
            VolunteeringCertificate.delete()
            .where(
                (VolunteeringCertificate.id == cert.id)
                & (VolunteeringCertificate.volunteer == actor.id)
                & (VolunteeringCertificate.status == "requested")
            )
            .execute()
        )
    if not deleted:
        raise Conflict(_("A signed certificate cannot be withdrawn."))


def sign_certificate(
    cert: VolunteeringCertificate, signer_name: str, signed_on: dt.date, *, actor: User
) -> VolunteeringCertificate:
    """A coordinator of the certificate's centre signs it off; the figures are frozen."""
    centre = cert.centre
    if actor is None or not can_manage(actor, centre):
        raise NotAllowed(_("Only a coordinator of %(centre)s may sign this.", centre=centre.name))
    name = (signer_name or "").strip()
    if not name:
        raise DomainError(_("Please fill in this field."), "signer_name")
    if len(name) > 100 or has_control_characters(name):
        raise DomainError(_("Please use at most %(max)d characters.", max=100), "signer_name")
    if not isinstance(signed_on, dt.date) or signed_on > today():
        raise DomainError(_("Please enter today or an earlier day."), "signed_on")
    if signed_on < cert.period_end:
        raise DomainError(_("The certificate can only be signed after the period."), "signed_on")
    lines = queries.certificate_lines(
        cert.volunteer_id, centre.id, cert.period_start, cert.period_end
    )
    details = [
        {
            "title": line.title,
            "category": line.category,
            "dates": line.dates,
            "hours": str(line.hours),
            "first": line.first.isoformat(),
            "last": line.last.isoformat(),
        }
        for line in lines
    ]
    with write_transaction():
        updated = (
            VolunteeringCertificate.update(
                status="signed",
                signed_by=actor.id,
                signed_by_name=name,
                signed_on=signed_on,
                total_hours=sum((line.hours for line in lines), queries.ZERO),
                dates_count=sum(line.dates for line in lines),
                details=json.dumps(details, ensure_ascii=False),
            )
            .where(
                (VolunteeringCertificate.id == cert.id)
                & (VolunteeringCertificate.centre == centre.id)
                & (VolunteeringCertificate.status == "requested")
            )
            .execute()
        )
        if updated:
            audit.record(
                centre.id,
                actor,
                "certificate.signed",
                subject=cert.volunteer_id,
                detail=f"{cert.period_start.isoformat()}–{cert.period_end.isoformat()}",
            )
    if not updated:
        if VolunteeringCertificate.get_or_none(VolunteeringCertificate.id == cert.id) is None:
            raise NotFound(_("This request does not exist (any more)."))
        raise Conflict(_("This certificate has been signed already."))
    log.info("certificate %s signed by user %s", cert.id, actor.id)
    return VolunteeringCertificate.get_by_id(cert.id)
