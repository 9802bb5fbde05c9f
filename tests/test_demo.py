"""The demo network: exactly what the README lists, and idempotent.

Seeding the demo costs about a second. The tests that only look at what one seed on an empty
database leaves (and those that seed again on top of it) take the fixture ``seeded``: the
first such test of a module and backend in a worker seeds, and the others get that database
as it was right after seeding: on SQLite a copy of the file, on PostgreSQL the same rows and
sequence positions put back by one script (``tests/pg_state.py``). The demo depends on the
date only ("the same date gives the same demo"), so the kept database serves the day it was
seeded on; on another day the next test seeds again. The tests about seeding itself on an
empty or foreign database (the CLI, existing data) still seed in the test.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
from decimal import Decimal

import pytest

from tests import pg_state
from tests.factories_signups import assert_invariant, assert_no_overlaps
from volunteer_app import demo, demo_data
from volunteer_app.accounts.models import Consent, User
from volunteer_app.accounts.passwords import verify_password
from volunteer_app.activities import recurrence
from volunteer_app.activities.models import Activity, Category, Series, Slot
from volunteer_app.audit.models import AuditEntry
from volunteer_app.centres.models import Centre, CentreMembership, ClosingDay, Operator
from volunteer_app.centres.queries import today
from volunteer_app.checks.models import CertificateCheck, MeaslesProof
from volunteer_app.checks.queries import has_valid_certificate
from volunteer_app.db import db, utcnow
from volunteer_app.models import all_models
from volunteer_app.notifications.models import OutboxMessage
from volunteer_app.signups.models import Signup
from volunteer_app.signups.queries import my_hours, my_past
from volunteer_app.volunteers.models import (
    AvailabilityWindow,
    Interest,
    ReachableCentre,
    VolunteerProfile,
)

pytestmark = pytest.mark.usefixtures("conn")


def _counts() -> dict[str, int]:
    return {m.__name__: m.select().count() for m in all_models()}


# --- One seeding per module, backend and day -----------------------------------------------


@dataclasses.dataclass
class _Kept:
    day: dt.date  # the day (Berlin) it was seeded on
    created: bool  # what that first ``seed_demo()`` returned
    sqlite_file: str = ""  # SQLite: the database right after seeding
    pg: pg_state.Saved | None = None  # PostgreSQL: its rows and sequences


_KEPT: dict[str, _Kept] = {}


def _kept(backend: str) -> _Kept | None:
    kept = _KEPT.get(backend)
    return kept if kept is not None and kept.day == today() else None


@pytest.fixture
def database_url(request, backend) -> str:
    """As in tests/conftest.py, but a test taking ``seeded`` on SQLite gets a copy of the
    seeded file when there is one of today's."""
    if backend == "postgres":
        return request.getfixturevalue("pg_database")
    copy = request.getfixturevalue("sqlite_copy")
    kept = _kept("sqlite") if "seeded" in request.fixturenames else None
    request.node.demo_copied = kept is not None
    return copy(kept.sqlite_file if kept else request.getfixturevalue("sqlite_template"))


@pytest.fixture
def seeded(request, backend, conn) -> bool:
    """The database as one ``demo.seed_demo()`` on an empty one leaves it; returns what that
    call returned (seeded here, or kept from the first test of the day that seeded)."""
    if backend == "sqlite" and request.node.demo_copied:
        return _KEPT["sqlite"].created
    kept = _kept(backend)
    if backend == "postgres" and kept is not None:
        pg_state.restore(kept.pg)
        return kept.created
    day = today()
    created = demo.seed_demo()
    kept = _Kept(day, created)
    if backend == "sqlite":
        folder = request.getfixturevalue("tmp_path_factory").mktemp("demo")
        kept.sqlite_file = str(folder / "demo.db")
        target = sqlite3.connect(kept.sqlite_file)
        db.connection().backup(target)
        target.close()
    elif pg_state.can_restore():
        kept.pg = pg_state.save()
    else:  # the restore needs triggers off: each test seeds anew
        return created
    _KEPT[backend] = kept
    return created


