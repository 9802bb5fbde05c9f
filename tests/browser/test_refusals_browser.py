"""An expired and a rate-limited form in Chromium, German, at phone and desktop size: the
form comes back as typed with one sentence, and sending it again works. Screenshots go to
``$SHOTS_DIR/refusals/``."""

from __future__ import annotations

import pytest

from tests.browser.helpers import check_page, expect, open_sized, visit
from tests.factories import make_centre, make_user
from volunteer_app.wishes.models import Wish

pytestmark = pytest.mark.browser
FOLDER = "refusals"
EXPIRED = "Das Formular war zu lange offen. Bitte senden Sie es noch einmal."


@pytest.fixture
def live_server_overrides() -> dict:
    return {"RATELIMIT_LOGIN": "1 per minute"}


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_a_wish_typed_while_the_session_ran_out_is_kept(live_server, new_page, size):
    live_server.run(lambda: make_centre(name="ThEKiZ Sonnenblume", slug="sonnenblume"))
    page = open_sized(new_page, size)
    visit(page, "/zentren/sonnenblume/wuensche")
    title = "Ein Kletterkurs für Väter und Kinder an der Boulderwand im Nachbarort"
    page.get_by_label("Was soll das Zentrum anbieten?").fill(title)
    page.get_by_label("Ein paar Worte mehr (freiwillig)").fill("Samstags, wenn möglich.")
    page.context.clear_cookies()  # the session ended while the form was open
    page.get_by_role("button", name="Wunsch absenden").click()
    expect(page.get_by_role("alert").filter(has_text=EXPIRED)).to_be_visible()
    expect(page.get_by_text(EXPIRED)).to_have_count(1)
    expect(page.get_by_label("Was soll das Zentrum anbieten?")).to_have_value(title)
    expect(page.get_by_label("Ein paar Worte mehr (freiwillig)")).to_have_value(
        "Samstags, wenn möglich."
    )
    check_page(page, "expired-wish", folder=FOLDER)
    assert live_server.run(lambda: Wish.select().count()) == 0
    page.get_by_role("button", name="Wunsch absenden").click()
    expect(page.get_by_text("Danke! Ihr Wunsch")).to_be_visible()
    assert live_server.run(lambda: Wish.get().title) == title


@pytest.mark.parametrize("size", ["phone"])
def test_a_rate_limited_login_keeps_the_address(live_server, new_page, size):
    live_server.run(lambda: make_user(email="anna@example.org"))
    page = open_sized(new_page, size)
    visit(page, "/konto/anmelden")
    for _ in range(2):
        page.get_by_label("E-Mail-Adresse").fill("anna@example.org")
        page.get_by_label("Passwort").fill("ein falsches Passwort")
        page.get_by_role("button", name="Anmelden", exact=True).click()
    alert = page.get_by_role("alert").filter(has_text="Sie haben dieses Formular zu oft gesendet.")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("Bitte senden Sie es in 1 Minute noch einmal.")
    expect(page.get_by_label("E-Mail-Adresse")).to_have_value("anna@example.org")
    expect(page.get_by_label("Passwort")).to_have_value("")
    check_page(page, "rate-limited-login", folder=FOLDER)
