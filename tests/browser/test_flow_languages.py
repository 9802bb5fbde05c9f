"""Families and volunteers in their own languages (issue 12), in Chromium with CSRF on.

1. A Ukrainian parent on a phone whose browser asks for Ukrainian: the start page, the
   centres, a centre's programme (a Ukrainian title where the centre wrote one, else the
   German one marked ``lang="de"``), an activity, the calendar subscribe page with Ukrainian
   chosen, and the calendar file itself (fetched over HTTP, parsed with icalendar).
2. An Arabic volunteer on a phone: picks العربية in the language switch, registers (with a
   validation error in Arabic first), confirms by the link in an Arabic mail delivered over
   SMTP, finds a date, signs up and sees it under "my dates"; then, logged in on a German
   desktop browser, the account's language still answers in Arabic.

Every page: axe and the CSP check (``visit``/``check_page``), the expected ``lang``/``dir``,
nothing scrolls sideways on the phone. Expected texts come from the catalogues (``tr``), which
also fails when a text is not translated. Screenshots go to ``$SHOTS_DIR/languages/``.
"""

from __future__ import annotations

import datetime as dt
import re
import urllib.request
from urllib.parse import parse_qs, urlsplit

import icalendar
import pytest
from flask_babel import force_locale, gettext

from tests.browser.helpers import (
    DESKTOP,
    PHONE,
    check_page,
    expect,
    html_lang,
    smtp_overrides,
    visit,
)
from tests.factories import make_centre, make_coordinator, make_operator
from tests.factories_activities import builtin, make_activity, make_slot, next_weekday
from tests.factories_programme import slot_at
from volunteer_app.accounts.models import User
from volunteer_app.activities.models import ActivityText
from volunteer_app.centres.queries import today
from volunteer_app.notifications.delivery import send_pending
from volunteer_app.signups.models import Signup

pytestmark = pytest.mark.browser

FOLDER = "languages"
CENTRE = "ThEKiZ Pusteblume"
READING_DE, READING_UK = "Vorlesestunde", "Година читання"
READING_UK_TEXT = "Читаємо дітям казки німецькою та українською мовами."
BAKING_DE = "Plätzchen backen"  # no Ukrainian text: shown in German
AUDIENCE = "Kinder von 3 bis 6 Jahren"
GARDEN_DE, GARDEN_AR = "Gartentag im Hof", "يوم الحديقة في الفناء"

CYRILLIC = re.compile(r"[\u0400-\u04ff]")
ARABIC = re.compile(r"[\u0600-\u06ff]")

NAME = "Layla Haddad"
EMAIL = "layla.haddad@example.org"
PASSWORD = "زيتون أخضر في الحديقة"
CONSENT_MSGID = (
    "I have read the privacy notice and agree that my data is processed as described there."
)


# --- Helpers ---------------------------------------------------------------------------------


def tr(live_server, lang: str, msgid: str, **values) -> str:
    """``msgid`` as the app says it in ``lang``; fails when the catalogue lacks it."""
    with live_server.app.test_request_context(), force_locale(lang):
        text = gettext(msgid, **values)
    untranslated = msgid % values if values else msgid
    assert text != untranslated, f"{msgid!r} is not translated into {lang}"
    return text


def nav(pg, live_server, lang: str):
    return pg.get_by_role("navigation", name=tr(live_server, lang, "Main navigation"))


def check(pg, lang: str, direction: str, shot: str) -> None:
    """``check_page`` (axe, CSP, one h1, fits on the phone, screenshot) plus the language."""
    check_page(pg, shot, folder=FOLDER)
    assert html_lang(pg) == lang, pg.url
    assert pg.evaluate("document.documentElement.dir") == direction, pg.url
    assert pg.evaluate("getComputedStyle(document.body).direction") == direction, pg.url


