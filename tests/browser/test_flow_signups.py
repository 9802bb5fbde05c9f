"""A volunteer signs up, cancels, joins a waitlist and moves up — in Chromium, in German, at
desktop and at phone size, with CSRF on.

Every page visited is checked with axe and for CSP violations; on the phone nothing may
scroll sideways. Screenshots of the slot list, the slot page and "Meine Termine" go to
``$SHOTS_DIR/issue3/``.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from tests.browser.helpers import (
    DESKTOP,
    FLOW_SIZES,
    assert_fits_viewport,
    check_page,
    expect,
    nav,
    open_sized,
    visit,
)
from tests.factories import make_centre, make_coordinator, make_user
from tests.factories_activities import builtin, make_activity, make_signup, make_slot, next_weekday
from volunteer_app.activities.models import Slot
from volunteer_app.centres.queries import today
from volunteer_app.notifications.models import OutboxMessage
from volunteer_app.signups.models import Signup

pytestmark = pytest.mark.browser

GARDEN = "Gartentag im Hof"
BAKING = "Backen mit Kindern"


def _seed() -> dict:
    centre = make_centre(
        name="ThEKiZ Sonnenschein",
        slug="sonnenschein",
        street="Lindenweg 4",
        postcode="07743",
        town="Jena",
        contact_phone="03641 555010",
        contact_email="sonnenschein@example.org",
    )
    coordinator = make_coordinator(centre, name="Katrin Hoffmann")
    garden = make_activity(
        centre,
        title=GARDEN,
        category=builtin("gardening"),
        place="Hof hinter dem Haus",
        description="Beete jäten, Kräuter pflanzen und mit den Kindern gießen.",
        volunteers_needed=2,
        cancel_deadline_hours=24,
        responsible=coordinator,
    )
    baking = make_activity(
        centre,
        title=BAKING,
        category=builtin("baking"),
        place="Küche im Erdgeschoss",
        volunteers_needed=1,
        cancel_deadline_hours=24,
    )
    # Both a week or more ahead (and on different days), so cancelling is still possible.
    garden_slot = make_slot(garden, day=next_weekday(1))
    baking_slot = make_slot(baking, day=next_weekday(3))
    vera = make_user(name="Vera Vogel", email="vera@example.org")
    bernd = make_user(name="Bernd Becker", email="bernd@example.org")
    make_signup(baking_slot, bernd)  # the only place is taken
    # Last month's garden day, with hours recorded: the "past dates" part of "Meine Termine".
    past = make_slot(garden, day=today() - dt.timedelta(days=30), start=dt.time(9))
    make_signup(past, vera, attendance="attended", hours=Decimal("2.5"))
    return {"garden": garden_slot.id, "baking": baking_slot.id, "vera": vera, "bernd": bernd}


@pytest.fixture
def seeded(live_server):
    return live_server.run(_seed)


@pytest.fixture(params=FLOW_SIZES)
def size(request) -> str:
    return request.param


def check(pg, shot: str | None = None) -> None:
    """``check_page`` that also asserts the desktop fits; screenshots in $SHOTS_DIR/issue3/."""
    check_page(pg, shot, folder="issue3", always_fit=True)


def flash(pg):
    return pg.locator(".flashes")


def _status(live_server, slot_id: int, user) -> str | None:
    def read():
        row = Signup.get_or_none((Signup.slot == slot_id) & (Signup.volunteer == user.id))
        return row.status if row else None

    return live_server.run(read)


def _taken(live_server, slot_id: int) -> int:
    return live_server.run(lambda: Slot.get_by_id(slot_id).taken)


def upcoming(pg, title: str):
    """The row of ``title`` in the "Demnächst" table of "Meine Termine"."""
    return pg.locator("section[aria-labelledby='upcoming-heading'] tbody tr", has_text=title)


def test_volunteer_signs_up_cancels_is_waitlisted_and_moves_up(new_page, live_server, seeded, size):
    vera, bernd = seeded["vera"], seeded["bernd"]
    pg = open_sized(new_page, size)
    live_server.log_in(pg, vera)

    # --- Find a date and sign up ---------------------------------------------------------
    visit(pg, "/meine-termine")
    assert_fits_viewport(pg)
    nav(pg).get_by_role("link", name="Termin finden").click()
    expect(pg).to_have_url(re.compile(r"/termine/$"))
    expect(pg.get_by_role("heading", level=1)).to_have_text("Termin finden")
    check(pg, "slot-list")
    results = pg.get_by_role("list", name="Termine")
    expect(results.get_by_role("listitem")).to_have_count(2)
    garden_item = results.get_by_role("listitem").filter(has_text=GARDEN)
    expect(garden_item).to_contain_text("2 Plätze frei")
    expect(results.get_by_role("listitem").filter(has_text=BAKING)).to_contain_text(
        "Voll · Warteliste offen"
    )

    garden_item.get_by_role("link", name=GARDEN).click()
    expect(pg).to_have_url(re.compile(rf"/termine/{seeded['garden']}$"))
    expect(pg.get_by_role("heading", level=1)).to_have_text(GARDEN)
    expect(pg.get_by_text("Hof hinter dem Haus")).to_be_visible()
    check(pg, "slot")

    pg.get_by_role("button", name="Anmelden", exact=True).click()
    expect(flash(pg)).to_contain_text("Sie sind angemeldet. Vielen Dank!")
    expect(pg.locator(".notice.ok")).to_contain_text("Sie sind angemeldet")
    expect(pg.get_by_role("button", name="Anmeldung absagen")).to_be_visible()
    check(pg, "slot-signed-up")
    assert _status(live_server, seeded["garden"], vera) == "confirmed"
    assert _taken(live_server, seeded["garden"]) == 1

    # --- It is in "Meine Termine" -----------------------------------------------------------
    nav(pg).get_by_role("link", name="Meine Termine").click()
    expect(pg).to_have_url(re.compile(r"/meine-termine$"))
    row = upcoming(pg, GARDEN)
    expect(row).to_contain_text("Sie sind angemeldet")
    expect(row).to_contain_text("ThEKiZ Sonnenschein")
    past = pg.locator("section[aria-labelledby='past-heading']")
    expect(past).to_contain_text("Ehrenamtliche Stunden insgesamt: 2,5")
    expect(past.locator("tbody tr", has_text=GARDEN)).to_contain_text("Dabei gewesen")
    check(pg, "my-slots")

    # --- Cancel before the deadline ---------------------------------------------------------
    row.get_by_role("link", name=GARDEN).click()
    expect(pg).to_have_url(re.compile(rf"/termine/{seeded['garden']}$"))
    expect(pg.get_by_text(re.compile(r"Sie können bis .* online absagen"))).to_be_visible()
    pg.get_by_role("button", name="Anmeldung absagen").click()
    expect(flash(pg)).to_contain_text("Ihre Anmeldung ist abgesagt.")
    expect(pg.get_by_role("button", name="Anmelden", exact=True)).to_be_visible()
    check(pg)
    assert _status(live_server, seeded["garden"], vera) == "cancelled"
    assert _taken(live_server, seeded["garden"]) == 0

    visit(pg, "/meine-termine")
    assert_fits_viewport(pg)
    expect(pg.locator("section[aria-labelledby='upcoming-heading']")).to_contain_text(
        "Sie haben keine anstehenden Termine."
    )

    # --- A full slot: the waitlist ------------------------------------------------------------
    nav(pg).get_by_role("link", name="Termin finden").click()
    expect(pg).to_have_url(re.compile(r"/termine/$"))
    pg.get_by_role("link", name=BAKING).click()
    expect(pg).to_have_url(re.compile(rf"/termine/{seeded['baking']}$"))
    expect(pg.get_by_text("Alle Plätze sind belegt.", exact=False)).to_be_visible()
    check(pg, "slot-full")
    pg.get_by_role("button", name="Auf die Warteliste").click()
    expect(flash(pg)).to_contain_text("Platz 1")
    expect(pg.locator(".notice")).to_contain_text("Sie stehen auf der Warteliste, Platz 1.")
    expect(pg.get_by_role("button", name="Warteliste verlassen")).to_be_visible()
    check(pg, "slot-waitlisted")
    assert _status(live_server, seeded["baking"], vera) == "waitlisted"

    nav(pg).get_by_role("link", name="Meine Termine").click()
    expect(pg).to_have_url(re.compile(r"/meine-termine$"))
    baking_row = upcoming(pg, BAKING)
    expect(baking_row).to_contain_text("Auf der Warteliste")
    check(pg, "my-slots-waitlisted")

    # --- Bernd, in his own browser, cancels his place ----------------------------------------
    other = new_page(viewport=DESKTOP)
    live_server.log_in(other, bernd)
    visit(other, f"/termine/{seeded['baking']}")
    expect(other.locator(".notice.ok")).to_contain_text("Sie sind angemeldet")
    other.get_by_role("button", name="Anmeldung absagen").click()
    expect(flash(other)).to_contain_text("Ihre Anmeldung ist abgesagt.")
    check(other)
    assert _status(live_server, seeded["baking"], bernd) == "cancelled"

    # --- Vera has moved up, and is told so by e-mail ------------------------------------------
    pg.reload()
    baking_row = upcoming(pg, BAKING)
    expect(baking_row).to_contain_text("Sie sind angemeldet")
    expect(baking_row).not_to_contain_text("Warteliste")
    check(pg, "my-slots-moved-up")
    assert _status(live_server, seeded["baking"], vera) == "confirmed"
    assert _taken(live_server, seeded["baking"]) == 1

    baking_row.get_by_role("link", name=BAKING).click()
    expect(pg.locator(".notice.ok")).to_contain_text("Sie sind angemeldet")
    check(pg)

    subjects = live_server.run(
        lambda: [
            m.subject
            for m in OutboxMessage.select()
            .where(OutboxMessage.recipient == vera.email)
            .order_by(OutboxMessage.id)
        ]
    )
    moved_up = [s for s in subjects if s.startswith(f"Ein Platz für Sie: {BAKING} am ")]
    assert len(moved_up) == 1, subjects
