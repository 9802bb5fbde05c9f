"""A volunteer registers, confirms by the link in a real mail, logs out and in again, in
Chromium at desktop and phone size, in German; every page is checked with axe.

Mail goes the way it goes in production: the registration queues it in the outbox,
``send_pending()`` (what the job runs) delivers it over SMTP to a local aiosmtpd server,
and the link is read from the plain-text part of the message that server received.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.helpers import (
    FLOW_SIZES,
    check_page,
    expect,
    nav,
    smtp_overrides,
    visit,
)
from volunteer_app.accounts.models import Consent, User
from volunteer_app.notifications.delivery import send_pending
from volunteer_app.notifications.models import OutboxMessage

pytestmark = pytest.mark.browser

NAME = "Greta Gärtner"
EMAIL = "greta.gaertner@example.org"
PASSWORD = "Löwenzahn blüht im Juni"


@pytest.fixture
def live_server_overrides(smtp_sink):
    """The live server delivers over SMTP to the test's mail server, without padding."""
    return smtp_overrides(smtp_sink)


@pytest.fixture(params=FLOW_SIZES)
def person(request):
    """One browser tab, once at desktop size (1280×800) and once on a phone (390×844)."""
    return request.getfixturevalue("page" if request.param == "desktop" else "phone_page")


def deliver_mail(live_server, smtp_sink, count: int = 1):
    """Run the outbox delivery as the job does; return the messages the server received."""
    before = len(smtp_sink.messages)
    result = live_server.run(send_pending)
    assert (result.sent, result.failed, result.retrying) == (count, 0, 0)
    messages = smtp_sink.wait_for(before + count)
    assert len(messages) == before + count
    return messages[before:]


def link_in(message, base_url: str, prefix: str) -> str:
    """The one link under ``prefix`` in the plain-text part (built from the server's URL)."""
    text = message.get_body(("plain",)).get_content()
    links = re.findall(re.escape(base_url + prefix) + r"[A-Za-z0-9_\-]+", text)
    assert len(links) == 1, text
    return links[0]


def log_out(pg) -> None:
    nav(pg).get_by_role("button", name="Abmelden").click()
    expect(pg.get_by_text("Sie sind abgemeldet. Bis bald!")).to_be_visible()
    expect(nav(pg).get_by_role("link", name="Anmelden")).to_be_visible()
    check_page(pg)


def test_register_confirm_log_in_and_out(person, live_server, smtp_sink):
    pg = person
    visit(pg, "/")
    nav(pg).get_by_role("link", name="Registrieren").click()
    expect(pg).to_have_url(re.compile(r"/konto/registrieren$"))
    expect(pg.get_by_role("heading", level=1)).to_have_text("Als Ehrenamtliche:r registrieren")
    check_page(pg, "register")

    pg.get_by_label("Name", exact=True).fill(NAME)
    pg.get_by_label("E-Mail-Adresse", exact=True).fill(EMAIL)
    pg.get_by_label("Passwort", exact=True).fill(PASSWORD)
    pg.get_by_label("Ich habe die Datenschutzerklärung gelesen").check()
    pg.get_by_role("button", name="Registrieren").click()

    expect(pg).to_have_url(re.compile(r"/konto/post-unterwegs"))
    expect(pg.get_by_role("heading", level=1)).to_have_text("Bitte schauen Sie in Ihr Postfach")
    check_page(pg, "check-mail")
    user = live_server.run(User.get, User.email == EMAIL)
    assert user.name == NAME
    assert user.email_confirmed_at is None
    assert live_server.run(Consent.select().where(Consent.user == user.id).count) == 1

    # The job delivers the confirmation mail over SMTP.
    [mail] = deliver_mail(live_server, smtp_sink)
    assert smtp_sink.envelopes[-1].rcpt_tos == [EMAIL]
    assert mail["To"] == EMAIL
    assert mail["Content-Language"] == "de"
    link = link_in(mail, live_server.url, "/konto/bestaetigen/")
    assert link in mail.get_body(("html",)).get_content()

    # Opening the link changes nothing yet; the button confirms and logs in.
    visit(pg, link, a11y=False)
    expect(pg.get_by_role("heading", level=1)).to_have_text("E-Mail-Adresse bestätigen")
    check_page(pg, "confirm")
    assert live_server.run(User.get_by_id, user.id).email_confirmed_at is None
    pg.get_by_role("button", name="Meine Adresse bestätigen").click()
    expect(pg).to_have_url(re.compile(r"/konto/$"))
    expect(pg.get_by_text("Vielen Dank! Ihre E-Mail-Adresse ist bestätigt.")).to_be_visible()
    expect(pg.get_by_role("heading", level=1)).to_have_text("Mein Konto")
    expect(pg.get_by_text(f"Sie melden sich mit {EMAIL} an.")).to_be_visible()
    expect(pg.get_by_label("Name", exact=True)).to_have_value(NAME)
    check_page(pg, "profile")
    assert live_server.run(User.get_by_id, user.id).email_confirmed_at is not None

    log_out(pg)

    # Log in again with the password: greeted by name, the profile is one click away.
    nav(pg).get_by_role("link", name="Anmelden").click()
    expect(pg).to_have_url(re.compile(r"/konto/anmelden"))
    check_page(pg, "login")
    pg.get_by_label("E-Mail-Adresse", exact=True).fill(EMAIL)
    pg.get_by_label("Passwort", exact=True).fill(PASSWORD)
    pg.get_by_role("button", name="Anmelden").click()
    expect(pg.get_by_text("Hallo Greta, Sie sind angemeldet.")).to_be_visible()
    check_page(pg)
    nav(pg).get_by_role("link", name="Mein Konto").click()
    expect(pg).to_have_url(re.compile(r"/konto/$"))
    expect(pg.get_by_label("Name", exact=True)).to_have_value(NAME)
    check_page(pg)

    log_out(pg)
    visit(pg, "/konto/", a11y=False)  # logged out: the profile sends to the login
    expect(pg).to_have_url(re.compile(r"/konto/anmelden"))
    check_page(pg)
    assert len(smtp_sink.messages) == 1  # nothing else was mailed


