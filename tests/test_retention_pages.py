"""Deleting a check record by hand: the coordinator on the checks page, the person on their
own records page (refused while booked there); audited, and only one's own."""

from __future__ import annotations

import datetime as dt

import pytest
from babel.dates import format_date

from tests.factories import make_centre, make_check, make_coordinator, make_signup, make_user
from tests.factories_centres import english
from tests.factories_coordination import make_activity, make_slot
from volunteer_app.audit.models import AuditEntry
from volunteer_app.centres.queries import today
from volunteer_app.checks.models import MeaslesProof
from volunteer_app.checks.services import months_before
from volunteer_app.retention.queries import months_after
from volunteer_app.retention.services import run_retention

pytestmark = pytest.mark.dates  # depends on today: CI reruns it at fixed days

MINE = "/konto/pruefvermerke"


class Setting:
    """Two centres; Vera has a certificate record and a measles note at A (where she
    chose to volunteer) and a measles note at B; Otto has a record at A too."""

    def __init__(self):
        self.a = make_centre(name="Zentrum Ahorn", slug="zentrum-ahorn")
        self.b = make_centre(name="Zentrum Birke", slug="zentrum-birke")
        self.coordinator_a = make_coordinator(self.a, name="Clara Auerbach")
        self.coordinator_b = make_coordinator(self.b, name="Bodo Birkner")
        self.vera = make_user(name="Vera Vogel")
        self.otto = make_user(name="Otto Ohnezeit")
        self.inspected = today() - dt.timedelta(days=20)
        self.certificate = make_check(self.vera, self.a, inspected_days_ago=20)
        self.measles = MeaslesProof.create(
            volunteer=self.vera, centre=self.a, shown_on=self.inspected, proof_ok=True
        )
        self.measles_b = MeaslesProof.create(
            volunteer=self.vera, centre=self.b, shown_on=today(), proof_ok=False
        )
        self.otto_check = make_check(self.otto, self.a, inspected_days_ago=5)
        # Both are known at A: a past date there (the coordinators see them).
        activity = make_activity(self.a)
        for person in (self.vera, self.otto):
            make_signup(make_slot(activity, -30), person, attendance="attended")

    def desk(self, person, record: str) -> str:
        return f"/zentren/{self.a.slug}/ehrenamtliche/{person.id}/{record}/loeschen"

    def book_at_a(self, person) -> None:
        make_signup(make_slot(make_activity(self.a), 5), person)


@pytest.fixture
def s(conn):
    return Setting()


def gone(row) -> bool:
    return not type(row).select().where(type(row).id == row.id).exists()


# --- The coordinator ----------------------------------------------------------------------


def test_coordinator_deletes_a_certificate_record_audited(client, login_as, s):
    english(login_as(s.coordinator_a))
    page = client.get(f"/zentren/{s.a.slug}/ehrenamtliche/{s.vera.id}").get_data(as_text=True)
    assert page.count("Delete record") == 2  # certificate and measles
    assert 'data-confirm="Delete the certificate record of Vera Vogel?' in page

    response = client.post(s.desk(s.vera, "fuehrungszeugnis"))
    assert response.status_code == 302
    assert gone(s.certificate)
    assert not gone(s.measles) and not gone(s.otto_check)
    entry = AuditEntry.get(AuditEntry.action == "check.certificate_deleted")
    assert (entry.centre_id, entry.actor_id, entry.subject_id) == (
        s.a.id,
        s.coordinator_a.id,
        s.vera.id,
    )
    after = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The certificate record has been deleted." in after
    assert "No inspection recorded yet." in after
    assert after.count("Delete record") == 1  # only the measles note is left

    log = client.get(f"/zentren/{s.a.slug}/protokoll").get_data(as_text=True)
    assert "Certificate record deleted" in log


def test_coordinator_deletes_a_measles_note_even_while_booked(client, login_as, s):
    s.book_at_a(s.vera)
    english(login_as(s.coordinator_a))
    response = client.post(s.desk(s.vera, "masernschutz"))
    assert response.status_code == 302
    assert gone(s.measles)
    assert not gone(s.measles_b)  # centre B's note is B's
    assert AuditEntry.get(AuditEntry.action == "check.measles_deleted").actor_id == (
        s.coordinator_a.id
    )


