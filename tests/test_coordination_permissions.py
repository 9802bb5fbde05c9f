"""The coordinator desk beyond the authorization matrix (which covers every route × role):
the second factor, unknown and swapped ids, and staff on the volunteers' pages."""

from __future__ import annotations

import pytest

from tests.factories_centres import english, switch_user
from tests.factories_coordination import World
from volunteer_app.activities.models import Slot
from volunteer_app.audit.models import AuditEntry
from volunteer_app.checks.models import CertificateCheck, MeaslesProof
from volunteer_app.notifications.models import OutboxMessage
from volunteer_app.signups.models import Signup

CHECK = {"certificate_date": "2020-01-01", "inspected_on": "2020-01-10", "eligible": "yes"}
MEASLES = {"shown_on": "2021-05-05", "proof_ok": "yes"}


def _ids(w: World) -> dict:
    return {
        "slug": w.a.slug,
        "slot": w.slot.id,
        "past": w.past_slot.id,
        "signup": w.confirmed_signup.id,
        "pending": w.pending_signup.id,
        "waiting": w.waiting_signup.id,
        "past_signup": w.past_signup.id,
        "volunteer": w.volunteer.id,
        "waiting_user": w.waiting.id,
    }


def _fill(template: str, w: World) -> str:
    return template.format(**_ids(w))


def _snapshot() -> tuple:
    """Everything the desk can change."""
    return (
        [tuple(r) for r in Signup.select().order_by(Signup.id).tuples()],
        [tuple(r) for r in Slot.select().order_by(Slot.id).tuples()],
        [tuple(r) for r in CertificateCheck.select().order_by(CertificateCheck.id).tuples()],
        MeaslesProof.select().count(),
        AuditEntry.select().count(),
        OutboxMessage.select().count(),
    )


@pytest.fixture
def world(conn):
    return World()


def _as(login_as, world, role):
    user = world.user(role)
    if user is not None:
        switch_user(login_as, user)


def test_a_coordinator_without_second_factor_is_sent_to_set_it_up(client, login_as, world):
    login_as(world.coordinator_a, mfa_ok=False)
    response = client.get(_fill("/zentren/{slug}/planung", world))
    assert response.status_code == 302
    assert "/konto/" in response.headers["Location"]


@pytest.mark.parametrize(
    "url",
    [
        "/zentren/nirgendwo/planung",
        "/zentren/nirgendwo/ehrenamtliche",
        "/zentren/nirgendwo/protokoll",
        "/termine/999999/besetzung",
        "/termine/999999/besetzung.csv",
        "/termine/999999/besetzung/drucken",
        "/zentren/{slug}/ehrenamtliche/999999",
        "/zentren/{slug}/ehrenamtliche/999999/bestaetigung",
    ],
)
def test_unknown_things_are_404(client, login_as, world, url):
    login_as(world.admin)
    assert client.get(_fill(url, world)).status_code == 404


def test_staff_are_not_volunteers_for_the_checks_pages(client, login_as, world):
    """The checks pages are for volunteers only: an id of a coordinator is unknown there."""
    login_as(world.coordinator_a)
    url = f"/zentren/{world.a.slug}/ehrenamtliche/{world.coordinator_b.id}"
    assert client.get(url).status_code == 404
    assert client.post(url + "/fuehrungszeugnis", data=CHECK).status_code == 404
    assert CertificateCheck.select().count() == 1


@pytest.mark.parametrize("action", ["entfernen", "bestaetigen", "ablehnen", "nachruecken"])
def test_a_signup_of_another_slot_is_404(client, login_as, world, action):
    """Editing the slot id in the URL never reaches a sign-up of a different slot."""
    login_as(world.coordinator_a)
    before = _snapshot()
    response = client.post(
        f"/termine/{world.past_slot.id}/besetzung/{world.pending_signup.id}/{action}"
    )
    assert response.status_code == 404
    assert _snapshot() == before


def test_attendance_for_a_signup_of_another_slot_is_404(client, login_as, world):
    """The roster's attendance form names its sign-ups: one of another slot is not found."""
    login_as(world.coordinator_a)
    before = _snapshot()
    data = {
        "rows-0-signup_id": str(world.past_signup.id),
        "rows-0-attendance": "attended",
        "rows-0-hours": "2",
    }
    response = client.post(f"/termine/{world.slot.id}/besetzung/anwesenheit", data=data)
    assert response.status_code == 404
    assert _snapshot() == before


def test_other_centres_coordinator_cannot_reach_a_slot_of_a_through_own_slug(
    client, login_as, world
):
    """Coordinator B opening A's volunteer under B's own centre: nobody B may see (the
    volunteer only signed up at A), so not found, and nothing of A's records shows."""
    english(login_as(world.coordinator_b))
    response = client.get(f"/zentren/{world.b.slug}/ehrenamtliche/{world.volunteer.id}")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert world.volunteer.name not in body and world.coordinator_a.name not in body
    listing = client.get(f"/zentren/{world.b.slug}/ehrenamtliche").get_data(as_text=True)
    assert world.volunteer.name not in listing  # signed up only at A


def test_the_volunteer_cannot_see_their_own_check_pages(client, login_as, world):
    login_as(world.volunteer)
    url = f"/zentren/{world.a.slug}/ehrenamtliche/{world.volunteer.id}"
    assert client.get(url).status_code == 403
    assert client.get(url + "/bestaetigung").status_code == 403
