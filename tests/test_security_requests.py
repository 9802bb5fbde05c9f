"""Request handling: HSTS in production, the proxy setting, the health check, session limits."""

from __future__ import annotations

import shutil
import time

import pytest
from flask import request, session
from flask_login import current_user

import config
from tests.factories import make_user
from volunteer_app import create_app
from volunteer_app.db import db

# Its fixtures add routes, which Flask allows only on an app that has served nothing yet.
pytestmark = pytest.mark.own_app


@pytest.fixture
def standalone_app(tmp_path, monkeypatch, sqlite_template):
    """``make(config_class, **overrides)``: an app on its own SQLite file (no shared fixture)."""
    shutil.copy(sqlite_template, tmp_path / "standalone.db")  # migrated: /healthz reads it
    monkeypatch.setattr(config.ProductionConfig, "SECRET_KEY", "k" * 40)
    monkeypatch.setattr(config.ProductionConfig, "BASE_URL", "https://ehrenamt.example")
    monkeypatch.setattr(config.ProductionConfig, "CONTROLLER_NAME", "Träger e. V.")
    monkeypatch.setattr(config.ProductionConfig, "CONTROLLER_ADDRESS", "Weg 1, 99084 Erfurt")
    monkeypatch.setattr(config.ProductionConfig, "CONTROLLER_EMAIL", "kontakt@traeger.de")

    def make(config_class=config.TestingConfig, **overrides):
        overrides.setdefault("DATABASE_URL", f"sqlite:///{tmp_path / 'standalone.db'}")
        app = create_app(config_class, **overrides)

        @app.get("/_test/client-address")
        def client_address():
            return {"remote_addr": request.remote_addr, "scheme": request.scheme}

        return app

    yield make
    if db.obj is not None and not db.obj.is_closed():
        db.obj.close()


# --- HSTS --------------------------------------------------------------------------------------


def test_hsts_is_sent_in_production_only(standalone_app):
    assert config.ProductionConfig.HSTS is True
    assert config.DevelopmentConfig.HSTS is False
    assert config.TestingConfig.HSTS is False

    production = standalone_app(config.ProductionConfig)
    response = production.test_client().get("/healthz", base_url="https://ehrenamt.example")
    assert response.status_code == 200
    hsts = response.headers.get("Strict-Transport-Security", "")
    assert "max-age=31536000" in hsts
    assert "includeSubDomains" in hsts

    for config_class in (config.TestingConfig, config.DevelopmentConfig):
        response = standalone_app(config_class).test_client().get("/healthz")
        assert response.status_code == 200
        assert "Strict-Transport-Security" not in response.headers, config_class.__name__


# --- Proxy ---------------------------------------------------------------------------------------


def test_without_proxy_setting_forwarded_headers_are_ignored(standalone_app):
    app = standalone_app(PROXY_COUNT=0)
    response = app.test_client().get(
        "/_test/client-address",
        headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"},
    )
    # Anyone can send these headers; without a proxy they must not change who we think asked.
    assert response.json == {"remote_addr": "127.0.0.1", "scheme": "http"}


def test_proxy_count_one_trusts_the_last_forwarded_address(standalone_app):
    app = standalone_app(PROXY_COUNT=1)
    client = app.test_client()
    response = client.get(
        "/_test/client-address",
        headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"},
    )
    assert response.json == {"remote_addr": "203.0.113.7", "scheme": "https"}

    # A client-supplied first entry is not believed: the proxy appends the real address.
    response = client.get(
        "/_test/client-address", headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.7"}
    )
    assert response.json["remote_addr"] == "203.0.113.7"


def test_rate_limits_count_the_forwarded_address(standalone_app):
    """Behind one proxy, limits apply per real client, not to the proxy's address."""
    from volunteer_app.extensions import limiter

    app = standalone_app(PROXY_COUNT=1)

    @app.get("/_test/limited")
    @limiter.limit("2 per minute")
    def limited():
        return "ok"

    limiter.reset()
    client = app.test_client()
    first = {"X-Forwarded-For": "203.0.113.7"}
    second = {"X-Forwarded-For": "203.0.113.8"}
    assert [client.get("/_test/limited", headers=first).status_code for _ in range(3)] == [
        200,
        200,
        429,
    ]
    assert client.get("/_test/limited", headers=second).status_code == 200


# --- Health check --------------------------------------------------------------------------------


def test_health_check_answers_ok_json(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.json["status"] == "ok"  # its parts: tests/test_fault_database.py


def test_health_check_is_get_only(client):
    assert client.post("/healthz").status_code == 405


# --- Session limits (volunteer_app/common/security.py) -------------------------------------------


@pytest.fixture
def whoami(app):

    @app.get("/_test/whoami")
    def _whoami():
        return {
            "user": current_user.get_id() if current_user.is_authenticated else None,
            "lang": session.get("lang"),
        }

    return "/_test/whoami"


def test_session_within_the_absolute_limit_stays_logged_in(client, conn, login_as, whoami):
    user = make_user()
    login_as(user)
    with client.session_transaction() as sess:
        sess["login_at"] = time.time() - 11.5 * 3600
    assert client.get(whoami).json["user"] == user.get_id()


def test_session_past_the_absolute_limit_is_logged_out(app, client, conn, login_as, whoami):
    assert app.config["SESSION_ABSOLUTE_HOURS"] == 12
    user = make_user()
    login_as(user)
    with client.session_transaction() as sess:
        sess["login_at"] = time.time() - 12 * 3600 - 5
        sess["lang"] = "en"
    response = client.get(whoami)
    assert response.json == {"user": None, "lang": None}
    # The language stays, in its own cookie (a logged-out visitor keeps no session).
    assert any(c.startswith("lang=en;") for c in response.headers.getlist("Set-Cookie"))
    with client.session_transaction() as sess:
        assert "_user_id" not in sess
        assert "login_at" not in sess
    assert client.get(whoami).json["user"] is None


def test_session_without_login_time_is_logged_out(client, conn, login_as, whoami):
    login_as(make_user())
    with client.session_transaction() as sess:
        del sess["login_at"]
    assert client.get(whoami).json["user"] is None


def test_session_cookie_is_httponly_and_samesite(client):
    # The log-in form starts a session (its CSRF token); the language switch sets its cookie.
    for response in (client.get("/konto/anmelden"), client.post("/language", data={"lang": "en"})):
        cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie
