"""Public programme pages show activities, times, places and the centre's own contact,
never a person: not the responsible coordinator, not volunteers, not invited staff."""

import datetime as dt

import pytest

from tests.factories import make_activity, make_coordinator, make_signup, make_user
from tests.factories_centres import english, make_invitation
from tests.factories_programme import (
    freeze_now,
    programme_centre,
    reading_hour,
    slot_at,
)

NOW = dt.datetime(2026, 12, 16, 11, 0)

PRIVATE = (
    "Erika",
    "Mustermann",
    "erika@example.org",
    "0171 5550199",
    "01715550199",
    "Vera",
    "Vorleserin",
    "vera@example.org",
    "0160 1234567",
    "Walter",
    "Warteliste",
    "Paula",
    "Pending",
    "Ida Invited",
    "ida.invited",
)


@pytest.fixture
def world(conn, monkeypatch):
    freeze_now(monkeypatch, NOW)
    centre = programme_centre()
    erika = make_coordinator(
        centre, name="Erika Mustermann", email="erika@example.org", phone="0171 5550199"
    )
    reading = reading_hour(centre, responsible=erika)
    baking = make_activity(centre, category_key="baking", title="Backen", responsible=erika)
    slot = slot_at(reading, dt.date(2026, 12, 17), 15, capacity=1)
    cancelled = slot_at(baking, dt.date(2026, 12, 18), 10, status="cancelled")
    make_signup(
        slot, make_user(name="Vera Vorleserin", email="vera@example.org", phone="0160 1234567")
    )
    make_signup(slot, make_user(name="Walter Warteliste"), status="waitlisted")
    make_signup(cancelled, make_user(name="Paula Pending"), status="pending")
    make_invitation(centre, "ida.invited@example.org", name="Ida Invited")
    return centre, reading, baking


def test_no_persons_name_phone_or_address_on_any_programme_page(client, world):
    centre, reading, baking = world
    urls = [
        "/",
        "/zentren/",
        f"/zentren/{centre.slug}",
        f"/zentren/{centre.slug}?kategorie={reading.category_id}",
        f"/zentren/{centre.slug}?ab=2026-12-28",
        f"/zentren/{centre.slug}/programm/{reading.id}",
        f"/zentren/{centre.slug}/programm/{baking.id}",
    ]
    for language in ("de", "en"):
        with client.session_transaction() as sess:
            sess["lang"] = language
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            page = response.get_data(as_text=True)
            for private in PRIVATE:
                assert private not in page, (language, url, private)
    # The centre's own contact is shown, on the centre and the activity page.
    page = (
        english(client).get(f"/zentren/{centre.slug}/programm/{reading.id}").get_data(as_text=True)
    )
    assert "03641 555 10" in page and "pusteblume@example.org" in page
    assert "Vorlesestunde" in page and "Backen" in english(client).get(
        f"/zentren/{centre.slug}"
    ).get_data(as_text=True)


def test_even_logged_in_volunteers_see_no_names_on_the_programme(client, login_as, world):
    centre, reading, _ = world
    login_as(make_user(name="Someone Else"))
    for url in (f"/zentren/{centre.slug}", f"/zentren/{centre.slug}/programm/{reading.id}"):
        page = client.get(url).get_data(as_text=True)
        for private in PRIVATE:
            assert private not in page, (url, private)