def test_registration_with_bad_input_shows_german_errors_and_stores_nothing(
    phone_page, live_server, smtp_sink
):
    pg = phone_page
    visit(pg, "/konto/registrieren")
    name = pg.get_by_label("Name", exact=True)
    email = pg.get_by_label("E-Mail-Adresse", exact=True)
    password = pg.get_by_label("Passwort", exact=True)
    consent = pg.get_by_label("Ich habe die Datenschutzerklärung gelesen")
    submit = pg.get_by_role("button", name="Registrieren")

    # Without consent the browser itself stops the form (the checkbox is required).
    name.fill(NAME)
    email.fill(EMAIL)
    password.fill(PASSWORD)
    submit.click()
    assert consent.evaluate("el => el.validity.valueMissing")
    expect(pg).to_have_url(re.compile(r"/konto/registrieren$"))

    # A common password passes the browser, the server refuses it in German.
    password.fill("password")
    consent.check()
    submit.click()
    expect(pg.locator("#password-error")).to_have_text(
        "Dieses Passwort ist sehr verbreitet und leicht zu erraten. Bitte wählen Sie ein anderes."
    )
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(pg.get_by_role("alert")).to_be_visible()
    expect(email).to_have_value(EMAIL)  # what was typed stays, except the password
    expect(password).to_have_value("")
    check_page(pg, "register-errors")

    # A browser that does not check (or an old one): the server has the last word.
    pg.locator("form[action$='/konto/registrieren']").evaluate("f => { f.noValidate = true; }")
    name.fill("")
    password.fill("kurz")
    consent.uncheck()
    submit.click()
    expect(pg.locator("#name-error")).to_have_text("Bitte geben Sie Ihren Namen ein.")
    expect(pg.locator("#password-error")).to_have_text(
        "Bitte verwenden Sie zwischen 8 und 128 Zeichen."
    )
    expect(pg.locator("#consent-error")).to_have_text(
        "Bitte stimmen Sie der Datenschutzerklärung zu, um sich zu registrieren."
    )
    expect(consent).not_to_be_checked()
    check_page(pg)

    assert live_server.run(User.select().count) == 0
    assert live_server.run(Consent.select().count) == 0
    assert live_server.run(OutboxMessage.select().count) == 0
    assert live_server.run(send_pending).sent == 0
    assert smtp_sink.messages == []


def test_error_summary_above_the_form_is_german(page, live_server):
    # The summary comes from templates/_macros/forms.html; ``pybabel extract`` skips folders
    # starting with "_" unless told otherwise, so its text can miss the catalogue.
    visit(page, "/konto/registrieren")
    page.get_by_label("Name", exact=True).fill(NAME)
    page.get_by_label("E-Mail-Adresse", exact=True).fill(EMAIL)
    page.get_by_label("Passwort", exact=True).fill("password")
    page.get_by_label("Ich habe die Datenschutzerklärung gelesen").check()
    page.get_by_role("button", name="Registrieren").click()
    expect(page.locator("#password-error")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_text("Bitte korrigieren Sie die markierten Felder.")
    assert live_server.run(User.select().count) == 0
