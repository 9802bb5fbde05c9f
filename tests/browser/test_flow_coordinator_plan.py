"""A coordinator plans a fortnightly activity that skips a Thuringian public holiday, assigns a
volunteer and records attendance — in Chromium, in German, at desktop and at phone size,
with CSRF on.

The holiday is the next one (Monday to Friday) at least 15 days from today, so the test
stays valid whatever day it runs; the slot horizon is stretched to reach it. Every page is
checked with axe and for CSP violations; on the phone nothing may scroll sideways.
Screenshots of the activity form, the schedule preview, the activity, the roster and the
dashboard go to ``$SHOTS_DIR/issue3/``.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from tests.browser.helpers import (
    FLOW_SIZES,
    assert_fits_viewport,
    check_page,
    expect,
    open_sized,
    visit,
)
from tests.factories import make_centre, make_coordinator, make_user
from tests.factories_activities import builtin, make_activity, make_signup, make_slot
from tests.factories_volunteers import choose
from volunteer_app.activities.models import Activity, Series, Slot
from volunteer_app.activities.recurrence import is_holiday, thuringian_holidays
from volunteer_app.centres.queries import today
from volunteer_app.notifications.models import OutboxMessage
from volunteer_app.signups.models import Signup

pytestmark = pytest.mark.browser

CENTRE = "ThEKiZ Regenbogenhaus"
SLUG = "regenbogenhaus"
TITLE = "Gartentag am Teich"
FORTNIGHT = dt.timedelta(weeks=2)


def next_weekday_holiday() -> tuple[dt.date, str]:
    """The next Thuringian public holiday from Monday to Friday at least 15 days ahead, so
    that a fortnightly series can start two weeks before it (and after today)."""
    day = today() + dt.timedelta(days=15)
    while True:
        name = thuringian_holidays(day.year, "de").get(day)
        if name and day.weekday() < 5:
            return day, name
        day += dt.timedelta(days=1)


HOLIDAY, HOLIDAY_NAME = next_weekday_holiday()
FIRST = HOLIDAY - FORTNIGHT  # the series' first date; its second one is the holiday
COUNT = 4


def expected_dates() -> list[dt.date]:
    """The fortnightly dates from FIRST, holidays left out (they do not count), COUNT of them."""
    dates, day = [], FIRST
    while len(dates) < COUNT:
        if not is_holiday(day):
            dates.append(day)
        day += FORTNIGHT
    return dates


@pytest.fixture
def live_server_overrides() -> dict:
    # Slots exist up to the horizon: make it reach past the series' last date, however far
    # ahead the next holiday is.
    last = expected_dates()[-1]
    return {"SLOT_HORIZON_DAYS": max(90, (last - today()).days + 14)}


def _seed() -> dict:
    centre = make_centre(
        name=CENTRE,
        slug=SLUG,
        street="Blumenstraße 12",
        postcode="99084",
        town="Erfurt",
        contact_phone="0361 123456",
        contact_email="regenbogenhaus@example.org",
    )
    coordinator = make_coordinator(centre, name="Katrin Hoffmann", email="katrin@example.org")
    frieda = make_user(name="Frieda Schulz", email="frieda@example.org")
    friedhelm = make_user(name="Friedhelm Busch", email="friedhelm@example.org")
    guenter = make_user(name="Günter Wagner", email="guenter@example.org")
    # Coordinators find only people who chose their centre (or signed up there).
    choose(frieda, centre)
    choose(friedhelm, centre)
    choose(guenter, centre)
    make_user(name="Friedrich Fern", email="friedrich@example.org")  # chose no centre: not found
    reading = make_activity(
        centre,
        title="Vorlesestunde",
        category=builtin("reading"),
        place="Bibliothek im Erdgeschoss",
        volunteers_needed=2,
        responsible=coordinator,
    )
    soon = make_slot(
        reading, day=today() + dt.timedelta(days=2), start=dt.time(15), end=dt.time(16)
    )
    make_signup(soon, guenter)
    # Three days ago: Günter was there; his attendance is still to be recorded.
    past = make_slot(
        reading, day=today() - dt.timedelta(days=3), start=dt.time(15), end=dt.time(17)
    )
    past_signup = make_signup(past, guenter)
    return {
        "coordinator": coordinator,
        "frieda": frieda,
        "guenter": guenter,
        "past": past.id,
        "past_signup": past_signup.id,
    }


@pytest.fixture
def seeded(live_server):
    return live_server.run(_seed)


@pytest.fixture(params=FLOW_SIZES)
def pg(request, new_page):
    return open_sized(new_page, request.param)


def check(pg, shot: str | None = None) -> None:
    """``check_page`` that also asserts the desktop fits; screenshots in $SHOTS_DIR/issue3/."""
    check_page(pg, shot, folder="issue3", always_fit=True)


def flash(pg):
    return pg.locator(".flashes")


def test_coordinator_plans_fortnightly_skipping_a_holiday_assigns_and_records_attendance(
    pg, live_server, seeded
):
    live_server.log_in(pg, seeded["coordinator"])

    # --- My centres -> the centre's activities -> a new activity ------------------------------
    visit(pg, "/")
    pg.get_by_role("navigation", name="Hauptnavigation").get_by_role(
        "link", name="Meine Zentren"
    ).click()
    expect(pg).to_have_url(re.compile(r"/meine-zentren$"))
    check(pg, "my-centres")
    pg.get_by_role("link", name=f"Angebote {CENTRE}").click()
    expect(pg).to_have_url(re.compile(rf"/zentren/{SLUG}/angebote/$"))
    expect(pg.get_by_role("heading", level=1)).to_have_text(f"Angebote von {CENTRE}")
    check(pg)
    pg.get_by_role("link", name="Neues Angebot").first.click()
    expect(pg).to_have_url(re.compile(rf"/zentren/{SLUG}/angebote/neu$"))
    check(pg, "activity-form")

    pg.get_by_label("Titel", exact=True).fill(TITLE)
    pg.get_by_label("Kategorie").select_option(label="Gärtnern")
    pg.get_by_label("Beschreibung", exact=True).fill(
        "Wir jäten Beete, säen Kräuter und gießen mit den Kindern.\n\nBitte Gartenhandschuhe "
        "mitbringen."
    )
    pg.get_by_label("Ort", exact=True).fill("Garten hinter dem Haus")
    expect(pg.get_by_label("Verantwortliche Fachkraft")).to_have_value(
        str(seeded["coordinator"].id)
    )
    pg.get_by_label("Benötigte Ehrenamtliche pro Termin").fill("3")
    expect(pg.get_by_label(re.compile(r"^Offen"))).to_be_checked()
    pg.get_by_role("button", name="Angebot anlegen").click()

    # --- A fortnightly schedule: the preview names the skipped holiday ------------------------
    expect(pg).to_have_url(re.compile(rf"/zentren/{SLUG}/angebote/\d+/termine/neu$"))
    expect(flash(pg)).to_contain_text("Das Angebot wurde angelegt")
    activity_id = int(re.search(r"/angebote/(\d+)/", pg.url).group(1))
    activity = live_server.run(lambda: Activity.get_by_id(activity_id))
    assert (activity.title, activity.volunteers_needed, activity.place) == (
        TITLE,
        3,
        "Garten hinter dem Haus",
    )
    check(pg)

    pg.get_by_label("Wöchentlich oder alle paar Wochen").check()
    pg.get_by_label("Erster Termin").fill(FIRST.isoformat())
    pg.get_by_label("Beginn").fill("15:00")
    pg.get_by_label("Ende", exact=True).fill("17:00")
    pg.get_by_label("Alle … Wochen").fill("2")
    pg.get_by_label("Nach einer Anzahl von Terminen").check()
    pg.get_by_label("Anzahl der Termine").fill(str(COUNT))
    pg.get_by_role("button", name="Termine anzeigen").click()

    preview = pg.get_by_role("region", name="Vorschau")
    expect(preview).to_be_visible()
    expect(preview).to_contain_text("Alle 2 Wochen am")
    dates = preview.locator("ol.dates time")
    expect(dates).to_have_count(COUNT)
    shown = dates.evaluate_all("els => els.map(e => e.getAttribute('datetime'))")
    assert shown == [d.isoformat() for d in expected_dates()]
    skipped = preview.locator(".skipped li", has=pg.locator(f"time[datetime='{HOLIDAY}']"))
    expect(skipped).to_contain_text(HOLIDAY_NAME)
    check(pg, "schedule-preview")
    # Nothing is saved by the preview.
    assert live_server.run(lambda: Slot.select().where(Slot.activity == activity_id).count()) == 0

    pg.get_by_role("button", name="Terminreihe speichern").click()
    expect(pg).to_have_url(re.compile(rf"/zentren/{SLUG}/angebote/{activity_id}$"))
    expect(flash(pg)).to_contain_text(f"{COUNT} Termine")
    expect(flash(pg)).to_contain_text("entfällt")
    schedules = pg.locator("section[aria-labelledby='schedules-heading']")
    expect(schedules).to_contain_text(HOLIDAY_NAME)
    check(pg, "activity")

    def saved():
        series = Series.get(Series.activity == activity_id)
        slots = Slot.select().where(Slot.activity == activity_id).order_by(Slot.starts_at)
        return series, [s.original_date for s in slots], [s.capacity for s in slots]

    series, slot_dates, capacities = live_server.run(saved)
    assert (series.recurrence, series.interval, series.count) == ("weekly", 2, COUNT)
    assert slot_dates == expected_dates()
    assert HOLIDAY not in slot_dates
    assert capacities == [3] * COUNT

    # --- The first slot's roster: find a volunteer by name and assign her ---------------------
    slots_table = pg.locator("section[aria-labelledby='slots-heading']")
    expect(slots_table.locator("tbody tr")).to_have_count(COUNT)
    slots_table.get_by_role("link", name=re.compile(r"^Besetzung")).first.click()
    expect(pg).to_have_url(re.compile(r"/termine/\d+/besetzung$"))
    slot_id = int(re.search(r"/termine/(\d+)/", pg.url).group(1))
    expect(pg.get_by_role("heading", level=1)).to_contain_text(TITLE)
    check(pg, "roster")

    pg.get_by_label("Name", exact=True).fill("fried")
    pg.get_by_role("button", name="Suchen").click()
    found = pg.get_by_role("list", name="Gefundene Ehrenamtliche")
    expect(found.get_by_role("listitem")).to_have_count(2)
    expect(found).not_to_contain_text("Friedrich Fern")
    check(pg, "roster-search")
    found.get_by_role("button", name="Einteilen Frieda Schulz").click()
    expect(flash(pg)).to_contain_text("Frieda Schulz ist jetzt für diesen Termin eingeteilt.")
    expect(pg.locator("#confirmed")).to_contain_text("Frieda Schulz")
    check(pg)

    def assigned():
        signup = Signup.get((Signup.slot == slot_id) & (Signup.volunteer == seeded["frieda"].id))
        mails = OutboxMessage.select().where(OutboxMessage.recipient == "frieda@example.org")
        return signup.status, signup.assigned_by_id, Slot.get_by_id(slot_id).taken, mails.count()

    assert live_server.run(assigned) == ("confirmed", seeded["coordinator"].id, 1, 1)

    # --- The dashboard lists the coming days --------------------------------------------------
    pg.get_by_role("navigation", name="Sie sind hier").get_by_role(
        "link", name=f"Planung: {CENTRE}"
    ).click()
    expect(pg).to_have_url(re.compile(rf"/zentren/{SLUG}/planung$"))
    upcoming = pg.get_by_role("region", name="Braucht Ehrenamtliche")
    expect(upcoming.get_by_role("link", name="Vorlesestunde").first).to_be_visible()
    check(pg, "dashboard")

    # --- Attendance of last week's slot, reached from the dashboard's reminder list ---------
    due = pg.get_by_role("region", name="Anwesenheit noch eintragen")
    due.get_by_role("link", name="Vorlesestunde").click()
    expect(pg).to_have_url(re.compile(rf"/termine/{seeded['past']}/besetzung#confirmed$"))
    check(pg)
    assert_fits_viewport(pg)
    person = pg.locator(f"#person-{seeded['past_signup']}")
    attendance = person.get_by_role("group", name="Anwesenheit von Günter Wagner")
    attendance.get_by_label("Teilgenommen").check()
    attendance.get_by_label("Stunden").fill("2,5")
    pg.get_by_role("button", name="Anwesenheit speichern").click()
    expect(flash(pg)).to_contain_text("Die Anwesenheit von Günter Wagner wurde gespeichert.")
    person = pg.locator(f"#person-{seeded['past_signup']}")
    expect(person).to_contain_text("Teilgenommen, 2,5 Std.")
    expect(person.get_by_label("Stunden")).to_have_value("2,5")
    check(pg, "roster-attendance")

    signup = live_server.run(lambda: Signup.get_by_id(seeded["past_signup"]))
    assert (signup.attendance, signup.hours) == ("attended", Decimal("2.5"))
