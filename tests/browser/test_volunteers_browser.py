"""The profile page in real Chromium on a 390px phone: accessible, fits, saves, shows errors.

Screenshots go to ``$SHOTS_DIR/profile/`` (default /tmp/shots/profile/).
"""

from __future__ import annotations

import pytest

from tests.browser.helpers import (
    assert_fits_viewport,
    check_a11y,
    expect,
    screenshot,
    visit,
)
from tests.factories import make_centre, make_user
from tests.factories_volunteers import make_category
from volunteer_app.volunteers.queries import profile_for

pytestmark = pytest.mark.browser
URL = "/mein-engagement/profil"


def _seed():
    make_centre(name="ThEKiZ Am Anger", town="Erfurt")
    make_centre(name="ThEKiZ Herrenberg mit einem recht langen Namen", town="Erfurt")
    jena = make_centre(name="ThEKiZ Lobeda", town="Jena")
    make_centre(name="ThEKiZ Schöndorf", town="Weimar")
    make_category(jena, "Handwerk")
    return make_user(name="Vera Voll", email="vera@example.org")


def _shot(page, name: str):
    return screenshot(page, f"profile/{name}")


def test_profile_on_a_phone(phone_page, live_server):
    page = phone_page
    user = live_server.run(_seed)
    live_server.log_in(page, user)

    visit(page, URL)
    assert_fits_viewport(page)
    expect(page.get_by_role("heading", level=1)).to_have_count(1)
    _shot(page, "1-empty")

    # Nothing chosen: every problem is named, the page stays accessible and fits.
    page.locator("input[name=languages][value=de]").uncheck()
    page.locator(".save-bar button").click()
    expect(page.locator(".form-errors")).to_be_visible()
    check_a11y(page)  # waits for the page to have loaded
    assert page.locator("p.error").count() >= 3
    assert_fits_viewport(page)
    _shot(page, "2-errors")

    page.locator("input[name=interest_ids]").nth(1).check()  # reading (Vorlesen)
    page.locator("#windows-0-weekday").select_option("1")
    page.locator("#windows-0-start").fill("14:00")
    page.locator("#windows-0-end").fill("18:00")
    page.get_by_role("button", name="Weitere Zeit hinzufügen").click()  # one more row, not saved
    expect(page.locator("#windows-2-weekday")).to_be_visible()
    page.locator("#windows-1-weekday").select_option("5")
    page.locator("#windows-1-start").fill("09:30")
    page.locator("#windows-1-end").fill("12:00")
    page.get_by_label("ThEKiZ Lobeda").check()
    page.get_by_label("ThEKiZ Am Anger").check()
    page.locator("input[name=languages][value=de]").check()
    page.locator("input[name=languages][value=uk]").check()
    page.locator("input[name=reminder_hours][value='48']").check()
    # Enter in a number field saves (the default button), it does not add a row.
    page.locator("#max_per_month").fill("5")
    page.locator("#max_per_month").press("Enter")
    expect(page.locator(".flash-success")).to_be_visible()
    assert_fits_viewport(page)
    visit(page, URL)  # the saved page, checked by axe again
    _shot(page, "3-saved")

    profile = live_server.run(profile_for, user.id)
    assert profile.exists and len(profile.windows) == 2
    assert profile.reminder_hours == 48 and profile.languages == ("de", "uk")
    assert profile.max_per_month == 5 and len(profile.centre_ids) == 2
    # The centre's own category now appears.
    expect(page.get_by_text("Handwerk (ThEKiZ Lobeda)")).to_be_visible()
