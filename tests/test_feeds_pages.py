"""Subscribe pages, QR code, poster and "My calendars": links, instructions in both languages."""

from __future__ import annotations

import pathlib
import re

import pytest

from tests.factories_feeds import (
    days_from_today,
    link_of,
    make_activity,
    make_centre,
    make_coordinator,
    make_slot,
    make_user,
)
from volunteer_app.feeds import pages
from volunteer_app.feeds.models import FeedToken


@pytest.fixture
def centre(conn):
    centre = make_centre(name="Familienzentrum Am Anger", slug="anger")
    make_slot(make_activity(centre, title="Vorlesen", category_key="reading"), days_from_today(3))
    return centre


def test_family_subscribe_page_in_german(client, centre):
    html = client.get("/zentren/anger/kalender").get_data(as_text=True)
    assert 'href="webcal://localhost/zentren/anger/kalender.ics"' in html
    assert 'value="http://localhost/zentren/anger/kalender.ics"' in html
    assert 'rel="alternate" type="text/calendar"' in html
    assert "/zentren/anger/kalender/qr.svg" in html
    assert "alle 8 bis 24 Stunden" in html and "Per URL" in html
    assert "Aus dem Internet abonnieren" in html and "Thunderbird" in html and "Mac" in html
    assert "Vorlesen" in html  # the category checkbox


def test_family_subscribe_page_in_english_links_an_english_feed(client, centre):
    client.post("/language", data={"lang": "en", "next": "/"})
    html = client.get("/zentren/anger/kalender").get_data(as_text=True)
    assert "kalender.ics?lang=en" in html
    assert "every 8 to 24 hours" in html and "Subscribe from web" in html


def test_the_subscribe_page_offers_the_calendar_in_every_language(client, centre):
    html = client.get("/zentren/anger/kalender").get_data(as_text=True)
    select = re.search(r'<select name="sprache".*?</select>', html, re.S).group(0)
    for code, name in (("de", "Deutsch"), ("uk", "Українська"), ("ar", "العربية"),
                       ("fa-AF", "Dari — دری"), ("en", "English")):  # fmt: skip
        assert f'<option value="{code}" lang="{code}"' in select and f">{name}</option>" in select
    assert re.search(r'<option value="de" lang="de" selected>', select)  # the page's language

    # Choosing Ukrainian: every link names the Ukrainian calendar; the page stays German.
    html = client.get("/zentren/anger/kalender?sprache=uk").get_data(as_text=True)
    assert '<html lang="de"' in html
    assert re.search(r'<option value="uk" lang="uk" selected>', html)
    assert 'href="webcal://localhost/zentren/anger/kalender.ics?lang=uk"' in html
    assert 'value="http://localhost/zentren/anger/kalender.ics?lang=uk"' in html
    assert 'href="http://localhost/zentren/anger/kalender.ics?lang=uk"' in html  # rel=alternate
    assert '<strong lang="uk" dir="auto">Українська</strong>' in html
    assert "/zentren/anger/kalender/qr.svg?sprache=uk" in html  # the phone gets the same choice
    links = pages.links_for("http://localhost/zentren/anger/kalender.ics?lang=uk")
    assert links.google.endswith(
        "cid=webcal%3A%2F%2Flocalhost%2Fzentren%2Fanger%2Fkalender.ics%3Flang%3Duk"
    )
    qr = client.get("/zentren/anger/kalender/qr.svg?sprache=uk")
    assert qr.status_code == 200
    # A page in Dari offers the Dari calendar at once; German needs no parameter.
    html = client.get("/zentren/anger/kalender?lang=fa-AF").get_data(as_text=True)
    assert "kalender.ics?lang=fa-AF" in html and '<html lang="fa-AF" dir="rtl">' in html
    html = client.get("/zentren/anger/kalender?sprache=de").get_data(as_text=True)
    assert 'value="http://localhost/zentren/anger/kalender.ics"' in html
    assert client.get("/zentren/anger/kalender?sprache=klingonisch").status_code == 404
    # An unknown page language is ignored, as on every page: it stays in the Dari chosen above.
    html = client.get("/zentren/anger/kalender?lang=klingonisch").get_data(as_text=True)
    assert 'value="http://localhost/zentren/anger/kalender.ics?lang=fa-AF"' in html


def test_category_choice_updates_the_links(client, centre):
    reading = centre.activities[0].category_id
    html = client.get(f"/zentren/anger/kalender?kategorie={reading}").get_data(as_text=True)
    assert f"kalender.ics?kategorie={reading}" in html
    assert client.get("/zentren/anger/kalender?kategorie=0").status_code == 404


def test_qr_code_and_poster(client, centre):
    qr = client.get("/zentren/anger/kalender/qr.svg")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml"
    assert qr.data.startswith(b"<svg") and b"<script" not in qr.data
    poster = client.get("/zentren/anger/aushang").get_data(as_text=True)
    css = pathlib.Path("volunteer_app/static/feeds.css").read_text()
    assert "@page" in css and "size: A4" in css and "@media print" in css
    assert "<svg" in poster and "http://localhost/zentren/anger/kalender" in poster
    assert "Familienzentrum Am Anger" in poster
    assert client.get("/zentren/nirgends/aushang").status_code == 404


def test_my_calendars_create_show_rotate_revoke(client, login_as, centre):
    coordinator = make_coordinator(centre)
    login_as(coordinator)
    html = client.get("/konto/kalender").get_data(as_text=True)
    assert html.count("Meinen Kalender-Link erstellen") == 2  # volunteer + staff of the centre
    assert FeedToken.select().count() == 0  # nothing is created by looking
    client.post("/konto/kalender/neu", data={"kind": "staff", "centre_id": str(centre.id)})
    link = FeedToken.get()
    html = client.get("/konto/kalender").get_data(as_text=True)
    assert "webcal://localhost/kalender/" in html and "<svg" in html
    confirm = client.get(f"/konto/kalender/{link.id}/erneuern").get_data(as_text=True)
    assert "Kalender-Link erneuern?" in confirm
    assert FeedToken.get_by_id(link.id).revoked_at is None  # GET only asks
    client.post(f"/konto/kalender/{link.id}/erneuern")
    assert FeedToken.get_by_id(link.id).revoked_at is not None
    new = FeedToken.get(FeedToken.revoked_at.is_null())
    client.post(f"/konto/kalender/{new.id}/abschalten")
    assert FeedToken.select().where(FeedToken.revoked_at.is_null()).count() == 0


def test_volunteer_sees_no_staff_feeds_and_reminder_choice_is_checked(client, login_as, centre):
    me = make_user()
    login_as(me)
    html = client.get("/konto/kalender").get_data(as_text=True)
    assert "Besetzung" not in html
    link_of(me)
    assert client.post("/konto/kalender/erinnerung", data={"alarm": "61"}).status_code == 302
    assert FeedToken.get().alarm_minutes is None  # not one of the choices: refused
    client.post("/konto/kalender/erinnerung", data={"alarm": "1440"})
    assert FeedToken.get().alarm_minutes == 1440
    html = client.get("/konto/kalender").get_data(as_text=True)
    assert 'value="1440" checked' in html or 'checked id="alarm-5"' in html or "checked" in html
    client.post("/konto/kalender/erinnerung", data={"alarm": "none"})
    assert FeedToken.get().alarm_minutes is None
