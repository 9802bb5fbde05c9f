"""An expired form (CSRF) and a rate-limited form are shown again as typed, with one sentence.

Design: volunteer_app/common/refusal.py and docs/security.md ("CSRF and safe methods").
A refused request runs its view once more with every form declining to validate, inside a
transaction that is rolled back; anything but the form's page becomes the error page with
the session as it was. These tests post without a valid token (or past a rate limit) and
check the page, the status, the headers and that nothing changed.
"""

from __future__ import annotations

import html
import re
import time

import pytest

from tests.factories import make_centre, make_user
from tests.test_security_csrf import (
    NO_TOKEN_WITHOUT_LOGIN,
    STATE_METHODS,
    _changes,
    _snapshot,
    _urls,
    _world,
)
from volunteer_app.accounts.models import User
from volunteer_app.wishes.models import Wish

EXPIRED_DE = "Das Formular war zu lange offen. Bitte senden Sie es noch einmal."
EXPIRED_EN = "The form was open too long. Please send it again."
EXPIRED_PAGE_DE = "Das Formular ist abgelaufen. Bitte laden Sie die Seite neu"
WISHES = "/zentren/sonnenblume/wuensche"


@pytest.fixture
def csrf_on(app):
    app.config["WTF_CSRF_ENABLED"] = True
    return app


@pytest.fixture
def centre(conn):
    return make_centre(name="ThEKiZ Sonnenblume", slug="sonnenblume")


def _logged_in(client, user):
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True
        sess["login_at"] = sess["auth_at"] = time.time()
        sess["mfa_ok"] = True
    return client


def _page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _value_of(page: str, name: str) -> str | None:
    tag = re.search(rf'<(?:input|textarea)[^>]*\bname="{name}"[^>]*>', page)
    if tag is None:
        return None
    if tag.group(0).startswith("<textarea"):
        return page[tag.end() : page.index("</textarea>", tag.end())].strip()
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0))
    return value.group(1) if value else ""


# --- An expired form -------------------------------------------------------------------------


def test_an_expired_wish_form_comes_back_as_typed_and_nothing_is_stored(csrf_on, centre):
    client = csrf_on.test_client()
    client.get(WISHES)  # the session has a token now, the post carries an old one
    before = _snapshot()
    response = client.post(
        WISHES,
        data={
            "title": "Ein Kletterkurs für Väter",
            "description": "Samstags, wenn möglich.\nMit Kindern ab 4.",
            "email": "papa@example.org",
            "consent": "y",
            "csrf_token": "abgelaufen",
        },
    )
    page = _page(response)
    assert response.status_code == 400
    assert page.count(EXPIRED_DE) == 1
    assert 'role="alert"' in page
    assert _value_of(page, "title") == "Ein Kletterkurs für Väter"
    assert _value_of(page, "description") == "Samstags, wenn möglich.\nMit Kindern ab 4."
    assert _value_of(page, "email") == "papa@example.org"
    consent = re.search(r'<input[^>]*name="consent"[^>]*>', page).group(0)
    assert "checked" in consent
    assert "Bitte korrigieren Sie" not in page  # no field errors: just the one sentence
    assert 'name="csrf_token"' in page  # a fresh token: sending again works
    assert _changes(before, _snapshot()) == []
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', response.get_data(as_text=True))
    again = client.post(
        WISHES, data={"title": "Ein Kletterkurs für Väter", "csrf_token": token.group(1)}
    )
    assert again.status_code == 302
    assert Wish.get().title == "Ein Kletterkurs für Väter"


def test_an_expired_form_of_a_logged_in_person_keeps_the_values_and_the_account(csrf_on, conn):
    user = make_user(name="Anna Beispiel", phone="", locale="en")
    client = _logged_in(csrf_on.test_client(), user)
    client.get("/konto/")
    before = _snapshot()
    response = client.post(
        "/konto/daten",
        data={"name": "Anna Neu", "phone": "0361 123", "locale": "en", "csrf_token": "x" * 40},
    )
    page = _page(response)
    assert response.status_code == 400
    assert page.count(EXPIRED_EN) == 1
    assert _value_of(page, "name") == "Anna Neu"
    assert _value_of(page, "phone") == "0361 123"
    assert "Log out" in page  # still logged in
    assert _changes(before, _snapshot()) == []
    assert User.get_by_id(user.id).name == "Anna Beispiel"


