"""The application starts, serves the start page and refuses unsafe production settings."""

import pytest

import config
from tests.factories import make_centre
from volunteer_app import create_app


def test_start_page_lists_centres(client, conn):
    make_centre(name="ThEKiZ Sonnenschein", town="Jena")
    response = client.get("/")
    assert response.status_code == 200
    assert "ThEKiZ Sonnenschein" in response.get_data(as_text=True)


def test_production_refuses_default_secret(monkeypatch):
    monkeypatch.setattr(config.ProductionConfig, "SECRET_KEY", config.DEV_SECRET)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(config.ProductionConfig)


def test_production_refuses_plain_http_base_url(monkeypatch):
    monkeypatch.setattr(config.ProductionConfig, "SECRET_KEY", "x" * 40)
    monkeypatch.setattr(config.ProductionConfig, "BASE_URL", "http://example.org")
    with pytest.raises(RuntimeError, match="BASE_URL"):
        create_app(config.ProductionConfig)


def test_production_refuses_mail_to_the_log(monkeypatch):
    monkeypatch.setattr(config.ProductionConfig, "SECRET_KEY", "x" * 40)
    monkeypatch.setattr(config.ProductionConfig, "BASE_URL", "https://ehrenamt.example")
    monkeypatch.setattr(config.ProductionConfig, "MAIL_BACKEND", "log")
    with pytest.raises(RuntimeError, match="MAIL_BACKEND"):
        create_app(config.ProductionConfig)
