"""Sending a centre's message to its volunteers, and turning the centres' news off.

``send_message`` writes the message, one outbox mail per recipient and the list of who got
it in one transaction: all of it exists, or none. The delivery job sends the mails later,
at most ``MAIL_RATE_PER_MINUTE`` a minute (``notifications/delivery.py``), each exactly
once. Every mail is rendered in the recipient's language: the coordinator's subject and text
as written, the frame (greeting, who sent it, the footer) translated.

Messages to the people of a date or an activity are about their own bookings and always
arrive; messages to a category or the whole centre are news, which a volunteer can turn off
(``opt_out``: a ``MessageOptOut`` row; one click from any such mail, or their settings).
"""

from __future__ import annotations

import datetime as dt
import logging

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer

from volunteer_app.accounts.models import User
from volunteer_app.centres.models import Centre
from volunteer_app.centres.queries import can_manage
from volunteer_app.common.errors import Conflict, DomainError, NotAllowed, NotFound
from volunteer_app.common.forms import clean_multiline, clean_text
from volunteer_app.common.urls import external_url
from volunteer_app.db import utcnow, write_transaction
from volunteer_app.messaging import queries
from volunteer_app.messaging.models import (
    AUDIENCES,
    BODY_MAX_LENGTH,
    SUBJECT_MAX_LENGTH,
    CentreMessage,
    MessageOptOut,
    MessageRecipient,
)
from volunteer_app.notifications.services import queue_mail

log = logging.getLogger(__name__)

_OPT_OUT_SALT = "messaging.opt-out"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_OPT_OUT_SALT)


def opt_out_token(user_id: int) -> str:
    """The one-click link's token: the person's id, signed (it works as long as the key)."""
    return _serializer().dumps(user_id)


def user_of_token(token: str) -> User | None:
    """The active person a one-click token names, or None for a forged or stale one."""
    try:
        user_id = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(user_id, int):
        return None
    return User.get_or_none((User.id == user_id) & (User.is_active == True))  # noqa: E712


def _check_text(subject: str, body: str) -> tuple[str, str]:
    subject = clean_text(subject or "")
    body = clean_multiline(body or "")
    if not subject:
        raise DomainError(_("Please write a subject."), field="subject")
    if len(subject) > SUBJECT_MAX_LENGTH:
        raise DomainError(
            _("Please use at most %(max)d characters.", max=SUBJECT_MAX_LENGTH), field="subject"
        )
    if not body:
        raise DomainError(_("Please write the message."), field="body")
    if len(body) > BODY_MAX_LENGTH:
        raise DomainError(
            _("Please use at most %(max)d characters.", max=BODY_MAX_LENGTH), field="body"
        )
    return subject, body


def preview(
    centre: Centre, kind: str, ref: int | None, *, actor: User, now: dt.datetime | None = None
) -> queries.Audience:
    """Whom the message would reach, without writing anything (for the confirmation page)."""
    if not can_manage(actor, centre):
        raise NotAllowed(_("Only the centre's coordinators can write to its volunteers."))
    if kind not in AUDIENCES:
        raise DomainError(_("Please choose who gets the message."), field="audience")
    found = queries.audience(centre, kind, ref, now or utcnow())
    if found is None:
        raise NotFound(_("Please choose one of the options."), field=kind)
    return found


def send_message(
    centre: Centre,
    kind: str,
    ref: int | None,
    *,
    subject: str,
    body: str,
    actor: User,
    now: dt.datetime | None = None,
) -> CentreMessage:
    """Send ``subject`` and ``body`` to the audience (see ``queries.audience``): the message,
    a mail per recipient in their language and the recipients' list, in one transaction.

    Refused when the actor does not coordinate the centre, the audience is not the centre's,
    the text is empty or too long, or nobody would get it.
    """
    subject, body = _check_text(subject, body)
    now = now or utcnow()
    with write_transaction():
        found = preview(centre, kind, ref, actor=actor, now=now)
        if not found.recipients:
            raise Conflict(
                _("Nobody would get this message: nobody is booked there or chose it."),
                field="audience",
            )
        message = CentreMessage.create(
            centre=centre.id,
            author=actor.id,
            audience=kind,
            audience_ref=found.ref,
            audience_label=found.label[:255],
            essential=found.essential,
            subject=subject,
            body=body,
            recipient_count=len(found.recipients),
            opted_out_count=found.opted_out,
            created_at=now,
        )
        rows = []
        for user in found.recipients:
            mail = queue_mail(
                user.email,
                "centre_message",
                locale=user.locale,
                user=user,
                centre=centre,
                author=actor.name,
                subject=subject,
                body=body,
                essential=found.essential,
                opt_out_link=None
                if found.essential
                else external_url("messaging.opt_out", token=opt_out_token(user.id)),
            )
            rows.append({"message": message.id, "user": user.id, "outbox": mail.id})
        MessageRecipient.insert_many(rows).execute()
    log.info("Centre %s: message %s queued to %d people.", centre.id, message.id, len(rows))
    return message


def opt_out(user: User, *, actor: User | None = None, token: str | None = None) -> bool:
    """Turn the centres' news off for ``user``: by the person themself, or by the one-click
    token from a mail (which names them). Returns False when it already was off."""
    if token is not None:
        named = user_of_token(token)
        if named is None or named.id != user.id:
            raise NotFound(_("This link is not valid."))
    elif actor is None or actor.id != user.id:
        raise NotAllowed(_("Only the person themself can do this."))
    with write_transaction():
        if queries.is_opted_out(user.id):
            return False
        MessageOptOut.create(user=user.id, created_at=utcnow())
    return True


def opt_in(user: User, *, actor: User) -> bool:
    """Receive the centres' news again; False when they were not turned off."""
    if actor is None or actor.id != user.id:
        raise NotAllowed(_("Only the person themself can do this."))
    with write_transaction():
        return bool(MessageOptOut.delete().where(MessageOptOut.user == user.id).execute())


def delete_old_messages(now: dt.datetime) -> int:
    """Retention: delete messages sent more than ``RETENTION_MESSAGE_DAYS`` before ``now``,
    with the list of who got them; returns how many messages."""
    cutoff = now - dt.timedelta(days=int(current_app.config["RETENTION_MESSAGE_DAYS"]))
    with write_transaction():
        return CentreMessage.delete().where(CentreMessage.created_at < cutoff).execute()
