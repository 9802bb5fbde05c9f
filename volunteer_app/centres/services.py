"""State changes for centres: details, web addresses, closing days and accepting invitations."""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
import unicodedata

import peewee as pw
from flask import current_app
from flask_babel import gettext as _

from volunteer_app.accounts.models import Consent, User
from volunteer_app.accounts.passwords import hash_password
from volunteer_app.centres import queries
from volunteer_app.centres.models import (
    CENTRE_FIELDS,
    Centre,
    CentreMembership,
    ClosingDay,
    Invitation,
)
from volunteer_app.common.errors import Conflict, DomainError, InvalidToken, NotAllowed, NotFound
from volunteer_app.db import utcnow, write_transaction

log = logging.getLogger(__name__)

# Room for a "-NN" suffix within the column's 80 characters.
SLUG_BASE_LENGTH = 70
CLOSING_DAYS_AHEAD = 5 * 366
_GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ẞ": "ss"})


def slugify(text: str) -> str:
    """A web address from a centre's name: German transliteration, lower case, hyphens."""
    text = unicodedata.normalize("NFC", text).lower().translate(_GERMAN)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return text[:SLUG_BASE_LENGTH].rstrip("-") or "zentrum"


def unique_slug(base: str, exclude_id: int | None = None) -> str:
    """``base``, or ``base-2``, ``base-3`` … whichever no other centre uses yet."""
    query = Centre.select(Centre.slug).where(
        (Centre.slug == base) | Centre.slug.startswith(base + "-")
    )
    if exclude_id is not None:
        query = query.where(Centre.id != exclude_id)
    taken = {c.slug for c in query}
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def require_admin(actor: User) -> None:
    """Refuse anyone but an admin (views check first; this keeps services safe to call)."""
    if not actor.is_admin:
        raise NotAllowed(_("Only administrators may do this."))


def _require_manager(actor: User, centre: Centre) -> None:
    if not queries.can_manage(actor, centre):
        raise NotAllowed(_("You may not change this centre."))


def _slug_taken() -> Conflict:
    return Conflict(_("Another centre already uses this web address."), field="slug")


def create_centre(data: dict, *, actor: User) -> Centre:
    """A new centre (admins only). An empty ``slug`` is derived from the name and numbered
    if taken; a chosen one that is taken is refused."""
    require_admin(actor)
    fields = {k: data.get(k) or "" for k in CENTRE_FIELDS}
    chosen = data.get("slug") or ""
    for _attempt in range(3):
        try:
            with write_transaction():
                slug = chosen or unique_slug(slugify(fields["name"]))
                centre = Centre.create(**fields, slug=slug, operator=data.get("operator_id"))
        except pw.IntegrityError as exc:
            # A concurrent create took the derived slug (PostgreSQL); try the next number.
            if chosen:
                raise _slug_taken() from exc
            continue
        log.info("centre %s created by user %s", centre.id, actor.id)
        return centre
    raise Conflict(_("The centre could not be saved. Please try again."))


def update_centre(centre: Centre, data: dict, *, actor: User) -> Centre:
    """Change the given details of a centre; the operator and web address only as an admin.
    An empty ``slug`` is derived from the name again."""
    _require_manager(actor, centre)
    admin_only = {"operator_id", "slug"} & data.keys()
    if admin_only and not actor.is_admin:
        raise NotAllowed(_("Only administrators may change the operator or web address."))
    changes = {k: data[k] or "" for k in CENTRE_FIELDS if k in data}
    if "operator_id" in data:
        changes["operator"] = data["operator_id"] or None
    if "slug" in data:
        name = changes.get("name") or centre.name
        changes["slug"] = data["slug"] or unique_slug(slugify(name), centre.id)
    if not changes:
        return centre
    try:
        with write_transaction():
            Centre.update(**changes).where(Centre.id == centre.id).execute()
    except pw.IntegrityError as exc:
        raise _slug_taken() from exc
    log.info("centre %s updated by user %s", centre.id, actor.id)
    return queries.centre_by_slug(changes.get("slug", centre.slug))


