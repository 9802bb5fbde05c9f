"""Families who volunteer together in the browser: a mother signs up for a garden day, says
that two children come along and sends her father a link; she asks to link her son's
account, he confirms with his year of birth, and she signs him up; the coordinator's roster
shows the children. German, desktop and phone; every page checked with axe, for CSP
violations and sideways scrolling. Screenshots go to ``$SHOTS_DIR/companions/``."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.browser.helpers import FLOW_SIZES, check_page, expect, open_sized, visit
from tests.factories import make_activity, make_centre, make_coordinator, make_slot, make_user
from volunteer_app.activities.models import Slot
from volunteer_app.centres.queries import today
from volunteer_app.db import utcnow
from volunteer_app.notifications.models import OutboxMessage

pytestmark = [pytest.mark.browser, pytest.mark.dates]


def _seed() -> dict:
    centre = make_centre(name="ThEKiZ Sonnenblume", slug="sonnenblume", town="Gera")
    coordinator = make_coordinator(centre, name="Clara Koordinatorin", email="clara@example.org")
    activity = make_activity(
        centre,
        title="Gartentag",
        companion_children=True,
        companion_adults=True,
        minors_from_age=14,
        volunteers_needed=3,
    )
    slot = make_slot(activity, starts_at=utcnow().replace(microsecond=0) + dt.timedelta(days=4))
    petra = make_user(name="Petra Mutter", email="petra@example.org")
    kai = make_user(name="Kai Sohn", email="kai@example.org")
    return {"coordinator": coordinator, "petra": petra, "kai": kai, "slot": slot.id}


@pytest.fixture
def seeded(live_server):
    return live_server.run(_seed)


@pytest.fixture(params=FLOW_SIZES)
def size(request) -> str:
    return request.param


def check(pg, shot: str | None = None) -> None:
    check_page(pg, shot, folder="companions", always_fit=True)


def test_a_family_volunteers_together(new_page, live_server, seeded, size):
    slot_id = seeded["slot"]
    petra = open_sized(new_page, size)
    live_server.log_in(petra, seeded["petra"])
    visit(petra, f"/termine/{slot_id}")
    petra.get_by_role("button", name="Anmelden").click()
    expect(petra.locator("#companions")).to_be_visible()
    petra.get_by_label("Mitkommende Kinder").fill("2")
    petra.get_by_label("Einen Erwachsenen einladen").fill("opa@example.org")
    petra.get_by_role("button", name="Speichern und Link senden").click()
    expect(petra.locator(".flash").first).to_contain_text("opa@example.org")
    check(petra, "slot-coming-along")

    def link() -> str:
        mail = OutboxMessage.get(OutboxMessage.recipient == "opa@example.org")
        return re.search(r"https?://\S+/begleitung/\S+", mail.body_text).group(0)

    opa = open_sized(new_page, size)  # his own browser, no account
    visit(opa, live_server.run(link))
    expect(opa.get_by_role("heading", level=1)).to_have_text("Kommen Sie mit")
    expect(opa.get_by_role("link", name="Konto anlegen")).to_be_visible()
    check(opa, "invitation")

    visit(petra, "/konto/familie")
    petra.get_by_label("E-Mail-Adresse Ihres Kindes").fill("kai@example.org")
    petra.get_by_role("button", name="Anfrage senden").click()
    expect(petra.locator(".flash").first).to_contain_text("Wenn Ihr Kind ein Konto")
    check(petra, "family-asked")

    kai = open_sized(new_page, size)
    live_server.log_in(kai, seeded["kai"])
    visit(kai, "/konto/familie")
    expect(kai.get_by_role("heading", name="Verknüpfung mit Petra Mutter")).to_be_visible()
    kai.get_by_label("Ihr Geburtsjahr").fill("2000")
    kai.get_by_role("button", name="Verknüpfung bestätigen").click()
    expect(kai.locator(".field-error, .error").first).to_be_visible()  # of age: refused
    kai.get_by_label("Ihr Geburtsjahr").fill(str(today().year - 16))
    kai.get_by_role("button", name="Verknüpfung bestätigen").click()
    expect(kai.locator(".flash").first).to_contain_text("Die Verknüpfung ist bestätigt")
    check(kai, "family-confirmed")

    visit(petra, f"/termine/{slot_id}")
    petra.get_by_role("button", name="Kai anmelden").click()
    expect(petra.locator(".flash").first).to_contain_text("Ihr Kind ist angemeldet")
    visit(petra, "/konto/familie")
    expect(petra.locator(".child-dates")).to_contain_text("Gartentag")
    check(petra, "family-dates")

    desk = open_sized(new_page, size)
    live_server.log_in(desk, seeded["coordinator"])
    visit(desk, f"/termine/{slot_id}/besetzung")
    expect(desk.locator("#confirmed")).to_contain_text("mit 2 Kindern")
    expect(desk.locator(".about")).to_contain_text("2 insgesamt")
    check(desk, "roster")
    assert live_server.run(lambda: Slot.get_by_id(slot_id).taken) == 2  # Petra and Kai
