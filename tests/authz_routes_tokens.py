"""Authorization matrix entries of API tokens (see tests/test_authz_matrix.py).

Personal tokens are one's own: anyone logged in makes them; only the owner (the volunteer
here) revokes theirs, everyone else does not find it. Centre A's service tokens are for its
coordinators and the administrators; operator tokens for administrators.
"""

from __future__ import annotations

MINE = "/konto/api-zugaenge"
CENTRE = "/zentren/<slug>/api-zugaenge"
OPERATOR = "/verwaltung/traeger/<int:operator_id>/api-zugaenge"


def _token(w, key: str, **fields):
    """A token of the world, made once before the snapshot."""
    from volunteer_app.tokens.models import ApiToken

    attr = f"_api_token_{key}"
    found = getattr(w, attr, None)
    if found is None:
        found = ApiToken.create(
            name=f"Token {key}", prefix=key[:8], token_hash=f"{key:0>64}", **fields
        )
        setattr(w, attr, found)
    return found


def _mine(w) -> dict:
    token = _token(
        w, "mine", kind="personal", scopes="profile:read", owner=w.volunteer, created_by=w.volunteer
    )
    return {"token_id": token.id}


def _centre(w) -> dict:
    token = _token(
        w, "centre", kind="service", scopes="staffing:read", centre=w.centre_a,
        created_by=w.coordinator_a,
    )  # fmt: skip
    return {"slug": w.centre_a.slug, "token_id": token.id}


def _operator(w) -> dict:
    token = _token(
        w, "operator", kind="service", scopes="staffing:read", operator=w.operator_a,
        created_by=w.admin,
    )  # fmt: skip
    return {"operator_id": w.operator_a.id, "token_id": token.id}


def _form(scope: str):
    return lambda w: {"name": "Mein Programm", "scopes": [scope], "expires_in": "90"}


def routes(m) -> dict:
    made = m.shown("ApiToken")
    made_audited = m.shown("ApiToken", "AuditEntry")
    return {
        "tokens.my_tokens": m.Route(
            MINE, get=m.logged_in(m.OK), post=m.logged_in(made), form=_form("programme:read")
        ),
        "tokens.revoke_my_token": m.Route(
            MINE + "/<int:token_id>/widerrufen",
            post={
                **dict.fromkeys(m.ROLES, m.NOT_YOURS),
                "anonymous": m.TO_LOGIN,
                "volunteer": m.done(MINE, "ApiToken"),
            },
            params=_mine,
        ),
        "tokens.centre_tokens": m.Route(
            CENTRE,
            get=m.own_centre(m.OK),
            post=m.own_centre(made_audited),
            params=lambda w: {"slug": w.centre_a.slug},
            form=_form("staffing:read"),
        ),
        "tokens.revoke_centre_token": m.Route(
            CENTRE + "/<int:token_id>/widerrufen",
            post=m.own_centre(m.done("/zentren/zentrum-a/api-zugaenge", "ApiToken", "AuditEntry")),
            params=_centre,
        ),
        "tokens.operator_tokens": m.Route(
            OPERATOR,
            get=m.admin_only(m.OK),
            post=m.admin_only(made_audited),
            params=lambda w: {"operator_id": w.operator_a.id},
            form=_form("assignments:write"),
        ),
        "tokens.revoke_operator_token": m.Route(
            OPERATOR + "/<int:token_id>/widerrufen",
            post=m.admin_only(m.Expect((302,), None, frozenset({"ApiToken", "AuditEntry"}))),
            params=_operator,
        ),
    }