def test_seed_creates_the_documented_network(seeded):
    assert seeded is True

    assert sorted(o.name for o in Operator.select()) == [
        "AWO Kreisverband Saalfeld-Rudolstadt",
        "Stadt Erfurt – Jugendamt",
    ]
    centres = {c.slug: c for c in Centre.select()}
    assert set(centres) == {
        "regenbogenhaus-erfurt",
        "saaletal-rudolstadt",
        "dorfkinder-grossschwabhausen",
    }
    erfurt = centres["regenbogenhaus-erfurt"]
    assert (erfurt.name, erfurt.town, erfurt.operator.name) == (
        "ThEKiZ Regenbogenhaus",
        "Erfurt",
        "Stadt Erfurt – Jugendamt",
    )
    assert (centres["saaletal-rudolstadt"].name, centres["saaletal-rudolstadt"].town) == (
        "ThEKiZ Saaletal",
        "Rudolstadt",
    )
    dorf = centres["dorfkinder-grossschwabhausen"]
    assert (dorf.name, dorf.town, dorf.operator.name) == (
        "ThEKiZ Dorfkinder",
        "Großschwabhausen",
        "AWO Kreisverband Saalfeld-Rudolstadt",
    )
    for centre in centres.values():
        assert centre.street and len(centre.postcode) == 5 and centre.postcode.isdigit()
        assert centre.description and centre.contact_phone
        assert centre.contact_email.endswith("@demo.thekiz.example")

    # Christmas closure and a bridge day everywhere.
    for centre in centres.values():
        days = {d.day for d in ClosingDay.select().where(ClosingDay.centre == centre)}
        christmas = {dt.date(2026, 12, 24) + dt.timedelta(days=n) for n in range(8)}
        assert christmas <= days
        assert dt.date(2027, 5, 7) in days  # Friday after Ascension Day


def test_accounts_roles_and_memberships(app, seeded):
    users = {u.email: u for u in User.select()}
    assert len(users) == 28

    admin = users["admin@demo.thekiz.example"]
    assert (admin.name, admin.role) == ("Andrea Admin", "admin")
    katrin = users["koordination.erfurt@demo.thekiz.example"]
    jens = users["koordination.saaletal@demo.thekiz.example"]
    assert (katrin.name, katrin.role) == ("Katrin Vogel", "coordinator")
    assert (jens.name, jens.role) == ("Jens Köhler", "coordinator")

    def centres_of(user):
        return sorted(
            m.centre.slug for m in CentreMembership.select().where(CentreMembership.user == user)
        )

    assert centres_of(katrin) == ["regenbogenhaus-erfurt"]
    assert centres_of(jens) == ["dorfkinder-grossschwabhausen", "saaletal-rudolstadt"]
    assert centres_of(admin) == []

    volunteers = [users[f"ehrenamt{n:02d}@demo.thekiz.example"] for n in range(1, 26)]
    assert all(v.role == "volunteer" for v in volunteers)
    assert len({v.name for v in volunteers}) == 25
    assert all(" " in v.name for v in volunteers)
    assert CentreMembership.select().count() == 3

    for user in users.values():
        assert user.email_confirmed_at is not None
        assert user.is_active
        assert user.totp_secret is None and user.totp_enabled_at is None
        assert len(user.session_token) == 32
        consent = Consent.get(Consent.user == user)
        assert (consent.kind, consent.version) == ("privacy", app.config["PRIVACY_NOTICE_VERSION"])
        assert consent.withdrawn_at is None

    # Hashed once and reused; the documented password opens every account.
    assert len({u.password_hash for u in users.values()}) == 1
    assert verify_password(admin.password_hash, "Ehrenamt-Demo-2026")
    assert not verify_password(admin.password_hash, "ehrenamt-demo-2026")


