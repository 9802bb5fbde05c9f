"""What a token may do: the scopes, in words, and which kind of token may hold each.

A scope is granted when the token is made and checked on every API request
(``auth.Principal.has``). Staff scopes on a personal token need a coordinator or an
administrator, and they stop working by themselves when the person loses that role: the
effective scopes are worked out again on every request (``effective_scopes``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

KINDS = ("service", "personal")


@dataclass(frozen=True)
class Scope:
    name: str
    description: object  # a lazily translated string
    service: bool  # a service token may hold it
    personal: bool  # a personal token may hold it
    staff_only: bool  # on a personal token: only for coordinators and administrators


SCOPES: dict[str, Scope] = {
    s.name: s
    for s in (
        Scope(
            "programme:read",
            _l("Read the public programme (with its own rate limit)"),
            service=True,
            personal=True,
            staff_only=False,
        ),
        Scope(
            "staffing:read",
            _l("Read activities and dates with how many helpers they have"),
            service=True,
            personal=True,
            staff_only=True,
        ),
        Scope(
            "assignments:write",
            _l("Assign volunteers to dates and take them off"),
            service=True,
            personal=True,
            staff_only=True,
        ),
        Scope(
            "profile:read",
            _l("Read your own profile, sign-ups and hours"),
            service=False,
            personal=True,
            staff_only=False,
        ),
        Scope(
            "signups:write",
            _l("Sign yourself up for dates and cancel"),
            service=False,
            personal=True,
            staff_only=False,
        ),
    )
}

_SPLIT = re.compile(r"[\s,]+")


def parse(text: str) -> list[str]:
    """Scope names from stored or typed text (space- or comma-separated), in SCOPES order,
    without duplicates; unknown names are kept so that ``allowed_scopes`` can refuse them."""
    names = {part for part in _SPLIT.split(text or "") if part}
    known = [name for name in SCOPES if name in names]
    return known + sorted(names - set(SCOPES))


def join(names) -> str:
    """The stored form: known names in SCOPES order, separated by one space."""
    return " ".join(name for name in SCOPES if name in set(names))


def allowed_scopes(kind: str, role: str | None) -> list[str]:
    """The scopes a token of this kind may hold; ``role`` is the owner's (personal tokens)."""
    if kind == "service":
        return [s.name for s in SCOPES.values() if s.service]
    staff = role in ("coordinator", "admin")
    return [s.name for s in SCOPES.values() if s.personal and (staff or not s.staff_only)]


def effective_scopes(kind: str, stored: str, role: str | None) -> frozenset[str]:
    """What a stored token may do now: its scopes that its kind (and owner's role) allows."""
    return frozenset(parse(stored)) & frozenset(allowed_scopes(kind, role))


def describe(names) -> list[str]:
    """The scopes in words, in SCOPES order (for lists and the data download)."""
    return [str(SCOPES[name].description) for name in SCOPES if name in set(names)]
