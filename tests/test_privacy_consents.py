"""Consents one by one: listed with version and date, each withdrawn on its own, and a new
privacy notice asked for at the next sign-in."""

from __future__ import annotations

import datetime as dt

import pyotp
import pytest

from tests.factories import (
    PASSWORD,
    make_activity,
    make_centre,
    make_coordinator,
    make_signup,
    make_slot,
    make_user,
)
from tests.factories_accounts import (
    TOTP_SECRET,
    login,
    make_totp_user,
    use_english,
    use_fast_hashing,
)
from tests.factories_wishes import make_wish
from volunteer_app.accounts.models import Consent, User
from volunteer_app.common.errors import NotAllowed
from volunteer_app.db import utcnow
from volunteer_app.erasure.models import DeletionRequest
from volunteer_app.notifications import reminders
from volunteer_app.privacy import services
from volunteer_app.privacy.queries import privacy_consent_due
from volunteer_app.proposals.models import WeeklySuggestions
from volunteer_app.volunteers.models import VolunteerProfile
from volunteer_app.wishes.models import Wish

CONSENTS = "/konto/einwilligungen"
RENEW = "/konto/datenschutz-zustimmung"
WITHDRAW_PRIVACY = "/konto/einwilligungen/datenschutz/widerrufen"


@pytest.fixture(autouse=True)
def _setup(app, client, monkeypatch):
    use_fast_hashing(monkeypatch)
    app.config["ACCOUNT_RESPONSE_FLOOR_SECONDS"] = 0


@pytest.fixture
def anna(conn):
    user = make_user(email="anna@example.org", name="Anna Beispiel", privacy_consent=False)
    Consent.create(
        user=user, kind="privacy", version="2026-11", given_at=utcnow() - dt.timedelta(days=30)
    )
    return user


def _body(response) -> str:
    return response.get_data(as_text=True)


# --- The list ------------------------------------------------------------------------------


def test_each_consent_is_listed_with_version_and_date(client, login_as, anna, app):
    app.config["PRIVACY_NOTICE_VERSION"] = "2026-11"
    WeeklySuggestions.create(user=anna, created_at=utcnow() - dt.timedelta(days=3))
    VolunteerProfile.create(user=anna, reminder_hours=48)
    wish = make_wish(
        make_centre(), title="Babymassage", email="anna@example.org", email_consent_at=utcnow()
    )
    make_wish(
        make_centre(), title="Fremder Wunsch", email="otto@example.org", email_consent_at=utcnow()
    )
    login_as(anna)
    use_english(client)
    body = _body(client.get(CONSENTS))
    for label in (
        "Privacy notice",
        "Weekly e-mail with suggestions",
        "Reminders before your dates",
        "Answer to your wish by e-mail",
    ):
        assert label in body
    assert "2026-11" in body
    assert "under privacy notice 2026-11" in body  # the notice the weekly mail was agreed under
    assert "An e-mail 48 hours before each of your dates." in body
    assert "Babymassage" in body and "Fremder Wunsch" not in body
    assert f"/konto/einwilligungen/wunsch/{wish.id}/widerrufen" in body
    assert "/konto/einwilligungen/wochenmail/widerrufen" in body
    assert "/konto/einwilligungen/erinnerungen/widerrufen" in body
    assert WITHDRAW_PRIVACY in body
    assert body.count("<h1") == 1


def test_an_older_privacy_version_is_flagged(client, login_as, anna, app):
    app.config["PRIVACY_NOTICE_VERSION"] = "2027-05"
    login_as(anna)
    use_english(client)
    body = _body(client.get(CONSENTS))
    assert "you will be asked to agree to version 2027-05" in body


def test_the_account_page_leads_to_my_consents_in_german(client, login_as, anna):
    login_as(anna)
    body = _body(client.get("/konto/"))
    assert 'href="/konto/einwilligungen"' in body
    assert "Meine Einwilligungen" in body
    page = _body(client.get(CONSENTS))
    assert "Meine Einwilligungen" in page and "widerrufen" in page


