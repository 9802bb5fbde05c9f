"""The coordinator desk in real Chromium: accessible (axe), no CSP violation, no sideways
scrolling on a phone, CSRF-protected forms that work; screenshots into $SHOTS_DIR/desk.

The page walks only read, so both sizes walk one server of the module's, seeded once
(``shared``); the forms are used on a server and database of their own (``seeded``).
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.browser.helpers import assert_fits_viewport, expect, screenshot, visit
from tests.factories import make_centre, make_coordinator, make_operator, make_user
from tests.factories_coordination import (
    make_activity,
    make_check,
    make_signup,
    make_slot,
)
from volunteer_app.activities.models import Slot
from volunteer_app.audit.services import record
from volunteer_app.checks.models import MeaslesProof
from volunteer_app.signups.models import Signup

pytestmark = pytest.mark.browser


DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def _seed() -> dict:
    operator = make_operator(name="AWO Kreisverband Erfurt")
    centre = make_centre(
        name="ThEKiZ Regenbogenhaus",
        slug="regenbogenhaus",
        street="Blumenstraße 12",
        postcode="99084",
        town="Erfurt",
        operator=operator,
        contact_phone="0361 123456",
        contact_email="regenbogenhaus@example.org",
    )
    coordinator = make_coordinator(centre, name="Katrin Hoffmann")
    people = [
        make_user(name=name, phone=phone)
        for name, phone in [
            ("Anna Schmidt", "0361 22 33 44"),
            ("Bernd Müller", "+49 170 1234567"),
            ("Christa Weber", ""),
            ("Dieter Fischer", "0361 98 76 54"),
            ("Elif Yılmaz", "0157 555 0101"),
            ("Frieda Schulz", ""),
            ("Günter Wagner", "0361 44 55 66"),
        ]
    ]
    anna, bernd, christa, dieter, yilmaz, frieda, guenter = people
    for person in (anna, bernd, christa, yilmaz):
        make_check(person, centre, inspected_by=coordinator)
    make_check(dieter, centre, eligible=False, inspected_by=coordinator)
    for person in (anna, bernd, guenter):
        MeaslesProof.create(
            volunteer=person,
            centre=centre,
            shown_on=dt.date(2025, 9, 1),
            proof_ok=True,
            recorded_by=coordinator,
        )

    reading = make_activity(
        centre,
        title="Vorlesestunde in der Kita-Bibliothek",
        category_key="reading",
        is_child_facing=True,
        signup_mode="approval",
        volunteers_needed=2,
        place="Bibliothek im Erdgeschoss",
        responsible=coordinator,
    )
    garden = make_activity(centre, title="Gartentag", category_key="gardening", volunteers_needed=4)
    baking = make_activity(
        centre, title="Backen mit Familien", category_key="baking", volunteers_needed=3
    )
    hike = make_activity(
        centre, title="Familienwanderung", category_key="hiking", volunteers_needed=2
    )
    cooking = make_activity(
        centre, title="Suppenküche", category_key="cooking", volunteers_needed=3
    )

    roster_slot = make_slot(reading, 2, hour=15)
    make_signup(roster_slot, anna)
    make_signup(roster_slot, yilmaz, status="pending")
    make_signup(roster_slot, christa, status="pending")
    g1 = make_slot(garden, 3, hour=10, hours=3)
    for person in (anna, bernd, dieter, guenter):
        make_signup(g1, person)
    make_signup(g1, frieda, status="waitlisted")
    make_signup(g1, christa, status="waitlisted")
    b1 = make_slot(baking, 5, hour=14)
    make_signup(b1, bernd)
    make_slot(hike, 6, hour=9, hours=4)
    c1 = make_slot(cooking, 8, hour=11)
    for person in (dieter, frieda, guenter):
        make_signup(c1, person)
    r2 = make_slot(reading, 9, hour=15)
    make_signup(r2, anna)
    make_signup(r2, bernd)
    cancelled = make_slot(garden, 10, hour=10, hours=3)
    Slot.update(status="cancelled").where(Slot.id == cancelled.id).execute()
    make_slot(baking, 12, hour=14)
    past = make_slot(garden, -3, hour=10, hours=3)
    for person in (anna, guenter):
        make_signup(past, person)
    for slot, person, action in (
        (roster_slot, anna, "signup.assigned"),
        (g1, frieda, "signup.declined"),
        (None, dieter, "check.certificate"),
    ):
        record(centre.id, coordinator, action, subject=person, slot_id=getattr(slot, "id", None))
    return {
        "coordinator": coordinator,
        "roster": roster_slot.id,
        "full": g1.id,
        "baking": b1.id,
        "past": past.id,
        "anna": anna.id,
        "guenter": guenter.id,
        "yilmaz": yilmaz.id,
    }


@pytest.fixture
def seeded(live_server):
    return live_server.run(_seed)


@pytest.fixture(scope="module")
def _module_server(module_live_server_factory):
    live = module_live_server_factory()
    return live, live.run(_seed)


@pytest.fixture
def shared(_module_server):
    """The module's server for the tests that only read, and what ``_seed`` returned."""
    live, seeded = _module_server
    return live.use(), seeded


