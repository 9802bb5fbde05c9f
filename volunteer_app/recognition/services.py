"""State changes of recognition: the volunteer's year of birth, signing a Thüringer
Ehrenamtszertifikat, recording and deleting Ehrenamtsausweise. Each owns its transaction;
only a centre's coordinators (and admins) sign and record."""

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
from volunteer_app.common.time import to_berlin
from volunteer_app.db import utcnow, write_transaction
from volunteer_app.recognition import queries
from volunteer_app.recognition.models import (
    CARD_KINDS,
    BirthYear,
    CardHolding,
    EhrenamtsZertifikat,
)
from volunteer_app.reports import queries as reports
from volunteer_app.reports.services import check_period

log = logging.getLogger(__name__)

OLDEST = 100  # a year of birth further back is a typing error
TEXT_LIMIT = 1000
# A card held is deleted this long after it expired (docs/privacy.md).
CARD_KEPT_AFTER_EXPIRY_DAYS = 365


# --- The volunteer's year of birth ---------------------------------------------------------


def set_birth_year(year, *, actor: User) -> None:
    """The volunteer gives (or corrects) their year of birth."""
    now = today()
    if not isinstance(year, int) or not now.year - OLDEST <= year <= now.year - 10:
        raise DomainError(
            _(
                "Please enter a year from %(min)d to %(max)d.",
                min=now.year - OLDEST,
                max=now.year - 10,
            ),
            "year",
        )
    with write_transaction():
        updated = (
            BirthYear.update(year=year, given_at=utcnow())
            .where(BirthYear.user == actor.id)
            .execute()
        )
        if not updated:
            BirthYear.create(user=actor.id, year=year)


def forget_birth_year(*, actor: User) -> None:
    """The volunteer takes their year of birth back."""
    with write_transaction():
        BirthYear.delete().where(BirthYear.user == actor.id).execute()


# --- The Thüringer Ehrenamtszertifikat -----------------------------------------------------


def _text(value, field: str, limit: int, required: bool = False) -> str:
    text = (value or "").strip()
    if required and not text:
        raise DomainError(_("Please fill in this field."), field)
    if len(text) > limit:
        raise DomainError(_("Please use at most %(max)d characters.", max=limit), field)
    if has_control_characters(text.replace("\n", "").replace("\r", "")):
        raise DomainError(_("Please check this entry."), field)
    return text


def _check_coordinator(centre: Centre, actor: User | None) -> None:
    if actor is None or not can_manage(actor, centre):
        raise NotAllowed(_("Only a coordinator of %(centre)s may sign this.", centre=centre.name))