def assert_on_screen(locator) -> None:
    """The element lies inside the viewport sideways (a menu that opens off the left edge
    cannot be scrolled to: ``assert_fits_viewport`` only sees the right one)."""
    box = locator.bounding_box()
    width = locator.page.viewport_size["width"]
    assert box is not None, locator
    assert box["x"] >= 0 and box["x"] + box["width"] <= width + 1, (locator.page.url, box)


def phone(new_page, locale: str):
    return new_page(
        viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2, locale=locale
    )


# --- 1. A Ukrainian parent subscribes to a centre's calendar ----------------------------------


def _seed_programme() -> dict:
    centre = make_centre(
        name=CENTRE,
        slug="pusteblume",
        street="Lindenweg 5",
        postcode="07743",
        town="Jena",
        operator=make_operator(name="Stadt Jena"),
        description="Kita und Familientreff mit Garten, Lesecke und Backstube.",
        contact_email="pusteblume@example.org",
    )
    erika = make_coordinator(centre, name="Erika Mustermann")
    reading = make_activity(
        centre,
        category_key="reading",
        title=READING_DE,
        description="Wir lesen Kindern Märchen vor.",
        audience=AUDIENCE,
        responsible=erika,
    )
    ActivityText.create(
        activity=reading, language="uk", title=READING_UK, description=READING_UK_TEXT
    )
    ActivityText.create(activity=reading, language="ar", title="ساعة القراءة")
    baking = make_activity(
        centre,
        category_key="baking",
        title=BAKING_DE,
        place="Familienküche",
        description="Wir backen Plätzchen für das Winterfest.",
        responsible=erika,
    )
    # The next Tuesday from tomorrow on (whatever the time of day now), and the one after:
    # both within the three weeks a centre's page shows.
    tomorrow = today() + dt.timedelta(days=1)
    tuesday = tomorrow + dt.timedelta(days=(1 - tomorrow.weekday()) % 7)
    for week in range(2):
        day = tuesday + dt.timedelta(weeks=week)
        slot_at(reading, day, 15, 30, hours=1)
        slot_at(baking, day + dt.timedelta(days=2), 16, hours=2)
    return {"reading": reading.id, "baking": baking.id}


