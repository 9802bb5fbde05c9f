"""Nothing waits unseen, in the browser: the coordinator's desk counts a certificate request
and a sign-up awaiting approval five weeks ahead and leads to both; the "Angebote" tab;
"Alle bestätigen" says how many people will be mailed before anything is sent. German,
desktop and phone; every page checked with axe and for CSP violations. Screenshots go to
``$SHOTS_DIR/unseen/``.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.browser.helpers import FLOW_SIZES, check_page, expect, open_sized, visit
from tests.factories_proposals import (
    make_activity,
    make_centre,
    make_coordinator,
    make_signup,
    make_user,
    make_volunteer,
    next_weekday,
    slot_on,
)
from tests.factories_wishes import attended
from volunteer_app.centres.queries import today
from volunteer_app.notifications.models import OutboxMessage

pytestmark = [pytest.mark.browser, pytest.mark.dates]


def _seed() -> dict:
    from volunteer_app.proposals import services as proposals
    from volunteer_app.reports import services as reports

    centre = make_centre(name="ThEKiZ Sonnenschein", slug="sonnenschein", town="Jena")
    coordinator = make_coordinator(centre, name="Katrin Hoffmann", email="katrin@example.org")
    # A certificate request.
    vera = make_user(name="Vera Vogel")
    attended(slot_on(make_activity(centre, title="Vorlesestunde"), today() - dt.timedelta(20)),
             vera, 2)  # fmt: skip
    reports.request_certificate(centre, today() - dt.timedelta(30), today(), actor=vera)
    # A sign-up awaiting approval, beyond the 14 days of the planning page.
    later = slot_on(make_activity(centre, title="Lesepaten", signup_mode="approval"),
                    today() + dt.timedelta(days=35))  # fmt: skip
    make_signup(later, make_user(name="Paul Probe"), status="pending")
    # A run with two proposals for two people.
    day = next_weekday(1)
    slot_on(make_activity(centre, title="Gartentag", category_key="gardening",
                          volunteers_needed=2), day)  # fmt: skip
    for name in ("Anna Aurich", "Ben Brandt"):
        make_volunteer(centre, name=name, categories=("gardening",))
    run = proposals.start_run(centre, operator_wide=False, period_from=day, period_to=day,
                              actor=coordinator)  # fmt: skip
    return {"coordinator": coordinator, "later": later.id, "run": run.id}


@pytest.fixture
def seeded(live_server):
    return live_server.run(_seed)


@pytest.fixture(params=FLOW_SIZES)
def size(request) -> str:
    return request.param


def check(pg, shot: str | None = None) -> None:
    check_page(pg, shot, folder="unseen", always_fit=True)


def test_the_desk_shows_what_waits_and_confirm_all_asks_first(new_page, live_server, seeded, size):
    pg = open_sized(new_page, size)
    live_server.log_in(pg, seeded["coordinator"])

    visit(pg, "/zentren/sonnenschein/planung")
    glance = pg.get_by_role("list", name="Auf einen Blick")
    expect(glance).to_contain_text("1 Anmeldung wartet auf Bestätigung")
    expect(glance).to_contain_text("1 Ehrenamtsnachweis zu unterschreiben")
    check(pg, "dashboard")
    glance.get_by_role("link", name="Anmeldung wartet auf Bestätigung").click()
    waiting = pg.locator("section", has=pg.locator("#approvals-heading"))
    waiting.get_by_role("link", name="Lesepaten").click()
    expect(pg).to_have_url(re.compile(rf"/termine/{seeded['later']}/besetzung#pending$"))
    expect(pg.locator("#pending")).to_contain_text("Paul Probe")

    visit(pg, "/zentren/sonnenschein/planung")
    pg.get_by_role("link", name="Ehrenamtsnachweis zu unterschreiben").click()
    expect(pg.get_by_role("heading", level=1)).to_contain_text("Ehrenamtsnachweise")
    expect(pg.locator("main")).to_contain_text("Vera Vogel")
    check(pg, "certificates")

    # The activities are a tab of the desk.
    visit(pg, "/zentren/sonnenschein/planung")
    pg.get_by_role("navigation", name="Koordination des Zentrums").get_by_role(
        "link", name="Angebote"
    ).click()
    tab = pg.get_by_role("navigation", name="Koordination des Zentrums").get_by_role(
        "link", name="Angebote"
    )
    expect(tab).to_have_attribute("aria-current", "page")
    check(pg, "activities-tab")

    # "Alle bestätigen" first says how many people will be mailed; nothing is sent yet.
    visit(pg, f"/vorschlaege/{seeded['run']}")
    pg.get_by_role("button", name="Alle bestätigen").click()
    expect(pg.get_by_role("heading", level=1)).to_have_text(
        "Alle Vorschläge als Anfragen verschicken?"
    )
    expect(pg.locator("main")).to_contain_text("Damit werden 2 Anfragen per E-Mail verschickt.")
    expect(pg.locator("main")).to_contain_text("2 Personen bekommen E-Mails.")
    check(pg, "confirm-all")
    assert live_server.run(lambda: OutboxMessage.select().count()) == 1  # the request's staff mail
    pg.get_by_role("button", name="Ja, 2 Anfragen verschicken").click()
    expect(pg.locator(".flash").first).to_contain_text("2 Anfragen verschickt.")
    assert live_server.run(lambda: OutboxMessage.select().count()) == 3
