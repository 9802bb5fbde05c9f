"""Changes through the API: the same services, invariants and messages as the pages.

Each refusal is compared with what ``signups.services`` itself raises for the same request
(in the same language), so that the API can never say something else than the pages.
"""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from tests.factories import (
    make_activity,
    make_centre,
    make_check,
    make_coordinator,
    make_signup,
    make_user,
    reload,
)
from tests.factories_api import bearer, personal_token, service_token, token_for
from tests.factories_centres import count_queries
from tests.factories_signups import assert_invariant, assert_no_overlaps, make_slot
from volunteer_app.audit.models import AuditEntry
from volunteer_app.common.errors import DomainError
from volunteer_app.signups import services
from volunteer_app.signups.models import Signup

PROBLEM = "application/problem+json"
EN = {"Accept-Language": "en"}


@pytest.fixture(autouse=True)
def _invariants(app):
    yield
    assert_invariant()
    assert_no_overlaps()


@pytest.fixture
def centre(conn):
    return make_centre(slug="zentrum-a", contact_email="kontakt@zentrum.example")


@pytest.fixture
def volunteer(conn):
    return make_user(name="Vera Volunteer", locale="en")


@pytest.fixture
def raw(volunteer):
    return personal_token(volunteer)[1]


def _service_message(call) -> str:
    """What the service says for the same request, in English."""
    with force_locale("en"), pytest.raises(DomainError) as refused:
        call()
    return refused.value.message


