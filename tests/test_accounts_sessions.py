"""Session rules: the per-user token, idle and absolute timeouts, cookie flags, no remember-me."""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime

import pytest
from itsdangerous import TimestampSigner

from tests.factories import PASSWORD, make_user
from tests.factories_accounts import (
    NEW_PASSWORD,
    fresh,
    log_in_by_session,
    login,
    no_timing_floor,
    use_english,
    use_fast_hashing,
)
from volunteer_app.accounts import auth
from volunteer_app.accounts.models import User


@pytest.fixture(autouse=True)
def _setup(app, client, monkeypatch):
    no_timing_floor(app)
    use_english(client)
    use_fast_hashing(monkeypatch)


def test_changed_session_token_ends_old_sessions(app, client, conn):
    user = make_user()
    log_in_by_session(client, user)
    assert client.get("/konto/").status_code == 200
    User.update(session_token="rotated-elsewhere").where(User.id == user.id).execute()
    response = client.get("/konto/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/konto/anmelden")


def test_session_of_an_inactive_user_ends(client, conn):
    user = make_user()
    log_in_by_session(client, user)
    User.update(is_active=False).where(User.id == user.id).execute()
    assert client.get("/konto/").status_code == 302


@pytest.mark.parametrize("user_id", ["", "abc", "1", "1:", "x:y", "99999:token"])
def test_malformed_or_unknown_user_id_is_anonymous(client, conn, user_id):
    with client.session_transaction() as sess:
        sess["_user_id"] = user_id
        sess["login_at"] = time.time()
    assert client.get("/konto/").status_code == 302


def test_session_older_than_the_absolute_limit_is_logged_out(app, client, conn):
    log_in_by_session(client, make_user())
    hours = app.config["SESSION_ABSOLUTE_HOURS"]
    with client.session_transaction() as sess:
        sess["login_at"] = time.time() - hours * 3600 + 60
    assert client.get("/konto/").status_code == 200  # just inside the limit
    with client.session_transaction() as sess:
        sess["login_at"] = time.time() - hours * 3600 - 1
    response = client.get("/konto/")
    assert response.status_code == 302
    with client.session_transaction() as sess:
        assert "_user_id" not in sess
    # The language outlives the session, in its own cookie (i18n.LANG_COOKIE).
    assert client.get_cookie("lang").value == "en"


def test_idle_session_expires(app, client, conn, monkeypatch):
    log_in_by_session(client, make_user())
    assert client.get("/konto/").status_code == 200
    idle = app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) + int(idle) + 5)
    response = client.get("/konto/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/konto/anmelden")


def test_activity_keeps_the_session_alive(app, client, conn, monkeypatch):
    log_in_by_session(client, make_user())
    idle = int(app.config["PERMANENT_SESSION_LIFETIME"].total_seconds())
    real = TimestampSigner.get_timestamp
    for minutes_idle in (0.8, 1.6):  # each request re-signs the cookie
        shift = int(idle * minutes_idle)
        monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self, s=shift: real(self) + s)
        assert client.get("/konto/").status_code == 200


def test_session_cookie_is_httponly_lax_and_expires_with_the_idle_timeout(app, client, conn):
    make_user(email="anna@example.org")
    response = login(client, "anna@example.org")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    expires = parsedate_to_datetime(cookie.split("Expires=")[1].split(";")[0]).timestamp()
    idle = app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
    assert abs(expires - time.time() - idle) < 60
    assert not any(c.startswith("remember_token") for c in response.headers.getlist("Set-Cookie"))


def test_secure_cookie_setting_is_honoured(app, client, conn):
    app.config["SESSION_COOKIE_SECURE"] = True
    make_user(email="anna@example.org")
    response = login(client, "anna@example.org")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "Secure" in cookie


def test_start_session_never_remembers(app, conn, monkeypatch):
    seen = {}

    def fake_login_user(user, remember=False, **kw):
        seen["remember"] = remember
        return True

    monkeypatch.setattr(auth, "login_user", fake_login_user)
    with app.test_request_context("/"):
        auth.start_session(make_user(), second_factor_done=True)
    assert seen == {"remember": False}
    assert app.config["REMEMBER_COOKIE_DURATION"].total_seconds() == 0


def test_password_change_rotates_token_for_everyone_but_this_session(app, client, conn):
    user = make_user()
    log_in_by_session(client, user)
    second = log_in_by_session(app.test_client(), user)
    third = log_in_by_session(app.test_client(), user)
    client.post(
        "/konto/passwort", data={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert fresh(user).session_token != user.session_token
    assert client.get("/konto/").status_code == 200
    assert second.get("/konto/").status_code == 302
    assert third.get("/konto/").status_code == 302
