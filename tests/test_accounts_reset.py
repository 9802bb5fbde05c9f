"""Password reset: same answer for every address, single-use links, every session ends."""

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
from volunteer_app.accounts.models import LoginToken
from volunteer_app.db import utcnow
from volunteer_app.notifications.models import OutboxMessage

PREFIX = "/konto/passwort-neu/"


@pytest.fixture(autouse=True)
def _setup(app, client, monkeypatch):
    no_timing_floor(app)
    use_english(client)
    use_fast_hashing(monkeypatch)


def request_reset(client, email="anna@example.org"):
    return client.post("/konto/passwort-vergessen", data={"email": email})


def test_unknown_and_known_addresses_get_the_same_page(client, conn):
    make_user(email="anna@example.org")
    known = request_reset(client, "Anna@Example.org")
    unknown = request_reset(client, "nobody@example.org")
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    assert known.headers["Location"] == "/konto/post-unterwegs?what=reset"
    page = client.get(known.headers["Location"]).get_data(as_text=True)
    assert "If an account exists for this address" in page
    assert [m.recipient for m in OutboxMessage.select()] == ["anna@example.org"]


def test_reset_changes_password_ends_sessions_and_clears_lock(app, client, conn):
    user = make_user(
        email="anna@example.org", failed_logins=3, locked_until=utcnow() + dt.timedelta(minutes=5)
    )
    other_device = log_in_by_session(app.test_client(), user)
    assert other_device.get("/konto/").status_code == 200
    request_reset(client)
    path = last_link("anna@example.org", PREFIX)
    form = client.get(path)
    assert form.status_code == 200
    assert 'autocomplete="new-password"' in form.get_data(as_text=True)
    response = client.post(path, data={"password": NEW_PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/konto/anmelden"
    assert "Please log in" in client.get("/konto/anmelden").get_data(as_text=True)
    changed = fresh(user)
    assert passwords.verify_password(changed.password_hash, NEW_PASSWORD)
    assert changed.session_token != user.session_token
    assert changed.failed_logins == 0 and changed.locked_until is None
    assert other_device.get("/konto/").status_code == 302
    assert "geändert" in mails_to("anna@example.org")[-1].subject
    assert login(client, "anna@example.org", PASSWORD).status_code == 200
    assert login(client, "anna@example.org", NEW_PASSWORD).status_code == 302


def test_reset_link_works_once(client, conn):
    make_user(email="anna@example.org")
    request_reset(client)
    path = last_link("anna@example.org", PREFIX)
    assert client.post(path, data={"password": NEW_PASSWORD}).status_code == 302
    again = client.post(path, data={"password": "yet another passphrase"})
    assert again.status_code == 400
    assert "already been used" in again.get_data(as_text=True)
    assert client.get(path).status_code == 400


def test_expired_and_unknown_reset_links_are_refused(client, conn):
    user = make_user(email="anna@example.org")
    request_reset(client)
    path = last_link("anna@example.org", PREFIX)
    LoginToken.update(expires_at=utcnow() - dt.timedelta(seconds=1)).execute()
    expired = client.post(path, data={"password": NEW_PASSWORD})
    assert expired.status_code == 400
    assert "expired" in expired.get_data(as_text=True)
    assert 'href="/konto/passwort-vergessen"' in expired.get_data(as_text=True)
    assert fresh(user).password_hash == user.password_hash
    assert client.get(PREFIX + "made-up-token").status_code == 400


def test_a_new_request_replaces_the_older_link(client, conn):
    make_user(email="anna@example.org")
    request_reset(client)
    first = last_link("anna@example.org", PREFIX)
    request_reset(client)
    second = last_link("anna@example.org", PREFIX)
    assert client.get(first).status_code == 400
    assert client.get(second).status_code == 200


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("", "Please choose a password."),
        ("short", "between 8 and 128"),
        ("q" * 129, "between 8 and 128"),
        ("iloveyou", "too common"),
        ("ANNA@example.org", "must not be your e-mail address"),
        ("good length\x7fbut control", "control characters"),
    ],
)
def test_weak_new_password_is_refused_and_link_stays_valid(client, conn, password, message):
    user = make_user(email="anna@example.org")
    request_reset(client)
    path = last_link("anna@example.org", PREFIX)
    response = client.post(path, data={"password": password})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert fresh(user).password_hash == user.password_hash
    assert LoginToken.get().used_at is None


def test_reset_confirms_an_unconfirmed_address(client, conn):
    user = make_user(email="anna@example.org", email_confirmed_at=None)
    request_reset(client)
    client.post(last_link("anna@example.org", PREFIX), data={"password": NEW_PASSWORD})
    assert fresh(user).email_confirmed_at is not None


def test_bad_request_input_is_a_form_error(client, conn):
    for email, message in [
        ("", "Please enter your e-mail address."),
        ("anna", "valid e-mail address"),
        ("a\x00@example.org", "control characters"),
    ]:
        response = request_reset(client, email)
        assert response.status_code == 200
        assert message in response.get_data(as_text=True)
    assert OutboxMessage.select().count() == 0


def test_reset_requests_are_rate_limited_per_ip(client, conn):
    for _ in range(5):
        assert request_reset(client, "nobody@example.org").status_code == 302
    assert request_reset(client, "nobody@example.org").status_code == 429


def test_known_and_unknown_addresses_take_the_same_time(app, client, conn):
    app.config["ACCOUNT_RESPONSE_FLOOR_SECONDS"] = 0.25
    app.config["RATELIMIT_ACCOUNT_MAIL"] = "100 per minute"
    make_user(email="anna@example.org")
    durations = {"anna@example.org": [], "nobody@example.org": []}
    for email in [*durations] * 3:
        started = time.monotonic()
        assert request_reset(client, email).status_code == 302
        durations[email].append(time.monotonic() - started)
    fastest = [min(d) for d in durations.values()]  # the least disturbed by other processes
    assert min(fastest) >= 0.25
    assert max(fastest) - min(fastest) < 0.15
    assert len(mails_to("anna@example.org")) == 3