def test_staff_see_no_volunteer_settings(client, login_as, conn):
    coordinator = make_coordinator(make_centre())
    login_as(coordinator)
    use_english(client)
    body = _body(client.get(CONSENTS))
    assert "Privacy notice" in body and "Reminders before your dates" not in body
    assert client.get("/konto/einwilligungen/erinnerungen/widerrufen").status_code == 404


# --- Withdrawing one setting -----------------------------------------------------------------


def test_withdrawing_the_weekly_mail_switches_it_off_and_keeps_the_proof(client, login_as, anna):
    since = utcnow().replace(microsecond=0) - dt.timedelta(days=3)
    WeeklySuggestions.create(user=anna, created_at=since)
    login_as(anna)
    use_english(client)
    page = client.get("/konto/einwilligungen/wochenmail/widerrufen")
    assert page.status_code == 200 and "Withdraw consent?" in _body(page)
    assert WeeklySuggestions.select().count() == 1  # showing the question changes nothing

    response = client.post("/konto/einwilligungen/wochenmail/widerrufen")
    assert response.status_code == 302 and response.headers["Location"] == CONSENTS
    assert WeeklySuggestions.select().count() == 0
    proof = Consent.get(Consent.kind == "weekly_suggestions")
    assert proof.user_id == anna.id and proof.given_at == since
    assert proof.version == "2026-11" and proof.withdrawn_at is not None
    body = _body(client.get(CONSENTS))
    assert "Withdrawn. This is now switched off." in body
    assert "Withdrawn consents" in body and "Switch on under" in body
    # Once more: there is nothing left to withdraw.
    assert client.post("/konto/einwilligungen/wochenmail/widerrufen").status_code == 404
    assert Consent.select().where(Consent.kind == "weekly_suggestions").count() == 1


def test_withdrawing_reminders_stops_the_reminder_job(client, login_as, anna):
    slot = make_slot(make_activity(), starts_at=utcnow() + dt.timedelta(hours=5))
    make_signup(slot, anna)
    other = make_user()
    make_signup(slot, other)
    login_as(anna)
    response = client.post("/konto/einwilligungen/erinnerungen/widerrufen")
    assert response.status_code == 302
    # No profile was saved: the default reminders ran; now a profile says "none".
    assert VolunteerProfile.get(VolunteerProfile.user == anna.id).reminder_hours == 0
    assert Consent.get(Consent.kind == "reminders").withdrawn_at is not None
    result = reminders.send_reminders()
    assert result.sent == 1  # only the other volunteer, who did not withdraw
    assert [s.volunteer_id for s in reminders.due_reminders(utcnow())] == []


def test_withdrawing_a_wish_answer_erases_the_address(client, login_as, anna):
    centre = make_centre()
    mine = make_wish(
        centre, title="Babymassage", email="anna@example.org", email_consent_at=utcnow()
    )
    theirs = make_wish(centre, title="Anderes", email="otto@example.org", email_consent_at=utcnow())
    login_as(anna)
    # Somebody else's wish is not found: its address stays.
    assert client.get(f"/konto/einwilligungen/wunsch/{theirs.id}/widerrufen").status_code == 404
    assert client.post(f"/konto/einwilligungen/wunsch/{theirs.id}/widerrufen").status_code == 404
    assert Wish.get_by_id(theirs.id).email == "otto@example.org"

    response = client.post(f"/konto/einwilligungen/wunsch/{mine.id}/widerrufen")
    assert response.status_code == 302
    wish = Wish.get_by_id(mine.id)
    assert wish.email is None and wish.email_consent_at is None
    assert wish.title == "Babymassage"  # the wish itself stays for the centre
    proof = Consent.get(Consent.kind == "wish_answer")
    assert proof.user_id == anna.id and proof.withdrawn_at is not None


def test_withdrawing_needs_a_post_with_the_csrf_token(client, login_as, anna, app):
    WeeklySuggestions.create(user=anna)
    login_as(anna)
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post("/konto/einwilligungen/wochenmail/widerrufen")
    assert response.status_code == 400
    assert WeeklySuggestions.select().count() == 1
    assert Consent.select().where(Consent.kind != "privacy").count() == 0