def _state() -> dict:
    """What a second run must not touch: seats, sign-up states, attendance, mail."""
    return {
        "slots": {s.id: (s.starts_at, s.capacity, s.taken, s.status) for s in Slot.select()},
        "signups": {s.id: (s.status, s.attendance, s.hours, s.queued_at) for s in Signup.select()},
        "mail": {m.id: m.status for m in OutboxMessage.select()},
        "profiles": {p.user_id: p.updated_at for p in VolunteerProfile.select()},
    }


def test_second_run_changes_nothing(seeded):
    assert seeded is True
    before = _counts()
    state = _state()
    hashes = {u.id: (u.password_hash, u.session_token) for u in User.select()}
    assert demo.seed_demo() is False
    assert _counts() == before
    assert _state() == state
    assert {u.id: (u.password_hash, u.session_token) for u in User.select()} == hashes
    assert before["Activity"] == 10 and before["Signup"] > 40


def test_missing_rows_are_restored_and_nothing_else(seeded):
    # ehrenamt07 is the demo's newcomer (a profile, no checks or sign-ups yet), so every
    # row of hers comes back with the account.
    before = _counts()
    User.delete().where(User.email == "ehrenamt07@demo.thekiz.example").execute()
    ClosingDay.delete().where(ClosingDay.day == dt.date(2027, 5, 7)).execute()
    assert demo.seed_demo() is True
    assert _counts() == before
    assert User.get(User.email == "ehrenamt07@demo.thekiz.example").name == "Marie Becker"


def test_seed_keeps_existing_data(app):
    """Running it on a database that already has other centres and people touches none."""
    other = Operator.create(name="Volkssolidarität Jena")
    Centre.create(name="ThEKiZ Lobeda", slug="lobeda-jena", town="Jena", operator=other)
    assert demo.seed_demo() is True
    assert Centre.get(Centre.slug == "lobeda-jena").operator.name == "Volkssolidarität Jena"
    assert Centre.select().count() == 4


def test_cli_seed_demo_twice(app, runner):
    first = runner.invoke(args=["seed", "demo"])
    assert first.exit_code == 0, first.output
    assert "Demo data loaded." in first.output
    before = _counts()
    state = _state()
    second = runner.invoke(args=["seed", "demo"])
    assert second.exit_code == 0, second.output
    assert "already present" in second.output
    assert _counts() == before
    assert _state() == state
    assert before["Slot"] > 50 and before["Signup"] > 40
    assert OutboxMessage.select().where(OutboxMessage.status == "pending").count() == 0


# --- The month ------------------------------------------------------------------------------


def _centre(slug: str) -> Centre:
    return Centre.get(Centre.slug == slug)


def _activity(title: str) -> Activity:
    return Activity.get(Activity.title == title)


def _berlin(value: dt.datetime) -> dt.datetime:
    return recurrence.utc_to_berlin(value)


