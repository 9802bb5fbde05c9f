"""Administration: operators, coordinator invitations and memberships (admins only)."""

from __future__ import annotations

import datetime as dt
import logging

import peewee as pw
from flask import current_app
from flask_babel import gettext as _

from volunteer_app.accounts.models import User
from volunteer_app.centres.models import Centre, CentreMembership, Invitation, Operator
from volunteer_app.centres.services import require_admin
from volunteer_app.common.errors import Conflict, NotFound
from volunteer_app.common.security import new_token
from volunteer_app.common.urls import external_url
from volunteer_app.db import utcnow, write_transaction
from volunteer_app.notifications.services import queue_mail

log = logging.getLogger(__name__)


def _name_taken() -> Conflict:
    return Conflict(_("An operator with this name exists already."), field="name")


def create_operator(*, actor: User, name: str) -> Operator:
    """A new operator (Träger); names are unique."""
    require_admin(actor)
    try:
        with write_transaction():
            operator = Operator.create(name=name)
    except pw.IntegrityError as exc:
        raise _name_taken() from exc
    log.info("operator %s created by user %s", operator.id, actor.id)
    return operator


def update_operator(operator: Operator, *, actor: User, name: str) -> None:
    """Rename an operator."""
    require_admin(actor)
    try:
        with write_transaction():
            Operator.update(name=name).where(Operator.id == operator.id).execute()
    except pw.IntegrityError as exc:
        raise _name_taken() from exc
    log.info("operator %s renamed by user %s", operator.id, actor.id)


def _expiry(now: dt.datetime) -> dt.datetime:
    return now + dt.timedelta(minutes=current_app.config["INVITATION_TTL_MINUTES"])


def _send_invitation(invitation: Invitation, token: str) -> None:
    account = User.get_or_none(User.email == invitation.email)
    queue_mail(
        invitation.email,
        "invitation",
        locale=account.locale if account else current_app.config["BABEL_DEFAULT_LOCALE"],
        name=account.name if account else invitation.name,
        centre=invitation.centre,
        link=external_url("centres.accept_invitation", token=token),
        expires_at=invitation.expires_at,
        has_account=account is not None,
    )


def invite_coordinator(centre: Centre, *, actor: User, email: str, name: str = "") -> Invitation:
    """Invite someone by e-mail to coordinate ``centre``; only the token's hash is stored.

    An open invitation to the same address for the same centre is renewed (new link,
    new expiry) rather than doubled.
    """
    require_admin(actor)
    email = email.strip().lower()
    token, token_hash = new_token()
    now = utcnow()
    open_for_address = (
        (Invitation.centre == centre.id) & (Invitation.email == email) & Invitation.is_open()
    )
    try:
        with write_transaction():
            already = (
                CentreMembership.select()
                .join(User)
                .where((CentreMembership.centre == centre.id) & (User.email == email))
                .exists()
            )
            if already:
                raise Conflict(_("This person already coordinates this centre."), field="email")
            changes = {
                "token_hash": token_hash,
                "expires_at": _expiry(now),
                "invited_by": actor.id,
                "created_at": now,
            }
            if name:
                changes["name"] = name
            if not Invitation.update(**changes).where(open_for_address).execute():
                Invitation.create(centre=centre.id, email=email, **changes)
            invitation = Invitation.get(open_for_address)
            invitation.centre = centre
            _send_invitation(invitation, token)
    except pw.IntegrityError as exc:
        raise Conflict(_("This address was invited in the same moment."), field="email") from exc
    log.info("invitation %s to centre %s sent by user %s", invitation.id, centre.id, actor.id)
    return invitation


def resend_invitation(invitation: Invitation, *, actor: User) -> None:
    """A new link and expiry; the old link stops working at once."""
    require_admin(actor)
    token, token_hash = new_token()
    now = utcnow()
    with write_transaction():
        renewed = (
            Invitation.update(token_hash=token_hash, expires_at=_expiry(now), created_at=now)
            .where((Invitation.id == invitation.id) & Invitation.is_open())
            .execute()
        )
        if renewed != 1:
            raise Conflict(_("This invitation has already been accepted or withdrawn."))
        invitation.token_hash, invitation.expires_at = token_hash, _expiry(now)
        _send_invitation(invitation, token)
    log.info("invitation %s resent by user %s", invitation.id, actor.id)


def withdraw_invitation(invitation: Invitation, *, actor: User) -> None:
    """The link stops working; the row stays as a record."""
    require_admin(actor)
    with write_transaction():
        withdrawn = (
            Invitation.update(withdrawn_at=utcnow())
            .where((Invitation.id == invitation.id) & Invitation.is_open())
            .execute()
        )
    if withdrawn != 1:
        raise Conflict(_("This invitation has already been accepted or withdrawn."))
    log.info("invitation %s withdrawn by user %s", invitation.id, actor.id)


def remove_coordinator(centre: Centre, user_id: int, *, actor: User) -> None:
    """End a coordinator's membership of ``centre`` (their account stays)."""
    require_admin(actor)
    with write_transaction():
        deleted = (
            CentreMembership.delete()
            .where((CentreMembership.centre == centre.id) & (CentreMembership.user == user_id))
            .execute()
        )
    if deleted != 1:
        raise NotFound(_("This person does not coordinate this centre."))
    log.info("user %s removed from centre %s by user %s", user_id, centre.id, actor.id)
