"""Self-registration, the confirmation link and the unconfirmed-login path."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import PASSWORD, make_user
from tests.factories_accounts import (
    fresh,
    last_link,
    login,
    mails_to,
    no_timing_floor,
    use_english,
    use_fast_hashing,
)
from volunteer_app.accounts.models import Consent, LoginToken, User
from volunteer_app.db import utcnow
from volunteer_app.notifications.models import OutboxMessage

GOOD = {
    "name": "Anna Beispiel",
    "email": "anna@example.org",
    "password": "sunflowers in the garden",
    "consent": "y",
}


@pytest.fixture(autouse=True)
def _setup(app, client, monkeypatch):
    no_timing_floor(app)
    use_english(client)
    use_fast_hashing(monkeypatch)


def register(client, **overrides):
    return client.post("/konto/registrieren", data={**GOOD, **overrides})


def test_registration_creates_unconfirmed_volunteer_with_consent_and_mail(client, conn):
    response = register(client, email="  Anna@Example.ORG ")
    assert response.status_code == 302
    assert response.headers["Location"] == "/konto/post-unterwegs?what=register"
    user = User.get(User.email == "anna@example.org")
    assert user.role == "volunteer"
    assert user.email_confirmed_at is None
    assert user.locale == "en"  # the language the page was shown in
    assert user.password_hash.startswith("$argon2id$")
    consent = Consent.get(Consent.user == user)
    assert (consent.kind, consent.version) == ("privacy", "2026-11")
    assert consent.given_at is not None
    token = LoginToken.get(LoginToken.user == user)
    assert token.purpose == "confirm"
    assert dt.timedelta(minutes=59) < token.expires_at - utcnow() <= dt.timedelta(minutes=60)
    [mail] = mails_to("anna@example.org")
    path = last_link("anna@example.org", "/konto/bestaetigen/")
    # Only the hash is stored, never the token itself.
    raw = path.rsplit("/", 1)[1]
    assert raw not in token.token_hash and len(token.token_hash) == 64
    assert "Please confirm" in mail.subject
    page = client.get(response.headers["Location"])
    assert "Please check your mail" in page.get_data(as_text=True)


def test_link_uses_base_url_not_host_header(client, conn):
    client.post(
        "/konto/registrieren",
        data={**GOOD, "email": "bert@example.org"},
        headers={"Host": "evil.example"},
    )
    [mail] = mails_to("bert@example.org")
    assert "evil.example" not in mail.body_text + mail.body_html
    assert "http://localhost/konto/bestaetigen/" in mail.body_text


def test_confirmation_link_confirms_and_logs_in_once(client, conn):
    register(client)
    path = last_link("anna@example.org", "/konto/bestaetigen/")
    # GET shows a button and changes nothing (mail scanners follow links).
    page = client.get(path)
    assert page.status_code == 200
    assert fresh(User.get(User.email == "anna@example.org")).email_confirmed_at is None
    response = client.post(path)
    assert response.status_code == 302
    assert response.headers["Location"] == "/konto/"
    user = User.get(User.email == "anna@example.org")
    assert user.email_confirmed_at is not None
    profile = client.get("/konto/")
    assert profile.status_code == 200
    assert "Your e-mail address is confirmed" in profile.get_data(as_text=True)
    # The link is spent.
    again = client.post(path)
    assert again.status_code == 400
    assert "already been used" in again.get_data(as_text=True)


def test_expired_and_unknown_confirmation_links_offer_a_new_one(client, conn):
    register(client)
    path = last_link("anna@example.org", "/konto/bestaetigen/")
    LoginToken.update(expires_at=utcnow() - dt.timedelta(seconds=1)).execute()
    for response in (client.get(path), client.post(path)):
        assert response.status_code == 400
        body = response.get_data(as_text=True)
        assert "This link has expired" in body
        assert 'action="/konto/bestaetigung-anfordern"' in body
    assert User.get(User.email == "anna@example.org").email_confirmed_at is None
    unknown = client.post("/konto/bestaetigen/not-a-real-token")
    assert unknown.status_code == 400
    assert "not valid" in unknown.get_data(as_text=True)
    assert client.get("/konto/bestaetigen/" + "x" * 500).status_code == 400


def test_reset_link_does_not_work_as_confirmation_link(client, conn):
    register(client)
    client.post("/konto/passwort-vergessen", data={"email": "anna@example.org"})
    reset_path = last_link("anna@example.org", "/konto/passwort-neu/")
    token = reset_path.rsplit("/", 1)[1]
    assert client.post("/konto/bestaetigen/" + token).status_code == 400


def test_duplicate_in_other_letter_case_gets_same_answer_and_a_notice(client, conn):
    owner = make_user(email="anna@example.org", name="Anna Alt")
    first = register(client, email="ANNA@example.org", name="Someone Else")
    assert first.status_code == 302
    assert first.headers["Location"] == "/konto/post-unterwegs?what=register"
    assert User.select().where(User.email == "anna@example.org").count() == 1
    assert fresh(owner).name == "Anna Alt"
    assert fresh(owner).password_hash == owner.password_hash
    assert [c.user_id for c in Consent.select()] == [owner.id]  # the owner's own, no new one
    assert LoginToken.select().count() == 0
    [notice] = mails_to("anna@example.org")
    assert "/konto/anmelden" in notice.body_text
    assert "/konto/passwort-vergessen" in notice.body_text
    assert "/konto/bestaetigen/" not in notice.body_text


def test_new_and_existing_address_pages_are_identical(client, conn):
    make_user(email="taken@example.org")
    new = register(client, email="fresh@example.org")
    taken = register(client, email="taken@example.org")
    assert new.status_code == taken.status_code == 302
    assert new.headers["Location"] == taken.headers["Location"]
    assert (
        client.get(new.headers["Location"]).get_data()
        == client.get(taken.headers["Location"]).get_data()
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "Please enter your name."),
        ("name", "   ", "Please enter your name."),
        ("name", "N" * 101, "at most 100 characters"),
        ("name", "Anna\x07Beispiel", "invisible control characters"),
        ("name", "Anna\u202eBeispiel", "invisible control characters"),
        ("email", "", "Please enter your e-mail address."),
        ("email", "not-an-address", "valid e-mail address"),
        ("email", "anna@", "valid e-mail address"),
        ("email", "a" * 245 + "@example.org", "at most 254 characters"),
        ("email", "an\x00na@example.org", "invisible control characters"),
        ("password", "", "Please choose a password."),
        ("password", "short12", "between 8 and 128 characters"),
        ("password", "x" * 129, "between 8 and 128 characters"),
        ("password", "password123", "too common"),
        ("password", "Anna@Example.org", "must not be your e-mail address"),
        ("password", "long enough\x00phrase", "invisible control characters"),
        ("consent", "", "agree to the privacy notice"),
    ],
)
def test_bad_input_is_refused_and_nothing_stored(client, conn, field, value, message):
    data = {**GOOD, field: value}
    if field == "consent":
        del data["consent"]
    response = client.post("/konto/registrieren", data=data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert User.select().count() == 0
    assert OutboxMessage.select().count() == 0


def test_password_rules_allow_long_phrases_without_composition_rules(client, conn):
    response = register(client, password="all lower case words only but long " * 3)
    assert response.status_code == 302
    assert User.select().count() == 1


def test_unconfirmed_volunteer_cannot_log_in_and_can_resend(client, conn):
    register(client)
    first_path = last_link("anna@example.org", "/konto/bestaetigen/")
    response = login(client, "anna@example.org", GOOD["password"])
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "confirm your e-mail address first" in body
    assert 'action="/konto/bestaetigung-anfordern"' in body
    assert client.get("/konto/").status_code == 302  # not logged in
    resend = client.post("/konto/bestaetigung-anfordern", data={"email": "ANNA@example.org"})
    assert resend.headers["Location"] == "/konto/post-unterwegs?what=resend"
    assert len(mails_to("anna@example.org")) == 2
    new_path = last_link("anna@example.org", "/konto/bestaetigen/")
    assert new_path != first_path
    # The newest link replaces the older one.
    assert client.post(first_path).status_code == 400
    assert client.post(new_path).status_code == 302
    assert login(client, "anna@example.org", GOOD["password"]).status_code == 302


def test_wrong_password_for_unconfirmed_account_says_nothing_about_confirmation(client, conn):
    register(client)
    response = login(client, "anna@example.org", "not the password at all")
    body = response.get_data(as_text=True)
    assert "not correct" in body
    assert "confirm your e-mail address first" not in body


def test_resend_answers_the_same_for_unknown_and_confirmed_addresses(client, conn):
    make_user(email="confirmed@example.org")
    answers = [
        client.post("/konto/bestaetigung-anfordern", data={"email": email})
        for email in ("nobody@example.org", "confirmed@example.org")
    ]
    assert {a.status_code for a in answers} == {302}
    assert {a.headers["Location"] for a in answers} == {"/konto/post-unterwegs?what=resend"}
    assert OutboxMessage.select().count() == 0
    bad = client.post("/konto/bestaetigung-anfordern", data={"email": "no address"})
    assert bad.status_code == 200
    assert "valid e-mail address" in bad.get_data(as_text=True)


def test_registration_is_rate_limited_per_ip(client, conn):
    for _ in range(5):
        assert client.post("/konto/registrieren", data={}).status_code == 200
    response = client.post("/konto/registrieren", data={})
    assert response.status_code == 429
    assert client.get("/konto/registrieren").status_code == 200


def test_logged_in_user_is_sent_from_register_to_profile(client, conn, login_as):
    login_as(make_user())
    assert client.get("/konto/registrieren").headers["Location"] == "/konto/"


def test_register_page_links_privacy_notice_and_labels_fields(client, conn):
    body = client.get("/konto/registrieren").get_data(as_text=True)
    assert 'href="/datenschutz"' in body
    for field in ("name", "email", "password", "consent"):
        assert f'for="{field}"' in body
    assert 'autocomplete="new-password"' in body
    assert body.count("<h1") == 1


def test_existing_password_works_for_the_owner_after_a_duplicate_attempt(client, conn):
    make_user(email="anna@example.org")
    register(client, email="anna@example.org", password="another password here")
    assert login(client, "anna@example.org", PASSWORD).status_code == 302


def test_names_are_escaped_in_html_mail(client, conn):
    register(client, name="<b>Anna</b> Beispiel")
    [mail] = mails_to("anna@example.org")
    assert "&lt;b&gt;Anna&lt;/b&gt;" in mail.body_html
    assert "<b>Anna</b>" not in mail.body_html
    assert "<b>Anna</b>" in mail.body_text  # plain text needs no escaping
