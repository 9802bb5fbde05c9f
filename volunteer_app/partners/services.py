"""State changes of a centre's partner directory. Only the centre's coordinators (and
admins) may change it; every function validates what it is given and owns its transaction."""

from __future__ import annotations

import logging
import re
from urllib.parse import urlparse

from flask_babel import gettext as _

from volunteer_app.accounts.models import User
from volunteer_app.centres.models import Centre
from volunteer_app.centres.queries import can_manage
from volunteer_app.common.errors import DomainError, NotAllowed, NotFound
from volunteer_app.db import utcnow, write_transaction
from volunteer_app.partners.models import KINDS, Partner
from volunteer_app.volunteers.queries import LANGUAGES

log = logging.getLogger(__name__)

TEXT_LIMITS = {
    "name": 150,
    "offer": 2000,
    "contact_name": 100,
    "contact_email": 254,
    "contact_phone": 40,
    "website": 300,
    "internal_notes": 4000,
    "internal_contact": 1000,
}
MULTILINE = ("offer", "internal_notes", "internal_contact")
PHONE = re.compile(r"^(?=(?:[^0-9]*[0-9]){3})\+?[0-9 ()/.\-]+$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
MAX_PARTNERS = 300
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:(?!\d)")  # "javascript:", "https:" (not "host:8080")
HOST = re.compile(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(:\d{1,5})?$")


def _require_manager(actor: User, centre: Centre) -> None:
    if actor is None or not can_manage(actor, centre):
        raise NotAllowed(_("You may not change the partners of this centre."))


def _text(data: dict, name: str) -> str:
    value = (data.get(name) or "").strip()
    if name not in MULTILINE:
        value = " ".join(value.split())
    if len(value) > TEXT_LIMITS[name]:
        raise DomainError(_("Please use at most %(max)d characters.", max=TEXT_LIMITS[name]), name)
    allowed = value.replace("\n", "").replace("\t", "") if name in MULTILINE else value
    if CONTROL.search(allowed):
        raise DomainError(_("Please remove invisible control characters."), name)
    return value


def _website(value: str) -> str:
    """Only http(s) addresses become links (never ``javascript:``); a bare domain gets https."""
    if not value:
        return ""
    if not SCHEME.match(value):
        value = "https://" + value
    parsed = urlparse(value)
    if (
        parsed.scheme.lower() not in ("http", "https")
        or not HOST.match(parsed.netloc)
        or " " in value
    ):
        raise DomainError(_("Please enter a web address like https://example.org."), "website")
    return value


def partner_fields(data: dict) -> dict:
    """Validated column values of a partner from the form's data (explicit field list)."""
    fields = {name: _text(data, name) for name in TEXT_LIMITS}
    if not fields["name"]:
        raise DomainError(_("Please enter a name."), "name")
    kind = data.get("kind")
    if kind not in KINDS:
        raise DomainError(_("Please choose what kind of partner this is."), "kind")
    if fields["contact_email"]:
        fields["contact_email"] = fields["contact_email"].lower()
        if not EMAIL.match(fields["contact_email"]):
            raise DomainError(_("Please enter a valid e-mail address."), "contact_email")
    if fields["contact_phone"] and not PHONE.match(fields["contact_phone"]):
        raise DomainError(
            _("Please enter a phone number with digits, spaces, + / - ( ) only."), "contact_phone"
        )
    fields["website"] = _website(fields["website"])
    languages = data.get("languages") or []
    if any(code not in LANGUAGES for code in languages):
        raise DomainError(_("Please choose one of the options."), "languages")
    fields["languages"] = ",".join(code for code in LANGUAGES if code in set(languages))
    fields["kind"] = kind
    fields["is_public"] = bool(data.get("is_public"))
    return fields


def create_partner(centre: Centre, data: dict, *, actor: User) -> Partner:
    """A new partner in the centre's directory."""
    _require_manager(actor, centre)
    fields = partner_fields(data)
    with write_transaction():
        if Partner.select().where(Partner.centre == centre.id).count() >= MAX_PARTNERS:
            raise DomainError(_("A centre can have at most %(max)d partners.", max=MAX_PARTNERS))
        partner = Partner.create(centre=centre.id, **fields)
    log.info("partner %s created in centre %s by user %s", partner.id, centre.id, actor.id)
    return partner


def update_partner(centre: Centre, partner_id: int, data: dict, *, actor: User) -> Partner:
    """Change a partner of the centre (a partner of another centre is not found)."""
    _require_manager(actor, centre)
    fields = partner_fields(data)
    with write_transaction():
        changed = (
            Partner.update(**fields, updated_at=utcnow())
            .where((Partner.id == partner_id) & (Partner.centre == centre.id))
            .execute()
        )
        if not changed:
            raise NotFound(_("This partner does not exist (any more)."))
    log.info("partner %s updated by user %s", partner_id, actor.id)
    return Partner.get_by_id(partner_id)


def delete_partner(centre: Centre, partner_id: int, *, actor: User) -> None:
    """Remove a partner from the directory. Its room bookings stay (with their title) and
    lose the link to the partner."""
    _require_manager(actor, centre)
    with write_transaction():
        removed = (
            Partner.delete()
            .where((Partner.id == partner_id) & (Partner.centre == centre.id))
            .execute()
        )
        if not removed:
            raise NotFound(_("This partner does not exist (any more)."))
    log.info("partner %s removed from centre %s by user %s", partner_id, centre.id, actor.id)
