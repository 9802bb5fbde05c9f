"""Public centre pages: what families see, without an account and without anyone's name."""

import datetime as dt

import pytest

from tests.factories import make_centre, make_coordinator, make_operator, make_user
from tests.factories_centres import (
    count_queries,
    english,
    make_closing_day,
    make_invitation,
    switch_user,
)
from volunteer_app.centres.queries import today


@pytest.fixture
def centre(conn):
    return make_centre(
        name="ThEKiZ Sonnenblume",
        slug="sonnenblume",
        street="Gartenweg 3",
        postcode="07743",
        town="Jena",
        description="Ein offenes Haus für Familien.\n\nMit Garten und Lesecke.",
        contact_email="kontakt@sonnenblume.example",
        contact_phone="03641 123456",
        operator=make_operator(name="Stadt Jena"),
    )


def test_overview_lists_every_centre_with_town_and_description(client, centre):
    make_centre(name="ThEKiZ Regenbogen", town="Gotha", description="Kurz und bündig.")
    page = english(client).get("/zentren/").get_data(as_text=True)
    assert "ThEKiZ Sonnenblume" in page and "Jena" in page
    assert "ThEKiZ Regenbogen" in page and "Gotha" in page and "Kurz und bündig." in page
    assert 'href="/zentren/sonnenblume"' in page
    # Grouped by town, in order: Gotha before Jena.
    assert page.index('<h2 id="town-1">Gotha</h2>') < page.index("Jena</h2>")


def test_centre_page_shows_address_contact_and_upcoming_closing_days(client, centre):
    make_closing_day(centre, days_ahead=3, reason="Teamfortbildung")
    make_closing_day(centre, days_ahead=0, reason="Heute zu")
    make_closing_day(centre, days_ahead=-1, reason="Gestern zu")
    response = english(client).get("/zentren/sonnenblume")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    for text in ("Gartenweg 3", "07743 Jena", "Ein offenes Haus", "Mit Garten und Lesecke."):
        assert text in page
    assert 'href="mailto:kontakt@sonnenblume.example"' in page
    assert 'href="tel:03641123456"' in page
    assert "Operated by Stadt Jena" in page
    assert "Teamfortbildung" in page and "Heute zu" in page
    assert "Gestern zu" not in page
    assert f'datetime="{(today() + dt.timedelta(days=3)).isoformat()}"' in page
    assert "Edit" not in page


def test_centre_without_closing_days_says_so(client, conn):
    make_centre(slug="leer", town="Suhl")
    page = english(client).get("/zentren/leer").get_data(as_text=True)
    assert "No closing days are planned" in page


def test_unknown_centre_is_404(client, conn):
    assert client.get("/zentren/gibt-es-nicht").status_code == 404


def test_public_pages_show_no_persons_name_or_phone(client, login_as, centre):
    make_coordinator(centre, name="Erika Mustermann", phone="0171 5550199")
    make_user(name="Vera Volunteer", phone="0171 5550200")
    make_invitation(centre, "ida.invited@example.org", name="Ida Invited")
    for url in ("/", "/zentren/", "/zentren/sonnenblume"):
        page = client.get(url).get_data(as_text=True)
        for private in ("Erika", "Mustermann", "0171", "Vera", "Ida Invited", "ida.invited"):
            assert private not in page, (url, private)


def test_edit_link_only_for_those_who_manage_the_centre(client, login_as, centre):
    other = make_centre(slug="andere", town="Gera")
    edit_link = 'href="/zentren/sonnenblume/bearbeiten"'
    assert edit_link not in client.get("/zentren/sonnenblume").get_data(as_text=True)
    switch_user(login_as, make_user())
    assert edit_link not in client.get("/zentren/sonnenblume").get_data(as_text=True)
    switch_user(login_as, make_coordinator(other))
    assert edit_link not in client.get("/zentren/sonnenblume").get_data(as_text=True)
    switch_user(login_as, make_coordinator(centre))
    assert edit_link in client.get("/zentren/sonnenblume").get_data(as_text=True)
    switch_user(login_as, make_user(role="admin"))
    assert edit_link in client.get("/zentren/sonnenblume").get_data(as_text=True)


def test_public_pages_are_readable_on_a_phone(client, centre):
    page = client.get("/zentren/sonnenblume").get_data(as_text=True)
    assert 'name="viewport"' in page
    assert page.count("<h1") == 1
    assert "centres.css" in page


def test_overview_query_count_does_not_grow_with_centres(client, conn):
    url = "/zentren/"
    make_centre(operator=make_operator())
    client.get(url)
    with count_queries() as few:
        assert client.get(url).status_code == 200
    for _ in range(5):
        make_centre(operator=make_operator(), description="x")
    with count_queries() as many:
        assert client.get(url).status_code == 200
    assert many.count == few.count == 1


def test_centre_page_query_count_does_not_grow_with_closing_days(client, centre):
    make_closing_day(centre, days_ahead=1)
    with count_queries() as few:
        client.get("/zentren/sonnenblume")
    for n in range(2, 8):
        make_closing_day(centre, days_ahead=n)
    with count_queries() as many:
        client.get("/zentren/sonnenblume")
    assert many.count == few.count
