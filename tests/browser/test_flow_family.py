"""A family without an account, on a phone: the centres overview, a centre's programme,
filtered to one category, an activity page, then the calendar subscribe page with its QR
code. axe and the CSP check run on every page (``visit``); nothing scrolls sideways."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.browser.helpers import (
    assert_fits_viewport,
    check_a11y,
    choose_language,
    expect,
    html_lang,
    screenshot,
    visit,
)
from tests.factories import (
    make_activity,
    make_centre,
    make_coordinator,
    make_operator,
    make_signup,
    make_user,
)
from tests.factories_activities import next_weekday
from tests.factories_programme import slot_at

pytestmark = pytest.mark.browser


def _seed():
    centre = make_centre(
        name="ThEKiZ Pusteblume",
        slug="pusteblume",
        street="Lindenweg 5",
        postcode="07743",
        town="Jena",
        operator=make_operator(name="Stadt Jena"),
        description="Kita und Familientreff mit Garten, Lesecke und Backstube.",
        contact_email="pusteblume@example.org",
        contact_phone="03641 555 10",
    )
    make_centre(name="ThEKiZ Regenbogen", slug="regenbogen", town="Erfurt")
    erika = make_coordinator(centre, name="Erika Mustermann", phone="0171 5550199")
    reading = make_activity(
        centre,
        category_key="reading",
        title="Vorlesestunde",
        place="Leseecke im Erdgeschoss",
        audience="Kinder von 3 bis 6 Jahren mit ihren Eltern",
        responsible=erika,
    )
    baking = make_activity(
        centre,
        category_key="baking",
        title="Plätzchen backen",
        place="Familienküche",
        audience="Familien mit Kindern ab 4",
        description="Wir backen Plätzchen für das Winterfest.\n\nSchürzen sind da.",
        responsible=erika,
    )
    tuesday = next_weekday(1, weeks=0)
    for week in range(3):
        day = tuesday + dt.timedelta(weeks=week)
        slot = slot_at(reading, day, 15, 30, hours=1)
        slot_at(
            baking,
            day + dt.timedelta(days=2),
            16,
            hours=2,
            status="cancelled" if week == 1 else "scheduled",
        )
    make_signup(slot, make_user(name="Vera Vorleserin", phone="0160 1234567"))
    return {"baking": baking.id}


@pytest.fixture
def family(live_server):
    return live_server.run(_seed)


def recheck(page):
    """Load the page just reached by a tap again through ``visit`` (axe, CSP, status)."""
    visit(page, page.url.split("#")[0])


def _no_private_data(page):
    body = page.locator("body").inner_text()
    for private in ("Erika", "Mustermann", "0171", "Vera", "0160"):
        assert private not in body, (page.url, private)


def test_family_finds_a_date_and_subscribes_on_a_phone(phone_page, live_server, family):
    pg = phone_page

    # 1. The overview: centres by town, each with its next date and a way to its programme.
    visit(pg, "/zentren/")
    assert html_lang(pg) == "de"
    jena = pg.get_by_role("region", name="Jena")
    expect(jena.get_by_text("Nächster Termin")).to_be_visible()
    expect(
        pg.get_by_role("region", name="Erfurt").get_by_text("Zurzeit keine Termine geplant")
    ).to_be_visible()
    assert_fits_viewport(pg)
    screenshot(pg, "programme/flow-1-overview-phone")
    jena.get_by_role("link", name=re.compile(r"^Programm\W+ThEKiZ Pusteblume$")).tap()

    # 2. The centre page: the programme first, week by week.
    expect(pg.get_by_role("heading", level=1)).to_have_text("ThEKiZ Pusteblume")
    recheck(pg)
    programme = pg.get_by_role("region", name="Programm für Familien")
    expect(programme.get_by_role("link", name="Vorlesestunde").first).to_be_visible()
    expect(programme.get_by_role("link", name="Plätzchen backen").first).to_be_visible()
    expect(programme.get_by_text("Abgesagt")).to_have_count(1)
    feed = pg.locator('link[rel="alternate"][type="text/calendar"]')
    assert feed.get_attribute("href") == live_server.url + "/zentren/pusteblume/kalender.ics"
    assert_fits_viewport(pg)
    _no_private_data(pg)
    screenshot(pg, "programme/flow-2-centre-phone")

    # 3. Only baking, please (a plain form: no JavaScript needed).
    pg.get_by_role("group", name="Was interessiert Sie?").get_by_text("Backen").tap()
    pg.get_by_role("button", name="Auswahl anzeigen").tap()
    expect(pg).to_have_url(re.compile(r"kategorie=\d+"))
    recheck(pg)
    expect(programme.get_by_role("link", name="Vorlesestunde")).to_have_count(0)
    expect(programme.get_by_role("link", name="Plätzchen backen").first).to_be_visible()
    expect(pg.get_by_text("Angezeigt werden nur: Backen")).to_be_visible()
    assert re.search(r"/kalender\.ics\?kategorie=\d+$", feed.get_attribute("href"))
    assert_fits_viewport(pg)
    screenshot(pg, "programme/flow-3-filtered-phone")

    # 4. The activity page: what, for whom, where, the next dates (one cancelled).
    programme.get_by_role("link", name="Plätzchen backen").first.tap()
    expect(pg.get_by_role("heading", level=1)).to_have_text("Plätzchen backen")
    recheck(pg)
    expect(pg.get_by_text("Familien mit Kindern ab 4")).to_be_visible()
    expect(pg.get_by_text("Wir backen Plätzchen für das Winterfest.")).to_be_visible()
    dates = pg.get_by_role("region", name="Die nächsten Termine").get_by_role("listitem")
    expect(dates).to_have_count(3)
    expect(dates.nth(1).get_by_text("Abgesagt")).to_be_visible()
    assert feed.get_attribute("href") == live_server.url + "/zentren/pusteblume/kalender.ics"
    assert_fits_viewport(pg)
    _no_private_data(pg)
    screenshot(pg, "programme/flow-4-activity-phone")

    # 5. Subscribe: the page of the centre's calendar, with a QR code that has a name.
    pg.get_by_role("link", name="Kalender abonnieren").first.tap()
    expect(pg).to_have_url(re.compile(r"/zentren/pusteblume/kalender$"))
    recheck(pg)
    qr = pg.get_by_role("img", name=re.compile("QR"))
    expect(qr).to_be_visible()
    assert pg.evaluate(
        "(el) => el.tagName === 'svg' || (el.complete && el.naturalWidth > 0)", qr.element_handle()
    ), "the QR code did not load"
    assert_fits_viewport(pg)
    screenshot(pg, "programme/flow-5-subscribe-phone")


def test_programme_pages_on_desktop_in_english(page, live_server, family):
    visit(page, "/zentren/pusteblume")
    choose_language(page, "English")
    expect(page.get_by_role("heading", name="What's on for families")).to_be_visible()
    check_a11y(page)
    # The days are styled by the programme alone: the rooms' week plan, whose style sheet the
    # centre page also loads (for its partners), has a .week and a .day of its own, which once
    # boxed each day of the programme in a bordered flex column.
    day = page.locator(".programme .day").first
    assert day.evaluate("e => getComputedStyle(e).borderTopStyle") == "none"
    assert day.evaluate("e => getComputedStyle(e).display") == "block"
    screenshot(page, "programme/centre-desktop-en")
    visit(page, f"/zentren/pusteblume/programm/{family['baking']}")
    expect(page.get_by_role("heading", name="Next dates")).to_be_visible()
    screenshot(page, "programme/activity-desktop-en")