def test_month_has_every_category_and_real_schedules(seeded):
    activities = list(Activity.select())
    keys = {a.category.key for a in activities}
    assert {"gardening", "reading", "hiking", "baking", "cooking"} <= keys

    # One category of a centre's own, used there.
    erfurt = _centre("regenbogenhaus-erfurt")
    handwerk = Category.get((Category.centre == erfurt.id) & (Category.name == "Handwerk"))
    assert handwerk.key is None
    assert Activity.get(Activity.category == handwerk.id).centre_id == erfurt.id

    for centre in Centre.select():
        mine = [a for a in activities if a.centre_id == centre.id]
        assert len(mine) >= 3, centre.slug
        coordinators = {
            m.user_id for m in CentreMembership.select().where(CentreMembership.centre == centre)
        }
        for activity in mine:
            assert activity.title and activity.description and activity.place and activity.audience
            assert activity.responsible_id in coordinators
            # The activities services created the schedule and its slots.
            assert Series.select().where(Series.activity == activity.id).count() == 1
        # Something to sign up for in the coming month, in every centre.
        soon = utcnow() + dt.timedelta(days=31)
        assert (
            Slot.select()
            .join(Activity)
            .where(
                (Activity.centre == centre.id)
                & (Slot.starts_at > utcnow())
                & (Slot.starts_at < soon)
                & Slot.series.is_null(False)
            )
            .count()
            >= 3
        )

    # The rhythms: weekly, fortnightly, monthly on the n-th weekday, once in December.
    reading = Series.get(Series.activity == _activity("Vorlesestunde").id)
    assert (reading.recurrence, reading.interval, reading.weekday) == ("weekly", 1, 1)
    assert (reading.start_time, reading.end_time) == (dt.time(15, 30), dt.time(16, 30))
    assert reading.start_date > today()
    assert _activity("Vorlesestunde").is_child_facing
    garden = Series.get(Series.activity == _activity("Gartentag").id)
    assert (garden.recurrence, garden.interval, garden.weekday) == ("weekly", 2, 5)
    hike = Series.get(Series.activity == _activity("Familienwanderung").id)
    assert (hike.recurrence, hike.weekday, hike.nth) == ("monthly", 6, 1)
    assert hike.start_date.day <= 7
    cookies = Series.get(Series.activity == _activity("Plätzchenbacken im Advent").id)
    assert cookies.recurrence == "once" and cookies.start_date.month == 12
    assert [a.title for a in activities if a.signup_mode == "approval"] == [
        "Kochtreff für Familien"
    ]

    # Slots of a schedule skip Thuringian holidays and the centres' closing days.
    closed = {(c.centre_id, c.day) for c in ClosingDay.select()}
    for slot in Slot.select(Slot, Activity).join(Activity).where(Slot.series.is_null(False)):
        day = _berlin(slot.starts_at).date()
        assert (slot.activity.centre_id, day) not in closed
        if slot.activity.title != "Plätzchenbacken im Advent":
            assert not recurrence.is_holiday(day)


def test_sign_ups_keep_the_invariants_and_show_every_state(seeded):
    assert_invariant()
    assert_no_overlaps()
    now = utcnow()
    upcoming = list(Slot.select().where((Slot.starts_at > now) & (Slot.status == "scheduled")))
    assert any(s.taken == s.capacity for s in upcoming)
    assert any(s.taken == 0 and not s.signups.count() for s in upcoming)
    assert any(0 < s.taken < s.capacity for s in upcoming)

    waitlisted = list(Signup.select().where(Signup.status == "waitlisted"))
    assert waitlisted
    for signup in waitlisted:  # a waitlist only where the slot is full
        assert signup.slot.taken == signup.slot.capacity

    pending = list(Signup.select().where(Signup.status == "pending"))
    assert pending
    assert {s.slot.activity.signup_mode for s in pending} == {"approval"}
    assert Signup.select().where(Signup.assigned_by.is_null(False)).exists()

    # Someone cancelled in time and the first on the waitlist moved up.
    assert Signup.select().where(Signup.status == "cancelled").exists()
    assert (
        AuditEntry.select()
        .where((AuditEntry.action == "signup.promoted") & AuditEntry.actor.is_null())
        .exists()
    )
    # A slot called off: kept, shown as cancelled, nobody holds a seat on it.
    called_off = Slot.get(Slot.status == "cancelled")
    assert called_off.taken == 0 and called_off.cancelled_at is not None
    assert {s.status for s in called_off.signups} == {"cancelled"}

    # Child-facing: everyone confirmed has a certificate valid on that day at that centre.
    for signup in (
        Signup.select(Signup, Slot, Activity)
        .join(Slot)
        .join(Activity)
        .where((Activity.is_child_facing == True) & (Signup.status == "confirmed"))  # noqa: E712
    ):
        day = _berlin(signup.slot.starts_at).date()
        assert has_valid_certificate(signup.volunteer_id, signup.slot.activity.centre_id, day)

    # Volunteers stay within what they said: their centres, interests and weekly limit.
    profiles = {p.user_id: p for p in VolunteerProfile.select()}
    reach = {(r.user_id, r.centre_id) for r in ReachableCentre.select()}
    likes = {(i.user_id, i.category_id) for i in Interest.select()}
    weeks: dict = {}
    for signup in Signup.select().where(Signup.status.in_(("confirmed", "pending", "waitlisted"))):
        activity = signup.slot.activity
        profile = profiles[signup.volunteer_id]
        assert (signup.volunteer_id, activity.centre_id) in reach
        assert profile.open_to_anything or (signup.volunteer_id, activity.category_id) in likes
        week = (signup.volunteer_id, _berlin(signup.slot.starts_at).date().isocalendar()[:2])
        weeks[week] = weeks.get(week, 0) + 1
        assert weeks[week] <= profile.max_per_week

    # The mail the services queued is marked as sent: `make run` logs none of it.
    assert OutboxMessage.select().count() > 10
    assert OutboxMessage.select().where(OutboxMessage.status != "sent").count() == 0


