"""Certificate inspections and measles notes: exactly what the law allows, validated, audited,
visible only to the centre's coordinators; the volunteers list and the confirmation letter."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.factories import make_user
from tests.factories_centres import count_queries, english
from tests.factories_coordination import World, make_check
from volunteer_app.audit.models import AuditEntry
from volunteer_app.centres.queries import today
from volunteer_app.checks import services
from volunteer_app.checks.models import CertificateCheck, MeaslesProof
from volunteer_app.checks.queries import has_valid_certificate
from volunteer_app.common.errors import DomainError, NotAllowed, NotFound
from volunteer_app.volunteers.models import ReachableCentre

pytestmark = pytest.mark.dates  # depends on today: CI reruns it at fixed days


@pytest.fixture
def world(conn):
    return World()


def _days(n: int) -> str:
    return (today() + dt.timedelta(days=n)).isoformat()


def _url(world, user=None, suffix: str = "") -> str:
    return f"/zentren/{world.a.slug}/ehrenamtliche/{(user or world.pending).id}{suffix}"


# --- Only the allowed fields exist --------------------------------------------------------


def test_certificate_check_stores_only_what_the_law_allows():
    columns = set(CertificateCheck._meta.columns)
    assert columns == {
        "id",
        "volunteer_id",
        "centre_id",
        "certificate_date",
        "inspected_on",
        "inspected_by_id",
        "eligible",
        "created_at",
    }


def test_measles_proof_is_a_dated_yes_no_only():
    assert set(MeaslesProof._meta.columns) == {
        "id",
        "volunteer_id",
        "centre_id",
        "shown_on",
        "proof_ok",
        "recorded_by_id",
        "created_at",
    }


def test_the_forms_have_no_upload_or_notes_field(client, login_as, world):
    login_as(world.coordinator_a)
    body = client.get(_url(world)).get_data(as_text=True)
    assert 'type="file"' not in body
    assert "<textarea" not in body
    assert "multipart/form-data" not in body
    form_fields = set(re.findall(r'<(?:input|select|textarea)[^>]* name="([^"]+)"', body))
    assert form_fields <= {
        "certificate_date",
        "inspected_on",
        "eligible",
        "shown_on",
        "proof_ok",
    } | {
        "csrf_token",
        "lang",
        "next",
    }


# --- Recording over HTTP -------------------------------------------------------------------


def test_record_certificate_inspection(client, login_as, world):
    english(login_as(world.coordinator_a))
    response = client.post(
        _url(world, suffix="/fuehrungszeugnis"),
        data={
            "certificate_date": _days(-30),
            "inspected_on": _days(-1),
            "eligible": "yes",
            "notes": "Eintrag XY",  # not a field: ignored, never stored
            "volunteer_id": world.volunteer.id,  # no mass assignment
        },
    )
    assert response.status_code == 302
    check = CertificateCheck.get(CertificateCheck.volunteer == world.pending.id)
    assert check.centre_id == world.a.id
    assert check.certificate_date == today() - dt.timedelta(days=30)
    assert check.inspected_on == today() - dt.timedelta(days=1)
    assert check.inspected_by_id == world.coordinator_a.id
    assert check.eligible is True
    assert has_valid_certificate(world.pending.id, world.a.id, today())
    assert not has_valid_certificate(world.pending.id, world.b.id, today())
    entry = AuditEntry.get(AuditEntry.action == "check.certificate")
    assert (entry.centre_id, entry.actor_id, entry.subject_id) == (
        world.a.id,
        world.coordinator_a.id,
        world.pending.id,
    )
    assert entry.detail == ""  # the outcome is not copied into the log
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The certificate inspection has been recorded." in page
    assert "Certificate valid until" in page
    assert world.coordinator_a.name in page  # inspected by


def test_eligible_no_is_stored_and_does_not_clear(client, login_as, world):
    english(login_as(world.coordinator_a))
    response = client.post(
        _url(world, suffix="/fuehrungszeugnis"),
        data={"certificate_date": _days(-10), "inspected_on": _days(0), "eligible": "no"},
    )
    assert response.status_code == 302
    check = CertificateCheck.get(CertificateCheck.volunteer == world.pending.id)
    assert check.eligible is False
    assert not has_valid_certificate(world.pending.id, world.a.id, today())
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Not eligible to work with children" in page


def test_a_new_inspection_replaces_the_old_one(client, login_as, world):
    login_as(world.coordinator_a)
    old = world.check
    client.post(
        _url(world, world.volunteer, "/fuehrungszeugnis"),
        data={"certificate_date": _days(-5), "inspected_on": _days(0), "eligible": "no"},
    )
    rows = list(CertificateCheck.select().where(CertificateCheck.volunteer == world.volunteer.id))
    assert len(rows) == 1 and rows[0].id == old.id
    assert rows[0].eligible is False and rows[0].inspected_on == today()
    assert AuditEntry.select().where(AuditEntry.action == "check.certificate").count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"certificate_date": "2026-01-01", "inspected_on": _days(1), "eligible": "yes"},
            "This date is in the future.",
        ),
        (
            {"certificate_date": _days(1), "inspected_on": _days(0), "eligible": "yes"},
            "This date is in the future.",
        ),
        (
            {"certificate_date": _days(-5), "inspected_on": _days(-10), "eligible": "yes"},
            "cannot be issued after the day it was inspected",
        ),
        (
            {"certificate_date": _days(-200), "inspected_on": _days(0), "eligible": "yes"},
            "more than 3 months old on the inspection date",
        ),
        (
            {"certificate_date": "2015-01-01", "inspected_on": "2015-02-01", "eligible": "yes"},
            "more than 5 years ago",
        ),
        ({"certificate_date": "", "inspected_on": _days(0), "eligible": "yes"}, "enter a date"),
        (
            {"certificate_date": "31.02.2026", "inspected_on": _days(0), "eligible": "yes"},
            "valid date",
        ),
        ({"certificate_date": _days(-3), "inspected_on": _days(0)}, "Please choose yes or no."),
        (
            {"certificate_date": _days(-3), "inspected_on": _days(0), "eligible": "maybe"},
            "Please choose one of the options.",
        ),
        ({"certificate_date": "\x00", "inspected_on": _days(0), "eligible": "yes"}, "valid date"),
    ],
)
def test_bad_certificate_input_is_refused(client, login_as, world, data, message):
    english(login_as(world.coordinator_a))
    response = client.post(_url(world, suffix="/fuehrungszeugnis"), data=data)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert message in body
    assert 'aria-invalid="true"' in body or 'class="choices has-error"' in body
    assert (
        not CertificateCheck.select().where(CertificateCheck.volunteer == world.pending.id).exists()
    )
    assert not AuditEntry.select().where(AuditEntry.action == "check.certificate").exists()


@pytest.mark.parametrize(
    ("certificate", "inspected", "ok"),
    [
        (dt.date(2026, 2, 10), dt.date(2026, 5, 10), True),  # exactly three months
        (dt.date(2026, 2, 9), dt.date(2026, 5, 10), False),  # one day more
        (dt.date(2025, 11, 30), dt.date(2026, 2, 28), True),  # 30 Nov -> 28 Feb (month end)
        (dt.date(2025, 11, 28), dt.date(2026, 2, 28), True),
        (dt.date(2025, 11, 27), dt.date(2026, 2, 28), False),
        (dt.date(2025, 11, 26), dt.date(2026, 2, 26), True),
        (dt.date(2025, 11, 25), dt.date(2026, 2, 26), False),
        (dt.date(2026, 5, 10), dt.date(2026, 5, 10), True),  # same day
    ],
)
def test_three_month_rule_boundaries(conn, world, certificate, inspected, ok):
    def call():
        services.record_certificate_check(
            world.a,
            world.pending.id,
            certificate_date=certificate,
            inspected_on=inspected,
            eligible=True,
            actor=world.coordinator_a,
            now=dt.date(2026, 6, 1),
        )

    if ok:
        call()
        assert (
            CertificateCheck.select().where(CertificateCheck.volunteer == world.pending.id).exists()
        )
    else:
        with pytest.raises(DomainError) as exc:
            call()
        assert exc.value.field == "certificate_date"


def test_the_maximum_age_is_configurable(app, conn, world):
    app.config["CERTIFICATE_MAX_AGE_MONTHS"] = 6
    services.record_certificate_check(
        world.a,
        world.pending.id,
        certificate_date=today() - dt.timedelta(days=150),
        inspected_on=today(),
        eligible=True,
        actor=world.coordinator_a,
    )
    assert CertificateCheck.select().where(CertificateCheck.volunteer == world.pending.id).exists()


def test_the_years_an_inspection_counts_are_configurable(app, conn, world):
    """``CERTIFICATE_VALID_YEARS``: how long an inspection counts, and how old it may be."""
    two_years_ago = services.months_before(today(), 24)
    services.record_certificate_check(
        world.a,
        world.pending.id,
        certificate_date=two_years_ago - dt.timedelta(days=10),
        inspected_on=two_years_ago,
        eligible=True,
        actor=world.coordinator_a,
    )
    assert has_valid_certificate(world.pending.id, world.a.id, today())
    app.config["CERTIFICATE_VALID_YEARS"] = 2
    assert not has_valid_certificate(world.pending.id, world.a.id, today())
    with pytest.raises(DomainError, match="mehr als 2 Jahre zurück") as exc:
        services.record_certificate_check(
            world.a,
            world.pending.id,
            certificate_date=two_years_ago - dt.timedelta(days=10),
            inspected_on=two_years_ago - dt.timedelta(days=1),
            eligible=True,
            actor=world.coordinator_a,
        )
    assert exc.value.field == "inspected_on"


def test_service_rechecks_permission_and_person(conn, world):
    kwargs = {"certificate_date": today(), "inspected_on": today(), "eligible": True}
    with pytest.raises(NotAllowed):
        services.record_certificate_check(
            world.a, world.pending.id, actor=world.coordinator_b, **kwargs
        )
    with pytest.raises(NotAllowed):
        services.record_measles_proof(
            world.a, world.pending.id, shown_on=today(), proof_ok=True, actor=world.volunteer
        )
    with pytest.raises(NotFound):
        services.record_certificate_check(
            world.a, world.coordinator_b.id, actor=world.coordinator_a, **kwargs
        )
    assert CertificateCheck.select().count() == 1  # only the world's own
    assert MeaslesProof.select().count() == 0


def test_months_before():
    assert services.months_before(dt.date(2026, 5, 31), 3) == dt.date(2026, 2, 28)
    assert services.months_before(dt.date(2024, 5, 31), 3) == dt.date(2024, 2, 29)
    assert services.months_before(dt.date(2026, 1, 15), 3) == dt.date(2025, 10, 15)
    assert services.months_before(dt.date(2026, 7, 31), 1) == dt.date(2026, 6, 30)
    assert services.months_before(dt.date(2026, 3, 1), 60) == dt.date(2021, 3, 1)


# --- Measles --------------------------------------------------------------------------------


def test_record_measles_note(client, login_as, world):
    english(login_as(world.coordinator_a))
    response = client.post(
        _url(world, suffix="/masernschutz"), data={"shown_on": _days(-2), "proof_ok": "no"}
    )
    assert response.status_code == 302
    proof = MeaslesProof.get(MeaslesProof.volunteer == world.pending.id)
    assert (proof.centre_id, proof.shown_on, proof.proof_ok, proof.recorded_by_id) == (
        world.a.id,
        today() - dt.timedelta(days=2),
        False,
        world.coordinator_a.id,
    )
    entry = AuditEntry.get(AuditEntry.action == "check.measles")
    assert (entry.subject_id, entry.detail) == (world.pending.id, "")
    client.post(_url(world, suffix="/masernschutz"), data={"shown_on": _days(0), "proof_ok": "yes"})
    assert MeaslesProof.select().count() == 1
    assert MeaslesProof.get(MeaslesProof.volunteer == world.pending.id).proof_ok is True
    page = client.get(_url(world)).get_data(as_text=True)
    assert "Measles protection proven" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"shown_on": _days(1), "proof_ok": "yes"}, "This date is in the future."),
        ({"shown_on": "2019-12-31", "proof_ok": "yes"}, "1 March 2020"),
        ({"shown_on": "", "proof_ok": "yes"}, "Please enter a date"),
        ({"shown_on": _days(0)}, "Please choose yes or no."),
        ({"shown_on": _days(0), "proof_ok": "ja\r\nBcc: x"}, "choose one of the options"),
    ],
)
def test_bad_measles_input_is_refused(client, login_as, world, data, message):
    english(login_as(world.coordinator_a))
    response = client.post(_url(world, suffix="/masernschutz"), data=data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert MeaslesProof.select().count() == 0
    assert not AuditEntry.select().where(AuditEntry.action == "check.measles").exists()


# --- The volunteers list ----------------------------------------------------------------------


def test_volunteers_list_shows_people_of_this_centre_with_their_status(client, login_as, world):
    # Both chose centre A but never signed up there (who sees whom: test_privacy_visibility).
    checked_only = make_user(name="Nur Geprüft")
    ReachableCentre.create(user=checked_only, centre=world.a)
    make_check(checked_only, world.a, eligible=False)
    stranger = make_user(name="Fremde Person")
    ReachableCentre.create(user=stranger, centre=world.a)
    elsewhere = make_user(name="Woanders Aktiv")
    make_check(elsewhere, world.b)
    english(login_as(world.coordinator_a))
    body = client.get(f"/zentren/{world.a.slug}/ehrenamtliche").get_data(as_text=True)
    for name in ("Vera Vogel", "Paul Pause", "Wanda Warte", "Nur Geprüft"):
        assert name in body
    assert "Fremde Person" not in body and "Woanders Aktiv" not in body
    assert "Certificate valid until" in body and "Not eligible to work with children" in body
    assert "1 upcoming slot" in body  # Vera: one future confirmed slot at A
    # A search also finds volunteers who have not signed up here yet.
    body = client.get(
        f"/zentren/{world.a.slug}/ehrenamtliche", query_string={"q": "Fremde"}
    ).get_data(as_text=True)
    assert "Fremde Person" in body.split('id="others-heading"', 1)[1]
    assert f"/ehrenamtliche/{stranger.id}" in body


def test_volunteers_list_is_paginated_with_constant_queries(client, login_as, world):
    from tests.factories_coordination import make_slot, many_signups

    slot = make_slot(world.activity, 9)
    many_signups(slot, 120)
    login_as(world.coordinator_a)
    counts = []
    for page in (1, 2, 3):
        with count_queries() as counter:
            response = client.get(f"/zentren/{world.a.slug}/ehrenamtliche?seite={page}")
        assert response.status_code == 200
        counts.append(counter.count)
    body = response.get_data(as_text=True)
    assert 'rel="prev"' in body and 'rel="next"' not in body
    assert len(set(counts)) == 1


# --- The confirmation letter ------------------------------------------------------------------


def test_confirmation_letter_is_german_and_names_the_law(client, login_as, world):
    english(login_as(world.coordinator_a))  # even with the page in English
    response = client.get(_url(world, world.volunteer, "/bestaetigung"))
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    letter = body[body.index('<article class="letter') :]
    assert 'lang="de"' in letter[:80]
    assert "Vera Vogel" in letter
    assert "Zentrum A" in letter
    assert "§ 72a SGB VIII" in letter and "§ 30a" in letter and "BZRG" in letter
    assert world.coordinator_a.name in letter
    assert "data-print" in body
    # Nothing about a check is in the letter, and nothing was changed by printing it.
    assert CertificateCheck.select().count() == 1
    assert AuditEntry.select().count() == 0