def sign_zertifikat(
    centre: Centre,
    volunteer: User,
    *,
    period_start: dt.date,
    period_end: dt.date,
    function: str,
    skills: str,
    trainings: str,
    signer_name: str,
    signed_on: dt.date,
    actor: User,
) -> EhrenamtsZertifikat:
    """A coordinator of the centre confirms function, skills and trainings and signs the
    certificate for the period; areas, hours and dates are frozen from attendance. The
    volunteer must be 14 or older in the period's last year and have been active in the
    organisation for a year by its end."""
    _check_coordinator(centre, actor)
    period_start, period_end = check_period(period_start, period_end)
    if period_end > today():
        raise DomainError(_("The period must not end after today."), "period_end")
    function = _text(function, "function", 150, required=True)
    skills = _text(skills, "skills", TEXT_LIMIT)
    trainings = _text(trainings, "trainings", TEXT_LIMIT)
    name = _text(signer_name, "signer_name", 100, required=True)
    if not isinstance(signed_on, dt.date) or signed_on > today():
        raise DomainError(_("Please enter today or an earlier day."), "signed_on")
    if signed_on < period_end:
        raise DomainError(_("The certificate can only be signed after the period."), "signed_on")
    figures = queries.card_figures(volunteer.id, centre, period_end.year, period_end)
    age = queries.age_reached(figures.birth_year, period_end.year, queries.CERTIFICATE_AGE)
    if age is None:
        raise DomainError(
            _("%(name)s has not given a year of birth yet. They can add it on their page "
              "“Recognition”.", name=volunteer.name), "period_end",
        )  # fmt: skip
    if not age:
        raise DomainError(_("The certificate is for volunteers from 14 years."), "period_end")
    if figures.first_day is None or figures.years_active < queries.CERTIFICATE_YEARS:
        raise DomainError(
            _("The certificate needs a year of activity in the organisation by the period's end."),
            "period_start",
        )
    lines = reports.certificate_lines(volunteer.id, centre.id, period_start, period_end)
    if not lines:
        raise DomainError(
            _("No hours are recorded at %(centre)s in this period.", centre=centre.name),
            "period_start",
        )
    areas = sorted({line.category for line in lines}, key=str.casefold)
    try:
        with write_transaction():
            cert = EhrenamtsZertifikat.create(
                volunteer=volunteer.id, centre=centre.id, period_start=period_start,
                period_end=period_end, function=function, skills=skills, trainings=trainings,
                areas=json.dumps(areas, ensure_ascii=False),
                total_hours=sum((line.hours for line in lines), reports.ZERO),
                dates_count=sum(line.dates for line in lines),
                signed_by=actor.id, signed_by_name=name, signed_on=signed_on,
            )  # fmt: skip
            audit.record(
                centre.id, actor, "zertifikat.signed", subject=volunteer.id,
                detail=f"{period_start.isoformat()}–{period_end.isoformat()}",
            )  # fmt: skip
    except pw.IntegrityError as exc:
        raise Conflict(
            _("A certificate for this period has been signed already."), "period_start"
        ) from exc
    log.info("Ehrenamtszertifikat %s signed by user %s", cert.id, actor.id)
    return cert


# --- Ehrenamtsausweise -------------------------------------------------------------------


def record_card(
    centre: Centre, volunteer: User, *, kind: str, number: str, expires_on: dt.date, actor: User
) -> CardHolding:
    """A coordinator notes that the volunteer holds a card, with its expiry date."""
    _check_coordinator(centre, actor)
    if kind not in CARD_KINDS:
        raise DomainError(_("Please choose one of the options."), "kind")
    number = _text(number, "number", 40)
    now = today()
    if not isinstance(expires_on, dt.date) or not (
        now - dt.timedelta(days=366) <= expires_on <= now + dt.timedelta(days=10 * 366)
    ):
        raise DomainError(_("Please enter the expiry date of a card still in use."), "expires_on")
    with write_transaction():
        card = CardHolding.create(
            volunteer=volunteer.id, centre=centre.id, kind=kind, number=number,
            expires_on=expires_on, recorded_by=actor.id,
        )  # fmt: skip
        audit.record(
            centre.id, actor, "card.recorded", subject=volunteer.id, detail=expires_on.isoformat()
        )
    return card


def delete_card(centre: Centre, card_id: int, *, actor: User) -> None:
    """A coordinator deletes a card record of their centre."""
    _check_coordinator(centre, actor)
    with write_transaction():
        card = CardHolding.get_or_none(
            (CardHolding.id == card_id) & (CardHolding.centre == centre.id)
        )
        if card is None:
            raise NotFound(_("This card record does not exist (any more)."))
        card.delete_instance()
        audit.record(centre.id, actor, "card.deleted", subject=card.volunteer_id)


def delete_expired_cards(now: dt.datetime) -> int:
    """Retention: delete card records a year after the card expired."""
    # expires_on is a day in Berlin: so is the cutoff (UTC is a day behind before 1 or 2 a.m.)
    cutoff = to_berlin(now).date() - dt.timedelta(days=CARD_KEPT_AFTER_EXPIRY_DAYS)
    with write_transaction():
        return CardHolding.delete().where(CardHolding.expires_on < cutoff).execute()
