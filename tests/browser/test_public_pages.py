"""Public pages in a real browser: German by default, accessible, no sideways scrolling.

The tests only read the database (a log-out and a language choice live in cookies), so the
module shares one live server, seeded once (the administrator too), and one browser page per
size, whose cookies are cleared before each test (``reuse_page``): a test starts as a first
visitor, on a new document.
"""

from __future__ import annotations

import pytest

from tests.browser.helpers import (
    DESKTOP,
    PHONE,
    assert_fits_viewport,
    check_a11y,
    choose_language,
    expect,
    html_lang,
    screenshot,
    visit,
)
from tests.factories import make_centre, make_operator, make_user

CENTRE_SLUG = "sonnenschein-jena"

# Path, expected status, a German text the page shows (from the merged catalogue).
PUBLIC_PAGES = {
    "start": ("/", 200, "Packen Sie mit an"),
    "centres": ("/zentren/", 200, "Zentren"),
    "centre": (f"/zentren/{CENTRE_SLUG}", 200, "ThEKiZ Sonnenschein"),
    "privacy": ("/datenschutz", 200, "Datenschutzerklärung"),
    "imprint": ("/impressum", 200, "Angaben gemäß § 5 DDG"),
    "accessibility": ("/barrierefreiheit", 200, "Erklärung zur Barrierefreiheit"),
    "easy-language": ("/leichte-sprache", 200, "Das Familien-Zentrum in Leichter Sprache"),
    "easy-centre": (f"/zentren/{CENTRE_SLUG}/leichte-sprache", 200, "So finden Sie uns"),
    "not-found": ("/gibt-es-nicht", 404, "Seite nicht gefunden"),
}


def _seed_centres():
    operator = make_operator(name="Familienzentren Thüringen e. V.")
    make_centre(
        name="ThEKiZ Sonnenschein",
        slug=CENTRE_SLUG,
        street="Am Anger 12",
        postcode="07743",
        town="Jena",
        operator=operator,
        description=(
            "Kindergarten und Familientreff mitten im Damenviertel: Garten, Lesecafé "
            "und eine Kochgruppe für Eltern, Großeltern und Nachbarn."
        ),
    )
    make_centre(
        name="ThEKiZ Regenbogen",
        slug="regenbogen-erfurt",
        street="Krämpferstraße 3",
        postcode="99084",
        town="Erfurt",
        description="Ein Haus für Familien mit Wandergruppe, Backstube und Nähwerkstatt.",
    )
    make_centre(name="ThEKiZ Kinderland Weimar-Nord", slug="kinderland-weimar", town="Weimar")


@pytest.fixture(scope="module")
def _module_server(module_live_server_factory):
    live = module_live_server_factory()
    live.run(_seed_centres)
    admin = live.run(make_user, role="admin", name="Ada Admin")
    return live, admin


@pytest.fixture
def live_server(_module_server):
    """This module's server (see the module's docstring), bound for this test."""
    return _module_server[0].use()


@pytest.fixture
def seeded(live_server):
    return live_server


@pytest.fixture
def admin(_module_server):
    """An administrator, created with the centres (no test writes to the database)."""
    return _module_server[1]


@pytest.fixture
def page(reuse_page, live_server):
    """The module's desktop page (1280×800), its cookies cleared."""
    return reuse_page("desktop", live_server.url, viewport=DESKTOP)


@pytest.fixture
def phone_page(reuse_page, live_server):
    """The module's phone page (390×844, mobile, touch), its cookies cleared."""
    return reuse_page(
        "phone",
        live_server.url,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )


@pytest.fixture(params=["desktop", "phone"])
def any_page(request, seeded):
    """The same test once at desktop size and once on a phone."""
    return request.getfixturevalue("page" if request.param == "desktop" else "phone_page")


@pytest.mark.parametrize("name", list(PUBLIC_PAGES))
def test_public_page_is_german_accessible_and_fits(any_page, name):
    path, status, german = PUBLIC_PAGES[name]
    visit(any_page, path, status=status)
    assert html_lang(any_page) == "de"
    assert any_page.locator("h1").count() == 1
    body = any_page.locator("body").inner_text()
    assert german in body, f"{path}: German text {german!r} not shown"
    if any_page.viewport_size["width"] < 600:
        assert_fits_viewport(any_page)


def test_language_switch_to_english_is_remembered(page, seeded):
    visit(page, "/zentren/")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    choose_language(page, "English")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(seeded.url + "/zentren/")  # back on the same page
    expect(page.get_by_role("heading", level=1)).to_have_text("Centres")

    # The next page (followed by a link) is English too, and still accessible.
    page.get_by_role("link", name="Privacy").click()
    expect(page).to_have_url(seeded.url + "/datenschutz")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Privacy notice")
    check_a11y(page)
    visit(page, "/gibt-es-nicht", status=404)
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")

    choose_language(page, "Deutsch")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", level=1)).to_have_text("Seite nicht gefunden")


def test_language_switch_on_phone(phone_page, seeded):
    visit(phone_page, "/datenschutz")
    choose_language(phone_page, "English")
    expect(phone_page.locator("html")).to_have_attribute("lang", "en")
    expect(phone_page).to_have_url(seeded.url + "/datenschutz")
    visit(phone_page, "/")
    assert html_lang(phone_page) == "en"
    expect(phone_page.get_by_role("heading", level=1)).to_have_text(
        "Lend a hand in your family centre"
    )
    assert_fits_viewport(phone_page)


def test_logged_in_header_fits_a_phone_and_logs_out(phone_page, seeded, admin):
    seeded.log_in(phone_page, admin)
    visit(phone_page, "/")
    nav = phone_page.get_by_role("navigation", name="Hauptnavigation")
    expect(nav.get_by_role("link", name="Verwaltung")).to_be_visible()
    expect(nav.get_by_role("link", name="Mein Konto")).to_be_visible()
    assert_fits_viewport(phone_page)
    nav.get_by_role("button", name="Abmelden").tap()  # a POST with the page's CSRF token
    expect(nav.get_by_role("link", name="Anmelden")).to_be_visible()
    expect(nav.get_by_role("link", name="Mein Konto")).to_have_count(0)


def test_skip_link_is_first_and_moves_focus_to_content(page, seeded):
    visit(page, "/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused == "#main"
    expect(page.locator(".skip-link")).to_be_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_start_page_screenshots(page, phone_page, seeded):
    """Screenshots for people to look at (``$SHOTS_DIR``, default /tmp/shots); the start
    page's is taken even without SHOTS_DIR, and must show something."""
    for name, pg in (("start-desktop", page), ("start-phone", phone_page)):
        visit(pg, "/")
        assert pg.get_by_role("link", name="ThEKiZ Sonnenschein").is_visible()
        path = screenshot(pg, name, always=True)
        assert path.stat().st_size > 10_000
        screenshot(pg, name + "-first-screen", full_page=False)
    assert_fits_viewport(phone_page)
