"""Allowances, end to end in Chromium (German, CSRF on), at desktop and phone size: a
coordinator records a payment that would pass the tax-free limit, is warned with the
numbers, confirms it, and prints the yearly statement; the volunteer finds their own
statement. Every page is checked with axe and for CSP violations; screenshots go to
``$SHOTS_DIR/allowances/``."""

from __future__ import annotations

import re

import pytest

from tests.browser.helpers import FLOW_SIZES, check_page, expect, open_sized, screenshot, visit
from tests.factories import make_centre, make_coordinator, make_operator, make_user
from volunteer_app.allowances import services
from volunteer_app.allowances.limits import limit_cents
from volunteer_app.allowances.models import AllowancePayment
from volunteer_app.centres.queries import today
from volunteer_app.volunteers.models import ReachableCentre

pytestmark = [pytest.mark.browser, pytest.mark.dates]

SLUG = "sonnenhaus"


def _world() -> dict:
    operator = make_operator(name="Familienzentren Saale e. V.")
    centre = make_centre(name="ThEKiZ Sonnenhaus", slug=SLUG, operator=operator, town="Jena")
    coordinator = make_coordinator(centre, name="Katrin Vogel")
    vera = make_user(name="Vera Vogel", email="vera@example.org")
    ReachableCentre.create(user=vera, centre=centre)
    near = limit_cents("ehrenamt", today().year) - 40_00  # 40 € left this year
    services.record_payment(
        centre, vera.id, paid_on=today(), kind="ehrenamt", amount_cents=near,
        note="Lesepatenschaft", actor=coordinator,
    )  # fmt: skip
    return {"coordinator": coordinator, "vera": vera, "operator": operator.id}


def check(pg, shot: str) -> None:
    check_page(pg, shot, folder="allowances")


@pytest.mark.parametrize("size", FLOW_SIZES)
def test_coordinator_is_warned_records_and_prints_volunteer_sees_statement(
    new_page, live_server, size
):
    w = live_server.run(_world)
    year = today().year

    # --- The coordinator records 50 € although only 40 € are left -------------------------
    desk = open_sized(new_page, size)
    live_server.log_in(desk, w["coordinator"])
    visit(desk, f"/zentren/{SLUG}/ehrenamtliche/{w['vera'].id}/pauschalen")
    expect(desk.get_by_role("heading", level=1)).to_contain_text("Vera Vogel")
    check(desk, "person")
    desk.get_by_label("Gezahlt am").fill(today().isoformat())
    desk.get_by_label("Ehrenamtspauschale", exact=True).check()
    desk.get_by_label("Betrag in Euro").fill("50")
    desk.get_by_role("button", name="Zahlung erfassen").click()
    warning = desk.locator("#accept_over_limit-error")
    expect(warning).to_contain_text(f"Mit dieser Zahlung käme {year} auf")
    expect(warning).to_contain_text("10,00\xa0€ darüber")
    check(desk, "warning")
    assert live_server.run(lambda: AllowancePayment.select().count()) == 1
    desk.get_by_label(re.compile("Trotzdem erfassen")).check()
    desk.get_by_role("button", name="Zahlung erfassen").click()
    expect(desk.locator(".flashes")).to_contain_text("Die Zahlung ist erfasst.")
    expect(desk.locator(".allowance-sums .badge.over")).to_contain_text("10,00")
    check(desk, "recorded")
    assert live_server.run(lambda: AllowancePayment.select().count()) == 2

    # --- A payment is corrected, not deleted (the form only: the service tests do the rest)
    desk.get_by_role("link", name="Korrigieren").first.click()
    expect(desk.get_by_role("heading", level=1)).to_have_text("Zahlung korrigieren")
    check(desk, "correct")
    desk.go_back()

    # --- … and prints the yearly statement ------------------------------------------------
    desk.get_by_role("link", name=f"Jahresbescheinigung {year} drucken").click()
    expect(desk.get_by_role("heading", level=2)).to_contain_text(f"Jahresbescheinigung {year}")
    expect(desk.locator(".certificate")).to_contain_text("§ 3 Nr. 26a EStG")
    check(desk, "statement")
    desk.emulate_media(media="print")
    screenshot(desk, f"allowances/statement-print-{size}")
    desk.emulate_media(media="screen")

    # --- The volunteer finds their own statement ------------------------------------------
    phone = open_sized(new_page, size)
    live_server.log_in(phone, w["vera"])
    visit(phone, "/mein-engagement/pauschalen")
    expect(phone.locator("main")).to_contain_text("Familienzentren Saale e. V.")
    check(phone, "mine")
    phone.get_by_role("link", name=f"Jahresbescheinigung {year}").click()
    expect(phone.locator(".certificate")).to_contain_text("Vera Vogel")
    check(phone, "my-statement")