def _refusal(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    return response.get_json(force=True)


def _api_entries(action: str) -> list[AuditEntry]:
    return list(
        AuditEntry.select().where(
            (AuditEntry.action == "api.change") & AuditEntry.detail.contains(action)
        )
    )


# --- Signing oneself up ----------------------------------------------------------------------


def test_sign_up_confirms_and_is_audited(client, centre, volunteer, raw):
    slot = make_slot(make_activity(centre), capacity=2)
    response = client.post(f"/api/v1/slots/{slot.id}/signups", headers=bearer(raw))
    assert response.status_code == 201
    body = response.get_json()
    assert body["outcome"] == body["status"] == "confirmed"
    assert body["slot_id"] == slot.id and body["volunteer_id"] == volunteer.id
    assert body["waitlist_position"] is None
    assert reload(slot).taken == 1
    (entry,) = _api_entries("signup.confirmed")
    assert entry.centre_id == centre.id and entry.slot_id == slot.id
    assert "personal token" in entry.detail
    # The same audit entry and mail as through the page.
    assert AuditEntry.select().where(AuditEntry.action != "api.change").count() >= 0


def test_a_full_slot_puts_you_on_the_waiting_list_as_the_service_says(client, centre, raw):
    slot = make_slot(make_activity(centre), capacity=1)
    make_signup(slot, make_user())
    body = client.post(f"/api/v1/slots/{slot.id}/signups", headers=bearer(raw)).get_json()
    assert (body["outcome"], body["status"], body["waitlist_position"]) == (
        "waitlisted",
        "waitlisted",
        1,
    )
    assert reload(slot).taken == 1


def test_an_approval_activity_makes_the_sign_up_pending(client, centre, raw):
    slot = make_slot(make_activity(centre, signup_mode="approval"))
    body = client.post(f"/api/v1/slots/{slot.id}/signups", headers=bearer(raw)).get_json()
    assert body["outcome"] == "pending"


def test_overlap_is_refused_with_the_services_message(client, centre, volunteer, raw):
    other = make_slot(make_activity(make_centre(), title="Vorlesen am Nachmittag"), hours_ahead=50)
    make_signup(other, volunteer)
    slot = make_slot(make_activity(centre), hours_ahead=51)
    response = client.post(f"/api/v1/slots/{slot.id}/signups", headers=bearer(raw) | EN)
    body = _refusal(response, 409)
    assert body["detail"] == _service_message(lambda: services.sign_up(slot.id, actor=volunteer))
    assert "Vorlesen am Nachmittag" in body["detail"]
    assert body["type"].endswith("#problem-overlap-error")
    assert not Signup.select().where(Signup.slot == slot.id).exists()


def test_a_missing_certificate_is_refused_with_the_services_message(client, centre, volunteer, raw):
    slot = make_slot(make_activity(centre, is_child_facing=True))
    response = client.post(f"/api/v1/slots/{slot.id}/signups", headers=bearer(raw) | EN)
    body = _refusal(response, 409)
    assert body["detail"] == _service_message(lambda: services.sign_up(slot.id, actor=volunteer))
    assert body["type"].endswith("#problem-certificate-required")
    make_check(volunteer, centre)
    assert client.post(f"/api/v1/slots/{slot.id}/signups", headers=bearer(raw)).status_code == 201


def test_the_refusals_speak_the_callers_language(client, centre, volunteer, raw):
    slot = make_slot(make_activity(centre), status="cancelled")
    german = _refusal(client.post(f"/api/v1/slots/{slot.id}/signups", headers=bearer(raw)), 409)
    english = _refusal(
        client.post(f"/api/v1/slots/{slot.id}/signups", headers=bearer(raw) | EN), 409
    )
    ukrainian = _refusal(
        client.post(f"/api/v1/slots/{slot.id}/signups?lang=uk", headers=bearer(raw) | EN), 409
    )
    assert english["detail"] == "This slot has been cancelled. Please choose another date."
    assert len({german["detail"], english["detail"], ukrainian["detail"]}) == 3
    assert (german["title"], english["title"]) == ("Konflikt", "Conflict")


def test_signing_up_twice_and_unknown_slots(client, centre, volunteer, raw):
    slot = make_slot(make_activity(centre))
    assert client.post(f"/api/v1/slots/{slot.id}/signups", headers=bearer(raw)).status_code == 201
    again = _refusal(client.post(f"/api/v1/slots/{slot.id}/signups", headers=bearer(raw) | EN), 409)
    assert again["type"].endswith("#problem-already-signed-up")
    missing = _refusal(client.post("/api/v1/slots/999999/signups", headers=bearer(raw) | EN), 404)
    assert missing["detail"] == "This slot does not exist."


def test_a_coordinators_service_token_cannot_sign_anyone_up(client, centre):
    slot = make_slot(make_activity(centre))
    raw, _actor = token_for("service_centre", centre=centre)
    _refusal(client.post(f"/api/v1/slots/{slot.id}/signups", headers=bearer(raw)), 403)
    assert not Signup.select().exists()


# --- Cancelling one's own sign-up -------------------------------------------------------------


def test_cancel_frees_the_place_for_the_waiting_list(client, centre, volunteer, raw):
    slot = make_slot(make_activity(centre), capacity=1)
    mine = make_signup(slot, volunteer)
    waiting = make_signup(slot, make_user(), status="waitlisted")
    response = client.delete(f"/api/v1/signups/{mine.id}", headers=bearer(raw))
    assert response.status_code == 204 and response.get_data() == b""
    assert reload(mine).status == "cancelled" and reload(waiting).status == "confirmed"
    assert _api_entries("signup.cancelled")


def test_someone_elses_sign_up_is_not_found_as_on_the_page(client, centre, volunteer, raw):
    other = make_signup(make_slot(make_activity(centre)), make_user())
    body = _refusal(client.delete(f"/api/v1/signups/{other.id}", headers=bearer(raw) | EN), 404)
    assert body["detail"] == _service_message(
        lambda: services.cancel_signup(other.id, actor=volunteer)
    )
    assert reload(other).status == "confirmed"


def test_cancel_after_the_deadline_is_refused(client, centre, volunteer, raw):
    slot = make_slot(make_activity(centre, cancel_deadline_hours=48), hours_ahead=24)
    mine = make_signup(slot, volunteer)
    body = _refusal(client.delete(f"/api/v1/signups/{mine.id}", headers=bearer(raw) | EN), 409)
    assert body["detail"] == _service_message(
        lambda: services.cancel_signup(mine.id, actor=volunteer)
    )
    assert body["type"].endswith("#problem-deadline-passed")


# --- Assigning and taking off (staff) ---------------------------------------------------------


@pytest.mark.parametrize("kind", ["service_centre", "personal_coordinator", "service_operator"])
def test_staff_tokens_assign_and_unassign(client, centre, volunteer, kind):
    if kind == "service_operator":
        from tests.factories import make_operator

        centre.operator = make_operator()
        centre.save()
    raw, actor = token_for(kind, centre=centre)
    slot = make_slot(make_activity(centre), capacity=1)
    make_signup(
        make_slot(make_activity(centre), hours_ahead=300), volunteer
    )  # the centre sees Vera
    response = client.post(
        f"/api/v1/slots/{slot.id}/assignments",
        json={"volunteer_id": volunteer.id},
        headers=bearer(raw),
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["status"] == "confirmed" and body["volunteer_id"] == volunteer.id
    signup = Signup.get_by_id(body["id"])
    assert signup.assigned_by_id == actor.id
    (entry,) = _api_entries("signup.assigned")
    assert entry.subject_id == volunteer.id
    # Full now: the next one is refused as on the roster.
    other = make_user()
    make_signup(make_slot(make_activity(centre), hours_ahead=300), other)
    full = _refusal(
        client.post(
            f"/api/v1/slots/{slot.id}/assignments",
            json={"volunteer_id": other.id},
            headers=bearer(raw) | EN,
        ),
        409,
    )
    assert full["detail"] == _service_message(
        lambda: services.assign(slot.id, other.id, actor=actor)
    )
    assert full["type"].endswith("#problem-slot-full")
    response = client.delete(f"/api/v1/assignments/{signup.id}", headers=bearer(raw))
    assert response.status_code == 204
    assert reload(signup).status == "cancelled" and reload(slot).taken == 0
    assert _api_entries("signup.unassigned")


def test_assignment_needs_a_token_covering_the_centre(client, centre, volunteer):
    other_centre = make_centre()
    raw, _actor = token_for("service_centre", centre=other_centre)
    slot = make_slot(make_activity(centre))
    body = _refusal(
        client.post(
            f"/api/v1/slots/{slot.id}/assignments",
            json={"volunteer_id": volunteer.id},
            headers=bearer(raw) | EN,
        ),
        403,
    )
    assert body["type"].endswith("#problem-centre-not-covered")
    signup = make_signup(slot, volunteer)
    _refusal(client.delete(f"/api/v1/assignments/{signup.id}", headers=bearer(raw)), 403)
    assert reload(signup).status == "confirmed"


def test_a_volunteers_token_cannot_assign(client, centre, volunteer, raw):
    slot = make_slot(make_activity(centre))
    _refusal(
        client.post(
            f"/api/v1/slots/{slot.id}/assignments",
            json={"volunteer_id": volunteer.id},
            headers=bearer(raw),
        ),
        403,
    )


def test_a_service_token_whose_maker_left_the_centre_acts_as_nobody(client, centre, volunteer):
    """The change is made as the token's maker: once they are no coordinator of the centre,
    the service refuses as it would refuse them on the roster."""
    maker = make_coordinator(centre)
    _token, raw = service_token(centre=centre, actor=maker)
    from volunteer_app.centres.models import CentreMembership

    CentreMembership.delete().where(CentreMembership.user == maker.id).execute()
    slot = make_slot(make_activity(centre))
    body = _refusal(
        client.post(
            f"/api/v1/slots/{slot.id}/assignments",
            json={"volunteer_id": volunteer.id},
            headers=bearer(raw) | EN,
        ),
        403,
    )
    assert body["detail"] == "Only the coordinators of this centre may do this."


@pytest.mark.parametrize(
    "payload",
    [{}, {"volunteer_id": "7"}, {"volunteer_id": 0}, {"volunteer_id": 2**63}, {"x": 1}, []],
)
def test_a_bad_body_is_a_field_problem(client, centre, payload):
    raw, _actor = token_for("service_centre", centre=centre)
    slot = make_slot(make_activity(centre))
    response = client.post(
        f"/api/v1/slots/{slot.id}/assignments", json=payload, headers=bearer(raw) | EN
    )
    body = _refusal(response, 422)
    assert body["errors"]
    assert not Signup.select().exists()


def test_unknown_ids_are_not_found(client, centre):
    raw, _actor = token_for("service_centre", centre=centre)
    body = _refusal(
        client.post(
            "/api/v1/slots/999999/assignments", json={"volunteer_id": 1}, headers=bearer(raw) | EN
        ),
        404,
    )
    assert body["detail"] == "This slot does not exist."
    body = _refusal(client.delete("/api/v1/assignments/999999", headers=bearer(raw) | EN), 404)
    assert body["detail"] == "We could not find this sign-up."


def test_writes_run_a_fixed_number_of_queries(client, centre, volunteer, raw, backend):
    """Pinned: the service's statements (PostgreSQL also locks the person's row, and takes
    the seat, writes the sign-up and queues its mail in one statement) plus the token (1)
    and the API's audit entry (the slot's centre, the insert)."""
    counts = []
    client.get("/api/v1/me", headers=bearer(raw))  # the token's last use: once a minute
    for n in (1, 8):
        for _ in range(n):
            make_signup(make_slot(make_activity(centre), hours_ahead=500 + n), make_user())
        slot = make_slot(make_activity(centre), hours_ahead=100 + n)
        with count_queries() as counter:
            assert (
                client.post(f"/api/v1/slots/{slot.id}/signups", headers=bearer(raw)).status_code
                == 201
            )
        counts.append(counter.count)
    assert counts == [{"sqlite": 9, "postgres": 8}[backend]] * 2
