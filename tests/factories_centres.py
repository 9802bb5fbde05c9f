"""Helpers for the centres and admin tests: invitations, query counting, English pages."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import re

from flask import g

from volunteer_app.centres.models import ClosingDay, Invitation
from volunteer_app.centres.queries import today
from volunteer_app.common.security import new_token
from volunteer_app.db import utcnow
from volunteer_app.notifications.models import OutboxMessage

LINK = re.compile(r"http://localhost/einladung/([A-Za-z0-9_\-]+)")


def make_invitation(centre, email: str, **fields) -> tuple[Invitation, str]:
    """An open invitation and the token of its link."""
    token, token_hash = new_token()
    data = {
        "email": email,
        "centre": centre,
        "token_hash": token_hash,
        "expires_at": utcnow() + dt.timedelta(minutes=60),
    }
    data.update(fields)
    return Invitation.create(**data), token


def make_closing_day(centre, days_ahead: int = 10, **fields) -> ClosingDay:
    day = today() + dt.timedelta(days=days_ahead)
    return ClosingDay.create(**{"centre": centre, "day": day, **fields})


def switch_user(login_as, user):
    """``login_as`` for a second user in the same test.

    The ``app`` fixture keeps one app context pushed, so ``g`` outlives a request and
    Flask-Login would keep serving the user it loaded first.
    """
    client = login_as(user)
    g.pop("_login_user", None)
    return client


def english(client):
    """Show pages in English (German is the default) so that tests can read the text."""
    with client.session_transaction() as sess:
        sess["lang"] = "en"
    return client


def invitation_links(recipient: str) -> list[str]:
    """Tokens of the invitation links mailed to ``recipient``, oldest first."""
    messages = OutboxMessage.select().where(OutboxMessage.recipient == recipient)
    tokens = []
    for message in messages.order_by(OutboxMessage.id):
        found = LINK.findall(message.body_text)
        assert found, message.body_text
        assert set(LINK.findall(message.body_html)) == set(found)
        tokens.append(found[0])
    return tokens


class _Counter(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.queries: list[str] = []

    def emit(self, record):
        self.queries.append(str(record.msg))

    @property
    def count(self) -> int:
        return len(self.queries)


@contextlib.contextmanager
def count_queries():
    """Count the SQL statements peewee runs inside the block."""
    logger = logging.getLogger("peewee")
    counter = _Counter()
    level = logger.level
    logger.addHandler(counter)
    logger.setLevel(logging.DEBUG)
    try:
        yield counter
    finally:
        logger.removeHandler(counter)
        logger.setLevel(level)