def test_ukrainian_parent_opens_a_programme_and_subscribes_on_a_phone(new_page, live_server):
    ids = live_server.run(_seed_programme)
    uk = lambda msgid, **values: tr(live_server, "uk", msgid, **values)  # noqa: E731
    pg = phone(new_page, "uk-UA")  # Chromium asks for Ukrainian (Accept-Language: uk-UA)

    # 1. The start page answers in Ukrainian without being asked.
    visit(pg, "/")
    check(pg, "uk", "ltr", "uk-1-start")
    expect(pg.get_by_role("heading", level=1)).to_have_text(uk("Lend a hand in your family centre"))
    assert CYRILLIC.search(pg.locator("h1").inner_text())
    nav(pg, live_server, "uk").get_by_role("link", name=uk("Centres"), exact=True).tap()

    # 2. The centres, by town.
    expect(pg).to_have_url(re.compile(r"/zentren/$"))
    expect(pg.get_by_role("heading", level=1)).to_have_text(uk("Centres"))
    check(pg, "uk", "ltr", "uk-2-centres")
    jena = pg.get_by_role("region", name="Jena")
    expect(jena.get_by_text(uk("Next date"))).to_be_visible()
    programme_link = re.compile(rf"^{re.escape(uk('Programme'))}\W+{re.escape(CENTRE)}$")
    jena.get_by_role("link", name=programme_link).tap()

    # 3. The centre's programme: the Ukrainian title where there is one, else the German one.
    expect(pg.get_by_role("heading", level=1)).to_have_text(CENTRE)
    check(pg, "uk", "ltr", "uk-3-centre")
    programme = pg.get_by_role("region", name=uk("What's on for families"))
    reading = programme.get_by_role("link", name=READING_UK)
    expect(reading).to_have_count(2)
    expect(programme.get_by_role("link", name=READING_DE)).to_have_count(0)
    assert reading.first.get_attribute("lang") is None  # in the page's language
    baking = programme.get_by_role("link", name=BAKING_DE)
    expect(baking).to_have_count(2)
    expect(baking.first).to_have_attribute("lang", "de")
    feed = pg.locator('link[rel="alternate"][type="text/calendar"]')
    assert parse_qs(urlsplit(feed.get_attribute("href")).query)["lang"] == ["uk"]
    reading.first.tap()

    # 4. The activity page, in Ukrainian.
    expect(pg).to_have_url(re.compile(rf"/zentren/pusteblume/programm/{ids['reading']}$"))
    expect(pg.get_by_role("heading", level=1)).to_have_text(READING_UK)
    check(pg, "uk", "ltr", "uk-4-activity")
    expect(pg.get_by_text(READING_UK_TEXT)).to_be_visible()
    expect(pg.get_by_role("heading", name=uk("Next dates"))).to_be_visible()
    pg.get_by_role("link", name=uk("Subscribe to the calendar")).first.tap()

    # 5. The subscribe page: the calendar's language is offered, each named in itself.
    expect(pg).to_have_url(re.compile(r"/zentren/pusteblume/kalender"))
    check(pg, "uk", "ltr", "uk-5-subscribe")
    choice = pg.get_by_label(uk("Language of the calendar"), exact=True)
    expect(choice.locator("option[value='ar']")).to_have_text("العربية")
    expect(choice.locator("option[value='uk']")).to_have_attribute("lang", "uk")
    choice.select_option("uk")
    pg.get_by_role("button", name=uk("Update the links")).tap()
    expect(pg).to_have_url(re.compile(r"[?&]sprache=uk"))
    check(pg, "uk", "ltr", "uk-6-subscribe-chosen")
    expect(choice).to_have_value("uk")

    webcal = pg.get_by_role("link", name=uk("Subscribe in calendar app")).get_attribute("href")
    https = pg.locator("#family-url").input_value()
    download = pg.get_by_role("link", name=uk("Download the calendar file once"))
    assert https.startswith(live_server.url + "/zentren/pusteblume/kalender.ics?")
    assert webcal == "webcal://" + https.split("://", 1)[1]
    for link in (webcal, https, download.get_attribute("href")):
        assert parse_qs(urlsplit(link).query)["lang"] == ["uk"], link
    # A Google Calendar link, where the page offers one, carries the https address with it.
    for google in pg.locator("a[href*='calendar.google.com']").all():
        assert "lang%3Duk" in google.get_attribute("href")
    qr = pg.get_by_role("img", name=uk("QR code: opens this page on your phone"))
    expect(qr).to_be_visible()
    assert qr.evaluate("el => el.complete && el.naturalWidth > 0"), "the QR code did not load"

    # 6. The calendar itself, as a calendar app fetches it.
    with urllib.request.urlopen(https, timeout=10) as response:
        assert response.status == 200
        assert response.headers.get_content_type() == "text/calendar"
        calendar = icalendar.Calendar.from_ical(response.read())
    assert str(calendar["X-WR-CALNAME"]) == uk("%(centre)s: programme", centre=CENTRE)
    assert str(calendar["X-WR-CALDESC"]) == uk(
        "What %(centre)s offers families. The calendar updates itself.", centre=CENTRE
    )
    events = calendar.walk("VEVENT")
    summaries = sorted(str(e["SUMMARY"]) for e in events)
    assert summaries == sorted([READING_UK] * 2 + [BAKING_DE] * 2), summaries
    reading_event = next(e for e in events if str(e["SUMMARY"]) == READING_UK)
    description = str(reading_event["DESCRIPTION"])
    assert READING_UK_TEXT in description
    assert uk("For: %(audience)s", audience=AUDIENCE) in description
    assert f"/programm/{ids['reading']}" in str(reading_event["URL"])


# --- 2. An Arabic volunteer registers and signs up ------------------------------------------


