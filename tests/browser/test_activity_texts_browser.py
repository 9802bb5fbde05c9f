"""Activity texts in several languages, in Chromium on a phone: a coordinator gives the
Ukrainian title and description in the activity form (a disclosure per language, CSRF on),
a family reads the activity page in Ukrainian, in Arabic (German, marked, inside a
right-to-left page) and subscribes to the Ukrainian calendar. Axe and CSP on every page,
nothing scrolls sideways; screenshots in ``$SHOTS_DIR/activity-texts/``.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.browser.helpers import check_page, expect, open_sized, visit
from tests.factories import make_centre, make_coordinator
from tests.factories_activities import make_activity, make_slot
from volunteer_app.activities.models import ActivityText
from volunteer_app.centres.queries import today

pytestmark = pytest.mark.browser

UK_TITLE = "Година читання вголос"


@pytest.fixture
def seeded(live_server):
    def make():
        centre = make_centre(name="ThEKiZ Regenbogenhaus", slug="regenbogenhaus")
        coordinator = make_coordinator(centre, name="Clara Auerbach")
        activity = make_activity(
            centre,
            title="Vorlesestunde",
            description="Ehrenamtliche lesen Bilderbücher vor.\n\nDanach ist Zeit zum Anschauen.",
            place="Leseecke",
            category_key="reading",
            responsible=coordinator,
        )
        make_slot(activity, today() + dt.timedelta(days=3))
        return {"coordinator": coordinator, "activity": activity}

    return live_server.run(make)


def test_a_coordinator_adds_ukrainian_on_a_phone_and_a_family_reads_it(
    new_page, live_server, seeded
):
    activity = seeded["activity"]
    pg = open_sized(new_page, "phone")
    live_server.log_in(pg, seeded["coordinator"])
    visit(pg, f"/zentren/regenbogenhaus/angebote/{activity.id}/bearbeiten")
    ukrainian = pg.locator("details.other-language", has_text="Українська")
    expect(ukrainian.locator("#title_uk")).not_to_be_visible()  # closed until opened
    ukrainian.locator("summary").click()
    ukrainian.locator("#title_uk").fill(UK_TITLE)
    ukrainian.locator("#description_uk").fill("Волонтери читають книжки з картинками.")
    check_page(pg, "form-uk-open", folder="activity-texts")
    pg.get_by_role("button", name="Angebot speichern").click()
    check_page(pg, "coordinator-activity", folder="activity-texts")
    expect(pg.locator("dd span[lang=uk]")).to_have_text("Українська")

    family = open_sized(new_page, "phone")
    visit(family, f"/zentren/regenbogenhaus/programm/{activity.id}?lang=uk")
    expect(family.locator("h1")).to_have_text(UK_TITLE)
    check_page(family, "activity-uk", folder="activity-texts")
    visit(family, f"/zentren/regenbogenhaus/programm/{activity.id}?lang=ar")
    expect(family.locator("h1[lang=de][dir=ltr]")).to_have_text("Vorlesestunde")
    check_page(family, "activity-ar-german", folder="activity-texts")
    visit(family, "/zentren/regenbogenhaus?lang=uk")
    expect(family.get_by_role("link", name=UK_TITLE)).to_be_visible()
    check_page(family, "programme-uk", folder="activity-texts")


def test_the_subscribe_page_offers_the_calendar_in_a_language(new_page, live_server, seeded):
    live_server.run(
        ActivityText.create,
        activity=seeded["activity"],
        language="uk",
        title=UK_TITLE,
        description="",
    )
    pg = open_sized(new_page, "phone")
    visit(pg, "/zentren/regenbogenhaus/kalender")
    pg.get_by_label("Sprache des Kalenders").select_option("uk")
    pg.get_by_role("button", name="Links aktualisieren").click()
    check_page(pg, "subscribe-uk", folder="activity-texts")
    expect(pg.locator("html")).to_have_attribute("lang", "de")  # the page stays German
    webcal = pg.get_by_role("link", name="In Kalender-App abonnieren")
    expect(webcal).to_have_attribute(
        "href", f"webcal://{live_server.url[7:]}/zentren/regenbogenhaus/kalender.ics?lang=uk"
    )
    feed = pg.request.get(live_server.url + "/zentren/regenbogenhaus/kalender.ics?lang=uk")
    assert UK_TITLE in feed.text() and "програма" in feed.text()
