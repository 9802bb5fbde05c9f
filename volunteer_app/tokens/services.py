"""Making and revoking API tokens; the audit entry of a change made through the API.

Rules kept here:

- A **personal** token is made by a logged-in person with a confirmed address for
  themselves; the staff scopes (``staffing:read``, ``assignments:write``) only by
  coordinators and administrators. Only its owner revokes it.
- A **centre's** service token is made and revoked by that centre's coordinators and the
  administrators; an **operator's** service token is made by administrators and revoked by
  them or by any coordinator of one of the operator's centres.
- The raw token is returned once, by the function that makes it; only its SHA-256 and its
  first eight characters are stored.
- At most ``API_TOKENS_MAX_ACTIVE`` active tokens per person, centre or operator: the count
  is taken under a lock on the owner's row (PostgreSQL) or the write lock (SQLite), so two
  requests together cannot pass it.
- Making and revoking a service token writes an audit entry in its centre (an operator's:
  in each of the operator's centres), as does a personal token with staff scopes in the
  centres its owner coordinates; the entry names the token (kind, name, id), never its
  secret. ``record_api_change`` writes the entry of every change made through the API.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext

from volunteer_app.accounts.models import User
from volunteer_app.activities.models import Activity, Slot
from volunteer_app.audit.services import record
from volunteer_app.centres.models import Centre, CentreMembership, Operator
from volunteer_app.centres.queries import can_manage
from volunteer_app.common.errors import Conflict, DomainError, NotAllowed, NotFound
from volunteer_app.common.security import hash_token
from volunteer_app.db import is_sqlite, utcnow, write_transaction
from volunteer_app.tokens.models import PREFIX_LENGTH, TOKEN_MARKER, ApiToken
from volunteer_app.tokens.scopes import SCOPES, allowed_scopes, join, parse

log = logging.getLogger(__name__)

NAME_MAX = 80
STAFF_SCOPES = frozenset(name for name, s in SCOPES.items() if s.staff_only)


def new_raw_token() -> str:
    """``thekiz_`` and 43 URL-safe characters (256 random bits)."""
    return TOKEN_MARKER + secrets.token_urlsafe(32)


def _clean_name(name: str) -> str:
    name = re.sub(r"\s+", " ", name or "").strip()
    if not name:
        raise DomainError(_("Please give the token a name."), field="name")
    if len(name) > NAME_MAX:
        raise DomainError(
            _("The name may be at most %(n)d characters long.", n=NAME_MAX), field="name"
        )
    return name


def _check_scopes(scopes, kind: str, role: str | None) -> str:
    names = parse(" ".join(scopes) if not isinstance(scopes, str) else scopes)
    if not names:
        raise DomainError(_("Please choose at least one permission."), field="scopes")
    allowed = set(allowed_scopes(kind, role))
    if any(name not in allowed for name in names):
        raise DomainError(
            _("This token cannot be given one of the chosen permissions."), field="scopes"
        )
    return join(names)


def _check_expiry(expires_at: dt.datetime | None, now: dt.datetime) -> None:
    if expires_at is not None and expires_at <= now:
        raise DomainError(_("The end date must lie in the future."), field="expires_in")


def _active(now: dt.datetime):
    return ApiToken.revoked_at.is_null() & (
        ApiToken.expires_at.is_null() | (ApiToken.expires_at > now)
    )


def _check_limit(where, now: dt.datetime) -> None:
    limit = current_app.config["API_TOKENS_MAX_ACTIVE"]
    if ApiToken.select().where(where & _active(now)).count() >= limit:
        raise Conflict(
            ngettext(
                "There may be at most %(num)d active token. Please revoke one you no longer"
                " need first.",
                "There may be at most %(num)d active tokens. Please revoke one you no longer"
                " need first.",
                limit,
            )
        )


def _lock(model, row_id: int) -> None:
    """Serialise the count-then-insert of one owner's tokens (SQLite: the write lock)."""
    if not is_sqlite():
        list(model.select(model.id).where(model.id == row_id).for_update())


def _insert(**fields) -> tuple[ApiToken, str]:
    raw = new_raw_token()
    secret = raw[len(TOKEN_MARKER) :]
    token = ApiToken.create(prefix=secret[:PREFIX_LENGTH], token_hash=hash_token(raw), **fields)
    return token, raw


def _describe(token: ApiToken) -> str:
    return f"{token.kind} token '{token.name}' (#{token.id}, {token.prefix}…)"


def _audit_centre_ids(token: ApiToken) -> list[int]:
    """Where the making or revoking of a token is written into the audit trail."""
    if token.centre_id is not None:
        return [token.centre_id]
    if token.operator_id is not None:
        query = Centre.select(Centre.id).where(Centre.operator == token.operator_id)
        return [c.id for c in query.order_by(Centre.id)]
    if STAFF_SCOPES & set(parse(token.scopes)):
        query = CentreMembership.select(CentreMembership.centre).where(
            CentreMembership.user == token.owner_id
        )
        return sorted({m.centre_id for m in query})
    return []


def _audit(token: ApiToken, actor: User, action: str, detail: str) -> None:
    for centre_id in _audit_centre_ids(token):
        record(centre_id, actor, action, detail=detail)
    log.info("%s: %s by user %s", action, _describe(token), getattr(actor, "id", None))


