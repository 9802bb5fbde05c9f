"""Arrival at the door, end to end in Chromium (German, CSRF on), at desktop and phone size:
a coordinator switches the check-in on and opens the tablet page; a volunteer scans the
tablet's code, logs in and checks in with one tap; an old code is refused with a sentence;
the roster shows the check-in, and the attendance of a past slot's people is saved in one
step after a wrong value was refused. Every page is checked with axe and for CSP violations;
screenshots go to ``$SHOTS_DIR/checkin/``."""

from __future__ import annotations

import datetime as dt
import re
import time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from config import TestingConfig
from tests.browser.helpers import FLOW_SIZES, check_page, expect, open_sized, visit
from tests.factories import (
    PASSWORD,
    make_activity,
    make_centre,
    make_coordinator,
    make_signup,
    make_slot,
    make_user,
)
from volunteer_app.checkin import codes
from volunteer_app.checkin.models import Checkin, CheckinPoint
from volunteer_app.db import utcnow
from volunteer_app.signups.models import Signup

pytestmark = [pytest.mark.browser, pytest.mark.dates]

SLUG = "regenbogenhaus"
KEY = TestingConfig.SECRET_KEY
BERLIN = ZoneInfo("Europe/Berlin")


def _berlin_date(utc: dt.datetime) -> dt.date:
    return utc.replace(tzinfo=dt.UTC).astimezone(BERLIN).date()


def _start_of_todays_slot(now: dt.datetime) -> dt.datetime:
    """Twenty minutes ahead, or at 23:59 in Berlin if that is earlier. Check-in opens an hour
    before a slot, the hours count from its start when one arrives early, and the desk lists
    the arrivals of today's slots: so the slot starts after the check-in, on the day the test
    runs (which ``_not_across_midnight`` keeps at least two minutes from its end)."""
    soon = now + dt.timedelta(minutes=20)
    last = dt.datetime.combine(_berlin_date(now), dt.time(23, 59), BERLIN)
    return min(soon, last.astimezone(dt.UTC).replace(tzinfo=None))


def _not_across_midnight() -> None:
    """The flow takes seconds; begun just before midnight in Berlin, it would end on another
    day than its slot. Wait for the new day instead (at most three minutes, once a day)."""
    berlin = dt.datetime.now(BERLIN)
    midnight = dt.datetime.combine(berlin.date() + dt.timedelta(days=1), dt.time(), BERLIN)
    if midnight - berlin < dt.timedelta(minutes=3):
        time.sleep((midnight - berlin).total_seconds() + 1)


def _world() -> dict:
    centre = make_centre(name="ThEKiZ Regenbogenhaus", slug=SLUG)
    coordinator = make_coordinator(centre, name="Katrin Vogel")
    vera = make_user(name="Vera Vogel", email="vera@example.org")
    now = utcnow().replace(microsecond=0)
    reading = make_activity(centre, title="Vorlesestunde", volunteers_needed=3)
    soon = make_slot(reading, _start_of_todays_slot(now), hours=2)
    make_signup(soon, vera)
    garden = make_activity(centre, title="Gartentag", volunteers_needed=3)
    past = make_slot(garden, now - dt.timedelta(days=2), hours=3)
    people = [make_signup(past, make_user(name=name)) for name in ("Anna Schmidt", "Bernd Kunz")]
    return {
        "coordinator": coordinator,
        "soon": soon.id,
        "past": past.id,
        "anna": people[0].id,
        "bernd": people[1].id,
    }


def _code(live_server, minutes_ago: int = 0) -> str:
    point = live_server.run(lambda: CheckinPoint.get())
    return codes.minute_code(KEY, point.code_seed, codes.step_at(utcnow()) - minutes_ago)


def check(pg, shot: str) -> None:
    check_page(pg, shot, folder="checkin")


