"""Erasing an account: no trace of the person anywhere in the database, future sign-ups
cancelled through the sign-up service, past hours kept anonymously, all in one transaction."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import peewee as pw
import pytest

from tests.factories import make_centre, make_coordinator, make_user
from tests.factories_authz import changed_tables, snapshot
from tests.factories_centres import english
from tests.factories_erasure import NAME, person_needles, rich_world, traces_of
from volunteer_app.accounts.models import User
from volunteer_app.activities.models import Activity, Slot
from volunteer_app.audit.models import AuditEntry
from volunteer_app.common.time import to_berlin
from volunteer_app.erasure import services
from volunteer_app.erasure.models import AnonymousHours
from volunteer_app.models import all_models
from volunteer_app.notifications.models import OutboxMessage
from volunteer_app.proposals.models import Proposal
from volunteer_app.reports.models import VolunteeringCertificate
from volunteer_app.signups.models import Signup


@pytest.fixture
def w(conn):
    return rich_world()


def test_erasure_leaves_no_trace_of_name_email_or_phone_in_any_table(w):
    before = traces_of(*person_needles())
    tables = {table for table, _column, _value in before}
    # She really is everywhere first: the dump finds her in the tables that hold text about her.
    assert {"user", "outbox_message", "audit_entry", "invitation", "wish", "feed_cache"} <= tables
    assert "login_token" in tables

    services.erase_account(w.person)

    assert traces_of(*person_needles()) == []
    assert User.get_or_none(User.id == w.person.id) is None


def test_what_outlives_her_says_deleted_person(w):
    services.erase_account(w.person)

    noted = AuditEntry.get(AuditEntry.action == "check.measles")
    assert (noted.subject_id, noted.subject_erased, noted.detail) == (
        None,
        True,
        "asked gelöschte Person",
    )
    attendance = list(AuditEntry.select().where(AuditEntry.action == "signup.attendance"))
    # Hers are marked; Otto's entry still names him.
    assert sorted(e.subject_erased for e in attendance) == [False, True, True, True]
    assert all(e.actor_id == w.coordinator.id and not e.actor_erased for e in attendance)
    to_karl = OutboxMessage.get(
        (OutboxMessage.recipient == w.colleague.email) & OutboxMessage.subject.startswith("Telefon")
    )
    assert to_karl.subject == "Telefon von gelöschte Person"
    assert to_karl.body_text == (
        "Bitte rufen Sie gelöschte Person an: gelöschte Person, gelöschte Person."
    )
    answered = OutboxMessage.get(
        (OutboxMessage.recipient == w.coordinator.email)
        & OutboxMessage.subject.contains("hilft mit")
    )
    assert "gelöschte Person" in answered.body_text and "gelöschte Person" in answered.body_html


def test_past_hours_stay_as_anonymous_sums_per_centre_category_and_month(w):
    attended = {
        (to_berlin(s.slot.starts_at).date().replace(day=1), s.slot.activity.category_id, s.hours)
        for s in Signup.select(Signup, Slot, Activity)
        .join(Slot)
        .join(Activity)
        .where((Signup.volunteer == w.person.id) & (Signup.attendance == "attended"))
    }
    assert len(attended) == 2

    services.erase_account(w.person)

    rows = list(AnonymousHours.select())
    assert {(r.month, r.category_id, r.hours) for r in rows} == attended
    assert {r.centre_id for r in rows} == {w.centre.id}
    assert all(r.signups == 1 for r in rows)
    assert len({r.person_key for r in rows}) == 1  # one person, not linked to anything
    assert Signup.select().where(Signup.volunteer == w.person.id).count() == 0
    # Otto's attended sign-up is untouched.
    assert Signup.get(Signup.volunteer == w.other.id, Signup.attendance == "attended").hours == (
        Decimal("1.50")
    )


def test_future_sign_ups_are_cancelled_the_waitlist_moves_up_and_coordinators_are_told(w):
    services.erase_account(w.person)

    full, busy, asked = (Slot.get_by_id(s.id) for s in (w.full, w.busy, w.asked))
    otto = Signup.get(Signup.slot == full.id, Signup.volunteer == w.other.id)
    assert (full.taken, otto.status) == (1, "confirmed")  # the freed seat went to Otto
    assert (busy.taken, asked.taken) == (1, 0)
    assert Signup.get(Signup.slot == busy.id).volunteer_id == w.third.id
    moved_up = OutboxMessage.select().where(OutboxMessage.recipient == w.other.email)
    assert [m.subject for m in moved_up if m.subject.startswith("Ein Platz für Sie")] != []
    assert Proposal.select().count() == 0

    cancelled = AuditEntry.select().where(
        (AuditEntry.action == "signup.cancelled") & (AuditEntry.detail == "account deleted")
    )
    assert {e.slot_id for e in cancelled} == {full.id, busy.id, asked.id}
    assert all(e.subject_erased and e.actor_id is None for e in cancelled)

    for coordinator in (w.coordinator, w.colleague):
        [told] = OutboxMessage.select().where(
            (OutboxMessage.recipient == coordinator.email)
            & OutboxMessage.subject.contains("Konto wurde gelöscht")
        )
        assert "3 Anmeldungen" in told.subject, told.subject
        for title in ("Vorlesestunde", "Gartentag", "Backen"):
            assert title in told.body_text
        assert "nachgerückt" in told.body_text  # the confirmed seat went to the waitlist
        assert "Warteliste" in told.body_text and "Freigabe" in told.body_text
        assert NAME.split()[0] not in told.body_text + told.body_html


def test_erasure_is_one_transaction(w, monkeypatch):
    def fail(person):
        raise RuntimeError("disk full")

    before = snapshot()
    monkeypatch.setattr(services, "_scrub", fail)
    with pytest.raises(RuntimeError):
        services.erase_account(w.person)
    assert changed_tables(before, snapshot()) == set()


def test_erasing_a_coordinator_removes_her_name_from_what_she_signed_and_did(w):
    clara = w.coordinator
    services.erase_account(clara)

    assert traces_of(clara.name, clara.email, "Koordinatorin") == []
    certificate = VolunteeringCertificate.get()
    assert (certificate.signed_by_id, certificate.signed_by_name) == (None, "gelöschte Person")
    entries = AuditEntry.select().where(AuditEntry.action == "signup.attendance")
    assert all(e.actor_id is None and e.actor_erased for e in entries)
    assert Activity.get_by_id(w.reading.id).responsible_id is None
    assert User.get_by_id(w.person.id).name == NAME  # the volunteer is not touched


def test_the_log_shows_the_erased_person_as_deleted_person(w, client, login_as):
    services.erase_account(w.person)
    login_as(w.coordinator)

    page = client.get(f"/zentren/{w.centre.slug}/protokoll").get_data(as_text=True)
    assert page.count("gelöschte Person") >= 4
    assert NAME not in page
    english(client)
    assert "deleted person" in client.get(f"/zentren/{w.centre.slug}/protokoll").get_data(
        as_text=True
    )


def test_last_coordinator_and_last_admin_cannot_be_erased(conn):
    centre = make_centre(name="Zentrum Allein")
    alone = make_coordinator(centre)
    admin = make_user(role="admin")
    for person in (alone, admin):
        with pytest.raises(services.DeletionBlocked):
            services.erase_account(person)
        assert User.get_or_none(User.id == person.id) is not None
    make_coordinator(centre)
    make_user(role="admin")
    services.erase_account(alone)
    services.erase_account(admin)
    assert User.select().where(User.id.in_([alone.id, admin.id])).count() == 0


def test_erasing_twice_finds_nothing_the_second_time(w):
    services.erase_account(w.person)
    assert services.erase_due(dt.datetime(2100, 1, 1)) == 0
    with pytest.raises(services.NotFound):
        services.erase_account(w.person)


def test_every_reference_to_an_account_lets_go_when_it_is_erased():
    """A new table pointing at a person must say what happens at the erasure: its rows go
    with the account (CASCADE) or forget who it was (SET NULL) — never block the erasure."""
    undecided = [
        f"{model.__name__}.{field.name}"
        for model in all_models()
        for field in model._meta.fields.values()
        if isinstance(field, pw.ForeignKeyField)
        and field.rel_model is User
        and field.on_delete not in ("CASCADE", "SET NULL")
    ]
    assert undecided == []
