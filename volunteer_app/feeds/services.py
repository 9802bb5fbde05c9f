"""Private feed links: create, rotate, revoke, reminder choice; and resolving a token to a feed.

Each service owns its transaction and takes the acting user (``actor=``).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import secrets

from flask import current_app
from flask_babel import gettext as _

from volunteer_app.accounts.models import User
from volunteer_app.centres.models import Centre
from volunteer_app.common.errors import NotAllowed, NotFound
from volunteer_app.common.security import hash_token
from volunteer_app.db import utcnow, write_transaction
from volunteer_app.feeds import content, queries
from volunteer_app.feeds.models import ALARM_CHOICES, FeedToken

# What a token looks like: 43 URL-safe base64 characters (256 bits).
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{43}")


def link_token(link: FeedToken) -> str:
    """The secret of a link: HMAC-SHA256(SECRET_KEY, seed), URL-safe, 256 bits.

    Only its SHA-256 hash is looked up; the seed alone (a database dump) gives no working link.
    Changing SECRET_KEY therefore ends every private link (documented in docs/feeds.md).
    """
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, b"feed-link:" + link.seed.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _new_row(user: User, kind: str, centre: Centre | None, alarm: int | None) -> FeedToken:
    link = FeedToken(
        user=user.id, kind=kind, centre=centre.id if centre else None, alarm_minutes=alarm
    )
    link.seed = secrets.token_hex(32)
    link.token_hash = hash_token(link_token(link))
    link.save(force_insert=True)
    return link


def _may_have_staff_feed(user: User, centre_id: int, member: bool | None = None) -> bool:
    """``member``: whether the user belongs to the centre, if already known."""
    if not user.is_active:
        return False
    if user.is_admin:
        return True
    if user.role != "coordinator":
        return False
    return queries.is_member(user.id, centre_id) if member is None else member


def create_link(kind: str, centre: Centre | None, *, actor: User) -> FeedToken:
    """The actor's active link of this kind (and centre), created if there is none yet."""
    if kind not in ("volunteer", "staff") or (kind == "staff") != (centre is not None):
        raise NotFound(_("This calendar does not exist."))
    if kind == "staff" and not _may_have_staff_feed(actor, centre.id):
        raise NotAllowed(_("Only the coordinators of this centre can subscribe to its staffing."))
    with write_transaction():
        existing = (
            FeedToken.select()
            .where(
                (FeedToken.user == actor.id)
                & (FeedToken.kind == kind)
                & (FeedToken.centre == (centre.id if centre else None))
                & FeedToken.revoked_at.is_null()
            )
            .first()
        )
        return existing or _new_row(actor, kind, centre, None)


def _own_active(link_id: int, actor: User) -> FeedToken:
    link = (
        FeedToken.select()
        .where(
            (FeedToken.id == link_id)
            & (FeedToken.user == actor.id)
            & FeedToken.revoked_at.is_null()
        )
        .first()
    )
    if link is None:
        raise NotFound(_("This calendar link does not exist or was already switched off."))
    return link


def _revoke(link: FeedToken, now: dt.datetime) -> None:
    FeedToken.update(revoked_at=now).where(
        (FeedToken.id == link.id) & FeedToken.revoked_at.is_null()
    ).execute()


def rotate_link(link_id: int, *, actor: User) -> FeedToken:
    """A new link in place of the old one; the old URL then answers with a short calendar
    saying that the link was replaced. The reminder choice carries over."""
    with write_transaction():
        old = _own_active(link_id, actor)
        if old.kind == "staff" and not _may_have_staff_feed(actor, old.centre_id):
            raise NotAllowed(
                _("Only the coordinators of this centre can subscribe to its staffing.")
            )
        _revoke(old, utcnow())
        centre = Centre(id=old.centre_id) if old.centre_id else None
        return _new_row(actor, old.kind, centre, old.alarm_minutes)


def revoke_link(link_id: int, *, actor: User) -> None:
    """Switch a link off for good (a new one can be created later)."""
    with write_transaction():
        _revoke(_own_active(link_id, actor), utcnow())


def set_reminder(minutes: int | None, *, actor: User) -> FeedToken:
    """The reminder (VALARM) of the actor's volunteer feed; None switches it off."""
    if minutes is not None and minutes not in ALARM_CHOICES:
        raise NotAllowed(_("Please choose one of the offered reminder times."))
    with write_transaction():
        link = create_link("volunteer", None, actor=actor)
        FeedToken.update(alarm_minutes=minutes).where(FeedToken.id == link.id).execute()
        link.alarm_minutes = minutes
        return link


# --- serving -------------------------------------------------------------------------------


def feed_for_token(token: str, today: dt.date, now: dt.datetime | None = None) -> content.Feed:
    """The feed behind a private link. Unknown token: NotFound (404). Revoked link, or a staff
    link whose owner lost access to the centre: the small "link replaced" calendar."""
    now = now or utcnow()
    if not TOKEN_RE.fullmatch(token or ""):
        raise NotFound(_("This calendar link does not exist."))
    link = queries.link_by_hash(hash_token(token))
    if link is None:
        raise NotFound(_("This calendar link does not exist."))
    user = link.user
    locale = user.locale if user.locale in current_app.config["LANGUAGES"] else "de"
    if link.revoked_at is not None:
        return content.replaced_feed(link, locale, "revoked", now)
    if link.kind == "staff":
        if not _may_have_staff_feed(user, link.centre_id, link.is_member):
            return content.replaced_feed(link, locale, "no_access", now)
        return content.staff_feed(link.centre, locale, today, link.revision)
    if not user.is_active:
        return content.replaced_feed(link, locale, "no_access", now)
    return content.volunteer_feed(link, locale, today)