def test_coordinator_of_another_centre_cannot_delete(client, login_as, s):
    login_as(s.coordinator_b)
    response = client.post(s.desk(s.vera, "fuehrungszeugnis"))
    assert response.status_code in (403, 404)
    assert not gone(s.certificate)
    assert not AuditEntry.select().exists()


def test_deleting_twice_says_it_is_gone(client, login_as, s):
    english(login_as(s.coordinator_a))
    client.post(s.desk(s.vera, "fuehrungszeugnis"))
    response = client.post(s.desk(s.vera, "fuehrungszeugnis"), follow_redirects=True)
    assert "This record does not exist (any more)." in response.get_data(as_text=True)
    assert AuditEntry.select().count() == 1


# --- The person ---------------------------------------------------------------------------


def test_person_sees_their_own_records_with_the_deletion_date(client, login_as, s):
    english(login_as(s.vera))
    page = client.get(MINE).get_data(as_text=True)
    assert "Zentrum Ahorn" in page and "Zentrum Birke" in page
    assert page.index("Zentrum Ahorn") < page.index("Zentrum Birke")
    assert "Extended certificate of good conduct" in page
    assert page.count("Measles protection") >= 2
    # Never booked since: three months after the last date there (30 days ago) or the
    # inspection (20 days ago), whichever is later.
    due = months_after(s.inspected, 3)
    assert f"at the latest on {format_date(due, 'medium', locale='en')}" in page
    assert page.count("Delete this record now") == 3
    assert "Otto" not in page


def test_person_deletes_their_own_measles_note(client, login_as, s):
    english(login_as(s.vera))
    response = client.post(f"{MINE}/{s.a.id}/masernschutz/loeschen")
    assert response.status_code == 302 and response.headers["Location"].endswith(MINE)
    assert gone(s.measles)
    assert not gone(s.certificate) and not gone(s.measles_b)
    entry = AuditEntry.get(AuditEntry.action == "check.measles_deleted")
    assert (entry.centre_id, entry.actor_id, entry.subject_id) == (s.a.id, s.vera.id, s.vera.id)
    page = client.get(MINE).get_data(as_text=True)
    assert "The measles note has been deleted." in page


def test_person_cannot_delete_while_booked_at_the_centre(client, login_as, s):
    s.book_at_a(s.vera)
    english(login_as(s.vera))
    page = client.get(MINE).get_data(as_text=True)
    assert "You still have dates here" in page
    assert page.count("Delete this record now") == 1  # only B's note

    response = client.post(f"{MINE}/{s.a.id}/fuehrungszeugnis/loeschen", follow_redirects=True)
    assert "You still have dates at Zentrum Ahorn." in response.get_data(as_text=True)
    assert not gone(s.certificate)
    assert not AuditEntry.select().exists()
    # At the other centre she is not booked: that one goes.
    client.post(f"{MINE}/{s.b.id}/masernschutz/loeschen")
    assert gone(s.measles_b)


def test_person_can_only_delete_their_own(client, login_as, s):
    english(login_as(s.otto))
    response = client.post(f"{MINE}/{s.a.id}/masernschutz/loeschen", follow_redirects=True)
    assert "This record does not exist (any more)." in response.get_data(as_text=True)
    assert not gone(s.measles)
    assert client.post(f"{MINE}/999999/masernschutz/loeschen").status_code == 404


def test_page_in_german_and_linked_from_the_account(client, login_as, s):
    login_as(s.vera)
    account = client.get("/konto/").get_data(as_text=True)
    assert f'href="{MINE}"' in account
    page = client.get(MINE).get_data(as_text=True)
    assert "Führungszeugnis" in page and "Masernschutz" in page
    assert "Diesen Vermerk jetzt löschen" in page


def test_staff_account_page_has_no_records_link(client, login_as, s):
    login_as(s.coordinator_a)
    assert f'href="{MINE}"' not in client.get("/konto/").get_data(as_text=True)


def test_an_old_record_of_someone_who_never_started_is_gone_after_the_job(client, login_as, s):
    """The page's date and the job agree: a record past its date is no longer shown."""
    ilse = make_user(name="Ilse Inaktiv")
    make_check(ilse, s.a, inspected_days_ago=(today() - months_before(today(), 3)).days)
    english(login_as(ilse))
    assert "at the latest" in client.get(MINE).get_data(as_text=True)

    assert run_retention().counts["certificate_records"] == 1
    assert "No centre has noted" in client.get(MINE).get_data(as_text=True)
