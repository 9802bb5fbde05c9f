"""The demo network: exactly what the README lists, and idempotent."""

from __future__ import annotations

import datetime as dt

import pytest

from volunteer_app import demo
from volunteer_app.accounts.models import Consent, User
from volunteer_app.accounts.passwords import verify_password
from volunteer_app.centres.models import Centre, CentreMembership, ClosingDay, Operator
from volunteer_app.db import all_models

pytestmark = pytest.mark.usefixtures("conn")


def _counts() -> dict[str, int]:
    return {m.__name__: m.select().count() for m in all_models()}


def test_seed_creates_the_documented_network(app):
    assert demo.seed_demo() is True

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


def test_accounts_roles_and_memberships(app):
    demo.seed_demo()
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


def test_second_run_changes_nothing(app):
    assert demo.seed_demo() is True
    before = _counts()
    hashes = {u.id: (u.password_hash, u.session_token) for u in User.select()}
    assert demo.seed_demo() is False
    assert _counts() == before
    assert {u.id: (u.password_hash, u.session_token) for u in User.select()} == hashes


def test_missing_rows_are_restored_and_nothing_else(app):
    demo.seed_demo()
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
    second = runner.invoke(args=["seed", "demo"])
    assert second.exit_code == 0, second.output
    assert "already present" in second.output
    assert _counts() == before
