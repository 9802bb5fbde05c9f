"""The coordinators' area: my centres, editing a centre, closing days — and who may do it."""

import datetime as dt

import pytest

from tests.factories import make_centre, make_coordinator, make_operator, make_user
from tests.factories_centres import english, make_closing_day, switch_user
from volunteer_app.centres.models import Centre, ClosingDay
from volunteer_app.centres.queries import today

pytestmark = pytest.mark.dates  # depends on today: CI reruns it at fixed days

VALID = {
    "name": "ThEKiZ Kleine Welt",
    "street": "Hauptstraße 1",
    "postcode": "99084",
    "town": "Erfurt",
    "description": "Für alle Familien.\nMit Café.",
    "contact_email": "Info@Kleine-Welt.example",
    "contact_phone": "+49 361 123-456",
}


@pytest.fixture
def centres(conn):
    a = make_centre(name="Zentrum A", slug="zentrum-a", town="Erfurt")
    b = make_centre(name="Zentrum B", slug="zentrum-b", town="Weimar")
    return a, b


def _day(n: int) -> str:
    return (today() + dt.timedelta(days=n)).isoformat()


# --- Who may open and change what ----------------------------------------------------------

ROUTES = [
    ("get", "/zentren/{slug}/bearbeiten", None),
    ("post", "/zentren/{slug}/bearbeiten", VALID),
    ("post", "/zentren/{slug}/schliesstage", {"day": _day(5), "reason": "x"}),
]


@pytest.mark.parametrize(("method", "url", "data"), ROUTES)
def test_anonymous_is_sent_to_login(client, centres, method, url, data):
    response = getattr(client, method)(url.format(slug="zentrum-a"), data=data)
    assert response.status_code == 302
    assert "/konto/anmelden" in response.headers["Location"]
    assert Centre.get_by_id(centres[0].id).name == "Zentrum A"
    assert ClosingDay.select().count() == 0


@pytest.mark.parametrize(("method", "url", "data"), ROUTES)
def test_volunteer_gets_403(client, login_as, centres, method, url, data):
    login_as(make_user())
    response = getattr(client, method)(url.format(slug="zentrum-a"), data=data)
    assert response.status_code == 403
    assert Centre.get_by_id(centres[0].id).name == "Zentrum A"
    assert ClosingDay.select().count() == 0


@pytest.mark.parametrize(("method", "url", "data"), ROUTES)
def test_coordinator_of_a_gets_403_on_b(client, login_as, centres, method, url, data):
    a, b = centres
    login_as(make_coordinator(a))
    response = getattr(client, method)(url.format(slug="zentrum-b"), data=data)
    assert response.status_code == 403
    assert Centre.get_by_id(b.id).name == "Zentrum B"
    assert ClosingDay.select().count() == 0


@pytest.mark.parametrize(("method", "url", "data"), ROUTES)
def test_unknown_centre_is_404(client, login_as, centres, method, url, data):
    login_as(make_user(role="admin"))
    response = getattr(client, method)(url.format(slug="nirgendwo"), data=data)
    assert response.status_code == 404


def test_coordinator_edits_own_centre(client, login_as, centres):
    a, _b = centres
    english(login_as(make_coordinator(a)))
    page = client.get("/zentren/zentrum-a/bearbeiten").get_data(as_text=True)
    assert 'value="Zentrum A"' in page
    assert 'name="slug"' not in page and 'name="operator_id"' not in page
    response = client.post("/zentren/zentrum-a/bearbeiten", data=VALID)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/zentren/zentrum-a/bearbeiten")
    centre = Centre.get_by_id(a.id)
    assert centre.name == "ThEKiZ Kleine Welt"
    assert (centre.street, centre.postcode, centre.town) == ("Hauptstraße 1", "99084", "Erfurt")
    assert centre.description == "Für alle Familien.\nMit Café."
    assert centre.contact_email == "info@kleine-welt.example"
    assert centre.contact_phone == "+49 361 123-456"
    assert "has been saved" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_coordinator_cannot_change_slug_or_operator(client, login_as, centres):
    a, _b = centres
    operator = make_operator()
    login_as(make_coordinator(a))
    data = {**VALID, "slug": "gekapert", "operator_id": str(operator.id)}
    assert client.post("/zentren/zentrum-a/bearbeiten", data=data).status_code == 302
    centre = Centre.get_by_id(a.id)
    assert centre.slug == "zentrum-a" and centre.operator_id is None


