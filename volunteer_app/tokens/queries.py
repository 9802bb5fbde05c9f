"""Reading tokens for the pages: a person's own, a centre's (with its operator's), an
operator's. Each is one query; the rows are plain dataclasses with the scopes in words."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import peewee as pw

from volunteer_app.accounts.models import User
from volunteer_app.centres.models import Centre, Operator
from volunteer_app.db import utcnow
from volunteer_app.tokens.models import ApiToken
from volunteer_app.tokens.scopes import describe, parse


@dataclass(frozen=True)
class TokenRow:
    id: int
    kind: str
    name: str
    shown_prefix: str
    scopes: list[str]  # in words
    created_at: dt.datetime
    created_by: str | None  # the maker's name (None: deleted account)
    last_used_at: dt.datetime | None
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    status: str  # "active" | "revoked" | "expired"
    of_operator: bool  # an operator's token (covers every centre of the operator)


def _rows(where) -> list[TokenRow]:
    maker = User.alias("maker")
    query = (
        ApiToken.select(ApiToken, maker.name.alias("maker_name"))
        .join_from(ApiToken, maker, pw.JOIN.LEFT_OUTER, on=(ApiToken.created_by == maker.id))
        .where(where)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        .objects()
    )
    now = utcnow()
    rows = []
    for t in query:
        if t.revoked_at is not None:
            status = "revoked"
        elif t.expires_at is not None and t.expires_at <= now:
            status = "expired"
        else:
            status = "active"
        rows.append(
            TokenRow(
                id=t.id,
                kind=t.kind,
                name=t.name,
                shown_prefix=t.shown_prefix,
                scopes=describe(parse(t.scopes)),
                created_at=t.created_at,
                created_by=t.maker_name,
                last_used_at=t.last_used_at,
                expires_at=t.expires_at,
                revoked_at=t.revoked_at,
                status=status,
                of_operator=t.operator_id is not None,
            )
        )
    rows.sort(key=lambda r: r.status != "active")  # active first, then the rest, stable
    return rows


def personal_tokens(user_id: int) -> list[TokenRow]:
    """A person's own tokens, active first, newest first (one query)."""
    return _rows((ApiToken.owner == user_id) & (ApiToken.kind == "personal"))


def centre_tokens(centre) -> list[TokenRow]:
    """The service tokens that cover the centre: its own and its operator's (one query)."""
    where = ApiToken.centre == centre.id
    if centre.operator_id is not None:
        where |= ApiToken.operator == centre.operator_id
    return _rows((ApiToken.kind == "service") & where)


def operator_tokens(operator_id: int) -> list[TokenRow]:
    """An operator's own service tokens (one query)."""
    return _rows((ApiToken.kind == "service") & (ApiToken.operator == operator_id))


def token_ids(rows: list[TokenRow]) -> set[int]:
    return {row.id for row in rows}


def _utc(value: dt.datetime | None) -> str | None:
    return value.replace(microsecond=0).isoformat() + "Z" if value is not None else None


def personal_data(user_id: int) -> list[dict]:
    """The ``api_tokens`` section of the data download (docs/privacy.md), one query: the
    person's personal tokens and the service tokens they made; never a hash or secret."""
    query = (
        ApiToken.select(ApiToken, Centre.name.alias("centre_name"), Operator.name.alias("op_name"))
        .join_from(ApiToken, Centre, pw.JOIN.LEFT_OUTER, on=(ApiToken.centre == Centre.id))
        .join_from(ApiToken, Operator, pw.JOIN.LEFT_OUTER, on=(ApiToken.operator == Operator.id))
        .where((ApiToken.owner == user_id) | (ApiToken.created_by == user_id))
        .order_by(ApiToken.created_at, ApiToken.id)
        .objects()
    )
    return [
        {
            "kind": t.kind,
            "name": t.name,
            "prefix": t.shown_prefix,
            "scopes": parse(t.scopes),
            "centre": t.centre_name,
            "operator": t.op_name,
            "yours": t.owner_id == user_id,
            "created_at": _utc(t.created_at),
            "last_used_at": _utc(t.last_used_at),
            "expires_at": _utc(t.expires_at),
            "revoked_at": _utc(t.revoked_at),
        }
        for t in query
    ]