def test_nobody_withdraws_for_someone_else(conn, anna):
    admin = make_user(role="admin")
    WeeklySuggestions.create(user=anna)
    with pytest.raises(NotAllowed):
        services.withdraw_setting(anna, "weekly_suggestions", actor=admin)
    with pytest.raises(NotAllowed):
        services.give_privacy_consent(anna, actor=admin)
    assert WeeklySuggestions.select().count() == 1


# --- Withdrawing the privacy consent: the account is deleted -------------------------------


def test_withdrawing_privacy_asks_for_the_password_and_changes_nothing_when_wrong(
    client, login_as, anna
):
    login_as(anna)
    use_english(client)
    page = _body(client.get(WITHDRAW_PRIVACY))
    assert "Withdrawing it deletes your account" in page
    assert "Your account is deleted in 14 days." in page
    response = client.post(WITHDRAW_PRIVACY, data={"password": "not my password"})
    assert response.status_code == 200
    assert "The password is not correct." in _body(response)
    assert Consent.get(Consent.user == anna.id).withdrawn_at is None
    assert DeletionRequest.select().count() == 0


def test_withdrawing_privacy_schedules_the_deletion_and_logs_out(client, login_as, anna):
    login_as(anna)
    use_english(client)
    response = client.post(WITHDRAW_PRIVACY, data={"password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert Consent.get(Consent.user == anna.id).withdrawn_at is not None
    request = DeletionRequest.get(DeletionRequest.user == anna.id)
    assert request.due_at > utcnow() + dt.timedelta(days=13)
    assert "will be deleted on" in _body(client.get("/"))
    assert client.get("/konto/").status_code == 302  # logged out


def test_with_no_grace_period_the_account_is_gone_at_once(client, login_as, anna, app):
    app.config["DELETION_GRACE_DAYS"] = 0
    login_as(anna)
    use_english(client)
    response = client.post(WITHDRAW_PRIVACY, data={"password": PASSWORD})
    assert response.status_code == 302
    assert User.get_or_none(User.email == "anna@example.org") is None
    assert "Your account is deleted." in _body(client.get("/"))


def test_a_second_factor_is_asked_too(client, login_as, conn):
    person = make_totp_user(email="tom@example.org")
    login_as(person)
    use_english(client)
    assert "Six-digit code" in _body(client.get(WITHDRAW_PRIVACY))
    wrong = client.post(WITHDRAW_PRIVACY, data={"password": PASSWORD, "code": "000000"})
    assert wrong.status_code == 200
    assert DeletionRequest.select().count() == 0
    assert Consent.get(Consent.user == person.id).withdrawn_at is None
    code = pyotp.TOTP(TOTP_SECRET).now()
    right = client.post(WITHDRAW_PRIVACY, data={"password": PASSWORD, "code": code})
    assert right.status_code == 302
    assert DeletionRequest.select().count() == 1


def test_the_last_coordinator_is_told_how_and_nothing_is_withdrawn(client, login_as, conn):
    centre = make_centre(name="ThEKiZ Sonnenblume")
    coordinator = make_coordinator(centre)
    login_as(coordinator)
    use_english(client)
    page = _body(client.get(WITHDRAW_PRIVACY))
    assert "ThEKiZ Sonnenblume" in page and "take over" in page
    response = client.post(WITHDRAW_PRIVACY, data={"password": PASSWORD})
    assert response.status_code == 200
    assert Consent.get(Consent.user == coordinator.id).withdrawn_at is None
    assert DeletionRequest.select().count() == 0


# --- A new privacy notice: asked again at the next sign-in ---------------------------------


def test_a_current_consent_signs_in_as_before(client, anna, app):
    app.config["PRIVACY_NOTICE_VERSION"] = "2026-11"
    response = login(client, "anna@example.org", next="/mein-engagement/profil")
    assert response.status_code == 302
    assert response.headers["Location"] == "/mein-engagement/profil"
    assert client.get("/mein-engagement/profil").status_code == 200


def test_a_new_version_is_asked_for_after_sign_in(client, anna, app):
    app.config["PRIVACY_NOTICE_VERSION"] = "2027-05"
    use_english(client)
    response = login(client, "anna@example.org", next="/mein-engagement/profil")
    assert response.headers["Location"] == "/mein-engagement/profil"
    asked = client.get("/mein-engagement/profil")
    assert asked.status_code == 302
    assert asked.headers["Location"] == f"{RENEW}?next=/mein-engagement/profil?"
    # Every page leads there, but the notice itself, the data and deleting stay open.
    assert client.get("/konto/").headers["Location"].startswith(RENEW)
    assert client.get("/datenschutz").status_code == 200
    assert client.get("/konto/meine-daten").status_code == 200
    page = _body(client.get(asked.headers["Location"]))
    assert "You agreed to version 2026-11" in page and "2027-05" in page
    assert 'href="/datenschutz"' in page and WITHDRAW_PRIVACY in page

    refused = client.post(RENEW, data={"next": "/mein-engagement/profil"})
    assert refused.status_code == 200
    assert "Please tick the box to agree to the privacy notice." in _body(refused)
    assert privacy_consent_due(anna.id)

    agreed = client.post(RENEW, data={"agree": "y", "next": "/mein-engagement/profil"})
    assert agreed.status_code == 302
    assert agreed.headers["Location"] == "/mein-engagement/profil"
    latest = Consent.select().where(Consent.user == anna.id).order_by(Consent.id.desc()).get()
    assert (latest.kind, latest.version, latest.withdrawn_at) == ("privacy", "2027-05", None)
    assert not privacy_consent_due(anna.id)
    assert client.get("/konto/").status_code == 200
    # Agreeing twice writes nothing new.
    assert services.give_privacy_consent(anna, actor=anna) is None
    assert Consent.select().where(Consent.user == anna.id).count() == 2


def test_the_redirect_target_stays_local(client, anna, app):
    app.config["PRIVACY_NOTICE_VERSION"] = "2027-05"
    login(client, "anna@example.org")
    response = client.post(RENEW, data={"agree": "y", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_declining_offers_the_deletion(client, anna, app):
    app.config["PRIVACY_NOTICE_VERSION"] = "2027-05"
    use_english(client)
    login(client, "anna@example.org")
    page = _body(client.get(WITHDRAW_PRIVACY))
    assert "Not agree to the privacy notice?" in page
    response = client.post(WITHDRAW_PRIVACY, data={"password": PASSWORD})
    assert response.status_code == 302
    assert DeletionRequest.select().where(DeletionRequest.user == anna.id).count() == 1


def test_signing_in_during_the_grace_period_keeps_the_account_and_asks_again(
    client, login_as, anna
):
    login_as(anna)
    client.post(WITHDRAW_PRIVACY, data={"password": PASSWORD})
    assert DeletionRequest.select().count() == 1
    response = login(client, "anna@example.org")
    assert response.status_code == 302
    assert DeletionRequest.select().count() == 0  # signing in keeps the account …
    # … but the consent was withdrawn: it is asked for before anything else.
    assert client.get("/konto/").headers["Location"].startswith(RENEW)
    client.post(RENEW, data={"agree": "y"})
    assert client.get("/konto/").status_code == 200


def test_staff_enter_the_second_factor_before_the_question(client, app, conn):
    coordinator = make_totp_user(role="coordinator", email="clara@example.org")
    app.config["PRIVACY_NOTICE_VERSION"] = "2027-05"  # newer than the one agreed to
    response = login(client, "clara@example.org")
    assert response.headers["Location"].startswith("/konto/zwei-faktor")
    assert client.get("/konto/").headers["Location"].startswith("/konto/zwei-faktor")
    code = pyotp.TOTP(TOTP_SECRET).now()
    client.post("/konto/zwei-faktor", data={"code": code})
    assert client.get("/konto/").headers["Location"].startswith(RENEW)
    assert privacy_consent_due(coordinator.id)


def test_an_account_without_any_privacy_consent_is_asked(client, conn):
    make_user(email="ohne@example.org", privacy_consent=False)
    login(client, "ohne@example.org")
    assert client.get("/konto/").headers["Location"].startswith(RENEW)
