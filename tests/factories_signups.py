"""Factories and checks for the sign-up tests: activities, slots, sign-ups, the invariant."""

from __future__ import annotations

import datetime as dt
import itertools

import peewee as pw
import pytest
from flask import g
from flask_babel import force_locale

from tests.factories import make_activity as _make_activity
from tests.factories import (
    make_centre,
    make_coordinator,
    make_signup,  # noqa: F401 (re-exported)
    make_user,
)
from tests.factories import make_slot as _make_slot
from tests.factories import reload as fresh  # noqa: F401 (re-exported)
from volunteer_app.activities.models import Slot
from volunteer_app.db import db, utcnow
from volunteer_app.notifications.models import OutboxMessage
from volunteer_app.notifications.services import written
from volunteer_app.signups.models import Signup

_seq = itertools.count(1)


def make_activity(centre, **fields):
    """A garden day (a numbered title) of ``centre``."""
    defaults = {"title": f"Gartentag {next(_seq)}", "place": "Garten hinter dem Haus"}
    return _make_activity(centre, category_key="gardening", **{**defaults, **fields})


def make_slot(
    activity=None, *, hours_ahead: float = 72, length: float = 2, capacity: int = 2, **fields
):
    """A scheduled slot ``hours_ahead`` from now (negative: in the past)."""
    start = fields.pop("starts_at", None)
    start = start or (utcnow() + dt.timedelta(hours=hours_ahead)).replace(microsecond=0)
    activity = activity or make_activity(make_centre())
    return _make_slot(activity, starts_at=start, hours=length, capacity=capacity, **fields)


def world(**activity_fields):
    """A centre with contact data, its coordinator, an activity and a volunteer (English)."""
    centre = make_centre(contact_phone="+49 361 555-0101", contact_email="kontakt@zentrum.example")
    coordinator = make_coordinator(centre)
    activity = make_activity(centre, **activity_fields)
    volunteer = make_user(locale="en", name="Vera Volunteer")
    return centre, coordinator, activity, volunteer


# --- Fixtures shared by the service tests (import them into the test module) --------------


@pytest.fixture(autouse=True)
def english_service_messages(app):
    """Service messages are asserted in English (German is the default without a request)."""
    with force_locale("en"):
        yield


@pytest.fixture(autouse=True)
def invariant_after_each_test(request):
    """After every test: 0 <= taken = confirmed <= capacity on every slot."""
    yield
    if "app" in request.fixturenames:
        with db.connection_context():
            assert_invariant()


@pytest.fixture(name="w")
def signup_world(conn):
    """The ``world()`` as attributes: ``centre``, ``coord``, ``act``, ``vol``."""
    centre, coordinator, activity, volunteer = world()
    return type("W", (), dict(centre=centre, coord=coordinator, act=activity, vol=volunteer))


def status_of(slot, volunteer) -> str | None:
    row = Signup.get_or_none((Signup.slot == slot.id) & (Signup.volunteer == volunteer.id))
    return row.status if row else None


def mails_to(user) -> list[OutboxMessage]:
    """The user's mails as they go out: one that the sending job writes (a sign-up's own,
    ``queue_later``) is written here as the job would, without storing it."""
    rows = list(
        OutboxMessage.select()
        .where(OutboxMessage.recipient == user.email)
        .order_by(OutboxMessage.id)
    )
    for row in rows:
        if row.template:
            row.subject, row.body_text, row.body_html = written(row)
    return rows


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