def test_a_password_is_never_sent_back(csrf_on, conn):
    client = csrf_on.test_client()
    response = client.post(
        "/konto/registrieren",
        data={"name": "Nora", "email": "nora@example.org", "password": "geheimes Passwort 7"},
    )
    page = _page(response)
    assert response.status_code == 400
    assert page.count(EXPIRED_DE) == 1
    assert _value_of(page, "email") == "nora@example.org"
    assert "geheimes Passwort 7" not in page
    assert User.select().count() == 0


def test_a_post_from_another_site_gets_the_plain_error_page(csrf_on, centre):
    """No other site can make us show a page filled with its values (a prefilled form is a
    phishing aid): a cross-site post is refused as before, with nothing of it shown."""
    client = csrf_on.test_client()
    for headers in (
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
    ):
        response = client.post(WISHES, data={"title": "Gewinnspiel hier"}, headers=headers)
        page = _page(response)
        assert response.status_code == 400
        assert 'class="error-code"' in page
        assert EXPIRED_PAGE_DE in page and EXPIRED_DE not in page
        assert "Gewinnspiel hier" not in page
    assert Wish.select().count() == 0


def test_a_same_origin_post_is_shown_again(csrf_on, centre):
    client = csrf_on.test_client()
    headers = {"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"}
    response = client.post(WISHES, data={"title": "Babymassage"}, headers=headers)
    assert response.status_code == 400
    assert _value_of(_page(response), "title") == "Babymassage"


def test_a_button_without_a_form_page_gets_the_error_page_and_keeps_the_session(csrf_on, conn):
    """Logging out has no page to show again: the error page, and still logged in."""
    user = make_user(locale="de")
    client = _logged_in(csrf_on.test_client(), user)
    response = client.post("/konto/abmelden")
    page = _page(response)
    assert response.status_code == 400
    assert page.count(EXPIRED_PAGE_DE) == 1 and EXPIRED_DE not in page
    assert "Abmelden" in page  # the layout still shows the person
    with client.session_transaction() as sess:
        assert sess["_user_id"] == user.get_id()


PROBLEM = "application/problem+json"


def test_every_refused_post_says_it_once_and_changes_nothing(csrf_on, conn):
    """Every state-changing route, as anonymous, volunteer and admin, without a valid token:
    400, the one sentence exactly once (above the form shown again, or as the error page's
    text), no database change."""
    values, users = _world()
    clients = {"anonymous": csrf_on.test_client()}
    clients.update({role: _logged_in(csrf_on.test_client(), u) for role, u in users.items()})
    before = _snapshot()
    problems, shown_again, checked = [], 0, 0
    for rule in csrf_on.url_map.iter_rules():
        for method in sorted(rule.methods & STATE_METHODS):
            for url in _urls(csrf_on, rule, values):
                for who, client in clients.items():
                    if who == "anonymous" and url in NO_TOKEN_WITHOUT_LOGIN:
                        continue  # sets only a language cookie (tests/test_security_csrf.py)
                    response = client.open(url, method=method, data={"x": "1"})
                    checked += 1
                    if url.startswith("/api/"):
                        # The API takes no session and no CSRF token, only a bearer token:
                        # without one, a 401 problem (tests/test_api_authz.py has the rest).
                        if response.status_code != 401 or response.mimetype != PROBLEM:
                            problems.append(f"{method} {url} as {who}: {response.status_code}")
                        continue
                    page = _page(response)
                    said = page.count(EXPIRED_DE) + page.count(EXPIRED_PAGE_DE)
                    if response.status_code != 400 or said != 1:
                        problems.append(f"{method} {url} as {who}: {response.status_code}, {said}")
                    shown_again += EXPIRED_DE in page
    assert not problems, "\n".join(problems)
    assert _changes(before, _snapshot()) == []
    assert checked > 100 and shown_again > 20


