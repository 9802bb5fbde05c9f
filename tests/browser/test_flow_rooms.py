"""A coordinator books a room, hits a clash, sees it named, picks an offered free time and
finds the booking in the week plan — in Chromium, in German, at desktop and phone size, with
CSRF on. Every page of rooms and partners is checked with axe and for CSP violations;
screenshots go to ``$SHOTS_DIR/rooms-partners/``.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.browser.helpers import (
    FLOW_SIZES,
    assert_fits_viewport,
    check_page,
    expect,
    open_sized,
    visit,
)
from tests.factories import make_centre, make_coordinator, make_operator
from tests.factories_activities import next_weekday
from tests.factories_hub import make_booking, make_partner, make_room, make_weekly
from volunteer_app.rooms.models import Booking

pytestmark = pytest.mark.browser

SLUG = "regenbogenhaus"
DAY = next_weekday(1, weeks=2)  # a Tuesday two weeks ahead, no public holiday


def _world():
    operator = make_operator(name="Stadt Erfurt")
    centre = make_centre(name="ThEKiZ Regenbogenhaus", slug=SLUG, operator=operator)
    sister = make_centre(name="ThEKiZ Am Anger", slug="am-anger", operator=operator)
    coordinator = make_coordinator(centre, name="Katrin Vogel", email="katrin@example.org")
    midwife = make_partner(centre)
    make_partner(centre, kind="counselling", name="Familienberatung Nord", languages="de,ru")
    make_partner(sister, kind="leisure", name="Naturfreunde", is_public=False)
    room = make_room(centre, name="Beratungszimmer", accessible=True, equipment="Babywaage")
    cafe = make_room(centre, name="Familiencafé", capacity=20)
    make_booking(room, DAY, dt.time(9), dt.time(11), partner=midwife, is_public=True)
    make_weekly(
        cafe, DAY - dt.timedelta(days=1), 2, dt.time(9), dt.time(11, 30), title="Elterncafé"
    )
    make_booking(cafe, DAY + dt.timedelta(days=1), dt.time(14), dt.time(16), title="Teamsitzung")
    make_booking(cafe, DAY, dt.time(10), dt.time(12), title="Krabbelgruppe")
    return coordinator, room, midwife


@pytest.mark.parametrize("size", FLOW_SIZES)
def test_coordinator_books_room_around_a_clash(new_page, live_server, size):
    coordinator, room, midwife = live_server.run(_world)
    page = open_sized(new_page, size)
    live_server.log_in(page, coordinator)

    visit(page, f"/zentren/{SLUG}/raeume/")
    check_page(page, "rooms-list", folder="rooms-partners")
    page.get_by_role("link", name="Raum buchen").first.click()
    check_page(page, "book-form", folder="rooms-partners")

    page.get_by_label("Raum", exact=True).select_option(str(room.id))
    page.get_by_label("Titel").fill("Elterngespräch")
    page.get_by_label("Einmalig").check()
    page.get_by_label("Erster Termin").fill(DAY.isoformat())
    page.get_by_label("Beginn").fill("10:00")
    page.get_by_label("Ende").fill("12:00")
    page.get_by_role("button", name="Buchen", exact=True).click()

    # Refused and named; nothing written; three free times of the same length offered.
    check_page(page, "book-clash", folder="rooms-partners")
    alert = page.locator(".form-errors")
    expect(alert).to_contain_text("Kollidiert mit: Hebammensprechstunde")
    expect(alert).to_contain_text("09:00–11:00")
    assert (
        live_server.run(lambda: Booking.select().where(Booking.title == "Elterngespräch").count())
        == 0
    )
    offers = page.locator("button[name=suggestion]")
    expect(offers).to_have_count(3)
    expect(offers.first).to_contain_text("11:00–13:00")
    offers.first.click()

    # Booked at the offered time and shown in the room's week plan.
    check_page(page, "room-week", folder="rooms-partners")
    expect(page.locator(".flash-success")).to_contain_text("gebucht")
    block = page.locator(".block", has_text="Elterngespräch")
    expect(block).to_contain_text("11:00–13:00")
    expect(page.locator(".block", has_text="Hebammensprechstunde")).to_contain_text("09:00–11:00")
    saved = live_server.run(lambda: Booking.get(Booking.title == "Elterngespräch"))
    assert (saved.room_id, saved.status) == (room.id, "booked")

    # Every other page of the feature, checked the same way.
    week = DAY.isoformat()
    for url, shot in [
        (f"/zentren/{SLUG}/raeume/woche?woche={week}", "centre-week"),
        (f"/zentren/{SLUG}/buchungen/{saved.id}", "booking"),
        (f"/zentren/{SLUG}/raeume/neu", "room-form"),
        (f"/zentren/{SLUG}/raeume/{room.id}/bearbeiten", "room-edit"),
        (f"/zentren/{SLUG}/partner/", "partners"),
        ("/partner/", "partners-network"),
        (f"/zentren/{SLUG}/partner/neu", "partner-form"),
        (f"/zentren/{SLUG}/partner/{midwife.id}/bearbeiten", "partner-edit"),
        (f"/zentren/{SLUG}/partner/{midwife.id}/entfernen", "partner-delete"),
    ]:
        visit(page, url)
        check_page(page, shot, folder="rooms-partners")
    if size == "phone":
        visit(page, f"/zentren/{SLUG}/raeume/woche?woche={week}")
        assert_fits_viewport(page)
