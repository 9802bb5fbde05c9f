"""Factories for the coordinator desk tests: activities, slots, sign-ups, checks, audit rows."""

from __future__ import annotations

import datetime as dt
import itertools
import secrets

from tests.factories import PASSWORD, _password_hash, make_check, make_signup, make_user
from tests.factories import make_activity as _make_activity
from tests.factories import make_slot as _make_slot
from volunteer_app.accounts.models import User
from volunteer_app.activities.models import Activity, Slot
from volunteer_app.centres.queries import today
from volunteer_app.checks.models import CertificateCheck, MeaslesProof
from volunteer_app.common.time import berlin_to_utc
from volunteer_app.db import utcnow
from volunteer_app.signups.models import Signup
from volunteer_app.volunteers.models import ReachableCentre

_seq = itertools.count(1)


def make_activity(centre, **fields) -> Activity:
    """An activity with a numbered title ("Angebot 7") and no place."""
    return _make_activity(centre, **{"title": f"Angebot {next(_seq)}", "place": "", **fields})


def berlin(day_offset: int, hour: int = 15, minute: int = 0) -> dt.datetime:
    """Naive UTC of a Berlin wall-clock time ``day_offset`` days from today."""
    day = today() + dt.timedelta(days=day_offset)
    return berlin_to_utc(dt.datetime.combine(day, dt.time(hour, minute)))


def make_slot(activity, day_offset: int = 3, hour: int = 15, hours: int = 2, **fields) -> Slot:
    """A slot at ``hour`` o'clock Berlin time, ``day_offset`` days from today."""
    start = fields.pop("starts_at", None) or berlin(day_offset, hour)
    return _make_slot(activity, starts_at=start, hours=hours, **fields)


def many_volunteers(n: int, prefix: str = "Viele") -> list[int]:
    """``n`` volunteers inserted at once; returns their ids."""
    start = User.select().count()
    rows = [
        {
            "email": f"{prefix.lower()}{start + i}-{secrets.token_hex(3)}@example.org",
            "name": f"{prefix} {i:04d}",
            "password_hash": _password_hash(PASSWORD),
            "role": "volunteer",
            "session_token": secrets.token_hex(16),
            "email_confirmed_at": utcnow(),
            "phone": f"+49 361 {i:05d}",
        }
        for i in range(n)
    ]
    User.insert_many(rows).execute()
    emails = [r["email"] for r in rows]
    return [u.id for u in User.select(User.id).where(User.email.in_(emails))]


def many_signups(slot, n: int) -> None:
    """``n`` confirmed sign-ups (capacity raised to fit) with certificate and measles rows."""
    ids = many_volunteers(n)
    Slot.update(capacity=n, taken=n).where(Slot.id == slot.id).execute()
    Signup.insert_many(
        [{"slot": slot.id, "volunteer": i, "status": "confirmed"} for i in ids]
    ).execute()
    centre = slot.activity.centre_id
    CertificateCheck.insert_many(
        [
            {
                "volunteer": i,
                "centre": centre,
                "certificate_date": today() - dt.timedelta(days=20),
                "inspected_on": today() - dt.timedelta(days=10),
                "eligible": True,
            }
            for i in ids[::2]
        ]
    ).execute()
    MeaslesProof.insert_many(
        [
            {"volunteer": i, "centre": centre, "shown_on": today(), "proof_ok": True}
            for i in ids[::3]
        ]
    ).execute()


def many_slots(activity, n: int, days: int = 14) -> None:
    """``n`` slots spread over the next ``days`` days."""
    rows = []
    for i in range(n):
        start = berlin(i % days, 8 + (i // days) % 12, (i * 7) % 60)
        rows.append(
            {
                "activity": activity.id,
                "starts_at": start,
                "ends_at": start + dt.timedelta(hours=1),
                "capacity": 3,
                "taken": i % 4 if i % 4 < 4 else 3,
            }
        )
    for row in rows:
        row["taken"] = min(row["taken"], row["capacity"])
    Slot.insert_many(rows).execute()


class World:
    """Two centres; centre A has a child-facing slot with people in every state."""

    def __init__(self):
        from tests.factories import make_centre, make_coordinator

        self.a = make_centre(name="Zentrum A", slug="zentrum-a", town="Erfurt")
        self.b = make_centre(name="Zentrum B", slug="zentrum-b", town="Weimar")
        self.coordinator_a = make_coordinator(self.a, name="Clara Auerbach")
        self.coordinator_b = make_coordinator(self.b, name="Bodo Birkner")
        self.admin = make_user(role="admin", name="Ada Admin")
        self.volunteer = make_user(name="Vera Vogel", phone="+49 361 555")
        self.pending = make_user(name="Paul Pause")
        self.waiting = make_user(name="Wanda Warte")
        self.activity = make_activity(
            self.a, title="Vorlesestunde", is_child_facing=True, volunteers_needed=2
        )
        self.slot = make_slot(self.activity, 3)
        self.confirmed_signup = make_signup(self.slot, self.volunteer)
        self.pending_signup = make_signup(self.slot, self.pending, status="pending")
        self.waiting_signup = make_signup(self.slot, self.waiting, status="waitlisted")
        self.past_slot = make_slot(self.activity, -2)
        self.past_signup = make_signup(self.past_slot, self.volunteer)
        self.check = make_check(self.volunteer, self.a)
        self.activity_b = make_activity(self.b, title="Gartentag B")
        self.slot_b = make_slot(self.activity_b, 4)

    def user(self, role):
        return None if role == "anonymous" else getattr(self, role)


# --- For the authorization matrix (tests/test_authz_matrix.py) --------------------------------


def authz_desk(world):
    """Centre A's roster in the matrix's world, made on first use: an upcoming slot
    (2 places) with the world's volunteer confirmed, one person pending and one on the
    waiting list; a past slot the volunteer was confirmed for; a volunteer to assign (who
    chose centre A)."""
    found = getattr(world, "_desk", None)
    if found is None:
        from types import SimpleNamespace

        activity = make_activity(world.centre_a, title="Lesestunde A", volunteers_needed=2)
        slot = make_slot(activity, 4)
        confirmed = make_signup(slot, world.volunteer)
        pending = make_signup(slot, make_user(name="Paula Pending"), status="pending")
        waiting = make_signup(slot, make_user(name="Walter Warteliste"), status="waitlisted")
        past = make_slot(activity, -3)
        past_signup = make_signup(past, world.volunteer)
        found = SimpleNamespace(
            slot=slot,
            confirmed=confirmed,
            pending=pending,
            waiting=waiting,
            past=past,
            past_signup=past_signup,
            newcomer=make_user(name="Nico Neu"),
        )
        # The newcomer chose centre A (never signed up): A's staff may see and assign them.
        ReachableCentre.create(user=found.newcomer, centre=world.centre_a)
        world._desk = found
    return found


def authz_slot(world) -> dict:
    return {"slot_id": authz_desk(world).slot.id}


def authz_signup(name: str, slot: str = "slot"):
    """URL parameters of one of the desk's sign-ups (``pending``, ``waiting``, …)."""

    def params(world) -> dict:
        desk = authz_desk(world)
        return {"slot_id": getattr(desk, slot).id, "signup_id": getattr(desk, name).id}

    return params


def authz_volunteer(world) -> dict:
    authz_desk(world)
    return {"slug": world.centre_a.slug, "user_id": world.volunteer.id}


def authz_centre(world) -> dict:
    authz_desk(world)
    return {"slug": world.centre_a.slug}
