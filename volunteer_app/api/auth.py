"""Who calls the API: the bearer token, and the checks of scope, kind and centre.

Only ``Authorization: Bearer <token>`` authenticates (tokens/auth.py): never the session
cookie (``init_app`` makes every API request anonymous to Flask-Login before any other hook
runs, so the second-factor gate, the session timeout and the pages' language choice never
see a browser's session), never a calendar-feed key or a token in the query string.

- ``requires(scope, personal=False)``: a route for token holders. No token or an unknown,
  expired or revoked one → 401 with ``WWW-Authenticate: Bearer``; a token without the scope
  (or a service token where a person is needed) → 403.
- ``optional_token``: a public route. Anyone may call it; a token, if sent, must be valid
  (else 401), and the caller is then counted by the token, not the address (rate limit).
- ``require_centre(principal, centre)``: 403 unless the token covers the centre.

Each decorator also writes the route's security requirement into the OpenAPI document.
"""

from __future__ import annotations

from functools import wraps

from flask import current_app, g, request
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_smorest import Blueprint

from volunteer_app.api.problems import ApiProblem
from volunteer_app.tokens.auth import Principal, authenticate, bearer_token

SCHEME = "bearerAuth"
_NOT_LOOKED_UP = object()


def current_principal() -> Principal | None:
    """The caller's principal, looked up once per request (None: no token or not valid)."""
    found = g.get("api_principal", _NOT_LOOKED_UP)
    if found is _NOT_LOOKED_UP:
        header = request.headers.get("Authorization")
        g.api_token_sent = header is not None
        raw = bearer_token(header)
        found = authenticate(raw) if raw else None
        g.api_principal = found
    return found


def token_sent() -> bool:
    current_principal()
    return g.api_token_sent


def rate_limit_key() -> str:
    """Per token, else per address: a token with only ``programme:read`` has its own count."""
    principal = current_principal()
    if principal is not None:
        return f"api-token:{principal.token_id}"
    return f"api-ip:{get_remote_address()}"


def _unauthorized() -> ApiProblem:
    if token_sent():
        detail = _("This API token is not valid: it is unknown, expired or revoked.")
        challenge = 'Bearer realm="api", error="invalid_token"'
        kind = "invalid-token"
    else:
        detail = _("This needs an API token, sent as “Authorization: Bearer <token>”.")
        challenge = 'Bearer realm="api"'
        kind = "token-needed"
    return ApiProblem(401, detail, kind=kind, headers={"WWW-Authenticate": challenge})


def _forbidden(detail: str, kind: str, scope: str | None = None) -> ApiProblem:
    challenge = 'Bearer realm="api", error="insufficient_scope"'
    if scope:
        challenge += f', scope="{scope}"'
    return ApiProblem(403, detail, kind=kind, headers={"WWW-Authenticate": challenge})


def check(scope: str, *, personal: bool = False) -> Principal:
    """The principal if it may use a route needing ``scope``; else raises the 401/403."""
    principal = current_principal()
    if principal is None:
        raise _unauthorized()
    if not principal.has(scope):
        raise _forbidden(
            _("This token does not have the permission “%(scope)s”.", scope=scope),
            "insufficient-scope",
            scope,
        )
    if personal and principal.kind != "personal":
        raise _forbidden(_("This needs a personal token."), "personal-token-needed")
    return principal


def require_centre(principal: Principal, centre) -> None:
    if not principal.covers_centre(centre):
        raise _forbidden(_("This token does not cover this centre."), "centre-not-covered")


def acting_user(principal: Principal):
    """Who a change through the token is made as (``actor=`` of the services): a personal
    token's owner, a service token's maker."""
    if principal.user is None:
        raise _forbidden(
            _("The person who made this token no longer has an account. Please make a new token."),
            "token-without-person",
        )
    return principal.user


def requires(scope: str, *, personal: bool = False):
    """A route for tokens with ``scope`` (a personal token only, with ``personal``); the
    view gets the principal as ``principal=``."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            return view(*args, principal=check(scope, personal=personal), **kwargs)

        kinds = "personal tokens" if personal else "personal or service tokens"
        return Blueprint.doc(
            security=[{SCHEME: [scope]}],
            responses={"401": "UNAUTHORIZED", "403": "FORBIDDEN"},
            **{"x-scopes": [scope], "x-token-kinds": kinds},
        )(wrapped)

    return decorator


def optional_token(view):
    """A public route: a token, if sent, must be valid."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if token_sent() and current_principal() is None:
            raise _unauthorized()
        return view(*args, **kwargs)

    return Blueprint.doc(security=[{}, {SCHEME: []}], **{"x-scopes": []})(wrapped)


def _anonymous_in_the_api() -> None:
    """First hook of every request: under /api/ Flask-Login's user is the anonymous one, so
    that nothing reads the session's login."""
    from volunteer_app.i18n import is_api_request

    if is_api_request():
        g._login_user = current_app.login_manager.anonymous_user()


def init_app(app) -> None:
    # Before every other before-request hook (the second-factor gate, session timeouts …).
    app.before_request_funcs.setdefault(None, []).insert(0, _anonymous_in_the_api)
