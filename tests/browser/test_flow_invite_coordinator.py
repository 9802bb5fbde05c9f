"""An admin invites a coordinator, who creates an account from the mailed link and sets up
TOTP, in Chromium at desktop and phone size, in German; every page is checked with axe.

The admin logs in like a person (password, then a code from ``pyotp``); the invitation
goes out over SMTP to a local aiosmtpd server when ``send_pending()`` runs (as the job
does), and the invited person opens the link from its plain-text part in a fresh browser.
"""

from __future__ import annotations

import re
import time

import pyotp
import pytest

from tests.browser.helpers import (
    FLOW_SIZES,
    check_page,
    expect,
    nav,
    open_sized,
    smtp_overrides,
    visit,
)
from tests.factories import PASSWORD, make_operator
from tests.factories_accounts import TOTP_SECRET, make_totp_user
from volunteer_app.accounts.models import RecoveryCode, User
from volunteer_app.centres.models import Centre, CentreMembership, Invitation
from volunteer_app.notifications.delivery import send_pending

pytestmark = pytest.mark.browser

ADMIN_EMAIL = "admin@example.org"
INVITED = "neu@example.org"
CENTRE = "ThEKiZ Löwenzahn"
NEW_PASSWORD = "Sonnenblumen im Garten"


@pytest.fixture
def live_server_overrides(smtp_sink):
    """The live server delivers over SMTP to the test's mail server."""
    return smtp_overrides(smtp_sink)


@pytest.fixture(params=FLOW_SIZES)
def open_page(request, new_page):
    """``open_page()``: a new browser (own cookies) at this test's size."""
    return lambda: open_sized(new_page, request.param)


def wrong_code(secret: str) -> str:
    """A well-formed code that is not valid now (one from an hour ago, unless it clashes)."""
    totp = pyotp.TOTP(secret)
    valid = {totp.at(time.time() + 30 * step) for step in (-1, 0, 1)}
    return next(c for c in (totp.at(time.time() - 3600), "123456", "654321") if c not in valid)


def _seed():
    make_operator(name="Familienzentren Thüringen e. V.")
    make_totp_user(role="admin", email=ADMIN_EMAIL, name="Alex Admin")


def admin_logs_in(pg) -> None:
    """Password, then the second factor with a code from the authenticator."""
    visit(pg, "/")
    nav(pg).get_by_role("link", name="Anmelden").click()
    expect(pg).to_have_url(re.compile(r"/konto/anmelden"))
    pg.get_by_label("E-Mail-Adresse", exact=True).fill(ADMIN_EMAIL)
    pg.get_by_label("Passwort", exact=True).fill(PASSWORD)
    pg.get_by_role("button", name="Anmelden").click()
    expect(pg).to_have_url(re.compile(r"/konto/zwei-faktor\?"))
    expect(pg.get_by_role("heading", level=1)).to_have_text("Code eingeben")
    check_page(pg, "admin-code")
    pg.get_by_label("Sechsstelliger Code").fill(pyotp.TOTP(TOTP_SECRET).now())
    pg.get_by_role("button", name="Weiter").click()
    expect(nav(pg).get_by_role("link", name="Verwaltung")).to_be_visible()
    check_page(pg)


def admin_invites(pg, live_server, smtp_sink) -> str:
    """Create a centre, invite INVITED to it; return the link from the mail."""
    nav(pg).get_by_role("link", name="Verwaltung").click()
    expect(pg).to_have_url(re.compile(r"/verwaltung/$"))
    expect(pg.get_by_role("heading", level=1)).to_have_text("Verwaltung")
    check_page(pg)

    pg.get_by_role("link", name="Neues Zentrum").click()
    expect(pg).to_have_url(re.compile(r"/verwaltung/zentrum-anlegen$"))
    check_page(pg)
    pg.get_by_label("Name des Zentrums").fill(CENTRE)
    pg.get_by_label("Postleitzahl").fill("98527")
    pg.get_by_label("Ort", exact=True).fill("Suhl")
    pg.get_by_label("Träger", exact=True).select_option(label="Familienzentren Thüringen e. V.")
    pg.get_by_role("button", name="Zentrum anlegen").click()
    expect(pg).to_have_url(re.compile(r"/verwaltung/zentren/thekiz-loewenzahn$"))
    expect(pg.get_by_role("heading", level=1)).to_have_text(CENTRE)
    expect(pg.get_by_text("Das Zentrum wurde angelegt.")).to_be_visible()
    check_page(pg)

    pg.get_by_label("E-Mail-Adresse", exact=True).fill(INVITED)
    pg.get_by_label("Name (freiwillig)").fill("Nina Neu")
    pg.get_by_role("button", name="Einladung senden").click()
    expect(pg.get_by_text(f"Die Einladung wurde an {INVITED} geschickt.")).to_be_visible()
    open_invitations = pg.locator("#invitations")
    expect(open_invitations.get_by_text(INVITED, exact=True)).to_be_visible()
    expect(open_invitations.get_by_role("button", name=f"Zurückziehen ({INVITED})")).to_be_visible()
    check_page(pg, "admin-centre")

    # Back on the dashboard: the new centre (nobody coordinates it yet), the open invitation.
    pg.get_by_role("navigation", name="Sie sind hier").get_by_role(
        "link", name="Verwaltung"
    ).click()
    expect(pg).to_have_url(re.compile(r"/verwaltung/$"))
    expect(pg.locator("#centres").get_by_role("row", name=re.compile(CENTRE))).to_contain_text(
        "keine"
    )
    expect(pg.locator("#invitations").get_by_text(INVITED, exact=True)).to_be_visible()
    check_page(pg, "admin-dashboard")

    # The job delivers the invitation over SMTP.
    result = live_server.run(send_pending)
    assert (result.sent, result.failed, result.retrying) == (1, 0, 0)
    [mail] = smtp_sink.wait_for(1)
    assert smtp_sink.envelopes[0].rcpt_tos == [INVITED]
    assert mail["To"] == INVITED
    text = mail.get_body(("plain",)).get_content()
    assert CENTRE in text
    links = re.findall(re.escape(live_server.url) + r"/einladung/[A-Za-z0-9_\-]+", text)
    assert len(links) == 1, text
    assert links[0] in mail.get_body(("html",)).get_content()
    return links[0]


