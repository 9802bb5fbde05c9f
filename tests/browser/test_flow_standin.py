""" "Ich kann nicht" and a stand-in in the browser: a volunteer says after the deadline that she
cannot come, the coordinator sees it on the planning page, opens who could step in, asks the
best one with one click, and he accepts by the link in his mail — the slot is full again.
German, desktop and phone; every page is checked with axe, for CSP violations and for
sideways scrolling. Screenshots go to ``$SHOTS_DIR/standin/``.
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
    make_volunteer,
    slot_on,
)
from volunteer_app.activities.models import Slot
from volunteer_app.centres.queries import today
from volunteer_app.notifications.models import OutboxMessage
from volunteer_app.proposals.models import StandinRequest

pytestmark = [pytest.mark.browser, pytest.mark.dates]


def _seed() -> dict:
    centre = make_centre(name="ThEKiZ Sonnenschein", slug="sonnenschein", town="Jena")
    coordinator = make_coordinator(centre, name="Katrin Hoffmann", email="katrin@example.org")
    # A week's notice to cancel online: the date in two days is past its deadline.
    activity = make_activity(
        centre, title="Vorlesestunde", volunteers_needed=1, cancel_deadline_hours=24 * 7
    )
    slot = slot_on(activity, today() + dt.timedelta(days=2), hour=15)
    anna = make_volunteer(centre, name="Anna Aurich", email="anna@example.org")
    make_signup(slot, anna)
    make_volunteer(centre, name="Ben Brandt", email="ben@example.org")
    make_volunteer(
        centre, categories=(), open_to_anything=True, name="Clara Conrad", email="c@example.org"
    )
    return {"coordinator": coordinator, "anna": anna, "slot": slot.id}


@pytest.fixture
def seeded(live_server):
    return live_server.run(_seed)


@pytest.fixture(params=FLOW_SIZES)
def size(request) -> str:
    return request.param


def check(pg, shot: str | None = None) -> None:
    check_page(pg, shot, folder="standin", always_fit=True)


def test_cant_come_then_a_stand_in_takes_the_place(new_page, live_server, seeded, size):
    slot_id = seeded["slot"]
    anna = open_sized(new_page, size)
    live_server.log_in(anna, seeded["anna"])
    visit(anna, f"/termine/{slot_id}")
    check(anna, "slot-after-deadline")
    anna.get_by_label("Grund (freiwillig)").fill("Fieber")
    anna.get_by_role("button", name="Ich kann nicht").click()
    expect(anna.locator(".flash").first).to_contain_text("Koordination ist sofort informiert")
    check(anna, "slot-cant-come-done")

    desk = open_sized(new_page, size)
    live_server.log_in(desk, seeded["coordinator"])
    visit(desk, "/zentren/sonnenschein/planung")
    expect(desk.locator(".desk-summary")).to_contain_text("Ehrenamtliche:r kann nicht kommen")
    notice = desk.locator("li.cant-come")
    expect(notice).to_contain_text("Anna Aurich kann nicht kommen")
    expect(notice).to_contain_text("Fieber")
    check(desk, "desk")
    notice.get_by_role("link", name="Ersatz suchen").click()
    expect(desk).to_have_url(re.compile(rf"/termine/{slot_id}/warum-leer$"))
    candidates = desk.locator("ol.candidates > li")
    expect(candidates).to_have_count(2)
    expect(candidates.first).to_contain_text("Ben Brandt")  # likes reading: the best
    expect(candidates.first).to_contain_text("mag Vorlesen")
    expect(candidates.first).to_contain_text("noch nie gefragt")
    expect(desk.get_by_role("button", name="Alle 2 fragen")).to_be_visible()
    check(desk, "candidates")
    desk.get_by_role("button", name="Die passendste Person fragen").click()
    expect(desk.locator(".flash").first).to_contain_text("1 Person per E-Mail gefragt: Ben Brandt")
    expect(desk.locator("#requests-heading")).to_be_visible()
    expect(desk.get_by_text("Gefragt, noch keine Antwort")).to_be_visible()
    check(desk, "asked")

    def link() -> str:
        mail = OutboxMessage.get(OutboxMessage.recipient == "ben@example.org")
        return re.search(r"https?://\S+/einspringen/\S+", mail.body_text).group(0)

    ben = open_sized(new_page, size)  # his own browser, not logged in
    visit(ben, live_server.run(link))
    expect(ben.get_by_role("heading", level=1)).to_have_text("Könnten Sie einspringen, Ben?")
    check(ben, "request")
    ben.get_by_role("button", name="Ja, ich springe ein").click()
    expect(ben.locator(".flash").first).to_contain_text("Vielen Dank")
    expect(ben.get_by_text("Sie haben zugesagt.")).to_be_visible()
    check(ben, "request-accepted")

    def state():
        request = StandinRequest.get(StandinRequest.slot == slot_id)
        return Slot.get_by_id(slot_id).taken, request.status

    assert live_server.run(state) == (1, "accepted")
    visit(desk, "/zentren/sonnenschein/planung")
    expect(desk.locator("li.cant-come")).to_have_count(0)  # dealt with by asking
