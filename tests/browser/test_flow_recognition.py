"""Thuringian recognition in the browser: a volunteer gives their year of birth on their page
"Anerkennung" and sees their Ehrenamtscard figures; a coordinator opens the person from the
desk's tab, fills in function, skills and trainings, signs the Ehrenamtszertifikat and prints
it; the volunteer then opens the signed certificate from their page. In German, axe-checked,
at phone and desktop size; screenshots go to ``$SHOTS_DIR/recognition/``.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.browser.helpers import FLOW_SIZES, check_page, expect, open_sized, screenshot, visit
from tests.factories import make_activity, make_centre, make_coordinator, make_operator, make_user
from tests.factories_wishes import attended, slot_on
from volunteer_app.centres.queries import today

pytestmark = [pytest.mark.browser, pytest.mark.dates]


class Recognised:
    """A volunteer who started more than a year ago at a centre of an operator."""

    def __init__(self):
        now = today()
        operator = make_operator(name="Stadt Erfurt")
        self.centre = make_centre(
            name="ThEKiZ Sonnenschein", slug="sonnenschein", operator=operator,
            street="Sonnenweg 1", postcode="99084",
        )  # fmt: skip
        self.clara = make_coordinator(self.centre, name="Clara Auerbach")
        self.vera = make_user(name="Vera Vogel")
        reading = make_activity(self.centre, "reading", title="Vorlesestunde")
        attended(slot_on(reading, now - dt.timedelta(days=400)), self.vera, 2)
        for weeks in range(1, 9):
            attended(slot_on(reading, now - dt.timedelta(weeks=weeks)), self.vera, 3)


@pytest.mark.parametrize("size", FLOW_SIZES)
def test_a_certificate_is_signed_printed_and_seen_by_the_volunteer(new_page, live_server, size):
    world = live_server.run(Recognised)
    vera = open_sized(new_page, size)
    live_server.log_in(vera, world.vera)
    visit(vera, "/mein-engagement/anerkennung")
    expect(vera.locator("h1")).to_contain_text("Anerkennung")
    expect(vera.locator("table.figures-table")).to_contain_text("Stunden")
    vera.get_by_label("Geburtsjahr", exact=True).fill(str(today().year - 2))
    vera.get_by_role("button", name="Speichern").click()
    check_page(vera)
    expect(vera.locator("#birth-heading").locator("..")).to_contain_text(
        "Bitte geben Sie ein Jahr von"
    )
    vera.get_by_label("Geburtsjahr", exact=True).fill("1990")
    vera.get_by_role("button", name="Speichern").click()
    check_page(vera, "volunteer", folder="recognition")
    expect(vera.get_by_text("Ihr Geburtsjahr ist gespeichert.")).to_be_visible()
    expect(vera.locator("table.figures-table")).to_contain_text("Geburtsjahr 1990")

    clara = open_sized(new_page, size)
    live_server.log_in(clara, world.clara)
    visit(clara, f"/zentren/{world.centre.slug}/anerkennung")
    check_page(clara, "overview", folder="recognition")
    clara.get_by_role("link", name="Vera Vogel").click()
    check_page(clara)
    clara.get_by_label("Funktion").fill("Lesepatin")
    clara.get_by_label("Erworbene Kompetenzen").fill("Vorlesen vor Gruppen")
    clara.get_by_label("Besuchte Fortbildungen").fill("Erste Hilfe am Kind")
    clara.get_by_role("button", name="Ehrenamtszertifikat unterschreiben").click()
    check_page(clara, "certificate", folder="recognition")
    certificate = clara.locator("article.certificate")
    expect(certificate).to_contain_text("Thüringer Ehrenamtszertifikat")
    expect(certificate).to_contain_text("Vera Vogel")
    expect(certificate).to_contain_text("8 Terminen")
    expect(certificate).to_contain_text("24 Stunden")
    expect(certificate).to_contain_text("Erste Hilfe am Kind")
    expect(certificate).to_contain_text("Clara Auerbach")
    clara.emulate_media(media="print")
    for hidden in (".site-header", ".breadcrumbs", "button[data-print]"):
        expect(clara.locator(hidden).first).to_be_hidden()
    expect(certificate).to_be_visible()
    if size == "desktop":
        screenshot(clara, "recognition/print")

    visit(vera, "/mein-engagement/anerkennung")
    vera.locator("#cert-heading").locator("..").get_by_role("link").first.click()
    check_page(vera)
    expect(vera.locator("article.certificate")).to_contain_text("Lesepatin")
