"""Factories of the erasure tests: a person who left traces everywhere, and a database dump.

``rich_world()`` builds a centre with two coordinators and a volunteer, Zorabella
Zwetschgenbaum, who appears in as many tables as the app has: sign-ups (future, waitlisted,
pending, attended, no-show), checks, profile, consents, links, second factor, feed links and
a rendered staff feed, a matching proposal, a signed certificate of volunteering, audit
entries (one whose text names her), mail to her and mail to others that mentions her, an
invitation to her address and a family's wish with her address.

``texts_in_database()`` reads every column of every table with plain SQL (not through the
models, so that a table nobody thought of is read too).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

from tests.factories import (
    PASSWORD,
    builtin,
    make_activity,
    make_centre,
    make_coordinator,
    make_operator,
    make_signup,
    make_slot,
    make_user,
)
from tests.factories_accounts import TOTP_SECRET
from tests.factories_centres import make_invitation
from volunteer_app.accounts.models import Consent, LoginToken, RecoveryCode, User
from volunteer_app.accounts.twofactor import hash_recovery_code
from volunteer_app.audit import services as audit
from volunteer_app.centres.queries import today
from volunteer_app.checks.models import CertificateCheck, MeaslesProof
from volunteer_app.common.security import new_token
from volunteer_app.db import db, utcnow
from volunteer_app.feeds.models import FeedCache, FeedToken
from volunteer_app.notifications.models import DigestSent, OutboxMessage
from volunteer_app.notifications.services import queue_mail
from volunteer_app.proposals.models import MatchRun, Proposal, WeeklySuggestions
from volunteer_app.reports.models import VolunteeringCertificate
from volunteer_app.signups import services as signups
from volunteer_app.volunteers.models import (
    AvailabilityWindow,
    Interest,
    ReachableCentre,
    VolunteerProfile,
)
from volunteer_app.wishes.models import Wish

NAME = "Zorabella Zwetschgenbaum"
EMAIL = "zorabella.zwetschgenbaum@example.org"
PHONE = "+49 361 5550199"


def days_ago(n: float) -> dt.datetime:
    return utcnow().replace(microsecond=0) - dt.timedelta(days=n)


def past_slot(activity, days: float, hours: float = 2):
    """A slot that started ``days`` days ago."""
    return make_slot(activity, starts_at=days_ago(days), hours=hours, capacity=3)


def future_slot(activity, days: float, capacity: int = 1):
    return make_slot(activity, starts_at=days_ago(-days), capacity=capacity)


def rich_world(**person_fields):
    """The world described in the module's docstring; returns its objects."""
    operator = make_operator(name="Träger Pflaume")
    centre = make_centre(name="Zentrum Obstwiese", slug="obstwiese", operator=operator)
    coordinator = make_coordinator(centre, name="Clara Koordinatorin", email="clara@example.org")
    colleague = make_coordinator(centre, name="Karl Kollege", email="karl@example.org")
    fields = {"name": NAME, "email": EMAIL, "phone": PHONE, "locale": "de"}
    fields.update(person_fields)
    person = make_user(**fields)
    other = make_user(name="Otto Anders", email="otto@example.org")
    third = make_user(name="Tina Dritte", email="tina@example.org")

    reading = make_activity(centre, "reading", title="Vorlesestunde", responsible=coordinator)
    garden = make_activity(centre, "gardening", title="Gartentag")
    approval = make_activity(centre, "baking", title="Backen", signup_mode="approval")

    # The future: a confirmed seat with Otto waiting behind her, a waitlist place, a request.
    full = future_slot(reading, 5)
    signups.sign_up(full.id, actor=person)
    signups.sign_up(full.id, actor=other)  # waitlisted behind her
    busy = future_slot(garden, 6)
    signups.sign_up(busy.id, actor=third)
    signups.sign_up(busy.id, actor=person)  # she waits behind Tina
    asked = future_slot(approval, 7, capacity=2)
    signups.sign_up(asked.id, actor=person)  # pending approval

    # The past: attended hours in two categories (recorded by the coordinator), a no-show.
    past_reading = past_slot(reading, 40)
    past_garden = past_slot(garden, 10, hours=3)
    missed = past_slot(reading, 20)
    for slot, hours in ((past_reading, 2), (past_garden, 3)):
        signup = make_signup(slot, person)
        signups.record_attendance(signup.id, "attended", hours, actor=coordinator)
    other_past = make_signup(past_reading, other)
    signups.record_attendance(other_past.id, "attended", "1.5", actor=coordinator)
    no_show = make_signup(missed, person)
    signups.record_attendance(no_show.id, "no_show", None, actor=coordinator)
    audit.record(centre.id, coordinator, "check.measles", subject=person, detail=f"asked {NAME}")

    # Account, profile, checks, links, matching, certificate, mail, invitation, wish.
    User.update(totp_secret=TOTP_SECRET, totp_enabled_at=utcnow()).where(
        User.id == person.id
    ).execute()
    RecoveryCode.create(user=person, code_hash=hash_recovery_code("aaaa-bbbb-cccc"))
    Consent.create(user=person, kind="privacy", version="2026-11")
    _token, token_hash = new_token()
    LoginToken.create(
        user=person,
        purpose="email_change",
        token_hash=token_hash,
        new_email="zorabella.neu@example.org",
        expires_at=days_ago(-1),
    )
    VolunteerProfile.create(user=person)
    Interest.create(user=person, category=builtin("reading"))
    AvailabilityWindow.create(user=person, weekday=1, start_time=dt.time(14), end_time=dt.time(18))
    ReachableCentre.create(user=person, centre=centre)
    CertificateCheck.create(
        volunteer=person,
        centre=centre,
        certificate_date=today() - dt.timedelta(days=30),
        inspected_on=today() - dt.timedelta(days=20),
        inspected_by=coordinator,
        eligible=True,
    )
    MeaslesProof.create(
        volunteer=person, centre=centre, shown_on=today(), proof_ok=True, recorded_by=coordinator
    )
    FeedToken.create(
        user=person, kind="volunteer", seed="s" * 64, token_hash=new_token()[1], alarm_minutes=60
    )
    FeedCache.create(
        key=f"staff:{centre.id}",
        revision="r1",
        etag="e1",
        body=f"SUMMARY:Vorlesestunde (Zorabella)\nATTENDEE:{NAME}".encode(),
        last_modified=utcnow(),
        rendered_at=utcnow(),
    )
    run = MatchRun.create(
        centre=centre, period_from=today(), period_to=today() + dt.timedelta(days=14)
    )
    Proposal.create(run=run, slot=asked, volunteer=person, status="invited", invited_by=coordinator)
    WeeklySuggestions.create(user=person)
    VolunteeringCertificate.create(
        volunteer=person,
        centre=centre,
        period_start=today() - dt.timedelta(days=60),
        period_end=today() - dt.timedelta(days=1),
        status="signed",
        signed_by=coordinator,
        signed_by_name=coordinator.name,
        signed_on=today(),
        total_hours=Decimal("5.00"),
        dates_count=2,
        details='[{"category": "Vorlesen", "activities": ["Vorlesestunde"], "dates": 1}]',
    )
    DigestSent.create(user=coordinator, day=today())
    queue_mail(
        coordinator.email,
        "match_answered",
        locale="de",
        volunteer=person,
        user=coordinator,
        accepted=True,
        slot=full,
        activity=reading,
        centre=centre,
        link="http://localhost/",
    )
    OutboxMessage.create(
        recipient=colleague.email,
        subject=f"Telefon von {NAME}",
        body_text=f"Bitte rufen Sie {NAME} an: {PHONE}, {EMAIL}.",
        body_html=f"<p>Bitte rufen Sie {NAME} an: {PHONE}, {EMAIL}.</p>",
        status="sent",
    )
    make_invitation(centre, EMAIL, name=NAME, accepted_at=utcnow())
    Wish.create(centre=centre, title="Nähcafé", email=EMAIL, email_consent_at=utcnow())
    return SimpleNamespace(
        operator=operator,
        centre=centre,
        coordinator=coordinator,
        colleague=colleague,
        person=User.get_by_id(person.id),
        other=other,
        third=third,
        full=full,
        busy=busy,
        asked=asked,
        reading=reading,
        garden=garden,
        password=PASSWORD,
    )


# --- Reading everything ----------------------------------------------------------------------


def texts_in_database() -> list[tuple[str, str, str]]:
    """(table, column, value) of every text or binary value in every table of the database."""
    found = []
    for table in db.get_tables():
        cursor = db.execute_sql(f'SELECT * FROM "{table}"')  # noqa: S608 (names from the database)
        columns = [c[0] for c in cursor.description]
        for row in cursor.fetchall():
            for column, value in zip(columns, row, strict=True):
                if isinstance(value, memoryview):
                    value = value.tobytes()
                if isinstance(value, bytes):
                    value = value.decode("utf-8", "replace")
                if isinstance(value, str):
                    found.append((table, column, value))
    return found


def traces_of(*needles: str) -> list[tuple[str, str, str]]:
    """Every stored value that contains one of ``needles`` (any case)."""
    lowered = [n.lower() for n in needles]
    return [
        (table, column, value[:120])
        for table, column, value in texts_in_database()
        if any(n in value.lower() for n in lowered)
    ]


def person_needles() -> tuple[str, ...]:
    """Her full name, each part of it, her e-mail address (and its local part), her phone."""
    return (NAME, *NAME.split(), EMAIL, EMAIL.split("@")[0], PHONE)