def test_admin_invites_a_coordinator_who_sets_up_totp(open_page, live_server, smtp_sink):
    live_server.run(_seed)
    admin = open_page()
    admin_logs_in(admin)
    link = admin_invites(admin, live_server, smtp_sink)

    # The invited person opens the link in their own browser and creates the account.
    pg = open_page()
    visit(pg, link, a11y=False)
    expect(pg.get_by_role("heading", level=1)).to_have_text(f"{CENTRE} koordinieren")
    check_page(pg, "accept-invitation")
    name = pg.get_by_label("Ihr Name")
    expect(name).to_have_value("Nina Neu")  # from the invitation, can be changed
    name.fill("Nina Neumann")
    pg.get_by_label("Passwort", exact=True).fill(NEW_PASSWORD)
    pg.get_by_label("Ich habe die Datenschutzhinweise gelesen").check()
    pg.get_by_role("button", name="Konto anlegen und annehmen").click()

    # Straight on to the second factor: the secret is shown as text for typing in.
    expect(pg).to_have_url(re.compile(r"/konto/zwei-faktor/einrichten"))
    expect(pg.get_by_role("heading", level=1)).to_have_text("Zwei-Faktor-Anmeldung einrichten")
    expect(pg.get_by_text("Willkommen! Bitte richten Sie jetzt den zweiten Faktor")).to_be_visible()
    expect(pg.get_by_role("img", name="QR-Code")).to_be_visible()
    check_page(pg, "totp-setup")
    secret = pg.locator("#totp-secret").inner_text().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{32}", secret), secret

    # The menu is locked until the second factor is set up.
    visit(pg, "/meine-zentren", a11y=False)
    expect(pg).to_have_url(re.compile(r"/konto/zwei-faktor/einrichten"))

    code = pg.get_by_label("Sechsstelliger Code")
    code.fill(wrong_code(secret))
    pg.get_by_role("button", name="Einschalten").click()
    expect(pg.locator("#code-error")).to_have_text(
        "Dieser Code stimmt nicht. Prüfen Sie die Uhrzeit auf Ihrem Handy und versuchen Sie "
        "es noch einmal."
    )
    check_page(pg)
    code.fill(pyotp.TOTP(secret).now())
    pg.get_by_role("button", name="Einschalten").click()

    expect(pg.get_by_role("heading", level=1)).to_have_text("Ihre Wiederherstellungscodes")
    codes = pg.locator("#recovery-codes li")
    expect(codes).to_have_count(10)
    assert all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", c) for c in codes.all_inner_texts())
    check_page(pg, "recovery-codes")
    pg.get_by_role("link", name="Ich habe die Codes gespeichert").click()

    nav(pg).get_by_role("link", name="Meine Zentren").click()
    expect(pg).to_have_url(re.compile(r"/meine-zentren$"))
    expect(pg.get_by_role("heading", level=2, name=CENTRE)).to_be_visible()
    check_page(pg, "my-centres")

    user = live_server.run(User.get, User.email == INVITED)
    assert (user.name, user.role, user.totp_secret) == ("Nina Neumann", "coordinator", secret)
    assert user.has_totp and user.email_confirmed_at is not None
    assert live_server.run(RecoveryCode.select().where(RecoveryCode.user == user.id).count) == 10
    centre = live_server.run(Centre.get, Centre.name == CENTRE)
    memberships = CentreMembership.select().where(CentreMembership.user == user.id)
    assert live_server.run(lambda: [m.centre_id for m in memberships]) == [centre.id]
    invitation = live_server.run(Invitation.get, Invitation.email == INVITED)
    assert invitation.accepted_at is not None

    # The link works once; the admin sees the new coordinator.
    other = open_page()
    visit(other, link, status=410)
    expect(other.get_by_role("heading", level=1)).to_have_text(
        "Diese Einladung kann nicht benutzt werden"
    )
    visit(admin, f"/verwaltung/zentren/{centre.slug}")
    expect(admin.get_by_role("cell", name=f"Nina Neumann {INVITED}")).to_be_visible()
    check_page(admin, "admin-centre-coordinator")
    assert len(smtp_sink.messages) == 1
