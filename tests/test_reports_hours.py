"""A volunteer's hours by category and centre, and the certificate of volunteering:
request by the volunteer, sign-off by a coordinator of that centre only, printing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.factories import make_user
from tests.factories_centres import count_queries, english
from tests.factories_wishes import attended, report_dataset, slot_on
from volunteer_app.reports.models import VolunteeringCertificate
from volunteer_app.reports.queries import volunteer_hours

pytestmark = pytest.mark.dates  # depends on today: CI reruns it at fixed days


@pytest.fixture
def ds(conn):
    return report_dataset()


@pytest.fixture(autouse=True)
def english_labels(app):
    from flask_babel import force_locale

    with force_locale("en"):
        yield


def test_hours_by_category_and_centre(ds):
    hours = volunteer_hours(ds.people["v1"].id, dt.date(ds.year, 1, 1), dt.date(ds.year, 12, 31))
    assert (hours.total, hours.dates) == (Decimal("7.50"), 3)
    assert [(x.label, x.hours, x.dates) for x in hours.by_category] == [
        ("Reading aloud", Decimal("3.50"), 2),
        ("Cooking", Decimal("4.00"), 1),
    ]
    assert [(x.label, x.hours) for x in hours.by_centre] == [
        ("Zentrum Anger", Decimal("3.50")),
        ("Zentrum Brühl", Decimal("4.00")),
    ]
    # A no-show counts nothing; the evening before the year belongs to the year before.
    v3 = volunteer_hours(ds.people["v3"].id, dt.date(ds.year, 1, 1), dt.date(ds.year, 12, 31))
    assert (v3.total, v3.dates) == (Decimal("0.00"), 0)
    before = volunteer_hours(
        ds.people["v3"].id, dt.date(ds.year - 1, 12, 31), dt.date(ds.year - 1, 12, 31)
    )
    assert before.total == Decimal("0.50")


def test_the_hours_page_shows_only_ones_own_hours(client, login_as, ds):
    login_as(ds.people["v1"])
    english(client)
    body = client.get(f"/mein-engagement/stunden?jahr={ds.year}").get_data(as_text=True)
    assert "7.5" in body and "Reading aloud" in body and "Zentrum Brühl" in body
    assert "Gustav" not in body and "Gardening" not in body


def test_the_hours_page_takes_a_fixed_number_of_queries(client, login_as, ds):
    from tests.factories import make_activity

    volunteer = ds.people["v1"]
    login_as(volunteer)

    def count():
        with count_queries() as counter:
            assert client.get(f"/mein-engagement/stunden?jahr={ds.year}").status_code == 200
        return counter.count

    small = count()
    for n in range(12):
        activity = make_activity(ds.a, "baking", title=f"Backen {n}")
        attended(slot_on(activity, dt.date(ds.year, 11, 1 + n)), volunteer, 1)
        VolunteeringCertificate.create(
            volunteer=volunteer, centre=ds.a, period_start=dt.date(ds.year, 1, 1 + n),
            period_end=dt.date(ds.year, 12, 31),
        )  # fmt: skip
    assert count() == small


def _request(client, ds, centre=None, first=None, last=None):
    return client.post(
        "/mein-engagement/nachweise",
        data={
            "centre_id": str((centre or ds.a).id),
            "period_start": (first or dt.date(ds.year, 1, 1)).isoformat(),
            "period_end": (last or dt.date(ds.year, 12, 31)).isoformat(),
        },
    )


def test_request_sign_and_print(client, login_as, ds):
    v1 = ds.people["v1"]
    login_as(v1)
    english(client)
    assert _request(client, ds).status_code == 302
    cert = VolunteeringCertificate.get()
    assert (cert.volunteer_id, cert.centre_id, cert.status) == (v1.id, ds.a.id, "requested")
    again = _request(client, ds)
    assert "already" in again.get_data(as_text=True)
    assert VolunteeringCertificate.select().count() == 1
    pending = client.get(f"/mein-engagement/nachweise/{cert.id}").get_data(as_text=True)
    assert "waits for a coordinator" in pending

    # Only a coordinator of centre A may sign.
    login_as(ds.coord_b)
    url = f"/zentren/anger/nachweise/{cert.id}"
    assert client.get(url).status_code == 403
    assert (
        client.post(url, data={"signer_name": "Bruno", "signed_on": "2099-01-01"}).status_code
        == 403
    )
    assert client.get(f"/zentren/bruehl/nachweise/{cert.id}").status_code == 404
    assert VolunteeringCertificate.get_by_id(cert.id).status == "requested"

    login_as(ds.coord_a)
    english(client)
    preview = client.get(url).get_data(as_text=True)
    assert "Vorlesestunde" in preview and "3.5" in preview
    today = dt.date.today().isoformat()
    response = client.post(url, data={"signer_name": "Clara Anger", "signed_on": today})
    assert response.status_code == 302
    cert = VolunteeringCertificate.get_by_id(cert.id)
    assert (cert.status, cert.signed_by_name, cert.signed_by_id) == (
        "signed", "Clara Anger", ds.coord_a.id,
    )  # fmt: skip
    assert (cert.total_hours, cert.dates_count) == (Decimal("3.50"), 2)
    assert [row["title"] for row in cert.detail_rows] == ["Vorlesestunde"]

    # Frozen: a later correction of attendance does not change the signed certificate.
    from volunteer_app.signups.models import Signup

    Signup.update(hours=Decimal("9")).where(Signup.volunteer == v1.id).execute()
    login_as(v1)
    printed = client.get(f"/mein-engagement/nachweise/{cert.id}").get_data(as_text=True)
    assert "3,5 Stunden" in printed and "Clara Anger" in printed
    assert "Anger 1" in printed and "99084" in printed  # the centre's address
    assert "Nachweis über ehrenamtliches Engagement" in printed
    assert "data-print" in printed
    # Signed: cannot be withdrawn, cannot be signed twice.
    client.post(f"/mein-engagement/nachweise/{cert.id}/zurueckziehen")
    assert VolunteeringCertificate.select().count() == 1


def test_a_volunteer_sees_only_their_own_certificates(client, login_as, ds):
    cert = VolunteeringCertificate.create(
        volunteer=ds.people["v1"], centre=ds.a,
        period_start=dt.date(ds.year, 1, 1), period_end=dt.date(ds.year, 12, 31),
    )  # fmt: skip
    login_as(ds.people["v2"])
    assert client.get(f"/mein-engagement/nachweise/{cert.id}").status_code == 404
    assert client.post(f"/mein-engagement/nachweise/{cert.id}/zurueckziehen").status_code == 404
    page = client.get("/mein-engagement/stunden").get_data(as_text=True)
    assert f"/nachweise/{cert.id}" not in page
    assert VolunteeringCertificate.select().count() == 1
    login_as(ds.people["v1"])
    assert client.post(f"/mein-engagement/nachweise/{cert.id}/zurueckziehen").status_code == 302
    assert VolunteeringCertificate.select().count() == 0


def test_no_certificate_without_hours_at_that_centre(client, login_as, ds):
    login_as(ds.people["v2"])
    english(client)
    # Centre B is not among the centres where v2 has hours: refused as a choice.
    response = _request(client, ds, centre=ds.b)
    assert response.status_code == 200 and "Please choose one of the options" in response.get_data(
        as_text=True
    )
    # A period without hours at centre A.
    empty = _request(client, ds, first=dt.date(ds.year, 10, 1), last=dt.date(ds.year, 10, 31))
    assert "No hours of yours" in empty.get_data(as_text=True)
    future = _request(client, ds, last=dt.date.today() + dt.timedelta(days=3))
    assert "must not end after today" in future.get_data(as_text=True)
    assert VolunteeringCertificate.select().count() == 0


def test_the_centres_list_of_requests(client, login_as, ds):
    for person in ("v1", "v2"):
        VolunteeringCertificate.create(
            volunteer=ds.people[person], centre=ds.a,
            period_start=dt.date(ds.year, 1, 1), period_end=dt.date(ds.year, 12, 31),
        )  # fmt: skip
    login_as(ds.coord_a)
    with count_queries() as counter:
        body = client.get("/zentren/anger/nachweise").get_data(as_text=True)
    assert "Vera Vorleserin" in body and "Gustav Gärtner" in body
    assert counter.count <= 6
    login_as(ds.coord_b)
    assert client.get("/zentren/anger/nachweise").status_code == 403
    login_as(make_user())
    assert client.get("/zentren/anger/nachweise").status_code == 403
