"""The invited person's side of an import: the link, their own account with their consent,
or their existing account; the centre joins those they can reach. Every text here is shown
to the invited person, in their language (``SURFACE`` in ``i18n.py``)."""

from __future__ import annotations

import logging
import secrets

import peewee as pw
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from volunteer_app.accounts import passwords
from volunteer_app.accounts.models import Consent, User
from volunteer_app.centres.models import Centre
from volunteer_app.common.errors import Conflict, DomainError, InvalidToken, NotAllowed
from volunteer_app.db import utcnow, write_transaction
from volunteer_app.imports import queries
from volunteer_app.imports.models import ImportInvitation
from volunteer_app.volunteers.models import ReachableCentre

log = logging.getLogger(__name__)

# What the invitation's page says (flashes of the view).
LOG_IN_FIRST = _l("You already have an account. Please log in to accept the invitation.")
WELCOME = _l("Welcome! Tell us what you like to do and when you have time.")
OTHER_ADDRESS = _l(
    "This invitation was sent to a different e-mail address. Please log out and open the "
    "link again."
)


def joined(centre: Centre) -> str:
    return _("%(centre)s is now among your centres.", centre=centre.name)


def check_invitation(token: str) -> ImportInvitation:
    """The invitation of a link that may still be used, else ``InvalidToken``."""
    invitation = queries.invitation_by_token(token)
    if invitation is None:
        raise InvalidToken(
            _("This invitation link is not valid or has expired. Please ask the centre again.")
        )
    return invitation


def _use_up(token: str) -> ImportInvitation:
    """Delete the invitation (its row is all that was kept); only one of two clicks wins."""
    invitation = check_invitation(token)
    deleted = (
        ImportInvitation.delete()
        .where(
            (ImportInvitation.id == invitation.id)
            & (ImportInvitation.token_hash == invitation.token_hash)
        )
        .execute()
    )
    if deleted != 1:
        raise InvalidToken(_("This invitation has already been accepted."))
    return invitation


def accept_with_new_account(token: str, *, name: str, password: str, locale: str) -> User:
    """The invited person's own account: confirmed (the link came to their address), their
    consent to the privacy notice, and the centre among those they can reach."""
    invitation = check_invitation(token)
    problem = passwords.problem(password, invitation.email)
    if problem is not None:
        raise DomainError(str(problem), "password")
    password_hash = passwords.hash_password(password)  # slow on purpose: outside the lock
    now = utcnow()
    try:
        with write_transaction():
            invitation = _use_up(token)
            user = User.create(
                email=invitation.email,
                name=name,
                password_hash=password_hash,
                role="volunteer",
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
            ReachableCentre.create(user=user, centre=invitation.centre_id)
    except pw.IntegrityError as exc:
        raise Conflict(_("An account with this e-mail address exists. Please log in.")) from exc
    log.info("import invitation %s accepted by new user %s", invitation.id, user.id)
    return user


def accept_as_user(token: str, *, actor: User) -> Centre:
    """The logged-in invitee adds the centre to those they can reach."""
    with write_transaction():
        invitation = _use_up(token)
        if invitation.email.lower() != actor.email.lower():
            raise NotAllowed(_("This invitation was sent to a different e-mail address."))
        ReachableCentre.insert(
            user=actor.id, centre=invitation.centre_id
        ).on_conflict_ignore().execute()
    log.info("import invitation %s accepted by user %s", invitation.id, actor.id)
    return invitation.centre
