"""Factories and checks for the sign-up tests: activities, slots, sign-ups, the invariant."""

from __future__ import annotations

import datetime as dt
import itertools

import peewee as pw
from flask import g

from tests.factories import make_centre, make_coordinator, make_user
from volunteer_app.activities.models import Activity, Category, Slot
from volunteer_app.checks.models import CertificateCheck
from volunteer_app.db import utcnow
from volunteer_app.notifications.models import OutboxMessage
from volunteer_app.signups.models import Signup

_seq = itertools.count(1)


def builtin_category(key: str = "gardening") -> Category:
    # Migration 0004 seeds the built-ins, but conftest's TRUNCATE … CASCADE on PostgreSQL
    # also empties ``category`` (it references ``centre``): recreate when missing.
    category, _ = Category.get_or_create(key=key, defaults={"name": key.title()})
    return category


def make_activity(centre, **fields) -> Activity:
    data = {
        "centre": centre,
        "title": f"Gartentag {next(_seq)}",
        "category": builtin_category(),
        "place": "Garten hinter dem Haus",
        "volunteers_needed": 2,
    }
    data.update(fields)
    return Activity.create(**data)


def make_slot(
    activity=None, *, hours_ahead: float = 72, length: float = 2, capacity: int = 2, **fields
) -> Slot:
    """A scheduled slot ``hours_ahead`` from now (negative: in the past)."""
    if activity is None:
        activity = make_activity(make_centre())
    start = (utcnow() + dt.timedelta(hours=hours_ahead)).replace(microsecond=0)
    data = {
        "activity": activity,
        "starts_at": start,
        "ends_at": start + dt.timedelta(hours=length),
        "capacity": capacity,
    }
    data.update(fields)
    return Slot.create(**data)


def make_signup(slot, volunteer, status: str = "confirmed", **fields) -> Signup:
    """A sign-up row written directly (``taken`` is kept right for confirmed ones)."""
    signup = Signup.create(slot=slot, volunteer=volunteer, status=status, **fields)
    if status == "confirmed":
        Slot.update(taken=Slot.taken + 1).where(Slot.id == slot.id).execute()
    return signup


def make_certificate(volunteer, centre, inspected_days_ago: int = 10, eligible=True):
    today = dt.date.today()
    return CertificateCheck.create(
        volunteer=volunteer,
        centre=centre,
        certificate_date=today - dt.timedelta(days=inspected_days_ago + 20),
        inspected_on=today - dt.timedelta(days=inspected_days_ago),
        eligible=eligible,
    )


def world(**activity_fields):
    """A centre with contact data, its coordinator, an activity and a volunteer (English)."""
    centre = make_centre(contact_phone="+49 361 555-0101", contact_email="kontakt@zentrum.example")
    coordinator = make_coordinator(centre)
    activity = make_activity(centre, **activity_fields)
    volunteer = make_user(locale="en", name="Vera Volunteer")
    return centre, coordinator, activity, volunteer


def fresh(model_instance):
    return type(model_instance).get_by_id(model_instance.id)


def status_of(slot, volunteer) -> str | None:
    row = Signup.get_or_none((Signup.slot == slot.id) & (Signup.volunteer == volunteer.id))
    return row.status if row else None


def mails_to(user) -> list[OutboxMessage]:
    return list(
        OutboxMessage.select()
        .where(OutboxMessage.recipient == user.email)
        .order_by(OutboxMessage.id)
    )


def assert_invariant() -> None:
    """For every slot: 0 <= taken = confirmed sign-ups <= capacity (one query)."""
    confirmed = (
        Signup.select(pw.fn.COUNT(Signup.id))
        .where((Signup.slot == Slot.id) & (Signup.status == "confirmed"))
        .alias("confirmed")
    )
    bad = [
        (s.id, s.taken, s.confirmed, s.capacity)
        for s in Slot.select(Slot.id, Slot.taken, Slot.capacity, confirmed)
        if not (0 <= s.taken == s.confirmed <= s.capacity)
    ]
    assert not bad, f"(slot, taken, confirmed, capacity) broken: {bad}"


def assert_no_overlaps() -> None:
    """No volunteer has two active sign-ups on scheduled slots that overlap in time."""
    a, b = Signup.alias(), Signup.alias()
    sa, sb = Slot.alias(), Slot.alias()
    active = ("confirmed", "pending", "waitlisted")
    clashes = (
        a.select(a.id, b.id)
        .join(sa, on=(a.slot == sa.id))
        .join(b, on=((b.volunteer == a.volunteer) & (b.id > a.id)))
        .join(sb, on=(b.slot == sb.id))
        .where(
            a.status.in_(active)
            & b.status.in_(active)
            & (sa.status == "scheduled")
            & (sb.status == "scheduled")
            & (sa.starts_at < sb.ends_at)
            & (sb.starts_at < sa.ends_at)
        )
        .tuples()
    )
    assert not list(clashes)


def as_user(login_as, user):
    """Log ``user`` in on the test client, forgetting whoever was logged in before."""
    client = login_as(user)
    g.pop("_login_user", None)
    with client.session_transaction() as sess:
        sess["lang"] = "en"
    return client


# --- For the authorization matrix (tests/test_authz_matrix.py) ------------------------------


def authz_slot_a(world) -> dict:
    """Centre A's upcoming slot of the matrix's world (made by the activities helpers)."""
    from tests.factories_activities import authz_planning

    return {"slot_id": authz_planning(world).slot.id}


def authz_signed_up(client, world) -> None:
    """``prepare`` of the cancel route: whoever is logged in has signed up for the slot."""
    from volunteer_app.accounts.models import User
    from volunteer_app.signups import services

    with client.session_transaction() as sess:
        user_id = sess.get("_user_id")
    if user_id:
        user = User.get_by_id(int(user_id.split(":", 1)[0]))
        services.sign_up(authz_slot_a(world)["slot_id"], actor=user)
