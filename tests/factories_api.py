"""Tokens for API tests, made through ``tokens.services`` like the pages make them.

``token_for(kind, ...)`` makes a token of each kind the API knows; ``bearer(raw)`` is its
header. The later token-kind × scope × endpoint matrix builds on ``TOKEN_KINDS``.
"""

from __future__ import annotations

from tests.factories import make_centre, make_coordinator, make_operator, make_user
from volunteer_app.tokens import services as token_services
from volunteer_app.tokens.scopes import SCOPES, allowed_scopes

ALL_SCOPES = tuple(SCOPES)
PERSONAL_VOLUNTEER_SCOPES = ("programme:read", "profile:read", "signups:write")

#: kind → (what it is, how to make one: ``make(scopes, centre) -> (token, raw, user)``)
TOKEN_KINDS = (
    "personal_volunteer",
    "personal_coordinator",
    "personal_admin",
    "service_centre",
    "service_operator",
)


def bearer(raw: str) -> dict:
    return {"Authorization": f"Bearer {raw}"}


def personal_token(user, scopes=None, name: str = "Test"):
    """A personal token of ``user`` with ``scopes`` (default: all its role may hold)."""
    scopes = scopes or allowed_scopes("personal", user.role)
    token, raw = token_services.create_personal_token(name, list(scopes), actor=user)
    return token, raw


def service_token(centre=None, operator=None, scopes=None, actor=None, name: str = "Programm"):
    """A service token of ``centre`` (made by one of its coordinators unless ``actor``) or of
    ``operator`` (made by an admin unless ``actor``)."""
    scopes = scopes or allowed_scopes("service", None)
    if actor is None:
        actor = make_coordinator(centre) if centre is not None else make_user(role="admin")
    token, raw = token_services.create_service_token(
        name, list(scopes), centre=centre, operator=operator, actor=actor
    )
    return token, raw


def token_for(kind: str, centre=None, scopes=None):
    """(raw token, its person) of a token of ``kind`` for ``centre`` (made if missing)."""
    if kind == "personal_volunteer":
        user = make_user()
        return personal_token(user, scopes)[1], user
    if kind == "personal_coordinator":
        user = make_coordinator(centre or make_centre())
        return personal_token(user, scopes)[1], user
    if kind == "personal_admin":
        user = make_user(role="admin")
        return personal_token(user, scopes)[1], user
    if kind == "service_centre":
        centre = centre or make_centre()
        actor = make_coordinator(centre)
        return service_token(centre=centre, scopes=scopes, actor=actor)[1], actor
    if kind == "service_operator":
        if centre is not None and centre.operator_id:
            from volunteer_app.centres.models import Operator

            operator = Operator.get_by_id(centre.operator_id)
        else:
            operator = make_operator()
        actor = make_user(role="admin")
        return service_token(operator=operator, scopes=scopes, actor=actor)[1], actor
    raise ValueError(kind)
