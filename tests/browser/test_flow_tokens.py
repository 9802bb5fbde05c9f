"""API tokens, end to end in Chromium (German, CSRF on), at desktop and phone size: a
volunteer makes a personal token, sees it once, finds it in the list without the secret and
revokes it; a coordinator makes a centre's service token beside the operator's. Every page
is checked with axe and for CSP violations; screenshots go to ``$SHOTS_DIR/tokens/``."""

from __future__ import annotations

import re

import pytest

from tests.browser.helpers import FLOW_SIZES, check_page, expect, open_sized, visit
from tests.factories import make_centre, make_coordinator, make_operator, make_user
from volunteer_app.tokens import services
from volunteer_app.tokens.auth import authenticate

pytestmark = [pytest.mark.browser]

SLUG = "sonnenhaus"
RAW = re.compile(r"thekiz_[A-Za-z0-9_-]{43}")


def _world() -> dict:
    operator = make_operator(name="Familienzentren Saale e. V.")
    centre = make_centre(name="ThEKiZ Sonnenhaus", slug=SLUG, operator=operator, town="Jena")
    coordinator = make_coordinator(centre, name="Katrin Vogel")
    admin = make_user(role="admin", name="Anton Admin")
    vera = make_user(name="Vera Vogel", email="vera@example.org")
    services.create_service_token(
        "Planungssoftware des Trägers", ["staffing:read", "assignments:write"],
        operator=operator, actor=admin,
    )  # fmt: skip
    return {"coordinator": coordinator, "vera": vera, "admin": admin, "operator": operator.id}


def check(pg, shot: str) -> None:
    check_page(pg, shot, folder="tokens", always_fit=True)


@pytest.mark.parametrize("size", FLOW_SIZES)
def test_volunteer_makes_sees_once_and_revokes_a_token(new_page, live_server, size):
    w = live_server.run(_world)
    page = open_sized(new_page, size)
    live_server.log_in(page, w["vera"])
    visit(page, "/konto/")
    page.get_by_role("link", name="Meine Tokens").click()
    check(page, "mine-empty")
    expect(page.get_by_text("staffing:read")).to_have_count(0)
    page.get_by_label("Name").fill("Mein Kalender-Skript")
    page.get_by_label("Ihr eigenes Profil, Ihre Anmeldungen und Stunden lesen").check()
    page.get_by_label("90 Tage").check()
    page.get_by_role("button", name="Token erstellen").click()
    check(page, "mine-created")
    secret = page.get_by_label("Token", exact=True).input_value()
    assert RAW.fullmatch(secret)
    assert live_server.run(lambda: authenticate(secret)) is not None
    visit(page, "/konto/api-zugaenge")
    assert secret not in page.content()
    expect(page.locator("strong", has_text="Mein Kalender-Skript")).to_be_visible()
    check(page, "mine-list")
    page.get_by_role("button", name="Widerrufen").click()
    check(page, "mine-revoked")
    expect(page.get_by_text("Widerrufen am")).to_be_visible()
    assert live_server.run(lambda: authenticate(secret)) is None


@pytest.mark.parametrize("size", FLOW_SIZES)
def test_coordinator_makes_a_service_token(new_page, live_server, size):
    w = live_server.run(_world)
    page = open_sized(new_page, size)
    live_server.log_in(page, w["coordinator"])
    visit(page, f"/zentren/{SLUG}/protokoll")
    page.get_by_role("link", name="API-Zugänge").click()
    check(page, "centre-list")
    expect(page.locator("strong", has_text="Planungssoftware des Trägers")).to_be_visible()
    page.get_by_label("Name").fill("Website des Zentrums")
    page.get_by_label("Das öffentliche Programm lesen (mit eigener Ratenbegrenzung)").check()
    page.get_by_role("button", name="Token erstellen").click()
    check(page, "centre-created")
    assert RAW.fullmatch(page.get_by_label("Token", exact=True).input_value())


@pytest.mark.parametrize("size", FLOW_SIZES)
def test_administrator_makes_an_operator_token(new_page, live_server, size):
    w = live_server.run(_world)
    page = open_sized(new_page, size)
    live_server.log_in(page, w["admin"])
    visit(page, f"/verwaltung/traeger/{w['operator']}")
    page.get_by_role("link", name="API-Zugänge von Familienzentren Saale e. V.").click()
    check(page, "operator-list")
    page.get_by_label("Name").fill("Dienstplan-Export")
    page.get_by_label("Angebote und Termine mit ihrer Besetzung lesen").check()
    page.get_by_label("Ein Jahr").check()
    page.get_by_role("button", name="Token erstellen").click()
    check(page, "operator-created")
    assert RAW.fullmatch(page.get_by_label("Token", exact=True).input_value())
