"""The administration: only admins get in; centres, operators and the dashboard."""

import pytest

from tests.factories import make_centre, make_coordinator, make_operator, make_user
from tests.factories_centres import count_queries, english, make_invitation
from volunteer_app.centres.models import Centre, CentreMembership, Invitation, Operator
from volunteer_app.db import utcnow
from volunteer_app.notifications.models import OutboxMessage

pytestmark = pytest.mark.dates  # depends on today: CI reruns it at fixed days


@pytest.fixture
def world(conn):
    """Centre A with an invitation, a closing-day-free centre B, their coordinators."""
    a = make_centre(name="Zentrum A", slug="zentrum-a")
    b = make_centre(name="Zentrum B", slug="zentrum-b")
    coordinator = make_coordinator(a)
    invitation, _token = make_invitation(a, "offen@example.org")
    return {"a": a, "b": b, "coordinator": coordinator, "invitation": invitation}


def _routes(world):
    inv = world["invitation"].id
    person = world["coordinator"].id
    operator = make_operator().id
    return [
        ("get", "/verwaltung/"),
        ("get", "/verwaltung/traeger-anlegen"),
        ("post", "/verwaltung/traeger-anlegen"),
        ("get", f"/verwaltung/traeger/{operator}"),
        ("post", f"/verwaltung/traeger/{operator}"),
        ("get", "/verwaltung/zentrum-anlegen"),
        ("post", "/verwaltung/zentrum-anlegen"),
        ("get", "/verwaltung/zentren/zentrum-a"),
        ("post", "/verwaltung/zentren/zentrum-a/einladen"),
        ("post", f"/verwaltung/zentren/zentrum-a/koordination/{person}/entfernen"),
        ("post", f"/verwaltung/einladungen/{inv}/erneut-senden"),
        ("post", f"/verwaltung/einladungen/{inv}/zurueckziehen"),
    ]


DATA = {
    "name": "Böse GmbH",
    "town": "X",
    "email": "mallory@example.org",
    "operator_id": "0",
}


def _unchanged(world):
    assert Centre.select().count() == 2
    assert Operator.select().where(Operator.name == "Böse GmbH").count() == 0
    assert Invitation.select().count() == 1
    invitation = Invitation.get()
    assert invitation.withdrawn_at is None
    assert invitation.token_hash == world["invitation"].token_hash
    assert CentreMembership.select().count() == 1
    assert OutboxMessage.select().count() == 0


def test_anonymous_is_sent_to_login_everywhere(client, world):
    for method, url in _routes(world):
        response = getattr(client, method)(url, data=DATA)
        assert response.status_code == 302, url
        assert "/konto/anmelden" in response.headers["Location"], url
    _unchanged(world)


@pytest.mark.parametrize("role", ["volunteer", "coordinator"])
def test_non_admins_get_403_everywhere(client, login_as, world, role):
    user = world["coordinator"] if role == "coordinator" else make_user()
    login_as(user)
    for method, url in _routes(world):
        assert getattr(client, method)(url, data=DATA).status_code == 403, url
    _unchanged(world)


def test_admin_pages_open_for_admins(client, login_as, world):
    login_as(make_user(role="admin"))
    for method, url in _routes(world):
        if method == "get":
            assert client.get(url).status_code == 200, url


def test_admin_without_second_factor_is_stopped(client, login_as, world):
    login_as(make_user(role="admin"), mfa_ok=False)
    response = client.get("/verwaltung/")
    assert response.status_code == 302
    assert "/konto/zwei-faktor" in response.headers["Location"]


def test_dashboard_lists_centres_with_coordinator_counts_and_open_invitations(
    client, login_as, world
):
    make_coordinator(world["a"])
    make_invitation(world["b"], "angenommen@example.org", accepted_at=utcnow())
    make_invitation(world["b"], "zurueck@example.org", withdrawn_at=utcnow())
    english(login_as(make_user(role="admin")))
    page = client.get("/verwaltung/").get_data(as_text=True)
    rows = {name: page.index(name) for name in ("Zentrum A", "Zentrum B")}
    assert '<td class="num">2' in page[rows["Zentrum A"] : rows["Zentrum B"]]
    assert "none" in page[rows["Zentrum B"] :]
    assert "offen@example.org" in page
    assert "angenommen@example.org" not in page and "zurueck@example.org" not in page


def test_dashboard_query_count_does_not_grow(client, login_as, world):
    login_as(make_user(role="admin"))
    client.get("/verwaltung/")
    with count_queries() as few:
        assert client.get("/verwaltung/").status_code == 200
    operator = make_operator()
    for n in range(5):
        centre = make_centre(operator=operator)
        make_coordinator(centre)
        make_invitation(centre, f"p{n}@example.org")
    with count_queries() as many:
        assert client.get("/verwaltung/").status_code == 200
    assert many.count == few.count


