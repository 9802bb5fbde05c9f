"""Helpers for the volunteer profile, reminder and digest tests: activities, slots, sign-ups."""

from __future__ import annotations

import datetime as dt

from tests.factories import make_centre, make_user
from volunteer_app.activities.models import Activity, Category, Slot
from volunteer_app.db import utcnow
from volunteer_app.signups.models import Signup
from volunteer_app.volunteers.models import VolunteerProfile

BUILTINS = (
    ("gardening", "Gärtnern"),
    ("reading", "Vorlesen"),
    ("hiking", "Wandern"),
    ("baking", "Backen"),
    ("cooking", "Kochen"),
)


def ensure_builtins() -> None:
    """The built-in categories migration 0004 seeds.

    On PostgreSQL the conftest's ``TRUNCATE centre … CASCADE`` also empties ``category``
    (it references ``centre``), so they are put back here, in their seeded order.
    """
    if Category.select().where(Category.key.is_null(False)).count() == len(BUILTINS):
        return
    for key, name in BUILTINS:
        Category.get_or_create(key=key, defaults={"name": name})


def builtin(key: str = "reading") -> Category:
    ensure_builtins()
    return Category.get(Category.key == key)


def make_category(centre, name: str = "Handwerk") -> Category:
    return Category.create(name=name, centre=centre)


def make_activity(centre=None, **fields) -> Activity:
    data = {
        "centre": centre or make_centre(),
        "title": "Vorlesestunde",
        "category": builtin("reading"),
        "place": "Leseecke im Erdgeschoss",
    }
    data.update(fields)
    return Activity.create(**data)


def make_slot(activity=None, starts_at=None, hours: float = 2, capacity: int = 2, **fields) -> Slot:
    starts_at = starts_at or utcnow().replace(microsecond=0) + dt.timedelta(days=3)
    data = {
        "activity": activity or make_activity(),
        "starts_at": starts_at,
        "ends_at": starts_at + dt.timedelta(hours=hours),
        "capacity": capacity,
    }
    data.update(fields)
    return Slot.create(**data)


def make_signup(slot, volunteer=None, status: str = "confirmed", **fields) -> Signup:
    """A sign-up; a confirmed one also takes a seat (``taken`` + 1), as the service would."""
    volunteer = volunteer or make_user()
    signup = Signup.create(slot=slot, volunteer=volunteer, status=status, **fields)
    if status == "confirmed":
        Slot.update(taken=Slot.taken + 1).where(Slot.id == slot.id).execute()
    return signup


def set_reminder(user, hours: int) -> VolunteerProfile:
    profile, _ = VolunteerProfile.get_or_create(user=user)
    profile.reminder_hours = hours
    profile.save()
    return profile