def _seed_dates() -> dict:
    centre = make_centre(
        name="ThEKiZ Sonnenschein",
        slug="sonnenschein",
        street="Lindenweg 4",
        postcode="07743",
        town="Jena",
        contact_email="sonnenschein@example.org",
    )
    garden = make_activity(
        centre,
        title=GARDEN_DE,
        category=builtin("gardening"),
        place="Hof hinter dem Haus",
        description="Beete jäten, Kräuter pflanzen und mit den Kindern gießen.",
        volunteers_needed=2,
        cancel_deadline_hours=24,
        responsible=make_coordinator(centre, name="Katrin Hoffmann"),
    )
    ActivityText.create(activity=garden, language="ar", title=GARDEN_AR)
    slot = make_slot(garden, day=next_weekday(1))
    return {"slot": slot.id}


@pytest.fixture
def live_server_overrides(smtp_sink):
    """The live server delivers over SMTP to the test's mail server, without padding."""
    return smtp_overrides(smtp_sink)


def test_arabic_volunteer_registers_and_signs_up(new_page, live_server, smtp_sink):
    ids = live_server.run(_seed_dates)
    ar = lambda msgid, **values: tr(live_server, "ar", msgid, **values)  # noqa: E731
    consent = ar(CONSENT_MSGID)
    pg = phone(new_page, "de-DE")  # a phone set to German: Arabic is chosen on the page

    # 1. The language switch names each language in itself.
    visit(pg, "/")
    assert html_lang(pg) == "de"
    switch = pg.locator("details.lang-switch")
    switch.locator("summary").tap()
    for code, name in (("uk", "Українська"), ("ar", "العربية"), ("de", "Deutsch")):
        expect(switch.get_by_role("button", name=name)).to_have_attribute("lang", code)
    assert_on_screen(switch.locator("form"))
    check_page(pg, "ar-0-switch-open", folder=FOLDER)
    switch.get_by_role("button", name="العربية").tap()
    expect(pg.locator("html")).to_have_attribute("lang", "ar")
    check(pg, "ar", "rtl", "ar-1-start")
    expect(pg.get_by_role("heading", level=1)).to_have_text(ar("Lend a hand in your family centre"))
    assert ARABIC.search(pg.locator("h1").inner_text())
    switch.locator("summary").tap()  # in Arabic, the menu opens on screen as well
    assert_on_screen(switch.locator("form"))
    switch.locator("summary").tap()
    menu = nav(pg, live_server, "ar")
    menu.get_by_role("link", name=ar("Register")).tap()

    # 2. Registration, in Arabic; a common password is refused in Arabic.
    expect(pg).to_have_url(re.compile(r"/konto/registrieren$"))
    check(pg, "ar", "rtl", "ar-2-register")
    expect(pg.get_by_role("heading", level=1)).to_have_text(ar("Register as a volunteer"))
    pg.get_by_label(ar("Name"), exact=True).fill(NAME)
    pg.get_by_label(ar("E-mail address"), exact=True).fill(EMAIL)
    password = pg.get_by_label(ar("Password"), exact=True)
    password.fill("password")
    pg.get_by_label(consent).check()
    pg.get_by_role("button", name=ar("Register")).tap()
    expect(pg.locator("#password-error")).to_have_text(
        ar("This password is too common and easy to guess. Please choose another one.")
    )
    expect(pg.get_by_role("alert")).to_have_text(ar("Please correct the marked fields."))
    expect(password).to_have_attribute("aria-invalid", "true")
    check(pg, "ar", "rtl", "ar-3-register-error")
    assert not live_server.run(User.select().where(User.email == EMAIL).exists)

    password.fill(PASSWORD)
    pg.get_by_label(consent).check()
    pg.get_by_role("button", name=ar("Register")).tap()
    expect(pg).to_have_url(re.compile(r"/konto/post-unterwegs"))
    expect(pg.get_by_role("heading", level=1)).to_have_text(ar("Please check your mail"))
    check(pg, "ar", "rtl", "ar-4-check-mail")
    user = live_server.run(User.get, User.email == EMAIL)
    assert user.locale == "ar"
    assert user.email_confirmed_at is None

    # 3. The confirmation mail, in Arabic, over SMTP.
    assert live_server.run(send_pending).sent == 1
    [mail] = smtp_sink.wait_for(1)
    assert mail["Content-Language"] == "ar"
    assert str(mail["Subject"]) == ar("Please confirm your e-mail address")
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert ar("Hello %(name)s,", name="Layla") in text
    assert '<html lang="ar" dir="rtl">' in html
    links = re.findall(re.escape(live_server.url) + r"/konto/bestaetigen/[A-Za-z0-9_\-]+", text)
    assert len(links) == 1, text
    assert links[0] in html

    # 4. Confirming logs in; the profile page is Arabic.
    visit(pg, links[0], a11y=False)
    check(pg, "ar", "rtl", "ar-5-confirm")
    pg.get_by_role("button", name=ar("Confirm my address")).tap()
    expect(pg).to_have_url(re.compile(r"/konto/$"))
    expect(pg.get_by_text(ar("Thank you! Your e-mail address is confirmed."))).to_be_visible()
    check(pg, "ar", "rtl", "ar-6-account")
    assert live_server.run(User.get_by_id, user.id).email_confirmed_at is not None

    # 5. Find a date: the activity's Arabic title.
    menu.get_by_role("link", name=ar("Find a date")).tap()
    expect(pg).to_have_url(re.compile(r"/termine/$"))
    expect(pg.get_by_role("heading", level=1)).to_have_text(ar("Find a date"))
    check(pg, "ar", "rtl", "ar-7-find")
    pg.get_by_role("link", name=GARDEN_AR).tap()
    expect(pg).to_have_url(re.compile(rf"/termine/{ids['slot']}$"))
    expect(pg.get_by_role("heading", level=1)).to_have_text(GARDEN_AR)
    check(pg, "ar", "rtl", "ar-8-slot")
    # The German description stays, marked as German and written left to right.
    german = pg.get_by_text("Beete jäten, Kräuter pflanzen").locator("xpath=..")
    expect(german).to_have_attribute("lang", "de")
    expect(german).to_have_attribute("dir", "ltr")

    # 6. Sign up.
    pg.get_by_role("button", name=ar("Sign up"), exact=True).tap()
    expect(pg.locator(".flashes")).to_contain_text(
        ar("You are signed up. Thank you! We have sent you a confirmation.")
    )
    expect(pg.locator(".notice.ok")).to_have_text(ar("You are signed up. Thank you!"))
    check(pg, "ar", "rtl", "ar-9-signed-up")
    status = live_server.run(
        lambda: Signup.get((Signup.slot == ids["slot"]) & (Signup.volunteer == user.id)).status
    )
    assert status == "confirmed"

    # 7. My dates.
    menu.get_by_role("link", name=ar("My dates")).tap()
    expect(pg).to_have_url(re.compile(r"/meine-termine$"))
    expect(pg.get_by_role("heading", level=1)).to_have_text(ar("My dates"))
    row = pg.locator("section[aria-labelledby='upcoming-heading'] tbody tr", has_text=GARDEN_AR)
    expect(row).to_contain_text(ar("You are signed up"))
    check(pg, "ar", "rtl", "ar-10-my-dates")

    # 8. The account keeps the language: a German desktop browser gets Arabic after login.
    assert live_server.run(User.get_by_id, user.id).locale == "ar"
    desk = new_page(viewport=DESKTOP, locale="de-DE")
    live_server.log_in(desk, live_server.run(User.get_by_id, user.id))
    visit(desk, "/meine-termine")
    check_page(desk, "ar-11-my-dates", folder=FOLDER, always_fit=True)
    assert (html_lang(desk), desk.evaluate("document.documentElement.dir")) == ("ar", "rtl")
    expect(desk.locator("section[aria-labelledby='upcoming-heading']")).to_contain_text(GARDEN_AR)
