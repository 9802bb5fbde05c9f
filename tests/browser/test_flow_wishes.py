"""A family suggests and supports a wish; a coordinator turns a wish into an activity; the
hours, certificate and report pages — in Chromium, German, desktop and phone size, each page
checked with axe and for CSP violations. Screenshots go to ``$SHOTS_DIR/wishes-reports/``."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.browser.helpers import FLOW_SIZES, check_page, expect, open_sized, visit
from tests.factories import make_centre, make_coordinator
from tests.factories_wishes import make_wish, report_dataset
from volunteer_app.activities.models import Activity
from volunteer_app.reports.models import VolunteeringCertificate
from volunteer_app.wishes.models import Wish

pytestmark = pytest.mark.browser
FOLDER = "wishes-reports"


def _seed():
    centre = make_centre(name="ThEKiZ Sonnenblume", slug="sonnenblume", town="Gotha")
    coordinator = make_coordinator(centre, name="Clara Koordina")
    make_wish(centre, "Reparaturcafé für Kinderfahrräder", supports=7)
    make_wish(centre, "Vorlesen auf Arabisch", supports=3, status="planned",
              answer="Wir suchen gerade eine Vorleserin.")  # fmt: skip
    return centre, coordinator


@pytest.mark.parametrize("size", FLOW_SIZES)
def test_a_family_suggests_and_supports_a_wish(live_server, new_page, size):
    live_server.run(_seed)
    page = open_sized(new_page, size)
    visit(page, "/zentren/sonnenblume/wuensche")
    check_page(page, "public-empty-form", folder=FOLDER)
    page.get_by_label("Was soll das Zentrum anbieten?").fill("Babymassage")
    page.get_by_label("Ein paar Worte mehr (freiwillig)").fill(
        "Für Eltern mit Babys, gern vormittags."
    )
    page.get_by_label("Ihre E-Mail-Adresse (freiwillig)").fill("mama@example.org")
    page.get_by_role("button", name="Wunsch absenden").click()
    # Without the consent box the address is refused with a message.
    expect(page.get_by_text("Bitte setzen Sie das Häkchen")).to_be_visible()
    check_page(page, "public-consent-error", folder=FOLDER)
    page.get_by_label("Ja, das Zentrum darf meine E-Mail-Adresse speichern").check()
    page.get_by_role("button", name="Wunsch absenden").click()
    # The centre checks new wishes first: the family sees theirs as being checked.
    expect(page.get_by_text("Danke! Ihr Wunsch wird geprüft")).to_be_visible()
    expect(page.get_by_role("heading", name="Ihr Wunsch wird geprüft")).to_be_visible()
    check_page(page, "public-after-suggest", folder=FOLDER)
    wish = live_server.run(lambda: Wish.get(Wish.title == "Babymassage"))
    assert wish.email == "mama@example.org" and wish.support_count == 1
    assert wish.approved_at is None

    item = page.locator("li.wish", has_text="Reparaturcafé")
    item.get_by_role("button", name="Unterstützen").click()
    expect(page.get_by_text("Danke für Ihre Unterstützung!")).to_be_visible()
    check_page(page, "public-after-support", folder=FOLDER)
    expect(item.get_by_text("Sie unterstützen diesen Wunsch.")).to_be_visible()
    expect(item.locator(".support-count .num")).to_have_text("8")


@pytest.mark.parametrize("size", FLOW_SIZES)
def test_a_coordinator_approves_one_wish_and_rejects_another(live_server, new_page, size):
    centre, coordinator = live_server.run(_seed)
    live_server.run(
        lambda: (
            make_wish(centre, "Flohmarkt für Kindersachen", supports=1, approved_at=None,
                      description="Zweimal im Jahr, gern im Hof."),
            make_wish(centre, "Kurs bei Frau Müller", supports=1, approved_at=None,
                      email="familie@example.org", email_consent_at=Wish.created_at.default()),
        )
    )  # fmt: skip
    page = open_sized(new_page, size)
    live_server.log_in(page, coordinator)
    visit(page, "/zentren/sonnenblume/planung")
    page.get_by_role("link", name="Familienwünsche warten auf Freigabe").click()
    expect(page.get_by_role("heading", name="Warten auf Ihre Freigabe")).to_be_visible()
    check_page(page, "manage-pending", folder=FOLDER)
    item = page.locator(".pending-list li", has_text="Flohmarkt für Kindersachen")
    item.get_by_role("button", name="Freigeben").click()
    expect(page.get_by_text("Der Wunsch steht jetzt in der öffentlichen Liste.")).to_be_visible()
    item = page.locator(".pending-list li", has_text="Kurs bei Frau Müller")
    item.get_by_role("link", name="Ablehnen").click()
    check_page(page, "reject", folder=FOLDER)
    page.get_by_label("Begründung für die Familie (freiwillig)").fill(
        "Bitte keine Namen auf der öffentlichen Seite. Schicken Sie ihn gern ohne Namen."
    )
    page.get_by_role("button", name="Wunsch ablehnen und löschen").click()
    expect(page.get_by_text("die Familie bekommt Ihre Begründung per E-Mail")).to_be_visible()
    check_page(page, "manage-after-moderation", folder=FOLDER)
    titles = live_server.run(lambda: sorted(w.title for w in Wish.select()))
    assert "Kurs bei Frau Müller" not in titles and "Flohmarkt für Kindersachen" in titles
    family = open_sized(new_page, size)
    visit(family, "/zentren/sonnenblume/wuensche")
    expect(family.get_by_role("heading", name="Flohmarkt für Kindersachen")).to_be_visible()


@pytest.mark.parametrize("size", FLOW_SIZES)
def test_a_coordinator_turns_a_wish_into_an_activity(live_server, new_page, size):
    _centre, coordinator = live_server.run(_seed)
    page = open_sized(new_page, size)
    live_server.log_in(page, coordinator)
    visit(page, "/zentren/sonnenblume/wuensche/verwaltung")
    check_page(page, "manage", folder=FOLDER)
    row = page.locator("tr", has_text="Reparaturcafé für Kinderfahrräder")
    row.get_by_role("link", name="Als Angebot umsetzen").click()
    check_page(page, "realise-form", folder=FOLDER)
    expect(page.get_by_label("Titel", exact=True)).to_have_value(
        "Reparaturcafé für Kinderfahrräder"
    )
    # Without a place nothing is written.
    page.get_by_role("button", name="Angebot anlegen", exact=True).click()
    expect(page.locator(".form-errors")).to_be_visible()
    assert live_server.run(lambda: Activity.select().count()) == 0
    page.get_by_label("Ort", exact=True).fill("Hof hinter der Kita")
    page.get_by_role("button", name="Angebot anlegen", exact=True).click()
    expect(
        page.get_by_text("Das Angebot wurde angelegt und der Wunsch ist geplant.")
    ).to_be_visible()
    check_page(page, "after-realise-schedule", folder=FOLDER)
    activity = live_server.run(lambda: Activity.get())
    assert f"/angebote/{activity.id}/termine/neu" in page.url
    wish = live_server.run(lambda: Wish.get(Wish.title.startswith("Reparatur")))
    # Planned until its first date exists (then realised: tests/test_unseen.py).
    assert (wish.status, wish.activity_id) == ("planned", activity.id)
    visit(page, "/zentren/sonnenblume/wuensche")
    planned = page.locator("li.wish", has_text="Reparaturcafé für Kinderfahrräder")
    expect(planned).to_contain_text("In Planung")
    check_page(page, "public-realised", folder=FOLDER)
    item = page.locator("li.wish", has_text="Vorlesen auf Arabisch")
    expect(item).to_be_visible()
    visit(page, f"/zentren/sonnenblume/wuensche/{wish.id}")
    check_page(page, "answer", folder=FOLDER)


@pytest.mark.parametrize("size", FLOW_SIZES)
def test_hours_certificate_and_report_pages(live_server, new_page, size):
    ds = live_server.run(report_dataset)
    page = open_sized(new_page, size)
    live_server.log_in(page, ds.people["v1"])
    visit(page, f"/mein-engagement/stunden?jahr={ds.year}")
    check_page(page, "hours", folder=FOLDER)
    page.get_by_label("Zentrum", exact=True).select_option(label="Zentrum Anger")
    page.get_by_label("Von").last.fill(f"{ds.year}-01-01")
    page.get_by_label("Bis").last.fill(f"{ds.year}-12-31")
    page.get_by_role("button", name="Nachweis anfragen").click()
    expect(page.get_by_text("Ihre Anfrage wurde verschickt.")).to_be_visible()
    check_page(page, "hours-requested", folder=FOLDER)
    cert = live_server.run(lambda: VolunteeringCertificate.get())

    coordinator = open_sized(new_page, size)
    live_server.log_in(coordinator, ds.coord_a)
    visit(coordinator, "/zentren/anger/nachweise")
    check_page(coordinator, "certificates", folder=FOLDER)
    row = coordinator.locator("tr", has_text="Vera Vorleserin")
    row.get_by_role("link", name="Prüfen und unterschreiben").click()
    check_page(coordinator, "certificate-sign", folder=FOLDER)
    coordinator.get_by_role("button", name="Nachweis unterschreiben").click()
    expect(coordinator.get_by_text("Der Nachweis ist unterschrieben")).to_be_visible()
    check_page(coordinator, "certificate-signed", folder=FOLDER)

    visit(page, f"/mein-engagement/nachweise/{cert.id}")
    expect(page.get_by_text("3,5 Stunden")).to_be_visible()
    check_page(page, "certificate-print", folder=FOLDER)
    page.emulate_media(media="print")
    from tests.browser.helpers import screenshot

    screenshot(page, f"{FOLDER}/certificate-printed-{size}")
    page.emulate_media(media="screen")

    visit(coordinator, f"/zentren/anger/bericht?jahr={ds.year}")
    expect(coordinator.locator(".figures")).to_contain_text("8,5")
    check_page(coordinator, "report", folder=FOLDER)
    visit(coordinator, f"/traeger/{ds.operator.id}/bericht?jahr={ds.year}")
    check_page(coordinator, "report-operator", folder=FOLDER)
    _ = dt
