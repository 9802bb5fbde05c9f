"""A coordinator closes the centre for a week after dates were planned: the preview names the
dates and people, the confirmation cancels them (with the reason), the planning page and the
family programme show the closure; then she moves another date onto a closing day (asked
first) and cancels one date with a reason — in Chromium, in German, at desktop and phone
size, with CSRF on. Every page is checked with axe and for CSP violations; screenshots go to
``$SHOTS_DIR/closures/``.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.browser.helpers import FLOW_SIZES, check_page, expect, open_sized, visit
from tests.factories import make_centre, make_coordinator, make_user
from tests.factories_activities import make_activity, make_signup, make_slot, next_weekday
from tests.factories_hub import make_booking, make_room
from volunteer_app.activities.models import Slot
from volunteer_app.activities.recurrence import berlin_to_utc
from volunteer_app.centres.models import ClosingDay
from volunteer_app.signups.models import Signup

pytestmark = pytest.mark.browser

SLUG = "regenbogenhaus"
FIRST = next_weekday(0)  # a Monday one to two weeks ahead: inside the planning page's 14 days
LAST = FIRST + dt.timedelta(days=4)
REASON = "Umbau der Küche"


def _world() -> dict:
    centre = make_centre(name="ThEKiZ Regenbogenhaus", slug=SLUG, town="Erfurt")
    coordinator = make_coordinator(centre, name="Katrin Vogel", email="katrin@example.org")
    reading = make_activity(centre, title="Vorlesestunde", volunteers_needed=2)
    inside = make_slot(
        reading, day=FIRST + dt.timedelta(days=1), start=dt.time(15), end=dt.time(16)
    )
    make_signup(inside, make_user(name="Anna Acker", email="anna@example.org"))
    make_signup(inside, make_user(name="Bert Beet"), status="waitlisted")
    later = make_slot(reading, day=LAST + dt.timedelta(days=3), start=dt.time(15), end=dt.time(16))
    make_signup(later, make_user(name="Carla Kürbis"))
    room = make_room(centre, name="Familiencafé")
    make_booking(room, FIRST + dt.timedelta(days=2), title="Hebammensprechstunde", is_public=True)
    return {"coordinator": coordinator, "inside": inside.id, "later": later.id}


@pytest.mark.parametrize("size", FLOW_SIZES)
def test_coordinator_closes_the_centre_after_planning(new_page, live_server, size):
    world = live_server.run(_world)
    page = open_sized(new_page, size)
    live_server.log_in(page, world["coordinator"])

    # 1. The range on the centre's page; the preview lists what it would cancel.
    visit(page, f"/zentren/{SLUG}/bearbeiten#closing-days")
    page.get_by_label("Erster Tag").fill(FIRST.isoformat())
    page.get_by_label("Letzter Tag (optional)").fill(LAST.isoformat())
    page.locator("#closing-days").get_by_label("Grund (freiwillig)").fill(REASON)
    page.get_by_role("button", name="Schließtage eintragen").click()
    check_page(page, "preview", folder="closures")
    expect(page.locator("h1")).to_contain_text("Zentrum schließen?")
    expect(page.locator(".closure-counts")).to_contain_text("1 geplanter Termin wird abgesagt.")
    expect(page.locator(".closure-people")).to_contain_text("Anna Acker")
    expect(page.locator(".closure-people")).to_contain_text("Bert Beet")
    expect(page.locator(".closure-bookings")).to_contain_text("Hebammensprechstunde")
    assert live_server.run(lambda: ClosingDay.select().count()) == 0

    # 2. Confirmed: the date is cancelled with the reason, the people told, the booking too.
    page.get_by_role("button", name="Schließen und 1 Termin absagen").click()
    check_page(page, "edit-after", folder="closures")
    expect(page.locator(".flashes")).to_contain_text("5 Schließtage wurden eingetragen.")
    expect(page.locator(".closing-days")).to_contain_text("(5 Tage)")
    inside = live_server.run(lambda: Slot.get_by_id(world["inside"]))
    assert (inside.status, inside.cancel_reason, inside.taken) == ("cancelled", REASON, 0)
    assert live_server.run(
        lambda: {s.status for s in Signup.select().where(Signup.slot == world["inside"])}
    ) == {"cancelled"}

    # 3. The planning page and the family programme show the closure and the reason.
    visit(page, f"/zentren/{SLUG}/planung")
    check_page(page, "dashboard", folder="closures")
    expect(page.locator(".closure-notes")).to_contain_text(REASON)
    visit(page, f"/zentren/{SLUG}?ab={FIRST.isoformat()}")
    check_page(page, "programme", folder="closures")
    expect(page.locator(".day-closed").first).to_contain_text(
        f"Das Zentrum ist geschlossen: {REASON}"
    )
    expect(page.locator(".entry.is-cancelled", has_text="Vorlesestunde")).to_contain_text(
        f"Fällt aus: {REASON}"
    )
    expect(page.locator(".entry.is-cancelled", has_text="Hebammensprechstunde")).to_have_count(1)

    # 4. Moving another date onto a closing day asks first, then moves it.
    visit(page, f"/termine/{world['later']}/bearbeiten")
    page.get_by_label("Datum", exact=True).fill(LAST.isoformat())
    page.get_by_role("button", name="Diesen Termin speichern").click()
    check_page(page, "move-warning", folder="closures")
    expect(page.locator(".form-errors")).to_contain_text("Möchten Sie den Termin trotzdem")
    page.get_by_role("button", name="Termin trotzdem dorthin verschieben").click()
    page.wait_for_load_state("load")
    later = live_server.run(lambda: Slot.get_by_id(world["later"]))
    assert later.starts_at == berlin_to_utc(LAST, dt.time(15))

    # 5. Cancelling that date alone, with a reason for volunteers and families.
    visit(page, f"/termine/{world['later']}/absagen")
    page.get_by_label("Grund (freiwillig)").fill("Krankheit")
    check_page(page, "cancel-date", folder="closures")
    page.get_by_role("button", name="Termin absagen", exact=True).click()
    check_page(page)
    later = live_server.run(lambda: Slot.get_by_id(world["later"]))
    assert (later.status, later.cancel_reason) == ("cancelled", "Krankheit")
