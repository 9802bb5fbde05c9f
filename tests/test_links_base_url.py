"""Absolute links (mails, feeds, QR codes, posters) work where the app runs.

In development without ``BASE_URL`` they follow the address the app is served on: the
request's host, and ``PORT`` (what `make run` serves on) for the job consumer, which has no
request. Production keeps the configured ``BASE_URL`` whatever the Host header says, and
refuses to start with one that is not https.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import config
from tests.factories import make_centre
from tests.factories_accounts import mails_to
from volunteer_app import create_app
from volunteer_app.common.urls import base_url, external_url
from volunteer_app.db import db
from volunteer_app.feeds import qr

ROOT = Path(__file__).resolve().parent.parent
DEV = "http://127.0.0.1:5301"
REGISTRATION = {
    "name": "Nora Neumann",
    "email": "nora@example.org",
    "password": "a long and new passphrase",
    "consent": "y",
}


def _settings(**env) -> dict:
    """The settings a fresh process reads from ``env`` (config.py reads them at import)."""
    clean = {k: v for k, v in os.environ.items() if k not in ("BASE_URL", "PORT", "APP_ENV")}
    code = (
        "import json, config\n"
        "c = config.config_from_env()\n"
        "print(json.dumps([c.BASE_URL, c.BASE_URL_FROM_REQUEST]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def test_development_takes_its_address_from_port():
    assert _settings(APP_ENV="development", PORT="5301") == [DEV, True]
    assert _settings(APP_ENV="development") == ["http://127.0.0.1:5000", True]
    # A BASE_URL set on purpose (a tunnel, a test host) is kept, request or not.
    assert _settings(APP_ENV="development", PORT="5301", BASE_URL="https://dev.example/") == [
        "https://dev.example",
        False,
    ]


def test_production_never_follows_the_request_and_refuses_plain_http():
    assert config.ProductionConfig.BASE_URL_FROM_REQUEST is False
    assert config.TestingConfig.BASE_URL_FROM_REQUEST is False
    assert _settings(APP_ENV="production", PORT="5301")[1] is False
    clean = {k: v for k, v in os.environ.items() if k not in ("BASE_URL", "PORT", "APP_ENV")}
    code = "from volunteer_app import create_app; create_app()"
    env = {**clean, "APP_ENV": "production", "PORT": "5301", "SECRET_KEY": "s" * 40}
    refused = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert refused.returncode != 0
    assert "Production needs BASE_URL set to the public https:// address." in refused.stderr


@pytest.fixture
def dev_at_5301(app, monkeypatch):
    """The app as `PORT=5301 make run` configures it (development, no BASE_URL)."""
    monkeypatch.setitem(app.config, "BASE_URL", DEV)
    monkeypatch.setitem(app.config, "BASE_URL_FROM_REQUEST", True)
    return app


def test_a_dev_app_at_another_port_mails_links_to_that_port(dev_at_5301, client, conn):
    response = client.post("/konto/registrieren", data=REGISTRATION, base_url=DEV)
    assert response.status_code == 302
    [mail] = mails_to("nora@example.org")
    assert f"{DEV}/konto/bestaetigen/" in mail.body_text
    assert f'href="{DEV}/konto/bestaetigen/' in mail.body_html
    assert f'href="{DEV}/"' in mail.body_html  # the layout's link home
    assert "5000" not in mail.body_text + mail.body_html
    assert "localhost" not in mail.body_text


def test_a_dev_app_follows_the_host_it_was_reached_at(dev_at_5301, client, conn):
    client.post("/konto/registrieren", data=REGISTRATION, base_url="http://localhost:5301")
    [mail] = mails_to("nora@example.org")
    assert "http://localhost:5301/konto/bestaetigen/" in mail.body_text


def test_a_dev_apps_feeds_qr_codes_and_posters_link_to_its_port(dev_at_5301, client, conn):
    centre = make_centre(name="ThEKiZ Sonnenblume", slug="sonnenblume")
    page = client.get("/zentren/sonnenblume/kalender", base_url=DEV).get_data(as_text=True)
    assert "webcal://127.0.0.1:5301/zentren/sonnenblume/kalender.ics" in page
    poster = client.get("/zentren/sonnenblume/aushang", base_url=DEV).get_data(as_text=True)
    assert f"{DEV}/zentren/sonnenblume/kalender" in poster
    code = client.get("/zentren/sonnenblume/kalender/qr.svg", base_url=DEV).get_data(as_text=True)
    assert code == str(qr.svg(f"{DEV}/zentren/sonnenblume/kalender", label=centre.name))
    feed = client.get("/zentren/sonnenblume/kalender.ics", base_url=DEV).get_data(as_text=True)
    assert "URL;VALUE=URI:http://127.0.0.1:5301/zentren/sonnenblume" in feed.replace("\r\n ", "")
    for body in (page, poster, feed):
        assert ":5000" not in body and "//localhost" not in body


def test_a_feed_cached_for_another_address_is_rendered_again(dev_at_5301, client, conn):
    make_centre(name="ThEKiZ Sonnenblume", slug="sonnenblume")
    url = "/zentren/sonnenblume/kalender.ics"
    old = client.get(url, base_url="http://127.0.0.1:5000").get_data(as_text=True)
    assert "127.0.0.1:5000/zentren/sonnenblume" in old.replace("\r\n ", "")
    new = client.get(url, base_url=DEV).get_data(as_text=True)
    assert "127.0.0.1:5301/zentren/sonnenblume" in new.replace("\r\n ", "")


def test_jobs_without_a_request_use_the_port_derived_base_url(dev_at_5301, conn):
    assert base_url() == DEV
    assert external_url("accounts.login") == f"{DEV}/konto/anmelden"


def test_with_a_fixed_base_url_the_host_header_is_ignored(app, client, conn, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", "https://ehrenamt.example")
    client.post("/konto/registrieren", data=REGISTRATION, base_url="http://evil.example:5301")
    [mail] = mails_to("nora@example.org")
    assert "https://ehrenamt.example/konto/bestaetigen/" in mail.body_text
    assert "evil.example" not in mail.body_text + mail.body_html


def test_production_ignores_the_host_header(sqlite_template, tmp_path, monkeypatch):
    monkeypatch.setattr(config.ProductionConfig, "SECRET_KEY", "p" * 40)
    monkeypatch.setattr(config.ProductionConfig, "BASE_URL", "https://ehrenamt.example")
    monkeypatch.setattr(config.ProductionConfig, "CONTROLLER_NAME", "Träger e. V.")
    monkeypatch.setattr(config.ProductionConfig, "CONTROLLER_ADDRESS", "Weg 1, 99084 Erfurt")
    monkeypatch.setattr(config.ProductionConfig, "CONTROLLER_EMAIL", "kontakt@traeger.de")
    path = tmp_path / "production.db"
    shutil.copy(sqlite_template, path)
    app = create_app(config.ProductionConfig, DATABASE_URL=f"sqlite:///{path}")
    try:
        with app.app_context(), db.connection_context():
            make_centre(name="ThEKiZ Sonnenblume", slug="sonnenblume")
        client = app.test_client()
        evil = "https://evil.example:5301"
        for url in ("/zentren/sonnenblume/kalender", "/zentren/sonnenblume/aushang",
                    "/zentren/sonnenblume/kalender.ics", "/zentren/sonnenblume"):  # fmt: skip
            body = client.get(url, base_url=evil).get_data(as_text=True)
            assert "ehrenamt.example/zentren/sonnenblume" in body.replace("\r\n ", ""), url
            assert "evil.example" not in body, url
    finally:
        if db.obj is not None and not db.obj.is_closed():
            db.obj.close()
