"""Web addresses (slugs) of centres: German transliteration, uniqueness, editing."""

import pytest

from tests.factories import make_centre, make_user
from volunteer_app.centres import services
from volunteer_app.centres.models import Centre
from volunteer_app.common.errors import Conflict, NotAllowed


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("ThEKiZ Sonnenschein", "thekiz-sonnenschein"),
        ("Kita Gänseblümchen", "kita-gaensebluemchen"),
        ("Haus der Familie Öhringen", "haus-der-familie-oehringen"),
        ("Große Straße", "grosse-strasse"),
        ("ÄÖÜ äöü ß ẞ", "aeoeue-aeoeue-ss-ss"),
        ("Kita  »Pusteblume« – Süd", "kita-pusteblume-sued"),
        ("Crèche Café", "creche-cafe"),
        ("Ga\u0308nse", "gaense"),  # decomposed umlaut
        ("  --Erfurt!!  ", "erfurt"),
        ("日本", "zentrum"),
        ("", "zentrum"),
    ],
)
def test_slugify(name, slug):
    assert services.slugify(name) == slug


def test_slugify_stays_short():
    slug = services.slugify("Wort " * 40)
    assert len(slug) <= services.SLUG_BASE_LENGTH
    assert not slug.endswith("-")


def test_taken_slug_gets_a_number(conn):
    admin = make_user(role="admin")
    data = {"name": "Kita Gänseblümchen", "town": "Erfurt"}
    first = services.create_centre(data, actor=admin)
    second = services.create_centre(data, actor=admin)
    third = services.create_centre(data, actor=admin)
    assert [first.slug, second.slug, third.slug] == [
        "kita-gaensebluemchen",
        "kita-gaensebluemchen-2",
        "kita-gaensebluemchen-3",
    ]


def test_number_fills_the_first_gap_and_ignores_similar_slugs(conn):
    make_centre(slug="zentrum-nord")
    make_centre(slug="zentrum-nord-3")
    make_centre(slug="zentrum-nordost")
    centre = services.create_centre(
        {"name": "Zentrum Nord", "town": "Gera"}, actor=make_user(role="admin")
    )
    assert centre.slug == "zentrum-nord-2"


@pytest.fixture
def request_ctx(app, conn):
    """Services translate their messages, which needs a request (the locale lives there)."""
    with app.test_request_context():
        yield


def test_chosen_slug_that_is_taken_is_refused(request_ctx):
    make_centre(slug="belegt")
    with pytest.raises(Conflict) as err:
        services.create_centre(
            {"name": "Neu", "town": "Gera", "slug": "belegt"}, actor=make_user(role="admin")
        )
    assert err.value.field == "slug"
    assert Centre.select().count() == 1


def test_only_admins_create_centres(request_ctx):
    with pytest.raises(NotAllowed):
        services.create_centre({"name": "X", "town": "Y"}, actor=make_user(role="coordinator"))
    assert Centre.select().count() == 0


def test_editing_slug_to_a_taken_one_is_refused(client, login_as, conn):
    make_centre(slug="belegt", name="Belegt")
    mine = make_centre(slug="meins", name="Meins")
    login_as(make_user(role="admin"))
    data = {"name": "Meins", "town": "Erfurt", "operator_id": "0", "slug": "belegt"}
    with client.session_transaction() as sess:
        sess["lang"] = "en"
    response = client.post("/zentren/meins/bearbeiten", data=data)
    assert response.status_code == 200
    assert "Another centre already uses this web address." in response.get_data(as_text=True)
    assert Centre.get_by_id(mine.id).slug == "meins"


def test_empty_slug_on_edit_is_derived_from_the_new_name(client, login_as, conn):
    make_centre(slug="haus-am-see")
    mine = make_centre(slug="alt", name="Alt")
    login_as(make_user(role="admin"))
    data = {"name": "Haus am See", "town": "Erfurt", "operator_id": "0", "slug": ""}
    response = client.post("/zentren/alt/bearbeiten", data=data)
    assert response.headers["Location"].endswith("/zentren/haus-am-see-2/bearbeiten")
    assert Centre.get_by_id(mine.id).slug == "haus-am-see-2"


def test_unchanged_name_keeps_its_slug_when_emptied(client, login_as, conn):
    mine = make_centre(slug="haus-am-see", name="Haus am See")
    login_as(make_user(role="admin"))
    data = {"name": "Haus am See", "town": "Erfurt", "operator_id": "0", "slug": ""}
    client.post("/zentren/haus-am-see/bearbeiten", data=data)
    assert Centre.get_by_id(mine.id).slug == "haus-am-see"


@pytest.mark.parametrize(
    "slug", ["Mit Leerzeichen", "ümlaut", "-vorne", "hinten-", "a--b", "x" * 81]
)
def test_invalid_slug_is_refused(client, login_as, conn, slug):
    mine = make_centre(slug="meins", name="Meins")
    login_as(make_user(role="admin"))
    data = {"name": "Meins", "town": "Erfurt", "operator_id": "0", "slug": slug}
    response = client.post("/zentren/meins/bearbeiten", data=data)
    assert response.status_code == 200
    assert Centre.get_by_id(mine.id).slug == "meins"