def test_admin_edits_any_centre_including_slug_and_operator(client, login_as, centres):
    _a, b = centres
    operator = make_operator(name="AWO Thüringen")
    login_as(make_user(role="admin"))
    page = client.get("/zentren/zentrum-b/bearbeiten").get_data(as_text=True)
    assert 'name="slug"' in page and "AWO Thüringen" in page
    data = {**VALID, "slug": "neue-adresse", "operator_id": str(operator.id)}
    response = client.post("/zentren/zentrum-b/bearbeiten", data=data)
    assert response.headers["Location"].endswith("/zentren/neue-adresse/bearbeiten")
    centre = Centre.get_by_id(b.id)
    assert (centre.slug, centre.operator_id) == ("neue-adresse", operator.id)
    assert client.get("/zentren/neue-adresse").status_code == 200
    assert client.get("/zentren/zentrum-b").status_code == 404


LONG = "x" * 151


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "Please fill in this field."),
        ("name", "   ", "Please fill in this field."),
        ("name", LONG, "150"),
        ("name", "Zentrum\x00A", "invisible control characters"),
        ("name", "Zentrum\u202eA", "invisible control characters"),
        ("town", "", "Please fill in this field."),
        ("town", "y" * 101, "100"),
        ("street", LONG, "150"),
        ("street", "Weg\x07 1", "invisible control characters"),
        ("postcode", "9908", "five digits"),
        ("postcode", "990844", "five digits"),
        ("postcode", "99O84", "five digits"),
        ("postcode", "00123", "five digits"),
        ("postcode", "٩٩٠٨٤", "five digits"),
        ("description", "z" * 1001, "1000"),
        ("description", "Text\x1b[31m", "invisible control characters"),
        ("contact_email", "keine-adresse", "Please enter a valid e-mail address"),
        ("contact_email", "a@b.example\r\nBcc: x@y.example", "valid e-mail address"),
        ("contact_phone", "call me", "phone number"),
        ("contact_phone", "12", "phone number"),
        ("contact_phone", "0" * 41, "40"),
    ],
)
def test_bad_input_is_refused_with_a_message(client, login_as, centres, field, value, message):
    a, _b = centres
    english(login_as(make_coordinator(a)))
    response = client.post("/zentren/zentrum-a/bearbeiten", data={**VALID, field: value})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page
    assert "Please correct the marked fields." in page
    assert Centre.get_by_id(a.id).name == "Zentrum A"


def test_optional_fields_may_be_emptied(client, login_as, centres):
    a, _b = centres
    login_as(make_coordinator(a))
    data = {"name": "Zentrum A", "town": "Erfurt"}
    assert client.post("/zentren/zentrum-a/bearbeiten", data=data).status_code == 302
    centre = Centre.get_by_id(a.id)
    assert (centre.street, centre.postcode, centre.contact_email, centre.contact_phone) == (
        "",
        "",
        "",
        "",
    )


# --- Closing days ---------------------------------------------------------------------------


def test_coordinator_adds_and_removes_closing_day(client, login_as, centres):
    a, _b = centres
    english(login_as(make_coordinator(a)))
    response = client.post(
        "/zentren/zentrum-a/schliesstage", data={"day": _day(7), "reason": "Fortbildung"}
    )
    assert response.status_code == 302
    closing = ClosingDay.get(ClosingDay.centre == a.id)
    assert (closing.day.isoformat(), closing.reason) == (_day(7), "Fortbildung")
    assert "Fortbildung" in client.get("/zentren/zentrum-a").get_data(as_text=True)

    response = client.post(f"/zentren/zentrum-a/schliesstage/{closing.id}/entfernen")
    assert response.status_code == 302
    assert ClosingDay.select().count() == 0


def test_closing_day_today_is_allowed_and_reason_optional(client, login_as, centres):
    a, _b = centres
    login_as(make_coordinator(a))
    response = client.post("/zentren/zentrum-a/schliesstage", data={"day": _day(0)})
    assert response.status_code == 302
    assert ClosingDay.get(ClosingDay.centre == a.id).reason == ""