@pytest.mark.parametrize("size", FLOW_SIZES)
def test_coordinator_sets_up_volunteer_checks_in_attendance_in_one_step(
    new_page, live_server, size
):
    _not_across_midnight()
    w = live_server.run(_world)

    # --- The coordinator switches the check-in on and opens the tablet page -----------------
    desk = open_sized(new_page, size)
    live_server.log_in(desk, w["coordinator"])
    visit(desk, f"/zentren/{SLUG}/ankunft")
    desk.get_by_role("button", name="Check-in einschalten").click()
    expect(desk.locator(".flashes")).to_contain_text("Der Check-in ist eingeschaltet.")
    check(desk, "desk")
    tablet_url = desk.get_by_label("Tablet-Link", exact=True).input_value()
    assert re.fullmatch(rf"{live_server.url}/zentren/{SLUG}/eingang/[a-z2-7]{{32}}", tablet_url)

    tablet = open_sized(new_page, size)  # the tablet: no log-in, a code every minute
    tablet.clock.install()
    visit(tablet, tablet_url)
    expect(tablet.get_by_role("heading", level=1)).to_have_text(
        "Heute im Ehrenamt? Hier einchecken."
    )
    expect(
        tablet.get_by_role("img", name="QR-Code: Einchecken in ThEKiZ Regenbogenhaus")
    ).to_be_visible()
    check(tablet, "tablet")
    with tablet.expect_response(re.compile(r"/eingang/[a-z2-7]+/code\?lang=de$")) as fetched:
        tablet.clock.run_for("01:02")  # a minute later the script fetches the next code
    assert fetched.value.status == 200
    expect(tablet.locator(".tablet-qr svg")).to_have_count(1)

    # --- The volunteer scans an old photo, then the tablet, logs in, taps once -------------
    phone = open_sized(new_page, size)
    visit(phone, f"/ankommen/{SLUG}/{_code(live_server, minutes_ago=3)}", status=410)
    expect(phone.locator(".notice.error")).to_contain_text("Dieser Code ist abgelaufen")
    check(phone, "code-expired")

    phone.goto(f"/ankommen/{SLUG}/{_code(live_server)}")
    expect(phone).to_have_url(re.compile(r"/konto/anmelden\?next="))
    expect(phone.locator(".flashes")).to_contain_text("Bitte melden Sie sich an.")
    phone.get_by_label("E-Mail-Adresse", exact=True).fill("vera@example.org")
    phone.get_by_label("Passwort", exact=True).fill(PASSWORD)
    phone.get_by_role("button", name="Anmelden").click()
    expect(phone).to_have_url(re.compile(rf"/ankommen/{SLUG}\?g="))
    expect(phone.locator(".arrival-list")).to_contain_text("Vorlesestunde")
    check(phone, "arrive")
    phone.get_by_role("button", name="Jetzt einchecken").click()
    expect(phone.locator(".flashes")).to_contain_text("Sie sind eingecheckt.")
    expect(phone.get_by_role("heading", name="Sie sind eingecheckt")).to_be_visible()
    check(phone, "checked-in")
    assert live_server.run(lambda: Checkin.select().count()) == 1

    # --- The roster shows it; the desk lists today's arrivals ---------------------------------
    visit(desk, f"/termine/{w['soon']}/besetzung")
    expect(desk.locator("#confirmed")).to_contain_text("Eingecheckt um")
    expect(desk.locator("#confirmed")).to_contain_text("Teilgenommen, 2 Std.")
    visit(desk, f"/zentren/{SLUG}/ankunft")
    expect(desk.locator("section[aria-labelledby=today-heading]")).to_contain_text("Vera Vogel")

    # --- Attendance of the past slot: a wrong value saves nothing, then all in one step ------
    visit(desk, f"/termine/{w['past']}/besetzung")
    bernd = desk.get_by_role("group", name="Anwesenheit von Bernd Kunz")
    bernd.get_by_label("Stunden").fill("25")
    desk.get_by_role("button", name="Anwesenheit speichern").click()
    expect(desk.locator(f"#att-{w['bernd']}-error")).to_contain_text("0 bis 24 Stunden")
    expect(desk.locator(".form-errors")).to_contain_text("Bernd Kunz")
    check(desk, "roster-wrong-value")
    assert live_server.run(lambda: Signup.get_by_id(w["anna"]).attendance) is None
    bernd = desk.get_by_role("group", name="Anwesenheit von Bernd Kunz")
    bernd.get_by_label("Nicht erschienen").check()
    desk.get_by_role("group", name="Anwesenheit von Anna Schmidt").get_by_label("Stunden").fill(
        "2,5"
    )
    desk.get_by_role("button", name="Anwesenheit speichern").click()
    expect(desk.locator(".flashes")).to_contain_text(
        "Die Anwesenheit von 2 Personen wurde gespeichert."
    )
    check(desk, "roster-saved")
    anna, bernd_row = live_server.run(
        lambda: (Signup.get_by_id(w["anna"]), Signup.get_by_id(w["bernd"]))
    )
    assert (anna.attendance, anna.hours) == ("attended", Decimal("2.5"))
    assert bernd_row.attendance == "no_show"

    # --- The poster for centres without a tablet ------------------------------------------------
    visit(desk, f"/zentren/{SLUG}/ankunft/aushang")
    expect(
        desk.get_by_role("img", name="QR-Code: Einchecken in ThEKiZ Regenbogenhaus")
    ).to_be_visible()
    check_page(desk, "poster", folder="checkin")