def test_history_with_attendance_and_hours(seeded):
    now = utcnow()
    past = list(Slot.select().where(Slot.starts_at < now))
    assert len(past) >= 5
    assert min(s.starts_at for s in past) >= now - dt.timedelta(days=30)
    past_signups = list(Signup.select().join(Slot).where(Slot.starts_at < now))
    assert past_signups and all(s.status == "confirmed" for s in past_signups)
    # Every past seat has its attendance recorded (through the service, so audited).
    assert all(s.attendance in ("attended", "no_show") for s in past_signups)
    attended = [s for s in past_signups if s.attendance == "attended"]
    assert len(attended) >= 5
    assert all(Decimal("0") < s.hours <= Decimal("24") for s in attended)
    assert all(s.hours == 0 for s in past_signups if s.attendance == "no_show")
    assert AuditEntry.select().where(AuditEntry.action == "signup.attendance").count() == len(
        past_signups
    )
    # "My slots" shows it: past slots and hours for the people who were there.
    volunteer = User.get_by_id(attended[0].volunteer_id)
    assert my_past(volunteer)
    assert my_hours(volunteer) > 0
    # The newcomer has a profile and nothing else yet.
    marie = User.get(User.email == "ehrenamt07@demo.thekiz.example")
    assert VolunteerProfile.get(VolunteerProfile.user == marie.id).open_to_anything
    assert not Signup.select().where(Signup.volunteer == marie.id).exists()


def test_profiles_and_checks(seeded):
    volunteers = list(User.select().where(User.role == "volunteer"))
    profiles = {p.user_id: p for p in VolunteerProfile.select()}
    assert set(profiles) == {v.id for v in volunteers}
    slugs = {c.id: c.slug for c in Centre.select()}
    reach: dict[int, set[str]] = {}
    for row in ReachableCentre.select():
        reach.setdefault(row.user_id, set()).add(slugs[row.centre_id])
    assert all(reach.get(v.id) for v in volunteers)
    # Town people reach the Regenbogenhaus, village people the Dorfkinder (maybe Saaletal).
    assert not any(
        {"regenbogenhaus-erfurt", "dorfkinder-grossschwabhausen"} <= r for r in reach.values()
    )
    assert sum("dorfkinder-grossschwabhausen" in r for r in reach.values()) >= 4
    assert sum("regenbogenhaus-erfurt" in r for r in reach.values()) >= 8
    languages = {code for p in profiles.values() for code in p.languages.split(",")}
    assert {"de", "en", "uk", "ar", "ru", "tr"} <= languages
    assert {p.reminder_hours for p in profiles.values()} >= {0, 2, 24, 48}
    assert any(p.open_to_anything for p in profiles.values())
    assert all(p.max_per_week <= p.max_per_month for p in profiles.values())
    assert AvailabilityWindow.select().count() > 20
    assert Interest.select().count() > 20

    child_facing = {a.centre_id for a in Activity.select().where(Activity.is_child_facing == True)}  # noqa: E712
    members = {(m.user_id, m.centre_id) for m in CentreMembership.select()}
    checks = list(CertificateCheck.select())
    assert len(checks) >= 10
    assert {c.centre_id for c in checks} == child_facing
    for check in checks:
        assert (check.inspected_by_id, check.centre_id) in members
        assert check.certificate_date <= check.inspected_on <= today()
        assert check.inspected_on - check.certificate_date <= dt.timedelta(days=92)
        assert check.eligible
    notes = list(MeaslesProof.select())
    assert notes and {n.centre_id for n in notes} <= child_facing
    assert all((n.recorded_by_id, n.centre_id) in members for n in notes)
    # Audited as recorded, without the outcome.
    assert AuditEntry.select().where(AuditEntry.action == "check.certificate").count() == len(
        checks
    )