@pytest.mark.parametrize(
    ("day", "message"),
    [
        (_day(-1), "This date has passed"),
        ("", "Please enter a date, like 24.12.2026."),
        ("32.12.2030", "valid date"),
        ("2030-02-30", "valid date"),
        ("9999-12-31", "within the next five years"),
        ("heute", "valid date"),
    ],
)
def test_bad_closing_day_is_refused(client, login_as, centres, day, message):
    a, _b = centres
    english(login_as(make_coordinator(a)))
    response = client.post("/zentren/zentrum-a/schliesstage", data={"day": day})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert ClosingDay.select().count() == 0


@pytest.mark.parametrize(
    ("reason", "message"),
    [("r" * 151, "150"), ("Ferien\x00", "invisible control characters")],
)
def test_bad_closing_reason_is_refused(client, login_as, centres, reason, message):
    a, _b = centres
    english(login_as(make_coordinator(a)))
    response = client.post(
        "/zentren/zentrum-a/schliesstage", data={"day": _day(2), "reason": reason}
    )
    assert message in response.get_data(as_text=True)
    assert ClosingDay.select().count() == 0


def test_duplicate_closing_day_is_refused(client, login_as, centres):
    a, b = centres
    make_closing_day(a, days_ahead=4, reason="Erster")
    make_closing_day(b, days_ahead=4)  # the same day in another centre is no duplicate
    english(login_as(make_coordinator(a)))
    response = client.post("/zentren/zentrum-a/schliesstage", data={"day": _day(4)})
    assert response.status_code == 200
    assert "already marked as closed" in response.get_data(as_text=True)
    assert ClosingDay.select().where(ClosingDay.centre == a.id).count() == 1


def test_closing_day_of_b_cannot_be_removed_through_a(client, login_as, centres):
    a, b = centres
    closing_b = make_closing_day(b, days_ahead=3)
    login_as(make_coordinator(a))
    response = client.post(f"/zentren/zentrum-a/schliesstage/{closing_b.id}/entfernen")
    assert response.status_code == 404
    response = client.post(f"/zentren/zentrum-b/schliesstage/{closing_b.id}/entfernen")
    assert response.status_code == 403
    assert ClosingDay.get_or_none(ClosingDay.id == closing_b.id) is not None


def test_removing_a_closing_day_needs_rights(client, login_as, centres):
    a, _b = centres
    closing = make_closing_day(a, days_ahead=3)
    url = f"/zentren/zentrum-a/schliesstage/{closing.id}/entfernen"
    assert "/konto/anmelden" in client.post(url).headers["Location"]
    switch_user(login_as, make_user())
    assert client.post(url).status_code == 403
    assert client.get(url).status_code == 405
    assert ClosingDay.select().count() == 1
    switch_user(login_as, make_user(role="admin"))
    assert client.post(url).status_code == 302
    assert client.post(url).status_code == 404
    assert ClosingDay.select().count() == 0


# --- My centres -------------------------------------------------------------------------------


def test_my_centres_lists_only_own_centres(client, login_as, centres):
    a, _b = centres
    make_closing_day(a, days_ahead=2)
    english(login_as(make_coordinator(a)))
    page = client.get("/meine-zentren").get_data(as_text=True)
    assert "Zentrum A" in page and "Zentrum B" not in page
    assert 'href="/zentren/zentrum-a/bearbeiten"' in page
    assert "Next closing day" in page


def test_my_centres_for_coordinator_without_centre(client, login_as, conn):
    english(login_as(make_coordinator()))
    page = client.get("/meine-zentren").get_data(as_text=True)
    assert "You do not coordinate a centre yet" in page


def test_my_centres_shows_every_centre_to_admins(client, login_as, centres):
    login_as(make_user(role="admin"))
    page = client.get("/meine-zentren").get_data(as_text=True)
    assert "Zentrum A" in page and "Zentrum B" in page


def test_my_centres_is_for_staff_only(client, login_as, conn):
    assert "/konto/anmelden" in client.get("/meine-zentren").headers["Location"]
    switch_user(login_as, make_user())
    assert client.get("/meine-zentren").status_code == 403


def test_staff_without_second_factor_is_stopped(client, login_as, centres):
    a, _b = centres
    login_as(make_coordinator(a), mfa_ok=False)
    response = client.post("/zentren/zentrum-a/bearbeiten", data=VALID)
    assert response.status_code == 302
    assert "/konto/zwei-faktor" in response.headers["Location"]
    assert Centre.get_by_id(a.id).name == "Zentrum A"