def _shot(page, name):
    return screenshot(page, f"desk/{name}")


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_desk_pages_are_accessible_fit_and_look_calm(new_page, shared, viewport):
    live_server, seeded = shared
    size = PHONE if viewport == "phone" else DESKTOP
    page = new_page(
        viewport=size,
        base_url=live_server.url,
        **({"is_mobile": True, "has_touch": True} if viewport == "phone" else {}),
    )
    live_server.log_in(page, seeded["coordinator"])
    width = size["width"]
    pages = [
        ("/zentren/regenbogenhaus/planung", "dashboard"),
        (f"/termine/{seeded['roster']}/besetzung?q=Fr", "roster"),
        (f"/termine/{seeded['full']}/besetzung", "roster-full"),
        (f"/termine/{seeded['past']}/besetzung", "roster-past"),
        ("/zentren/regenbogenhaus/ehrenamtliche", "volunteers"),
        (f"/zentren/regenbogenhaus/ehrenamtliche/{seeded['anna']}", "checks"),
        (f"/zentren/regenbogenhaus/ehrenamtliche/{seeded['anna']}/bestaetigung", "letter"),
        ("/zentren/regenbogenhaus/protokoll", "log"),
    ]
    for url, name in pages:
        visit(page, url)
        assert_fits_viewport(page)
        _shot(page, f"{name}-{width}")
    visit(page, f"/termine/{seeded['roster']}/besetzung/drucken")
    _shot(page, f"print-{width}")
    page.emulate_media(media="print")
    _shot(page, f"print-paper-{width}")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator("[data-print]")).to_be_hidden()


def test_coordinator_assigns_approves_and_records_attendance(new_page, live_server, seeded):
    """With CSRF on, as in production: the roster's forms work in a real browser."""
    page = new_page()
    live_server.log_in(page, seeded["coordinator"])
    visit(page, f"/termine/{seeded['roster']}/besetzung")
    expect(page.locator("#confirmed")).to_contain_text("Anna Schmidt")

    # Approve Elif (she has a valid certificate).
    page.get_by_role("button", name="Bestätigen Elif Yılmaz").click()
    expect(page.locator(".flash")).to_contain_text("Elif Yılmaz")
    expect(page.locator("#confirmed")).to_contain_text("Elif Yılmaz")

    # Search for Frieda by name and assign her to the baking slot.
    visit(page, f"/termine/{seeded['baking']}/besetzung")
    page.get_by_label("Name").fill("frieda")
    page.get_by_role("button", name="Suchen").click()
    page.get_by_role("button", name="Einteilen Frieda Schulz").click()
    expect(page.locator(".flash")).to_contain_text("Frieda Schulz ist jetzt für diesen Termin")
    expect(page.locator("#confirmed")).to_contain_text("Frieda Schulz")

    # Record that Günter did not come to last week's garden day (and Anna did): one button.
    visit(page, f"/termine/{seeded['past']}/besetzung")
    form = page.locator(f"#person-{_signup_id(live_server, seeded['past'], seeded['guenter'])}")
    form.get_by_label("Nicht erschienen").check()
    page.get_by_role("button", name="Anwesenheit speichern").click()
    expect(page.locator(".flash")).to_contain_text("2 Personen")
    signup = live_server.run(
        lambda: Signup.get(
            (Signup.slot == seeded["past"]) & (Signup.volunteer == seeded["guenter"])
        )
    )
    assert signup.attendance == "no_show"


def _signup_id(live_server, slot_id, user_id) -> int:
    return live_server.run(
        lambda: Signup.get((Signup.slot == slot_id) & (Signup.volunteer == user_id)).id
    )