def test_centre_page_query_count_does_not_grow(client, login_as, world):
    login_as(make_user(role="admin"))
    client.get("/verwaltung/zentren/zentrum-a")
    with count_queries() as few:
        client.get("/verwaltung/zentren/zentrum-a")
    for n in range(5):
        make_coordinator(world["a"])
        make_invitation(world["a"], f"q{n}@example.org")
    with count_queries() as many:
        client.get("/verwaltung/zentren/zentrum-a")
    assert many.count == few.count


# --- Operators ------------------------------------------------------------------------------


def test_admin_creates_and_renames_an_operator(client, login_as, conn):
    login_as(make_user(role="admin"))
    response = client.post("/verwaltung/traeger-anlegen", data={"name": "  AWO Thüringen "})
    assert response.status_code == 302
    operator = Operator.get()
    assert operator.name == "AWO Thüringen"
    response = client.post(f"/verwaltung/traeger/{operator.id}", data={"name": "AWO Erfurt"})
    assert response.status_code == 302
    assert Operator.get_by_id(operator.id).name == "AWO Erfurt"
    assert client.get("/verwaltung/traeger/999").status_code == 404


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Please fill in this field."),
        ("o" * 151, "150"),
        ("Träger\x00", "invisible control characters"),
        ("Stadt Gera", "exists already"),
    ],
)
def test_bad_operator_names_are_refused(client, login_as, conn, name, message):
    existing = make_operator(name="Stadt Gera")
    other = make_operator(name="Stadt Jena")
    english(login_as(make_user(role="admin")))
    response = client.post("/verwaltung/traeger-anlegen", data={"name": name})
    assert message in response.get_data(as_text=True)
    response = client.post(f"/verwaltung/traeger/{other.id}", data={"name": name})
    assert message in response.get_data(as_text=True)
    assert [o.name for o in Operator.select().order_by(Operator.id)] == [existing.name, other.name]


# --- Creating a centre -------------------------------------------------------------------------


def test_admin_creates_a_centre_with_derived_slug(client, login_as, conn):
    operator = make_operator(name="Volkssolidarität")
    login_as(make_user(role="admin"))
    data = {
        "name": "ThEKiZ Blütenträume",
        "street": "Am Anger 5",
        "postcode": "99084",
        "town": "Erfurt",
        "operator_id": str(operator.id),
        "slug": "",
    }
    response = client.post("/verwaltung/zentrum-anlegen", data=data)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/verwaltung/zentren/thekiz-bluetentraeume")
    centre = Centre.get()
    assert (centre.slug, centre.operator_id, centre.postcode) == (
        "thekiz-bluetentraeume",
        operator.id,
        "99084",
    )
    response = client.post("/verwaltung/zentrum-anlegen", data=data)
    assert response.headers["Location"].endswith("/verwaltung/zentren/thekiz-bluetentraeume-2")
    assert client.get("/zentren/thekiz-bluetentraeume-2").status_code == 200


def test_admin_may_choose_the_slug(client, login_as, conn):
    login_as(make_user(role="admin"))
    data = {"name": "Irgendwas", "town": "Gera", "operator_id": "0", "slug": "mein-zentrum"}
    client.post("/verwaltung/zentrum-anlegen", data=data)
    assert Centre.get().slug == "mein-zentrum"
    assert Centre.get().operator_id is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "Please fill in this field."),
        ({"town": ""}, "Please fill in this field."),
        ({"postcode": "123"}, "five digits"),
        ({"slug": "Nicht Gültig"}, "single hyphens"),
        ({"operator_id": "999"}, "Please choose one of the options."),
        ({"operator_id": "abc"}, "Please choose one of the options."),
        ({"contact_email": "@"}, "Please enter a valid e-mail address"),
    ],
)
def test_bad_centre_input_is_refused(client, login_as, conn, changes, message):
    english(login_as(make_user(role="admin")))
    data = {"name": "Zentrum", "town": "Gera", "operator_id": "0", **changes}
    response = client.post("/verwaltung/zentrum-anlegen", data=data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert Centre.select().count() == 0


def test_centre_detail_shows_coordinators_and_invitations(client, login_as, world):
    english(login_as(make_user(role="admin")))
    page = client.get("/verwaltung/zentren/zentrum-a").get_data(as_text=True)
    assert world["coordinator"].name in page
    assert "offen@example.org" in page
    assert client.get("/verwaltung/zentren/unbekannt").status_code == 404
