"""Read helpers for partners; every list is one query."""

from __future__ import annotations

import peewee as pw
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from volunteer_app.centres.models import Centre, CentreMembership
from volunteer_app.partners.models import KINDS, Partner

KIND_LABELS = {
    "midwife": _l("Midwife"),
    "counselling": _l("Counselling service"),
    "health_office": _l("Health office"),
    "education": _l("Education"),
    "leisure": _l("Leisure"),
    "association": _l("Club or association"),
    "other": _l("Other"),
}
# Plural headings of the directory's groups.
KIND_HEADINGS = {
    "midwife": _l("Midwives"),
    "counselling": _l("Counselling services"),
    "health_office": _l("Health office"),
    "education": _l("Education"),
    "leisure": _l("Leisure"),
    "association": _l("Clubs and associations"),
    "other": _l("Other partners"),
}
_KIND_RANK = pw.Case(Partner.kind, [(kind, rank) for rank, kind in enumerate(KINDS)], len(KINDS))


def kind_label(kind: str) -> str:
    """The translated name of a partner kind (also the label key of public consultations)."""
    return str(KIND_LABELS.get(kind, KIND_LABELS["other"]))


def kind_heading(kind: str) -> str:
    """The plural heading of a directory group ("Hebammen")."""
    return str(KIND_HEADINGS.get(kind, KIND_HEADINGS["other"]))


def language_names(codes: list[str]) -> list[str]:
    """Language codes (``de``, ``ar``) as names in the current language."""
    locale = get_locale()
    names = locale.languages if locale is not None else {}
    return [names.get(code, code) for code in codes]


def partners_of(centre: Centre, kind: str | None = None) -> list[Partner]:
    """Every partner of the centre (internal fields included: for its coordinators only),
    by kind and name."""
    query = Partner.select().where(Partner.centre == centre.id)
    if kind in KINDS:
        query = query.where(Partner.kind == kind)
    return list(query.order_by(_KIND_RANK, Partner.name, Partner.id))


def partner_in_centre(centre: Centre, partner_id: int) -> Partner | None:
    return Partner.get_or_none((Partner.id == partner_id) & (Partner.centre == centre.id))


def partner_choices(centre: Centre) -> list[Partner]:
    """Id and name of the centre's partners, for the booking form."""
    return list(
        Partner.select(Partner.id, Partner.name, Partner.kind)
        .where(Partner.centre == centre.id)
        .order_by(Partner.name)
    )


def public_partners_of(centre: Centre) -> list[Partner]:
    """The centre's public partners for its public page: only the public columns are read,
    so internal notes and contacts cannot reach a template by mistake."""
    return list(
        Partner.select(
            Partner.id,
            Partner.kind,
            Partner.name,
            Partner.offer,
            Partner.contact_name,
            Partner.contact_email,
            Partner.contact_phone,
            Partner.website,
            Partner.languages,
        )
        .where((Partner.centre == centre.id) & (Partner.is_public == True))  # noqa: E712
        .order_by(_KIND_RANK, Partner.name, Partner.id)
    )


def group_by_kind(partners: list[Partner]) -> list[tuple[str, list[Partner]]]:
    """``[(kind, partners)]`` in the directory's order, empty kinds left out."""
    groups: dict[str, list[Partner]] = {}
    for partner in partners:
        groups.setdefault(partner.kind, []).append(partner)
    return [(kind, groups[kind]) for kind in KINDS if kind in groups]


def network_centre_ids(user) -> set[int]:
    """The centres whose directory a coordinator may read: the centres they belong to and
    every centre of the same operators (all centres for an admin)."""
    if not user.is_authenticated or user.role not in ("coordinator", "admin"):
        return set()
    if user.is_admin:
        return {c.id for c in Centre.select(Centre.id)}
    own = (
        Centre.select(Centre.id, Centre.operator)
        .join(CentreMembership, on=(CentreMembership.centre == Centre.id))
        .where(CentreMembership.user == user.id)
    )
    ids, operators = set(), set()
    for centre in own:
        ids.add(centre.id)
        if centre.operator_id is not None:
            operators.add(centre.operator_id)
    if operators:
        ids |= {c.id for c in Centre.select(Centre.id).where(Centre.operator.in_(operators))}
    return ids


def network_partners(centre_ids: set[int], kind: str | None = None) -> list[Partner]:
    """The partners of several centres with their centre, public columns only (the network
    directory never shows internal notes or contacts, not even of one's own centre)."""
    if not centre_ids:
        return []
    query = (
        Partner.select(
            Partner.id,
            Partner.centre,
            Partner.kind,
            Partner.name,
            Partner.offer,
            Partner.contact_name,
            Partner.contact_email,
            Partner.contact_phone,
            Partner.website,
            Partner.languages,
            Partner.is_public,
            Centre.id,
            Centre.name,
            Centre.slug,
            Centre.town,
        )
        .join(Centre, on=(Partner.centre == Centre.id))
        .where(Partner.centre.in_(sorted(centre_ids)))
    )
    if kind in KINDS:
        query = query.where(Partner.kind == kind)
    return list(query.order_by(_KIND_RANK, Partner.name, Centre.town, Partner.id))
