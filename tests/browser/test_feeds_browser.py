"""My calendars and the family subscribe page in Chromium on a phone: axe, fits, works."""

from __future__ import annotations

import pytest

from tests.browser.helpers import assert_fits_viewport, expect, screenshot, visit
from tests.factories_feeds import (
    days_from_today,
    make_activity,
    make_centre,
    make_coordinator,
    make_slot,
)

pytestmark = pytest.mark.browser


def _seed():
    centre = make_centre(name="Familienzentrum Am Anger", slug="anger", street="Anger 1")
    for key, title in (("reading", "Vorlesen"), ("baking", "Backen")):
        make_slot(make_activity(centre, title=title, category_key=key), days_from_today(3))
    return make_coordinator(centre, name="Clara Koordinatorin")


def test_my_calendars_on_a_phone(phone_page, live_server):
    page = phone_page
    user = live_server.run(_seed)
    live_server.log_in(page, user)
    visit(page, "/konto/kalender")
    assert_fits_viewport(page)
    page.get_by_role("button", name="Meinen Kalender-Link erstellen").first.click()
    expect(page.locator(".flash-success")).to_be_visible()
    visit(page, "/konto/kalender")
    webcal = page.locator("#volunteer a.button").first
    assert webcal.get_attribute("href").startswith("webcal://")
    url = page.locator("#volunteer-url").input_value()
    assert url.startswith("http") and url.endswith(".ics")
    expect(page.locator("#volunteer svg.qr")).to_be_visible()
    page.locator("input[name=alarm][value='60']").check()
    page.get_by_role("button", name="Erinnerung speichern").click()
    expect(page.locator(".flash-success")).to_be_visible()
    assert_fits_viewport(page)
    # Replace the link, with a confirmation page first.
    page.locator("#volunteer").get_by_role("link", name="Link erneuern").click()
    visit(page, page.url)
    page.get_by_role("button", name="Ja, Link erneuern").click()
    expect(page.locator(".flash-success")).to_be_visible()
    assert page.locator("#volunteer-url").input_value() != url
    screenshot(page, "feeds/my-calendars-phone")


def test_family_subscribe_page_on_a_phone(phone_page, live_server):
    page = phone_page
    live_server.run(_seed)
    visit(page, "/zentren/anger/kalender")
    assert_fits_viewport(page)
    page.get_by_label("Backen").check()
    page.get_by_role("button", name="Links aktualisieren").click()
    visit(page, page.url)
    assert "kategorie=" in page.locator("#family-url").input_value()
    expect(page.locator(".feed-qr img")).to_be_visible()
    page.get_by_text("Google Kalender (auch auf Android-Handys)").click()
    expect(page.get_by_text("nur alle 8 bis 24 Stunden")).to_be_visible()
    visit(page, "/zentren/anger/aushang")
    screenshot(page, "feeds/subscribe-phone")
