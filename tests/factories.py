"""Small factories: the fewest fields a valid row needs, overridable by keyword."""

from __future__ import annotations

import datetime as dt
import itertools
import secrets

from flask import current_app

from volunteer_app.accounts.models import Consent, User
from volunteer_app.accounts.passwords import hash_password
from volunteer_app.activities.models import Activity, Category, Slot
from volunteer_app.centres.models import Centre, CentreMembership, Operator
from volunteer_app.centres.queries import today
from volunteer_app.checks.models import CertificateCheck
from volunteer_app.db import utcnow
from volunteer_app.signups.models import Signup

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


def make_user(
    role: str = "volunteer", password: str = PASSWORD, privacy_consent: bool = True, **fields
) -> User:
    """A confirmed account; like every account the app makes, with a consent to the privacy
    notice in force (else signing in asks for it first), unless ``privacy_consent=False``."""
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
    user = User.create(**data)
    if privacy_consent:
        version = current_app.config["PRIVACY_NOTICE_VERSION"]
        Consent.create(user=user, kind="privacy", version=version, given_at=user.created_at)
    return user


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


# --- Planning: categories, activities, slots, sign-ups, certificate checks -------------------
# Feature modules (``tests/factories_<feature>.py``) import these; where a feature's tests
# describe a slot differently (a Berlin day, a day offset, hours from now) they keep a thin
# wrapper that ends up here. The five built-in categories (migration 0004) exist in every test.


def builtin(key: str = "reading") -> Category:
    """One of the built-in categories: gardening, reading, hiking, baking, cooking."""
    return Category.get(Category.key == key)


def make_category(centre, name: str = "Handwerk", **fields) -> Category:
    """A category of the centre's own."""
    return Category.create(**{"centre": centre, "name": name, **fields})


def make_activity(centre=None, category_key: str = "reading", **fields) -> Activity:
    """An activity (of a new centre unless given), a built-in category by key unless
    ``category=`` is given."""
    data = {
        "centre": centre or make_centre(),
        "title": "Vorlesestunde",
        "category": fields.pop("category", None) or builtin(category_key),
        "place": "Leseecke im Erdgeschoss",
        "volunteers_needed": 2,
    }
    data.update(fields)
    return Activity.create(**data)


def make_slot(activity=None, starts_at=None, hours: float = 2, capacity=None, **fields) -> Slot:
    """A scheduled slot of ``hours`` (default: three days from now; ``ends_at=`` overrides
    ``hours``), with as many places as the activity needs unless ``capacity`` is given."""
    activity = activity or make_activity()
    starts_at = starts_at or utcnow().replace(microsecond=0) + dt.timedelta(days=3)
    data = {
        "activity": activity,
        "starts_at": starts_at,
        "ends_at": starts_at + dt.timedelta(hours=hours),
        "capacity": activity.volunteers_needed if capacity is None else capacity,
    }
    data.update(fields)
    return Slot.create(**data)


def make_signup(slot, volunteer=None, status: str = "confirmed", **fields) -> Signup:
    """A sign-up row written directly; a confirmed one also takes a seat (``slot.taken`` + 1),
    as the services do."""
    volunteer = volunteer or make_user()
    signup = Signup.create(slot=slot, volunteer=volunteer, status=status, **fields)
    if status == "confirmed":
        Slot.update(taken=Slot.taken + 1).where(Slot.id == slot.id).execute()
    return signup


def make_check(volunteer, centre, inspected_days_ago: int = 10, eligible: bool = True, **fields):
    """A certificate check, inspected ``inspected_days_ago`` days ago (Berlin date)."""
    inspected = today() - dt.timedelta(days=inspected_days_ago)
    data = {
        "volunteer": volunteer,
        "centre": centre,
        "certificate_date": inspected - dt.timedelta(days=14),
        "inspected_on": inspected,
        "eligible": eligible,
    }
    data.update(fields)
    return CertificateCheck.create(**data)


def reload(row):
    """The row as the database has it now."""
    return type(row).get_by_id(row.id)
