"""Matching in the browser: a coordinator creates proposals, confirms one as an invitation, the
volunteer accepts by the link in the mail — and the slot is filled. German, desktop and phone;
every page is checked with axe and for CSP violations. Screenshots go to
``$SHOTS_DIR/proposals/``.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.helpers import FLOW_SIZES, check_page, expect, open_sized, visit
from tests.factories_proposals import (
    make_activity,
    make_centre,
    make_coordinator,
    make_volunteer,
    next_weekday,
    slot_on,
)
from volunteer_app.activities.models import Slot
from volunteer_app.notifications.models import OutboxMessage
from volunteer_app.proposals.models import Proposal

pytestmark = pytest.mark.browser


def _seed() -> dict:
    centre = make_centre(name="ThEKiZ Sonnenschein", slug="sonnenschein", town="Jena")
    coordinator = make_coordinator(centre, name="Katrin Hoffmann", email="katrin@example.org")
    activity = make_activity(centre, title="Vorlesestunde", volunteers_needed=1)
    day = next_weekday(1)
    slot = slot_on(activity, day, hour=15)
    empty = slot_on(
        make_activity(centre, title="Gartentag", category_key="gardening"), day, hour=10
    )
    vera = make_volunteer(centre, name="Vera Vogel", email="vera@example.org")
    return {
        "coordinator": coordinator,
        "slot": slot.id,
        "empty": empty.id,
        "vera": vera,
        "day": day,
    }


@pytest.fixture
def seeded(live_server):
    return live_server.run(_seed)


@pytest.fixture(params=FLOW_SIZES)
def size(request) -> str:
    return request.param


def check(pg, shot: str | None = None) -> None:
    check_page(pg, shot, folder="proposals", always_fit=True)


def test_propose_confirm_accept_fills_the_slot(new_page, live_server, seeded, size):
    pg = open_sized(new_page, size)
    live_server.log_in(pg, seeded["coordinator"])
    day = seeded["day"].isoformat()

    visit(pg, "/zentren/sonnenschein/vorschlaege")
    check(pg, "new-run")
    pg.get_by_label("Von").fill(day)
    pg.get_by_label("Bis").fill(day)
    pg.get_by_role("button", name="Vorschläge erzeugen").click()
    expect(pg).to_have_url(re.compile(r"/vorschlaege/\d+$"))
    expect(pg.get_by_role("heading", level=1)).to_contain_text("Vorschläge")
    block = pg.locator(f"#slot-{seeded['slot']}")
    expect(block).to_contain_text("Vera Vogel")
    expect(block).to_contain_text("mag Vorlesen")
    expect(block).to_contain_text("dienstags frei")
    expect(pg.locator(f"#slot-{seeded['empty']}")).to_contain_text("0 mögen Gärtnern")
    check(pg, "run")

    pg.get_by_label("Vera Vogel").check()
    pg.get_by_role("button", name="Angekreuzte bestätigen").click()
    expect(pg.locator(".flash").first).to_contain_text("1 Anfrage verschickt.")
    expect(block).to_contain_text("Angefragt, noch keine Antwort")
    check(pg, "run-invited")

    def invitation_link() -> str:
        mail = OutboxMessage.get(OutboxMessage.recipient == "vera@example.org")
        return re.search(r"https?://\S+/termin-einladung/\S+", mail.body_text).group(0)

    link = live_server.run(invitation_link)
    volunteer = open_sized(new_page, size)  # the volunteer's own browser, not logged in
    visit(volunteer, link)
    expect(volunteer.get_by_role("heading", level=1)).to_contain_text("Helfen Sie mit, Vera?")
    check(volunteer, "invitation")
    volunteer.get_by_role("button", name="Ja, ich helfe mit").click()
    expect(volunteer.locator(".flash").first).to_contain_text("Vielen Dank")
    expect(volunteer.get_by_text("Sie haben zugesagt.")).to_be_visible()
    check(volunteer, "invitation-accepted")

    def state():
        slot = Slot.get_by_id(seeded["slot"])
        proposal = Proposal.get(Proposal.slot == seeded["slot"])
        return slot.taken, proposal.status

    assert live_server.run(state) == (1, "accepted")
    visit(pg, pg.url)
    expect(block).to_contain_text("Zugesagt")
    expect(block).to_contain_text("1 von 1 eingetragen")


def test_volunteer_sees_suggestions(new_page, live_server, seeded, size):
    pg = open_sized(new_page, size)
    live_server.log_in(pg, seeded["vera"])
    visit(pg, "/mein-engagement/passt-zu-ihnen")
    expect(pg.get_by_role("heading", level=1)).to_have_text("Passt zu Ihnen")
    expect(pg.locator(".suggestion")).to_have_count(1)
    expect(pg.locator(".suggestion")).to_contain_text("mag Vorlesen")
    check(pg, "suggestions")
