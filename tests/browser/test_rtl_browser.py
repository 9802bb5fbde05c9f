"""Right to left: the family and volunteer pages in Arabic (and Dari) in Chromium.

Each page carries ``<html lang="ar" dir="rtl">``, is laid out from the right (logical CSS
properties), does not scroll sideways on a phone, and axe finds nothing serious. German texts
of the centre keep their own direction inside it; the switch works on a phone. Screenshots go
to ``$SHOTS_DIR/rtl/``.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.browser.helpers import choose_language, expect, screenshot, settle, visit
from tests.factories import make_activity, make_centre, make_operator, make_signup, make_user
from tests.factories_activities import next_weekday
from tests.factories_centres import make_closing_day
from tests.factories_hub import make_booking, make_partner, make_room
from tests.factories_programme import slot_at
from tests.factories_wishes import make_wish

pytestmark = pytest.mark.browser

SLUG = "pusteblume"


def _seed() -> dict:
    centre = make_centre(
        name="ThEKiZ Pusteblume",
        slug=SLUG,
        street="Lindenweg 5",
        postcode="07743",
        town="Jena",
        operator=make_operator(name="Stadt Jena"),
        description="Kita und Familientreff mit Garten, Lesecke und Backstube.",
        contact_email="pusteblume@example.org",
        contact_phone="03641 555 10",
    )
    make_closing_day(centre, days_ahead=12, reason="Teamfortbildung")
    make_partner(centre)
    make_booking(make_room(centre), is_public=True)
    reading = make_activity(
        centre,
        category_key="reading",
        title="Vorlesestunde",
        place="Leseecke im Gruppenraum „Sonnenblume“, Erdgeschoss",
        audience="Kinder von 3 bis 6 Jahren mit ihren Eltern",
        description="Jeden Dienstag lesen Ehrenamtliche Bilderbücher vor.",
    )
    tuesday = next_weekday(1, weeks=0)
    slots = [slot_at(reading, tuesday + dt.timedelta(weeks=w), 15, 30, hours=1) for w in range(3)]
    volunteer = make_user(name="Amal Haddad", email="amal@example.org", locale="ar")
    make_signup(slots[0], volunteer)
    make_wish(centre, title="دورة خياطة", locale="ar", supports=2)
    make_wish(centre, title="Babymassage", answer="Wir fragen unsere Hebamme.", supports=1)
    return {"activity": reading.id, "slot": slots[1].id, "volunteer": volunteer}


@pytest.fixture
def seeded(live_server):
    return live_server.run(_seed)


FAMILY_PAGES = {
    "start": "/",
    "centres": "/zentren/",
    "centre": f"/zentren/{SLUG}",
    "activity": f"/zentren/{SLUG}/programm/{{activity}}",
    "subscribe": f"/zentren/{SLUG}/kalender",
    "wishes": f"/zentren/{SLUG}/wuensche",
    "register": "/konto/registrieren",
    "login": "/konto/anmelden",
    "not-found": "/gibt-es-nicht",
}
VOLUNTEER_PAGES = {
    "browse": "/termine/",
    "slot": "/termine/{slot}",
    "my-dates": "/meine-termine",
    "suits-you": "/mein-engagement/passt-zu-ihnen",
    "volunteering": "/mein-engagement/profil",
    "hours": "/mein-engagement/stunden",
    "account": "/konto/",
    "calendars": "/konto/kalender",
}


def assert_right_to_left_and_fits(page, lang: str = "ar") -> None:
    """``<html lang dir=rtl>``, laid out from the right, and nothing to scroll sideways to:
    in a right-to-left page what sticks out does so on the left, so look there too."""
    settle(page)
    facts = page.evaluate(
        """() => {
          const root = document.documentElement;
          const out = [];
          for (const el of document.body.querySelectorAll('*')) {
            const r = el.getBoundingClientRect();
            // Partly outside; wholly outside on the start side is hidden on purpose (the
            // skip link until focused), on the end side scrollWidth would show it.
            const partly = r.left < root.clientWidth && r.right > 0;
            if (r.width && partly && (r.left < -1 || r.right > root.clientWidth + 1)) {
              out.push(el.tagName.toLowerCase() + (el.className ? '.' + el.className : '')
                       + ' ' + Math.round(r.left) + '..' + Math.round(r.right));
            }
          }
          const main = document.querySelector('main h1') || document.querySelector('h1');
          const box = main.getBoundingClientRect();
          const range = document.createRange();
          range.selectNodeContents(main);
          const text = range.getBoundingClientRect();
          return {lang: root.lang, dir: root.dir, direction: getComputedStyle(document.body).direction,
                  scroll: root.scrollWidth, client: root.clientWidth, outside: out.slice(0, 10),
                  h1Left: box.left, h1Right: box.right, textLeft: text.left, textRight: text.right};
        }"""
    )
    assert (facts["lang"], facts["dir"], facts["direction"]) == (lang, "rtl", "rtl"), facts
    assert facts["scroll"] <= facts["client"], f"{page.url} scrolls sideways: {facts}"
    assert not facts["outside"], f"{page.url}: outside the page: {facts['outside']}"
    # The heading's text is not set from the left (it starts on the right, or is centred).
    from_left = (
        facts["textLeft"] - facts["h1Left"] < 2 and facts["h1Right"] - facts["textRight"] > 2
    )
    assert not from_left, (page.url, facts)


def _check(page, name: str, path: str, status: int | None = None) -> None:
    visit(page, path, status=status)  # status, CSP, axe
    assert_right_to_left_and_fits(page)
    size = "phone" if page.viewport_size["width"] < 600 else "desktop"
    screenshot(page, f"rtl/{name}-{size}")


def test_family_pages_in_arabic_on_a_phone(phone_page, seeded):
    visit(phone_page, "/?lang=ar")
    for name, path in FAMILY_PAGES.items():
        status = 404 if name == "not-found" else None
        _check(phone_page, name, path.format(**seeded), status)


def test_volunteer_pages_in_arabic_on_a_phone(phone_page, live_server, seeded):
    live_server.log_in(phone_page, seeded["volunteer"])  # the account's language is Arabic
    for name, path in VOLUNTEER_PAGES.items():
        _check(phone_page, name, path.format(**seeded))


def test_centre_page_in_arabic_on_a_desktop(page, seeded):
    _check(page, "centre", f"/zentren/{SLUG}?lang=ar")
    # The centre's German texts keep their own direction; a phone number keeps its order.
    about = page.locator("section[aria-labelledby=about-heading] div[lang=de]")
    expect(about).to_have_attribute("dir", "ltr")
    expect(page.locator("address")).to_have_attribute("lang", "de")
    phone = page.get_by_role("link", name="03641 555 10")
    expect(phone).to_have_attribute("dir", "ltr")
    # Arrows that point the way of reading are turned round.
    arrow = page.locator(".realised-list .icon-forward, .week-pager .icon-forward").first
    if arrow.count():
        assert "matrix(-1" in arrow.evaluate("el => getComputedStyle(el).transform")


def test_switch_to_dari_and_back_on_a_phone(phone_page, seeded):
    visit(phone_page, f"/zentren/{SLUG}")
    assert phone_page.evaluate("document.documentElement.dir") == "ltr"
    phone_page.locator("details.lang-switch summary").tap()
    menu = phone_page.locator(".lang-menu")
    expect(menu).to_be_visible()
    # The open list stays inside the screen and is accessible.
    box = menu.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    visit(phone_page, phone_page.url)
    phone_page.locator("details.lang-switch summary").tap()
    with phone_page.expect_navigation():
        menu.get_by_role("button", name="Dari — دری").tap()
    assert_right_to_left_and_fits(phone_page, "fa-AF")
    assert phone_page.url.endswith(f"/zentren/{SLUG}")  # back on the same page
    phone_page.locator("details.lang-switch summary").tap()
    current = phone_page.locator(".lang-menu button[aria-current=true]")
    expect(current).to_have_attribute("lang", "fa-AF")
    screenshot(phone_page, "rtl/switch-open-phone", full_page=False)
    with phone_page.expect_navigation():
        phone_page.locator(".lang-menu").get_by_role("button", name="Deutsch").tap()
    assert phone_page.evaluate("[document.documentElement.lang, document.documentElement.dir]") == [
        "de",
        "ltr",
    ]
    choose_language(phone_page, "العربية")
    assert_right_to_left_and_fits(phone_page)