def _snapshot() -> list[tuple]:
    """The month by natural keys (ids differ between runs on PostgreSQL)."""
    rows = (
        Signup.select(Signup, Slot, Activity, User)
        .join(Slot)
        .join(Activity)
        .switch(Signup)
        .join(User, on=(Signup.volunteer == User.id))
    )
    return sorted(
        (
            s.slot.activity.title,
            s.slot.starts_at,
            s.slot.status,
            s.slot.taken,
            s.volunteer.email,
            s.status,
            s.attendance,
            s.hours,
        )
        for s in rows
    )


def test_same_date_same_demo(seeded):
    """The month seeded again on the same day is the same month (the first seed may be an
    earlier test's, kept by ``seeded``: the same day, a little earlier)."""
    first = _snapshot()
    slots = sorted(
        (s.activity.title, s.starts_at, s.taken) for s in Slot.select(Slot, Activity).join(Activity)
    )
    # Remove the month (not the accounts) and seed again: the same month comes back.
    for model in (
        Signup,
        Slot,
        Series,
        Activity,
        Interest,
        AvailabilityWindow,
        ReachableCentre,
        VolunteerProfile,
        CertificateCheck,
        MeaslesProof,
        AuditEntry,
        OutboxMessage,
    ):
        model.delete().execute()
    Category.delete().where(Category.centre.is_null(False)).execute()
    assert demo.seed_demo() is True
    assert _snapshot() == first
    assert (
        sorted(
            (s.activity.title, s.starts_at, s.taken)
            for s in Slot.select(Slot, Activity).join(Activity)
        )
        == slots
    )


def test_first_dates_and_history_dates():
    """The date helpers: the first date is after today; history skips holidays."""
    weekly = demo_data.SchedulePlan("weekly", demo_data.TU, "15:30", "16:30")
    assert demo.first_date(weekly, dt.date(2026, 11, 24)) == dt.date(2026, 12, 1)  # a Tuesday
    assert demo.first_date(weekly, dt.date(2026, 11, 25)) == dt.date(2026, 12, 1)
    monthly = demo_data.SchedulePlan("monthly", demo_data.SU, "10:00", "14:00", nth=1)
    assert demo.first_date(monthly, dt.date(2026, 11, 25)) == dt.date(2026, 12, 6)
    assert demo.first_date(monthly, dt.date(2026, 12, 6)) == dt.date(2027, 1, 3)
    once = demo_data.SchedulePlan("once", demo_data.SA, "14:00", "17:00", nth=2)
    assert demo.first_date(once, dt.date(2026, 11, 25)) == dt.date(2026, 12, 12)
    assert demo.first_date(once, dt.date(2026, 12, 12)) == dt.date(2027, 12, 11)
    # Reformation Day (31 October) is a holiday in Thuringia: no history slot on it.
    saturday = demo_data.SchedulePlan("weekly", demo_data.SA, "10:00", "13:00")
    history = demo.past_dates(saturday, dt.date(2026, 11, 7), dt.date(2026, 11, 5), set())
    assert dt.date(2026, 10, 31) not in history
    assert history == [dt.date(2026, 10, 10), dt.date(2026, 10, 17), dt.date(2026, 10, 24)]
    assert demo.past_dates(
        saturday, dt.date(2026, 11, 7), dt.date(2026, 11, 5), {dt.date(2026, 10, 17)}
    ) == [dt.date(2026, 10, 10), dt.date(2026, 10, 24)]
