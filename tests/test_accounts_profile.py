"""The profile page: details, consents, password and e-mail change, log out everywhere."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from tests.factories import PASSWORD, make_user
from tests.factories_accounts import (
    NEW_PASSWORD,
    fresh,
    last_link,
    log_in_by_session,
    login,
    mails_to,
    no_timing_floor,
    use_english,
    use_fast_hashing,
)
from volunteer_app.accounts import passwords
from volunteer_app.accounts.models import Consent, LoginToken, User
from volunteer_app.db import utcnow
from volunteer_app.notifications.models import OutboxMessage


@pytest.fixture(autouse=True)
def _setup(app, client, monkeypatch):
    no_timing_floor(app)
    use_english(client)
    use_fast_hashing(monkeypatch)


@pytest.fixture
def anna(conn, login_as):
    user = make_user(email="anna@example.org", name="Anna Beispiel")
    login_as(user)
    return user


def test_profile_needs_login(client, conn):
    response = client.get("/konto/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/konto/anmelden?next=")


def test_profile_shows_details_and_consents_with_version_and_date(client, anna):
    Consent.create(
        user=anna, kind="privacy", version="2026-11", given_at=dt.datetime(2026, 3, 2, 9)
    )
    Consent.create(
        user=anna,
        kind="privacy",
        version="2025-01",
        given_at=dt.datetime(2025, 1, 5, 9),
        withdrawn_at=dt.datetime(2025, 6, 1, 9),
    )
    response = client.get("/konto/")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_data(as_text=True)
    assert 'value="Anna Beispiel"' in body
    assert "anna@example.org" in body
    assert "2026-11" in body and "2025-01" in body
    assert "3/2/26" in body  # given on, in the page's locale
    assert "Withdrawn on" in body
    assert body.count("<h1") == 1


def test_details_are_saved_and_language_switches(client, anna):
    response = client.post(
        "/konto/daten", data={"name": " Anna B. ", "phone": "+49 361 123456", "locale": "de"}
    )
    assert response.status_code == 302
    user = fresh(anna)
    assert (user.name, user.phone, user.locale) == ("Anna B.", "+49 361 123456", "de")
    with client.session_transaction() as sess:
        assert sess["lang"] == "de"
    page = client.get("/konto/").get_data(as_text=True)
    assert '<html lang="de" dir="ltr">' in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "phone": "", "locale": "de"}, "Please enter your name."),
        ({"name": "N" * 101, "phone": "", "locale": "de"}, "at most 100 characters"),
        ({"name": "Anna\x08", "phone": "", "locale": "de"}, "control characters"),
        ({"name": "Anna", "phone": "call me maybe", "locale": "de"}, "only digits"),
        ({"name": "Anna", "phone": "1" * 41, "locale": "de"}, "at most 40 characters"),
        ({"name": "Anna", "phone": "", "locale": "fr"}, "Please choose one of the options."),
    ],
)
def test_bad_details_are_refused_and_nothing_stored(client, anna, data, message):
    response = client.post("/konto/daten", data=data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    user = fresh(anna)
    assert (user.name, user.phone, user.locale) == ("Anna Beispiel", "", "de")


def test_change_password_keeps_this_session_and_ends_the_others(app, client, anna):
    other_device = log_in_by_session(app.test_client(), anna)
    response = client.post(
        "/konto/passwort", data={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 302
    changed = fresh(anna)
    assert changed.session_token != anna.session_token
    assert passwords.verify_password(changed.password_hash, NEW_PASSWORD)
    assert client.get("/konto/").status_code == 200
    with client.session_transaction() as sess:
        assert sess["_user_id"] == changed.get_id()
    assert other_device.get("/konto/").status_code == 302
    assert "geändert" in mails_to("anna@example.org")[-1].subject


@pytest.mark.parametrize(
    ("current", "new", "message"),
    [
        ("wrong password!", NEW_PASSWORD, "The password is not correct."),
        ("", NEW_PASSWORD, "Please enter your password."),
        (PASSWORD, "short", "between 8 and 128"),
        (PASSWORD, "qwertyuiop", "too common"),
        (PASSWORD, "anna@example.org", "must not be your e-mail address"),
    ],
)
def test_change_password_refuses_bad_input(client, anna, current, new, message):
    response = client.post(
        "/konto/passwort", data={"current_password": current, "new_password": new}
    )
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert fresh(anna).password_hash == anna.password_hash
    assert fresh(anna).session_token == anna.session_token


def test_wrong_current_passwords_count_towards_the_lock(app, client, anna):
    app.config["LOGIN_MAX_FAILURES"] = 2
    for _ in range(2):
        client.post(
            "/konto/passwort", data={"current_password": "nope nope", "new_password": NEW_PASSWORD}
        )
    assert fresh(anna).locked_until is not None
    response = client.post(
        "/konto/passwort", data={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert "Too many attempts" in response.get_data(as_text=True)
    assert fresh(anna).password_hash == anna.password_hash


def test_change_email_by_link_to_the_new_address(app, client, anna):
    response = client.post(
        "/konto/e-mail", data={"new_email": " Anna.Neu@Example.org", "email_password": PASSWORD}
    )
    assert response.status_code == 302
    assert fresh(anna).email == "anna@example.org"  # not yet
    [notice] = mails_to("anna@example.org")
    assert "anna.neu@example.org" in notice.body_text
    path = last_link("anna.neu@example.org", "/konto/e-mail-bestaetigen/")
    assert LoginToken.get(LoginToken.purpose == "email_change").new_email == "anna.neu@example.org"
    # The link also works in another browser, and GET changes nothing.
    other = app.test_client()
    assert other.get(path).status_code == 200
    assert fresh(anna).email == "anna@example.org"
    done = other.post(path)
    assert done.status_code == 302
    assert done.headers["Location"] == "/konto/anmelden"
    assert fresh(anna).email == "anna.neu@example.org"
    assert other.post(path).status_code == 400
    client.post("/konto/abmelden")
    assert login(client, "anna@example.org").status_code == 200
    assert login(client, "ANNA.NEU@example.org").status_code == 302


def test_change_email_to_a_taken_address_answers_the_same_and_changes_nothing(client, anna):
    make_user(email="taken@example.org")
    response = client.post(
        "/konto/e-mail", data={"new_email": "Taken@example.org", "email_password": PASSWORD}
    )
    assert response.status_code == 302
    assert "We sent a link to taken@example.org" in client.get("/konto/").get_data(as_text=True)
    assert LoginToken.select().count() == 0
    assert mails_to("taken@example.org") == []
    assert len(mails_to("anna@example.org")) == 1  # the notice, as for a free address
    assert fresh(anna).email == "anna@example.org"


def test_email_change_link_fails_if_the_address_was_taken_meanwhile(app, client, anna):
    client.post("/konto/e-mail", data={"new_email": "new@example.org", "email_password": PASSWORD})
    path = last_link("new@example.org", "/konto/e-mail-bestaetigen/")
    make_user(email="new@example.org")
    response = client.post(path)
    assert response.status_code == 409
    assert fresh(anna).email == "anna@example.org"


def test_expired_email_change_link_is_refused(client, anna):
    client.post("/konto/e-mail", data={"new_email": "new@example.org", "email_password": PASSWORD})
    path = last_link("new@example.org", "/konto/e-mail-bestaetigen/")
    LoginToken.update(expires_at=utcnow() - dt.timedelta(minutes=1)).execute()
    response = client.post(path)
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)
    assert fresh(anna).email == "anna@example.org"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"new_email": "new@example.org", "email_password": "wrong one!"}, "not correct"),
        ({"new_email": "", "email_password": PASSWORD}, "Please enter your e-mail address."),
        ({"new_email": "nope", "email_password": PASSWORD}, "valid e-mail address"),
        ({"new_email": "n" * 250 + "@x.org", "email_password": PASSWORD}, "at most 254"),
        ({"new_email": "ANNA@example.org", "email_password": PASSWORD}, "already your"),
        ({"new_email": "a\x0b@example.org", "email_password": PASSWORD}, "control characters"),
    ],
)
def test_change_email_refuses_bad_input(client, anna, data, message):
    response = client.post("/konto/e-mail", data=data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert OutboxMessage.select().count() == 0
    assert LoginToken.select().count() == 0


def test_log_out_everywhere_rotates_the_token(app, client, anna):
    other_device = log_in_by_session(app.test_client(), anna)
    response = client.post("/konto/ueberall-abmelden")
    assert response.status_code == 302
    assert fresh(anna).session_token != anna.session_token
    assert client.get("/konto/").status_code == 302
    assert other_device.get("/konto/").status_code == 302
    assert login(client, "anna@example.org").status_code == 302


def test_stale_login_must_reenter_password_for_sensitive_actions(client, anna):
    User.update(totp_secret="JBSWY3DPEHPK3PXP", totp_enabled_at=utcnow()).execute()
    with client.session_transaction() as sess:
        sess["auth_at"] = time.time() - 11 * 60
    response = client.get("/konto/zwei-faktor/ausschalten")
    assert response.status_code == 302
    assert response.headers["Location"] == (
        "/konto/passwort-bestaetigen?next=/konto/zwei-faktor/ausschalten?"
    )
    # A POST is not carried out and not repeated either: back to the page after the detour.
    response = client.post("/konto/zwei-faktor/ausschalten")
    assert response.headers["Location"].endswith("next=/konto/zwei-faktor/ausschalten")
    assert fresh(anna).has_totp
    wrong = client.post(
        "/konto/passwort-bestaetigen",
        data={"password": "wrong password", "next": "/konto/zwei-faktor/ausschalten"},
    )
    assert wrong.status_code == 200
    assert "not correct" in wrong.get_data(as_text=True)
    right = client.post(
        "/konto/passwort-bestaetigen",
        data={"password": PASSWORD, "next": "/konto/zwei-faktor/ausschalten"},
    )
    assert right.headers["Location"] == "/konto/zwei-faktor/ausschalten"
    assert client.get("/konto/zwei-faktor/ausschalten").status_code == 200


def test_reauthentication_follows_only_local_next(client, anna):
    response = client.post(
        "/konto/passwort-bestaetigen",
        data={"password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response.headers["Location"] == "/konto/"


def test_fresh_login_is_enough(client, anna):
    User.update(totp_secret="JBSWY3DPEHPK3PXP", totp_enabled_at=utcnow()).execute()
    assert client.get("/konto/zwei-faktor/wiederherstellungscodes").status_code == 200
