"""The partner directory: create, edit, remove; internal notes stay with the centre's own
coordinators; the public section shows public entries and public columns only; the network
directory spans the operator's centres."""

from __future__ import annotations

import pytest
from flask import render_template

from tests.factories import make_centre, make_coordinator, make_operator, make_user
from tests.factories_centres import count_queries
from tests.factories_hub import make_booking, make_partner, make_room
from volunteer_app.partners import queries
from volunteer_app.partners.models import Partner
from volunteer_app.rooms.models import Booking

SLUG = "zentrum-a"
NOTE = "Vertrag bis 2027, Schlüssel bei Frau Sommer"
CONTACT = "Frau Sommer direkt: 0361 55 40 19"


@pytest.fixture
def network(conn):
    operator = make_operator()
    a = make_centre(name="Zentrum A", slug=SLUG, operator=operator)
    sister = make_centre(name="Zentrum Anger", slug="anger", operator=operator)
    foreign = make_centre(name="Zentrum B", slug="zentrum-b", operator=make_operator())
    return a, sister, foreign, make_coordinator(a)


def _form(**extra):
    data = {
        "kind": "counselling",
        "name": "Familienberatung Nord",
        "offer": "Offene Beratung\nmittwochs",
        "contact_name": "Beratungsstelle",
        "contact_email": "Beratung@Example.org",
        "contact_phone": "+49 361 12 34",
        "website": "beratung.example.org",
        "languages": ["de", "uk"],
        "is_public": "y",
        "internal_notes": NOTE,
        "internal_contact": CONTACT,
    }
    data.update(extra)
    return data


def test_create_edit_and_remove_a_partner(network, client, login_as):
    centre, _sister, _foreign, coordinator = network
    login_as(coordinator)
    response = client.post(f"/zentren/{SLUG}/partner/neu", data=_form())
    assert response.status_code == 302
    partner = Partner.get(Partner.name == "Familienberatung Nord")
    assert (partner.centre_id, partner.kind, partner.languages) == (
        centre.id,
        "counselling",
        "de,uk",
    )
    assert partner.website == "https://beratung.example.org"
    assert partner.contact_email == "beratung@example.org"
    assert partner.offer == "Offene Beratung\nmittwochs"
    body = client.get(f"/zentren/{SLUG}/partner/").get_data(as_text=True)
    assert NOTE in body and CONTACT in body and "Ukrainisch" in body

    url = f"/zentren/{SLUG}/partner/{partner.id}/bearbeiten"
    assert "Ukrainisch" in client.get(url).get_data(as_text=True)
    response = client.post(url, data=_form(name="Familienberatung Nord-Ost", is_public=""))
    assert response.status_code == 302
    partner = Partner.get_by_id(partner.id)
    assert (partner.name, partner.is_public) == ("Familienberatung Nord-Ost", False)

    room = make_room(centre)
    booking = make_booking(room, partner=partner)
    delete = f"/zentren/{SLUG}/partner/{partner.id}/entfernen"
    assert "entfernen?" in client.get(delete).get_data(as_text=True)
    assert client.post(delete).status_code == 302
    assert Partner.get_or_none(Partner.id == partner.id) is None
    assert Booking.get_by_id(booking.id).partner_id is None  # the booking stays


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "Bitte füllen Sie dieses Feld aus."),
        ("website", "javascript:alert(1)", "Webadresse"),
        ("website", "https://", "Webadresse"),
        ("contact_email", "kein-at", "gültige E-Mail-Adresse"),
        ("kind", "spion", "Bitte wählen Sie eine der Möglichkeiten."),
        ("internal_notes", "a\x00b", "Steuerzeichen"),
        ("languages", ["xx"], "Bitte wählen Sie eine der Möglichkeiten."),
    ],
)
def test_bad_input_is_refused_with_a_message(network, client, login_as, field, value, message):
    *_rest, coordinator = network
    login_as(coordinator)
    response = client.post(f"/zentren/{SLUG}/partner/neu", data=_form(**{field: value}))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert Partner.select().count() == 0


def test_other_centres_never_see_internal_notes(network, client, login_as):
    centre, sister, foreign, _coordinator = network
    partner = make_partner(centre, internal_notes=NOTE, internal_contact=CONTACT)
    for outsider in (make_coordinator(sister), make_coordinator(foreign), make_user()):
        login_as(outsider)
        for url in (
            f"/zentren/{SLUG}/partner/",
            f"/zentren/{SLUG}/partner/{partner.id}/bearbeiten",
            f"/zentren/{SLUG}/partner/{partner.id}/entfernen",
            "/partner/",
            f"/zentren/{sister.slug}/partner/{partner.id}/bearbeiten",
        ):
            response = client.get(url)
            body = response.get_data(as_text=True)
            assert NOTE not in body and CONTACT not in body, (outsider.role, url)
        response = client.post(f"/zentren/{SLUG}/partner/{partner.id}/entfernen")
        assert response.status_code in (403, 404)
    assert Partner.get_by_id(partner.id).internal_notes == NOTE


def test_network_directory_spans_the_operators_centres_without_internal_fields(
    network, client, login_as
):
    centre, sister, foreign, coordinator = network
    make_partner(centre, name="Hebammenpraxis A")
    make_partner(sister, name="Naturfreunde Anger", kind="leisure", is_public=False)
    make_partner(foreign, name="Fremde Beratung", kind="counselling")
    login_as(coordinator)
    body = client.get("/partner/").get_data(as_text=True)
    assert "Hebammenpraxis A" in body and "Naturfreunde Anger" in body
    assert "Fremde Beratung" not in body
    assert NOTE not in body and CONTACT not in body
    filtered = client.get("/partner/?art=leisure").get_data(as_text=True)
    assert "Naturfreunde Anger" in filtered and "Hebammenpraxis A" not in filtered
    login_as(make_user())
    assert client.get("/partner/").status_code == 403


def test_public_section_shows_public_partners_and_public_columns_only(network, app):
    centre, *_rest = network
    make_partner(centre, name="Hebammenpraxis Nordlicht", website="https://nordlicht.example")
    make_partner(centre, name="Interner Partner", is_public=False)
    with app.test_request_context():
        found = queries.public_partners_of(centre)
        assert [p.name for p in found] == ["Hebammenpraxis Nordlicht"]
        assert found[0].internal_notes is None  # not even read from the database
        html = render_template("partners/_public_section.html", public_partners=found)
    assert "Hebammenpraxis Nordlicht" in html and "Hebamme" in html
    assert "Arabisch" in html and 'href="https://nordlicht.example"' in html
    assert "Interner Partner" not in html and NOTE not in html and CONTACT not in html
    with app.test_request_context():
        assert render_template("partners/_public_section.html", public_partners=[]).strip() == ""


def test_directory_query_counts_do_not_grow(network, client, login_as):
    centre, sister, _foreign, coordinator = network
    login_as(coordinator)
    counts = []
    for n in (3, 60):
        for i in range(n - Partner.select().where(Partner.centre == centre.id).count()):
            make_partner(centre, name=f"Partner {i:03d}", kind=("midwife", "education")[i % 2])
            make_partner(sister, name=f"Schwester {i:03d}")
        for url in (f"/zentren/{SLUG}/partner/", "/partner/"):
            with count_queries() as counter:
                assert client.get(url).status_code == 200
            counts.append((url, counter.count))
    assert counts[:2] == [(u, c) for u, c in counts[2:]], counts