def add_closing_day(centre: Centre, *, actor: User, day: dt.date, reason: str = "") -> ClosingDay:
    """Mark a day (today or later) on which the centre is closed."""
    _require_manager(actor, centre)
    today = queries.today()
    if day < today:
        raise DomainError(_("This date has passed. Please choose today or a later day."), "day")
    if day > today + dt.timedelta(days=CLOSING_DAYS_AHEAD):
        raise DomainError(_("Please choose a day within the next five years."), "day")
    try:
        with write_transaction():
            closing = ClosingDay.create(centre=centre.id, day=day, reason=reason or "")
    except pw.IntegrityError as exc:
        raise Conflict(_("This day is already marked as closed."), field="day") from exc
    log.info("closing day %s added to centre %s by user %s", closing.id, centre.id, actor.id)
    return closing


def remove_closing_day(centre: Centre, day_id: int, *, actor: User) -> None:
    """Remove a closing day of this centre (never one of another centre)."""
    _require_manager(actor, centre)
    with write_transaction():
        deleted = (
            ClosingDay.delete()
            .where((ClosingDay.id == day_id) & (ClosingDay.centre == centre.id))
            .execute()
        )
    if deleted != 1:
        raise NotFound(_("This closing day does not exist (any more)."))
    log.info("closing day %s removed from centre %s by user %s", day_id, centre.id, actor.id)


# --- Invitations ------------------------------------------------------------------------


def check_invitation(invitation: Invitation | None, now: dt.datetime | None = None) -> Invitation:
    """The invitation if its link may still be used, else ``InvalidToken`` saying why."""
    now = now or utcnow()
    if invitation is None:
        raise InvalidToken(_("This invitation link is not valid. Please check the address."))
    if invitation.withdrawn_at is not None:
        raise InvalidToken(_("This invitation has been withdrawn."))
    if invitation.accepted_at is not None:
        raise InvalidToken(_("This invitation has already been accepted."))
    if invitation.is_expired(now):
        raise InvalidToken(_("This invitation has expired. Please ask for a new one."))
    return invitation


def _claim(token: str, now: dt.datetime) -> Invitation:
    """Use up the invitation: one conditional update whose row count decides, so that two
    requests with the same link never both succeed."""
    invitation = check_invitation(queries.invitation_by_token(token), now)
    claimed = (
        Invitation.update(accepted_at=now)
        .where(
            (Invitation.id == invitation.id)
            & (Invitation.token_hash == invitation.token_hash)
            & Invitation.is_open()
            & (Invitation.expires_at > now)
        )
        .execute()
    )
    if claimed != 1:
        raise InvalidToken(_("This invitation has already been accepted."))
    return invitation


def accept_invitation_new_account(token: str, *, name: str, password: str, locale: str) -> User:
    """Create the invited coordinator's account, membership and privacy consent at once."""
    password_hash = hash_password(password)  # slow on purpose: outside the write lock
    now = utcnow()
    try:
        with write_transaction():
            invitation = _claim(token, now)
            if User.select().where(User.email == invitation.email).exists():
                raise Conflict(_("An account with this e-mail address exists. Please log in."))
            user = User.create(
                email=invitation.email,
                name=name,
                password_hash=password_hash,
                role="coordinator",
                locale=locale,
                email_confirmed_at=now,
                session_token=secrets.token_hex(16),
                created_at=now,
            )
            Consent.create(
                user=user,
                kind="privacy",
                version=current_app.config["PRIVACY_NOTICE_VERSION"],
                given_at=now,
            )
            CentreMembership.create(user=user, centre=invitation.centre_id, created_at=now)
    except pw.IntegrityError as exc:
        # The same address registered in the same moment: nothing of ours was written.
        raise Conflict(_("An account with this e-mail address exists. Please log in.")) from exc
    log.info("invitation %s accepted by new user %s", invitation.id, user.id)
    return user


def accept_invitation(token: str, *, actor: User) -> Centre:
    """The logged-in invitee joins the centre; a volunteer becomes a coordinator."""
    now = utcnow()
    with write_transaction():
        invitation = _claim(token, now)
        if invitation.email != actor.email.lower():
            # Raised inside the transaction: the claim above is rolled back.
            raise NotAllowed(_("This invitation was sent to a different e-mail address."))
        # Already a member: the invitation is used up, no second membership appears.
        CentreMembership.insert(
            user=actor.id, centre=invitation.centre_id, created_at=now
        ).on_conflict_ignore().execute()
        User.update(role="coordinator").where(
            (User.id == actor.id) & (User.role == "volunteer")
        ).execute()
    log.info("invitation %s accepted by user %s", invitation.id, actor.id)
    return invitation.centre
