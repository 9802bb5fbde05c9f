"""Generic error pages, in German by default and in English after switching language."""

from __future__ import annotations

import logging

import pytest
from flask import abort

from volunteer_app.common.errors import Conflict, DomainError, InvalidToken, NotAllowed, NotFound

# Its fixtures add routes, which Flask allows only on an app that has served nothing yet.
pytestmark = pytest.mark.own_app

SECRET_DETAIL = "database password is hunter2"

# code: (how to get it, German title, German text, English title, English text)
ERRORS = {
    400: (
        "/_test/abort/400",
        "Die Anfrage konnte nicht verarbeitet werden",
        "Bitte gehen Sie zurück und versuchen Sie es noch einmal.",
        "The request could not be understood",
        "Please go back and try again.",
    ),
    403: (
        "/_test/abort/403",
        "Sie dürfen diese Seite nicht öffnen",
        "wenden Sie sich an die Koordination Ihres Zentrums",
        "You may not open this page",
        "ask the coordinator of your centre",
    ),
    404: (
        "/gibt-es-nicht",
        "Seite nicht gefunden",
        "Vielleicht ist die Adresse falsch geschrieben",
        "Page not found",
        "The address may be mistyped",
    ),
    405: (
        "POST /datenschutz",
        "Diese Aktion ist hier nicht möglich",
        "Bitte nutzen Sie die Links und Schaltflächen auf der Seite.",
        "This action is not possible here",
        "Please use the links and buttons on the page.",
    ),
    429: (
        "/_test/abort/429",
        "Zu viele Anfragen",
        "Bitte warten Sie einen Moment",
        "Too many requests",
        "Please wait a moment",
    ),
    500: (
        "/_test/boom",
        "Bei uns ist etwas schiefgelaufen",
        "Der Fehler wurde aufgezeichnet.",
        "Something went wrong on our side",
        "The error has been logged.",
    ),
}


@pytest.fixture
def error_app(app):
    """The app with routes that fail on purpose, and 500s handled as in production."""
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/_test/abort/<int:code>")
    def _abort(code):
        abort(code)

    @app.get("/_test/boom")
    def _boom():
        raise RuntimeError(SECRET_DETAIL)

    domain_errors = {
        "not-found": NotFound("Dieses Angebot gibt es nicht mehr."),
        "not-allowed": NotAllowed("Das darf nur die Koordination."),
        "conflict": Conflict("Der Platz ist schon vergeben."),
        "token": InvalidToken("Der Link ist abgelaufen."),
        "other": DomainError("Das geht so nicht."),
    }

    @app.get("/_test/domain/<kind>")
    def _domain(kind):
        raise domain_errors[kind]

    return app


def _request(client, how):
    if how.startswith("POST "):
        return client.post(how[5:])
    return client.get(how)


def _switch_to_english(client):
    response = client.post("/language", data={"lang": "en", "next": "/"})
    assert response.status_code == 302


@pytest.mark.parametrize("code", list(ERRORS))
def test_error_page_is_german_by_default(error_app, client, code):
    how, title, text, *_ = ERRORS[code]
    response = _request(client, how)
    html = response.get_data(as_text=True)
    assert response.status_code == code
    assert response.mimetype == "text/html"
    assert '<html lang="de" dir="ltr">' in html
    assert f"<h1>{title}</h1>" in html
    assert text in html
    assert 'href="/"' in html  # a way back to the start page
    assert "Content-Security-Policy" in response.headers


@pytest.mark.parametrize("code", list(ERRORS))
def test_error_page_is_english_after_switching(error_app, client, code):
    how, _de_title, de_text, title, text = ERRORS[code]
    _switch_to_english(client)
    response = _request(client, how)
    html = response.get_data(as_text=True)
    assert response.status_code == code
    assert '<html lang="en" dir="ltr">' in html
    assert f"<h1>{title}</h1>" in html
    assert text in html
    assert de_text not in html


def test_server_error_page_reveals_nothing_but_is_logged(error_app, client, caplog):
    with caplog.at_level(logging.ERROR):
        response = client.get("/_test/boom")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert SECRET_DETAIL not in html
    assert "RuntimeError" not in html
    assert "Traceback" not in html
    assert any(SECRET_DETAIL in (r.exc_text or "") + r.getMessage() for r in caplog.records)


def test_method_not_allowed_keeps_the_allow_header(error_app, client):
    response = client.post("/datenschutz")
    assert response.status_code == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "HEAD"}


@pytest.mark.parametrize(("code", "family"), [(410, 400), (413, 400), (418, 400), (503, 500)])
def test_other_error_codes_get_the_generic_page(error_app, client, code, family):
    response = client.get(f"/_test/abort/{code}")
    html = response.get_data(as_text=True)
    assert response.status_code == code
    assert f"<h1>{ERRORS[family][1]}</h1>" in html
    assert '<html lang="de" dir="ltr">' in html


def test_csrf_failure_page_explains_the_expired_form(error_app, client):
    error_app.config["WTF_CSRF_ENABLED"] = True
    # Logging out has no form to show again (the language switch needs no token without a login).
    response = client.post("/konto/abmelden")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f"<h1>{ERRORS[400][1]}</h1>" in html
    assert "Das Formular ist abgelaufen. Bitte laden Sie die Seite neu" in html


@pytest.mark.parametrize(
    ("kind", "code", "message"),
    [
        ("not-found", 404, "Dieses Angebot gibt es nicht mehr."),
        ("not-allowed", 403, "Das darf nur die Koordination."),
        ("conflict", 409, "Der Platz ist schon vergeben."),
        ("token", 400, "Der Link ist abgelaufen."),
        ("other", 400, "Das geht so nicht."),
    ],
)
def test_domain_error_escaping_a_view_is_a_clear_page_not_a_500(
    error_app, client, kind, code, message
):
    response = client.get(f"/_test/domain/{kind}")
    assert response.status_code == code
    assert message in response.get_data(as_text=True)