def create_personal_token(
    name: str, scopes, *, actor: User, expires_at: dt.datetime | None = None
) -> tuple[ApiToken, str]:
    """A personal token of the actor; returns the row and the raw token (shown once)."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise NotAllowed(_("Please log in first."))
    if actor.email_confirmed_at is None:
        raise NotAllowed(_("Please confirm your e-mail address first."))
    name = _clean_name(name)
    stored = _check_scopes(scopes, "personal", actor.role)
    now = utcnow()
    _check_expiry(expires_at, now)
    with write_transaction():
        _lock(User, actor.id)
        _check_limit(ApiToken.owner == actor.id, now)
        token, raw = _insert(
            kind="personal",
            name=name,
            scopes=stored,
            owner=actor.id,
            created_by=actor.id,
            created_at=now,
            expires_at=expires_at,
        )
        _audit(token, actor, "token.created", f"{_describe(token)}: {stored}")
    return token, raw


def create_service_token(
    name: str,
    scopes,
    *,
    centre: Centre | None = None,
    operator: Operator | None = None,
    actor: User,
    expires_at: dt.datetime | None = None,
) -> tuple[ApiToken, str]:
    """A service token of one centre or one operator; returns the row and the raw token."""
    if (centre is None) == (operator is None):
        raise ValueError("a service token belongs to exactly one centre or operator")
    if centre is not None and not can_manage(actor, centre):
        raise NotAllowed(_("Only the coordinators of this centre may manage its tokens."))
    if operator is not None and not getattr(actor, "is_admin", False):
        raise NotAllowed(_("Only administrators may make tokens for an operator."))
    name = _clean_name(name)
    stored = _check_scopes(scopes, "service", None)
    now = utcnow()
    _check_expiry(expires_at, now)
    with write_transaction():
        if centre is not None:
            _lock(Centre, centre.id)
            _check_limit(ApiToken.centre == centre.id, now)
        else:
            _lock(Operator, operator.id)
            _check_limit(ApiToken.operator == operator.id, now)
        token, raw = _insert(
            kind="service",
            name=name,
            scopes=stored,
            centre=centre.id if centre is not None else None,
            operator=operator.id if operator is not None else None,
            created_by=actor.id,
            created_at=now,
            expires_at=expires_at,
        )
        _audit(token, actor, "token.created", f"{_describe(token)}: {stored}")
    return token, raw


def may_revoke(actor: User, token: ApiToken) -> bool:
    if token.kind == "personal":
        return token.owner_id == actor.id
    if actor.is_admin:
        return True
    if actor.role != "coordinator":
        return False
    if token.centre_id is not None:
        centres = Centre.id == token.centre_id
    else:
        centres = Centre.operator == token.operator_id
    return (
        CentreMembership.select()
        .join(Centre, on=(CentreMembership.centre == Centre.id))
        .where((CentreMembership.user == actor.id) & centres)
        .exists()
    )


def revoke_token(token_id: int, *, actor: User) -> ApiToken:
    """Revoke a token at once: its next request is refused. Raises NotFound (unknown, or
    someone else's personal token), NotAllowed or Conflict (revoked already)."""
    if not getattr(actor, "is_authenticated", False):
        raise NotAllowed(_("Please log in first."))
    with write_transaction():
        token = ApiToken.get_or_none(ApiToken.id == token_id)
        if token is None or (token.kind == "personal" and token.owner_id != actor.id):
            raise NotFound(_("This token does not exist."))
        if not may_revoke(actor, token):
            raise NotAllowed(_("You may not revoke this token."))
        now = utcnow()
        changed = (
            ApiToken.update(revoked_at=now, revoked_by=actor.id)
            .where((ApiToken.id == token.id) & ApiToken.revoked_at.is_null())
            .execute()
        )
        if not changed:
            raise Conflict(_("This token was revoked already."))
        token.revoked_at, token.revoked_by = now, actor.id
        _audit(token, actor, "token.revoked", _describe(token))
    return token


_TARGET_SLOT = re.compile(r"slot[:/ #]+(\d+)")


def record_api_change(
    principal,
    action: str,
    target: str,
    *,
    centre_id: int | None = None,
    slot_id: int | None = None,
    subject=None,
) -> None:
    """The audit entry of a change made through the API; call inside the change's
    transaction, after it succeeded. It names the token (kind, name, id) and what was done
    (``action``, e.g. "signup.assigned", and ``target``, e.g. "slot:12 volunteer:7").

    The entry belongs to a centre: ``centre_id``, else the centre of ``slot_id`` (or of a
    ``slot:<id>`` in ``target``), else the service token's own centre."""
    if slot_id is None:
        match = _TARGET_SLOT.search(target or "")
        slot_id = int(match.group(1)) if match else None
    if centre_id is None and slot_id is not None:
        row = (
            Activity.select(Activity.centre)
            .join(Slot, on=(Slot.activity == Activity.id))
            .where(Slot.id == slot_id)
            .first()
        )
        centre_id = row.centre_id if row is not None else None
    if centre_id is None:
        centre_id = principal.centre_id
    if centre_id is None:
        raise ValueError("record_api_change needs the centre (centre_id= or slot_id=)")
    detail = (
        f"{action} {target} via {principal.kind} token '{principal.name}' (#{principal.token_id})"
    )
    record(
        centre_id,
        principal.user,
        "api.change",
        subject=subject,
        slot_id=slot_id,
        detail=detail,
    )


def delete_ended_tokens(now: dt.datetime) -> int:
    """Retention: tokens revoked or expired more than ``RETENTION_API_TOKEN_DAYS`` ago.
    Until then the pages show them as revoked or expired, so that people can see what
    stopped working and why; the audit entries about them stay their own time."""
    cutoff = now - dt.timedelta(days=current_app.config["RETENTION_API_TOKEN_DAYS"])
    with write_transaction():
        return (
            ApiToken.delete()
            .where(
                (ApiToken.revoked_at < cutoff)
                | (ApiToken.revoked_at.is_null() & (ApiToken.expires_at < cutoff))
            )
            .execute()
        )
