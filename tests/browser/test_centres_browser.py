"""The centres and admin pages in real Chromium: accessible (axe), no CSP violation, and no
sideways scrolling on a 375px phone; one closing day added by hand.

One load of each page serves both sizes (see ``test_pages_are_accessible_and_fit``).
"""

from __future__ import annotations

import time

import pytest

from tests.browser.helpers import (
    assert_fits_viewport,
    assert_no_csp_violations,
    check_a11y,
    expect,
    screenshot,
    visit,
)
from tests.factories import make_centre, make_coordinator, make_operator, make_user
from tests.factories_centres import make_closing_day, make_invitation

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}
PHONE_375 = {"width": 375, "height": 740}


def _seed():
    operator = make_operator(name="Volkssolidarität Thüringen")
    centre = make_centre(
        name="ThEKiZ Pusteblume mit einem recht langen Namen",
        slug="pusteblume",
        street="Lange Gasse 12",
        postcode="07545",
        town="Gera",
        operator=operator,
        description="Familientreff mit Garten.\n\nDienstags Lesecafé für Groß und Klein.",
        contact_email="pusteblume@zentren-thueringen.example",
        contact_phone="0365 1234567",
    )
    make_centre(name="ThEKiZ Regenbogen", slug="regenbogen", town="Erfurt")
    make_closing_day(centre, days_ahead=5, reason="Teamfortbildung")
    coordinator = make_coordinator(centre, email="koordination@example.org")
    admin = make_user(role="admin", email="admin@example.org")
    _inv, token = make_invitation(centre, "neu@example.org", name="Nina Neu")
    return {"coordinator": coordinator, "admin": admin, "token": token}


def _log_in(live, context, user):
    """A signed session cookie as the login page would leave it (second factor done)."""
    app = live.app
    with app.app_context():  # the id is an HMAC under the app's SECRET_KEY
        user_id = user.get_id()
    data = {
        "_user_id": user_id,
        "_fresh": True,
        "login_at": time.time(),
        "auth_at": time.time(),
        "mfa_ok": True,
    }
    value = app.session_interface.get_signing_serializer(app).dumps(data)
    context.add_cookies([{"name": "session", "value": value, "url": live.url}])


@pytest.fixture
def seeded(live_server):
    return live_server.run(_seed)


def test_pages_are_accessible_and_fit(new_page, live_server, seeded):
    """Each page at desktop size (1280×800) and on a 375px phone: axe clean, one h1, no CSP
    violation (also none from what the narrow layout loads), nothing scrolls sideways on the
    phone.

    The phone here is a bare 375×740 viewport (no mobile or touch emulation), and the pages'
    layout depends on their style sheets alone (no script measures the window), so one load
    serves both sizes: the page is checked at desktop size, then the viewport is narrowed
    and it is checked again (``check_a11y`` runs axe anew for a new window size; ``settle``
    waits for the narrowed layout)."""
    anonymous = new_page(viewport=DESKTOP)
    coordinator = new_page(viewport=DESKTOP)
    admin = new_page(viewport=DESKTOP)
    _log_in(live_server, coordinator.context, seeded["coordinator"])
    _log_in(live_server, admin.context, seeded["admin"])
    pages = [
        (anonymous, "/zentren/", "centres"),
        (anonymous, "/zentren/pusteblume", "centre"),
        (anonymous, f"/einladung/{seeded['token']}", "invitation"),
        (anonymous, "/einladung/falsch", "invitation-refused"),
        (coordinator, "/meine-zentren", "my-centres"),
        (coordinator, "/zentren/pusteblume/bearbeiten", "edit-centre"),
        (admin, "/verwaltung/", "admin-dashboard"),
        (admin, "/verwaltung/zentren/pusteblume", "admin-centre"),
        (admin, "/verwaltung/zentrum-anlegen", "admin-new-centre"),
        (admin, "/verwaltung/traeger-anlegen", "admin-new-operator"),
        (admin, "/zentren/pusteblume/bearbeiten", "admin-edit-centre"),
    ]
    for pg, path, name in pages:
        status = 404 if name == "invitation-refused" else None
        pg.set_viewport_size(DESKTOP)
        visit(pg, path, status=status)  # axe at desktop size
        assert pg.locator("h1").count() == 1, path
        screenshot(pg, f"centres-{name}-desktop")
        pg.set_viewport_size(PHONE_375)
        check_a11y(pg)  # axe again, at phone size
        assert_fits_viewport(pg)
        assert_no_csp_violations(pg)  # nothing the narrow layout loaded was refused
        screenshot(pg, f"centres-{name}-phone")


def test_coordinator_adds_a_closing_day_by_hand(new_page, live_server, seeded):
    # Located by id, not label: the German catalogue is merged by the lead.
    pg = new_page(viewport=PHONE_375)
    _log_in(live_server, pg.context, seeded["coordinator"])
    visit(pg, "/zentren/pusteblume/bearbeiten")
    add = pg.locator("form[action$='/schliesstage'] button[type=submit]")
    pg.locator("#day").fill("2099-12-24")
    add.click()
    expect(pg.locator("#day-error")).to_be_visible()  # more than five years ahead
    assert pg.locator("#day").get_attribute("aria-invalid") == "true"
    in_ten_days = time.strftime("%Y-%m-%d", time.localtime(time.time() + 10 * 86400))
    pg.locator("#day").fill(in_ten_days)
    pg.locator("#reason").fill("Weihnachtsfeier")
    add.click()
    expect(pg.locator(".closing-days").get_by_text("Weihnachtsfeier")).to_be_visible()
    visit(pg, "/zentren/pusteblume")
    expect(pg.locator(".closing-days").get_by_text("Weihnachtsfeier")).to_be_visible()
    assert_fits_viewport(pg)
