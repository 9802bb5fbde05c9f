"""Logging in and out: generic errors, the soft lock, rate limits, safe redirects, staff 2FA."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from argon2 import PasswordHasher

from tests.factories import PASSWORD, make_user
from tests.factories_accounts import (
    fresh,
    login,
    make_totp_user,
    no_timing_floor,
    use_english,
    use_fast_hashing,
)
from volunteer_app.accounts import passwords
from volunteer_app.accounts import views as account_views
from volunteer_app.accounts.models import User
from volunteer_app.db import utcnow

GENERIC = "The e-mail address or the password is not correct."
LOCKED = "Too many attempts. Please try again later."


@pytest.fixture(autouse=True)
def _setup(app, client, monkeypatch):
    no_timing_floor(app)
    use_english(client)
    use_fast_hashing(monkeypatch)


def test_login_with_any_letter_case_starts_a_session(client, conn):
    user = make_user(email="anna@example.org", name="Anna Beispiel")
    response = login(client, "  ANNA@example.org ")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    with client.session_transaction() as sess:
        assert sess["_user_id"] == user.get_id()  # an HMAC of the session token, not the token
        assert sess["mfa_ok"] is True
        assert sess["login_at"] == sess["auth_at"]
        assert sess["lang"] == "en"  # the chosen language survives the new session
    assert fresh(user).last_login_at is not None
    assert "Hello Anna, you are logged in." in client.get("/").get_data(as_text=True)


def test_login_replaces_the_anonymous_session(client, conn):
    make_user(email="anna@example.org")
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
    login(client, "anna@example.org")
    with client.session_transaction() as sess:
        assert "planted" not in sess


def test_wrong_password_and_unknown_address_get_the_same_message(client, conn):
    make_user(email="anna@example.org")
    wrong = login(client, "anna@example.org", "not my password")
    unknown = login(client, "nobody@example.org", "not my password")
    assert wrong.status_code == unknown.status_code == 200
    assert GENERIC in wrong.get_data(as_text=True)
    assert GENERIC in unknown.get_data(as_text=True)
    assert client.get("/konto/").status_code == 302


def test_unknown_address_costs_a_dummy_hash_verification(client, conn, monkeypatch):
    seen = []
    real = passwords.verify_password

    def spy(password_hash, password):
        seen.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(passwords, "verify_password", spy)
    login(client, "nobody@example.org", "some password")
    assert seen == [passwords.DUMMY_HASH]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "", "password": PASSWORD}, "Please enter your e-mail address."),
        ({"email": "anna@example.org", "password": ""}, "Please enter your password."),
        ({"email": "no-address", "password": PASSWORD}, "valid e-mail address"),
        ({"email": "x" * 250 + "@example.org", "password": PASSWORD}, "at most 254"),
        ({"email": "anna@example.org", "password": "p" * 129}, "between 8 and 128"),
        ({"email": "an\x1bna@example.org", "password": PASSWORD}, "control characters"),
    ],
)
def test_bad_login_input_is_a_form_error(client, conn, data, message):
    make_user(email="anna@example.org")
    response = client.post("/konto/anmelden", data=data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert client.get("/konto/").status_code == 302


def test_account_locks_after_max_failures_and_unlocks_later(app, client, conn):
    app.config["LOGIN_MAX_FAILURES"] = 3
    user = make_user(email="anna@example.org")
    for _ in range(2):
        body = login(client, "anna@example.org", "wrong password").get_data(as_text=True)
        assert GENERIC in body and LOCKED not in body
    assert fresh(user).failed_logins == 2
    third = login(client, "anna@example.org", "wrong password").get_data(as_text=True)
    assert LOCKED in third
    locked_until = fresh(user).locked_until
    assert dt.timedelta(minutes=14) < locked_until - utcnow() <= dt.timedelta(minutes=15)
    # Even the right password is refused while the lock lasts, with the same words.
    response = login(client, "anna@example.org", PASSWORD)
    assert response.status_code == 200
    assert GENERIC in response.get_data(as_text=True)
    assert LOCKED in response.get_data(as_text=True)
    assert client.get("/konto/").status_code == 302
    # The lock is soft: once it has run out, the right password works and clears it.
    User.update(locked_until=utcnow() - dt.timedelta(seconds=1)).execute()
    assert login(client, "anna@example.org", PASSWORD).status_code == 302
    assert fresh(user).failed_logins == 0
    assert fresh(user).locked_until is None


def test_success_resets_the_failure_counter(client, conn):
    user = make_user(email="anna@example.org")
    login(client, "anna@example.org", "wrong password")
    assert fresh(user).failed_logins == 1
    assert login(client, "anna@example.org").status_code == 302
    assert fresh(user).failed_logins == 0


def test_login_posts_are_rate_limited_per_ip(client, conn):
    for _ in range(10):
        assert client.post("/konto/anmelden", data={}).status_code == 200
    response = client.post("/konto/anmelden", data={})
    assert response.status_code == 429
    # The form comes back (tests/test_security_refusals.py), saying when to send it again.
    assert "You have sent this form too often" in response.get_data(as_text=True)
    assert int(response.headers["Retry-After"]) > 0
    # Reading the page stays possible.
    assert client.get("/konto/anmelden").status_code == 200


def test_outdated_hash_is_upgraded_on_login(client, conn, monkeypatch):
    user = make_user(email="anna@example.org")  # hashed with cheap test parameters
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher())  # today's parameters
    assert passwords.needs_rehash(user.password_hash)
    assert login(client, "anna@example.org").status_code == 302
    new_hash = fresh(user).password_hash
    assert new_hash != user.password_hash
    assert "$m=65536,t=3,p=4$" in new_hash
    assert passwords.verify_password(new_hash, PASSWORD)
    assert not passwords.needs_rehash(new_hash)


def test_inactive_account_cannot_log_in(client, conn):
    make_user(email="anna@example.org", is_active=False)
    response = login(client, "anna@example.org")
    assert response.status_code == 200
    assert GENERIC in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("next_url", "target"),
    [
        ("/zentren/", "/zentren/"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_next_is_followed_only_to_local_paths(client, conn, next_url, target):
    make_user(email="anna@example.org")
    response = client.post(
        "/konto/anmelden?next=ignored",
        data={"email": "anna@example.org", "password": PASSWORD, "next": next_url},
    )
    assert response.headers["Location"] == target


def test_login_page_carries_next_from_the_login_redirect(client, conn):
    response = client.get("/konto/")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'name="next"' in page and 'value="/konto/"' in page


def test_logout_is_post_only_and_ends_the_session(client, conn, login_as):
    login_as(make_user())
    assert client.get("/konto/abmelden").status_code == 405
    assert client.get("/konto/").status_code == 200
    response = client.post("/konto/abmelden")
    assert response.status_code == 302
    # The chosen language stays, in its own cookie: a logged-out visitor keeps no session.
    assert any(c.startswith("lang=en;") for c in response.headers.getlist("Set-Cookie"))
    assert client.get("/konto/").status_code == 302
    with client.session_transaction() as sess:
        assert "_user_id" not in sess
        assert "lang" not in sess


def test_remember_me_is_off(client, conn):
    make_user(email="anna@example.org")
    response = login(client, "anna@example.org", remember="y")
    cookies = response.headers.getlist("Set-Cookie")
    assert not any(c.startswith("remember_token") for c in cookies)
    session_cookie = next(c for c in cookies if c.startswith("session="))
    assert "HttpOnly" in session_cookie
    assert "SameSite=Lax" in session_cookie


@pytest.mark.parametrize("role", ["coordinator", "admin"])
def test_staff_without_totp_is_sent_to_setup_and_held_there(client, conn, role):
    make_user(role=role, email="staff@example.org")
    response = login(client, "staff@example.org")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/konto/zwei-faktor/einrichten")
    with client.session_transaction() as sess:
        assert sess["mfa_ok"] is False
    for path in ("/konto/", "/verwaltung/", "/zentren/"):
        held = client.get(path)
        assert held.status_code == 302, path
        assert held.headers["Location"].startswith("/konto/zwei-faktor/einrichten")
    assert client.get("/konto/zwei-faktor/einrichten").status_code == 200
    assert client.post("/konto/abmelden").status_code == 302


def test_staff_with_totp_is_sent_to_the_code_page(client, conn):
    make_totp_user(role="coordinator", email="staff@example.org")
    response = login(client, "staff@example.org", next="/zentren/")
    assert response.headers["Location"] == "/konto/zwei-faktor?next=/zentren/"
    held = client.get("/konto/")
    assert held.headers["Location"].startswith("/konto/zwei-faktor?next=")


def test_logged_in_user_is_sent_from_login_to_profile(client, conn, login_as):
    login_as(make_user())
    assert client.get("/konto/anmelden").headers["Location"] == "/konto/"


def test_failed_logins_take_the_same_time_for_known_and_unknown_addresses(
    app, client, conn, monkeypatch
):
    app.config["ACCOUNT_RESPONSE_FLOOR_SECONDS"] = 0.25
    make_user(email="anna@example.org")
    client.get("/konto/anmelden")  # compile the template first
    durations = {"anna@example.org": [], "nobody@example.org": []}
    for email in [*durations] * 3:
        started = time.monotonic()
        assert login(client, email, "wrong password").status_code == 200
        durations[email].append(time.monotonic() - started)
    fastest = [min(d) for d in durations.values()]  # the least disturbed by other processes
    assert min(fastest) >= 0.25
    assert max(fastest) - min(fastest) < 0.15
    # A successful login is not held back.
    padded = []
    monkeypatch.setattr(account_views, "_pad", padded.append)
    assert login(client, "anna@example.org").status_code == 302
    assert padded == []


def test_login_form_needs_its_csrf_token(app, client, conn):
    app.config["WTF_CSRF_ENABLED"] = True
    make_user(email="anna@example.org")
    assert login(client, "anna@example.org").status_code == 400
    page = client.get("/konto/anmelden").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert login(client, "anna@example.org", csrf_token=token).status_code == 302
    # Logging out is a state change too.
    assert client.post("/konto/abmelden").status_code == 400