# --- A rate-limited form ---------------------------------------------------------------------


def _retry_after(response) -> int:
    seconds = int(response.headers["Retry-After"])
    assert 0 < seconds <= 3601
    return seconds


def test_a_rate_limited_login_keeps_the_address_but_not_the_password(app, client, conn):
    app.config["RATELIMIT_LOGIN"] = "2 per minute"
    data = {"email": "anna@example.org", "password": "falsches Passwort"}
    assert [client.post("/konto/anmelden", data=data).status_code for _ in range(2)] == [200, 200]
    response = client.post("/konto/anmelden", data=data)
    page = _page(response)
    assert response.status_code == 429
    assert _retry_after(response) <= 61
    assert page.count("Sie haben dieses Formular zu oft gesendet.") == 1
    assert "Bitte senden Sie es in 1 Minute noch einmal." in page
    assert _value_of(page, "email") == "anna@example.org"
    assert "falsches Passwort" not in page
    assert "Die Anmeldung hat nicht geklappt" not in page  # no other message


def test_a_rate_limited_registration_stores_nothing_and_says_when(app, client, conn):
    app.config["RATELIMIT_ACCOUNT_MAIL"] = "1 per hour"
    first = {"name": "Nora", "email": "nora@example.org", "password": "ein langes Passwort 1"}
    assert client.post("/konto/registrieren", data={**first, "consent": "y"}).status_code == 302
    before = _snapshot()
    second = {"name": "Otto Zweiter", "email": "otto@example.org", "consent": "y"}
    response = client.post(
        "/konto/registrieren", data={**second, "password": "noch ein Passwort 2"}
    )
    page = _page(response)
    assert response.status_code == 429
    _retry_after(response)
    minutes = re.search(r"Bitte senden Sie es in (\d+) Minuten noch einmal\.", page).group(1)
    assert 59 <= int(minutes) <= 60
    assert _value_of(page, "name") == "Otto Zweiter"
    assert _value_of(page, "email") == "otto@example.org"
    assert "noch ein Passwort 2" not in page
    assert _changes(before, _snapshot()) == []


def test_a_rate_limited_wish_keeps_its_text(app, client, centre):
    app.config["RATELIMIT_WISHES"] = "1 per hour"
    assert client.post(WISHES, data={"title": "Babymassage"}).status_code == 302
    response = client.post(
        WISHES, data={"title": "Vorlesen auf Arabisch", "description": "Für Kinder ab 3."}
    )
    page = _page(response)
    assert response.status_code == 429
    _retry_after(response)
    assert page.count("Sie haben dieses Formular zu oft gesendet.") == 1
    assert _value_of(page, "title") == "Vorlesen auf Arabisch"
    assert _value_of(page, "description") == "Für Kinder ab 3."
    assert Wish.select().count() == 1


def test_a_rate_limited_button_gets_the_error_page_with_the_wait(app, client, centre):
    """Supporting a wish has no form to show again: the 429 page says how long to wait."""
    from tests.factories_wishes import make_wish

    app.config["RATELIMIT_WISH_SUPPORT"] = "1 per minute"
    wishes = [make_wish(centre, title=f"Wunsch {n}") for n in range(2)]
    assert client.post(f"{WISHES}/{wishes[0].id}/unterstuetzen").status_code == 302
    response = client.post(f"{WISHES}/{wishes[1].id}/unterstuetzen")
    page = _page(response)
    assert response.status_code == 429
    assert _retry_after(response) <= 61
    assert 'class="error-code"' in page
    assert "Zu viele Versuche. Bitte warten Sie 1 Minute" in page


def test_refused_requests_do_not_count_against_the_limit(app, csrf_on, client, centre):
    app.config["RATELIMIT_WISHES"] = "1 per hour"
    for _ in range(3):
        assert client.post(WISHES, data={"title": "Ohne Token"}).status_code == 400
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(WISHES).text).group(1)
    assert client.post(WISHES, data={"title": "Mit Token", "csrf_token": token}).status_code == 302
