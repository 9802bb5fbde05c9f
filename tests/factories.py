"""Small factories: the fewest fields a valid row needs, overridable by keyword."""

from __future__ import annotations

import itertools
import secrets

from volunteer_app.accounts.models import User
from volunteer_app.accounts.passwords import hash_password
from volunteer_app.centres.models import Centre, CentreMembership, Operator
from volunteer_app.db import utcnow

PASSWORD = "correct horse battery staple"
_seq = itertools.count(1)
_HASH = None


def _password_hash(password: str) -> str:
    global _HASH
    if password != PASSWORD:
        return hash_password(password)
    if _HASH is None:
        _HASH = hash_password(PASSWORD)
    return _HASH


def make_user(role: str = "volunteer", password: str = PASSWORD, **fields) -> User:
    n = next(_seq)
    data = {
        "email": f"person{n}@example.org",
        "name": f"Person {n}",
        "password_hash": _password_hash(password),
        "role": role,
        "session_token": secrets.token_hex(16),
        "email_confirmed_at": utcnow(),
    }
    data.update(fields)
    return User.create(**data)


def make_operator(**fields) -> Operator:
    n = next(_seq)
    return Operator.create(**{"name": f"Träger {n}", **fields})


def make_centre(**fields) -> Centre:
    n = next(_seq)
    data = {"name": f"ThEKiZ Nummer {n}", "slug": f"thekiz-{n}", "town": "Erfurt"}
    data.update(fields)
    return Centre.create(**data)


def make_coordinator(*centres: Centre, **fields) -> User:
    user = make_user(role="coordinator", **fields)
    for centre in centres:
        CentreMembership.create(user=user, centre=centre)
    return user
