"""Messages to volunteers, end to end in Chromium (German, CSRF on), at desktop and phone
size: a coordinator writes to the whole centre, sees how many get it (and that one person
turned news off) before anything is sent, sends it and reads the log with each recipient;
a volunteer turns news off with the link from the mail, without logging in, in their
language. Every page is checked with axe and for CSP violations; screenshots go to
``$SHOTS_DIR/messages/``."""

from __future__ import annotations

import re

import pytest

from tests.browser.helpers import FLOW_SIZES, check_page, expect, open_sized, visit
from tests.factories import make_centre, make_coordinator, make_user
from volunteer_app.messaging.models import CentreMessage, MessageOptOut
from volunteer_app.notifications.models import OutboxMessage
from volunteer_app.volunteers.models import ReachableCentre

pytestmark = pytest.mark.browser

SLUG = "regenbogenhaus"


def _world() -> dict:
    centre = make_centre(name="ThEKiZ Regenbogenhaus", slug=SLUG)
    coordinator = make_coordinator(centre, name="Katrin Vogel")
    for name, locale in (("Olena Koval", "uk"), ("Anna Schmidt", "de"), ("Omar Haddad", "ar")):
        ReachableCentre.create(user=make_user(name=name, locale=locale), centre=centre)
    MessageOptOut.create(user=ReachableCentre.select().first().user)  # Olena: no news
    return {"coordinator": coordinator}


def check(pg, shot: str) -> None:
    check_page(pg, shot, folder="messages")


@pytest.mark.parametrize("size", FLOW_SIZES)
def test_coordinator_writes_to_the_centre_and_a_volunteer_turns_news_off(
    new_page, live_server, size
):
    w = live_server.run(_world)
    desk = open_sized(new_page, size)
    live_server.log_in(desk, w["coordinator"])
    visit(desk, f"/zentren/{SLUG}/nachrichten")
    check(desk, "compose")

    # Checking first: a missing choice is named at its list, then the count before sending.
    desk.get_by_label("Alle mit Interesse an einem Bereich (Neuigkeit)").check()
    desk.get_by_label("Betreff").fill("Sommerfest am Samstag")
    desk.get_by_label("Nachricht", exact=True).fill("Liebe alle,\nwir feiern ab 14 Uhr.")
    desk.get_by_role("button", name="Prüfen und senden").click()
    expect(desk.locator("#category-error")).to_have_text("Bitte wählen Sie eine der Möglichkeiten.")
    desk.get_by_label("Alle im Zentrum (Neuigkeit)").check()
    desk.get_by_role("button", name="Prüfen und senden").click()
    expect(desk.locator(".message-count")).to_contain_text("2 Personen bekommen diese Nachricht.")
    expect(desk.get_by_text("1 Person hat sie abbestellt.", exact=False)).to_be_visible()
    check(desk, "check")
    assert live_server.run(lambda: CentreMessage.select().count()) == 0

    desk.get_by_role("button", name="Jetzt senden").click()
    expect(desk.locator(".flashes")).to_contain_text("Die Nachricht geht an 2 Personen.")
    expect(desk.get_by_role("cell", name="Omar Haddad")).to_be_visible()
    expect(desk.get_by_role("cell", name="Olena Koval")).to_have_count(0)
    check(desk, "log")

    # Anna turns news off with the link in her mail: no log-in needed.
    def annas_mail() -> str:
        return next(m.body_text for m in OutboxMessage.select() if "Anna" in m.body_text)

    path = re.search(r"/nachrichten/abbestellen/\S+", live_server.run(annas_mail)).group(0)
    volunteer = open_sized(new_page, size)
    visit(volunteer, path)
    volunteer.get_by_role("button", name="Nachrichten der Zentren abbestellen").click()
    expect(volunteer.get_by_role("status")).to_contain_text(
        "Nachrichten der Zentren sind abbestellt."
    )
    check(volunteer, "opted-out")
    assert live_server.run(lambda: MessageOptOut.select().count()) == 2
