"""Who is calling the API: a bearer token turned into a ``Principal``.

This is the interface the API (volunteer_app/api/) uses:

- ``bearer_token(request.headers.get("Authorization"))`` → the raw token or None;
- ``authenticate(raw)`` → a ``Principal`` or None (unknown, revoked, expired, malformed, or
  a personal token whose owner's account is switched off). One SELECT by the token's hash;
  the last use is written at most once a minute per token (one conditional UPDATE);
- ``principal.has("staffing:read")``, ``principal.covers_centre(centre)``.

Nothing else is a token: not the session cookie, not a calendar-feed key, not a one-time
link. The raw token has its own shape (``thekiz_`` and 43 URL-safe characters) and is only
ever compared through its SHA-256, which is what the database holds; the lookup is by that
hash, so its timing says nothing about the secret.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
from dataclasses import dataclass

import peewee as pw

from volunteer_app.accounts.models import User
from volunteer_app.centres.queries import can_manage
from volunteer_app.common.security import hash_token
from volunteer_app.db import utcnow
from volunteer_app.tokens.models import TOKEN_MARKER, ApiToken
from volunteer_app.tokens.scopes import effective_scopes

# The last use is written at most this often per token.
LAST_USE_EVERY = dt.timedelta(minutes=1)

_RAW = re.compile(re.escape(TOKEN_MARKER) + r"[A-Za-z0-9_-]{43}")
_BEARER = re.compile(r"[Bb][Ee][Aa][Rr][Ee][Rr] +(\S+) *")


@dataclass(frozen=True)
class Principal:
    token_id: int
    kind: str  # "service" | "personal"
    name: str
    scopes: frozenset[str]
    # personal: the owner; service: the staff member who made it (None once deleted).
    user: User | None
    operator_id: int | None  # a service token of an operator (all its centres)
    centre_id: int | None  # a service token of one centre

    def has(self, scope: str) -> bool:
        return scope in self.scopes

    def covers_centre(self, centre) -> bool:
        """May this token act on ``centre`` (a Centre with ``id`` and ``operator_id``)?

        A service token covers its centre, or every centre of its operator; a personal
        token the centres its owner may manage (a coordinator's own, every one for an
        administrator; none for a volunteer)."""
        if self.kind == "service":
            if self.centre_id is not None:
                return centre.id == self.centre_id
            return self.operator_id is not None and centre.operator_id == self.operator_id
        return self.user is not None and can_manage(self.user, centre)


def bearer_token(header_value: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, else None."""
    if not header_value:
        return None
    match = _BEARER.fullmatch(header_value)
    return match.group(1) if match else None


def well_formed(raw) -> bool:
    return isinstance(raw, str) and _RAW.fullmatch(raw) is not None


def authenticate(raw: str | None) -> Principal | None:
    """The principal of a raw token, or None. At most one SELECT and one UPDATE."""
    if not well_formed(raw):
        return None
    digest = hash_token(raw)
    person = User.alias("person")
    row = (
        ApiToken.select(ApiToken, person)
        .join_from(
            ApiToken,
            person,
            pw.JOIN.LEFT_OUTER,
            on=(person.id == pw.fn.COALESCE(ApiToken.owner, ApiToken.created_by)),
            attr="person",
        )
        .where(ApiToken.token_hash == digest)
        .first()
    )
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        return None
    now = utcnow()
    if not row.is_active(now):
        return None
    user = getattr(row, "person", None)
    if user is not None and user.id is None:
        user = None
    if row.kind == "personal" and (user is None or not user.is_active):
        return None
    _note_use(row, now)
    return Principal(
        token_id=row.id,
        kind=row.kind,
        name=row.name,
        scopes=effective_scopes(row.kind, row.scopes, user.role if user else None),
        user=user,
        operator_id=row.operator_id,
        centre_id=row.centre_id,
    )


def _note_use(row: ApiToken, now: dt.datetime) -> None:
    """Write the last use if the stored one is a minute old; a conditional UPDATE, so that
    requests arriving together write it once."""
    if row.last_used_at is not None and now - row.last_used_at < LAST_USE_EVERY:
        return
    before = now - LAST_USE_EVERY
    ApiToken.update(last_used_at=now).where(
        (ApiToken.id == row.id)
        & (ApiToken.last_used_at.is_null() | (ApiToken.last_used_at <= before))
    ).execute()
