"""The roster of a slot: who is on it, the coordinator's actions end to end over HTTP
(database rows, audit entries, mails), search, and a fixed query count."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from tests.factories import make_user
from tests.factories_centres import count_queries, english
from tests.factories_coordination import (
    World,
    make_activity,
    make_check,
    make_signup,
    make_slot,
    many_signups,
)
from tests.factories_volunteers import choose
from volunteer_app.activities.models import Slot
from volunteer_app.audit.models import AuditEntry
from volunteer_app.centres.queries import today
from volunteer_app.checks.models import CertificateCheck, MeaslesProof
from volunteer_app.notifications.models import OutboxMessage
from volunteer_app.signups.models import Signup

pytestmark = pytest.mark.dates  # depends on today: CI reruns it at fixed days


@pytest.fixture
def world(conn):
    return World()


def _roster(client, slot_id: int, query: str = "") -> str:
    response = client.get(f"/termine/{slot_id}/besetzung{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _section(body: str, section_id: str) -> str:
    start = body.index(f'id="{section_id}"')
    return body[start : body.find("</section>", start)]


def _mails_to(user) -> list[OutboxMessage]:
    return list(OutboxMessage.select().where(OutboxMessage.recipient == user.email))


def _audit(action: str) -> list[AuditEntry]:
    return list(AuditEntry.select().where(AuditEntry.action == action).order_by(AuditEntry.id))


def _follow(client, response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client.get(response.headers["Location"]).get_data(as_text=True)


# --- What the roster shows -----------------------------------------------------------------


def test_roster_lists_people_by_state_with_contact_and_checks(client, login_as, world):
    MeaslesProof.create(volunteer=world.volunteer, centre=world.a, shown_on=today(), proof_ok=True)
    english(login_as(world.coordinator_a))
    body = _roster(client, world.slot.id)
    confirmed = _section(body, "confirmed")
    assert "Vera Vogel" in confirmed and "(1 of 2)" in confirmed
    assert f"mailto:{world.volunteer.email}" in confirmed
    assert 'href="tel:+49361555"' in confirmed
    assert "Certificate valid until" in confirmed
    assert "Measles protection proven" in confirmed
    assert "Paul Pause" in _section(body, "pending")
    waitlist = _section(body, "waitlist")
    assert "Wanda Warte" in waitlist and "Place 1 on the waiting list" in waitlist
    # Pending and waitlisted people have no certificate here: shown as missing.
    assert "Certificate missing" in _section(body, "pending")
    assert "Measles protection not recorded" in _section(body, "pending")
    assert "1 of 2 filled" in body


def test_certificate_status_only_for_child_facing_activities(client, login_as, world):
    activity = make_activity(world.a, title="Fest", is_child_facing=False)
    slot = make_slot(activity, 5)
    make_signup(slot, world.volunteer)
    english(login_as(world.coordinator_a))
    body = _roster(client, slot.id)
    assert "Certificate" not in _section(body, "confirmed")
    assert "Measles protection" in _section(body, "confirmed")


def test_expired_and_not_eligible_certificates_are_marked(client, login_as, world):
    expired = make_user(name="Alt Zeugnis")
    make_check(expired, world.a, inspected_days_ago=6 * 365)
    refused = make_user(name="Nicht Geeignet")
    make_check(refused, world.a, eligible=False)
    make_signup(world.slot, expired, status="waitlisted")
    make_signup(world.slot, refused, status="waitlisted")
    english(login_as(world.coordinator_a))
    waitlist = _section(_roster(client, world.slot.id), "waitlist")
    assert "Certificate expired on" in waitlist
    assert "Not eligible to work with children" in waitlist


def test_another_centres_check_does_not_count(client, login_as, world):
    make_check(world.pending, world.b)
    english(login_as(world.coordinator_a))
    assert "Certificate missing" in _section(_roster(client, world.slot.id), "pending")


# --- Search and assign -------------------------------------------------------------------


def test_search_lists_matching_volunteers_only(client, login_as, world):
    # All chose centre A (who sees whom beyond that: test_privacy_visibility).
    for name, fields in (
        ("Anna Schmidt", {}),
        ("Annabell Kraus", {}),
        ("Anna Staff", {"role": "coordinator"}),
        ("Anna Gesperrt", {"is_active": False}),
    ):
        choose(make_user(name=name, **fields), world.a)
    english(login_as(world.coordinator_a))
    results = _section(_roster(client, world.slot.id, "?q=anna"), "assign")
    assert "Anna Schmidt" in results and "Annabell Kraus" in results
    assert "Anna Staff" not in results and "Anna Gesperrt" not in results
    # People already on the slot are not offered again.
    results = _section(_roster(client, world.slot.id, "?q=Vera"), "assign")
    assert "No volunteer found" in results


@pytest.mark.parametrize("term", ["%", "_", "a", "x" * 101, "An\x00na"])
def test_search_with_odd_input_finds_nothing_and_does_not_fail(client, login_as, world, term):
    choose(make_user(name="Anna Schmidt"), world.a)
    english(login_as(world.coordinator_a))
    response = client.get(f"/termine/{world.slot.id}/besetzung", query_string={"q": term})
    assert response.status_code == 200
    assert "Anna Schmidt" not in _section(response.get_data(as_text=True), "assign")


def test_assign_confirms_the_volunteer_writes_audit_and_mail(client, login_as, world):
    slot = make_slot(make_activity(world.a, title="Backen", volunteers_needed=2), 6)
    anna = make_user(name="Anna Schmidt")
    choose(anna, world.a)
    english(login_as(world.coordinator_a))
    body = _roster(client, slot.id, "?q=Schmi")
    assert f'name="volunteer_id" value="{anna.id}"' in body
    page = _follow(
        client,
        client.post(f"/termine/{slot.id}/besetzung/zuweisen", data={"volunteer_id": anna.id}),
    )
    assert "Anna Schmidt is now confirmed for this slot." in page
    signup = Signup.get((Signup.slot == slot.id) & (Signup.volunteer == anna.id))
    assert signup.status == "confirmed"
    assert signup.assigned_by_id == world.coordinator_a.id
    assert Slot.get_by_id(slot.id).taken == 1
    entry = _audit("signup.assigned")[-1]
    assert (entry.actor_id, entry.subject_id, entry.slot_id, entry.centre_id) == (
        world.coordinator_a.id,
        anna.id,
        slot.id,
        world.a.id,
    )
    assert len(_mails_to(anna)) == 1
    assert "Anna Schmidt" in _section(page, "confirmed")


def test_assign_without_certificate_to_child_facing_is_refused(client, login_as, world):
    anna = make_user(name="Anna Schmidt")
    choose(anna, world.a)
    english(login_as(world.coordinator_a))
    page = _follow(
        client,
        client.post(f"/termine/{world.slot.id}/besetzung/zuweisen", data={"volunteer_id": anna.id}),
    )
    assert "Please record the inspection first." in page
    assert not Signup.select().where(Signup.volunteer == anna.id).exists()
    assert _mails_to(anna) == []


def test_assign_when_full_is_refused_with_a_clear_message(client, login_as, world):
    slot = make_slot(make_activity(world.a, title="Voll"), 6, capacity=1)
    make_signup(slot)
    anna = make_user(name="Anna Schmidt")
    choose(anna, world.a)
    english(login_as(world.coordinator_a))
    page = _follow(
        client,
        client.post(f"/termine/{slot.id}/besetzung/zuweisen", data={"volunteer_id": anna.id}),
    )
    assert "This slot is full." in page
    assert Slot.get_by_id(slot.id).taken == 1


@pytest.mark.parametrize("value", ["", "abc", "-1", "1" * 12, "1.5"])
def test_assign_bad_ids_are_refused(client, login_as, world, value):
    login_as(world.coordinator_a)
    before = Signup.select().count()
    response = client.post(
        f"/termine/{world.slot.id}/besetzung/zuweisen", data={"volunteer_id": value}
    )
    assert response.status_code == 400
    assert Signup.select().count() == before


def test_assign_unknown_or_staff_person_is_404(client, login_as, world):
    login_as(world.coordinator_a)
    for person_id in (999999, world.coordinator_b.id):
        response = client.post(
            f"/termine/{world.slot.id}/besetzung/zuweisen", data={"volunteer_id": person_id}
        )
        assert response.status_code == 404
    assert not Signup.select().where(Signup.volunteer == world.coordinator_b.id).exists()


def test_no_state_change_on_get(client, login_as, world):
    login_as(world.coordinator_a)
    before = list(Signup.select().tuples())
    for action in ("zuweisen", f"{world.pending_signup.id}/bestaetigen"):
        assert client.get(f"/termine/{world.slot.id}/besetzung/{action}").status_code == 405
    assert list(Signup.select().tuples()) == before


# --- Approve, decline, promote, unassign -------------------------------------------------------


def test_approve_pending_takes_a_seat(client, login_as, world):
    make_check(world.pending, world.a)
    english(login_as(world.coordinator_a))
    page = _follow(
        client,
        client.post(f"/termine/{world.slot.id}/besetzung/{world.pending_signup.id}/bestaetigen"),
    )
    assert "The sign-up of Paul Pause has been approved." in page
    assert Signup.get_by_id(world.pending_signup.id).status == "confirmed"
    assert Slot.get_by_id(world.slot.id).taken == 2
    assert _audit("signup.approved")[-1].subject_id == world.pending.id
    assert len(_mails_to(world.pending)) == 1


def test_decline_pending(client, login_as, world):
    english(login_as(world.coordinator_a))
    page = _follow(
        client,
        client.post(f"/termine/{world.slot.id}/besetzung/{world.pending_signup.id}/ablehnen"),
    )
    assert "The sign-up of Paul Pause has been declined." in page
    signup = Signup.get_by_id(world.pending_signup.id)
    assert signup.status == "declined"
    assert signup.decided_by_id == world.coordinator_a.id
    assert Slot.get_by_id(world.slot.id).taken == 1
    assert _audit("signup.declined")[-1].actor_id == world.coordinator_a.id
    assert len(_mails_to(world.pending)) == 1
    assert "Paul Pause" not in page.split('id="confirmed"', 1)[1]


def test_promote_from_the_waitlist(client, login_as, world):
    english(login_as(world.coordinator_a))
    page = _roster(client, world.slot.id)
    assert "Move up" in _section(page, "waitlist")  # a seat is free (1 of 2)
    page = _follow(
        client,
        client.post(f"/termine/{world.slot.id}/besetzung/{world.waiting_signup.id}/nachruecken"),
    )
    assert "Wanda Warte has moved up from the waiting list." in page
    assert Signup.get_by_id(world.waiting_signup.id).status == "confirmed"
    assert Slot.get_by_id(world.slot.id).taken == 2
    assert _audit("signup.promoted")[-1].subject_id == world.waiting.id
    assert len(_mails_to(world.waiting)) == 1
    # Now full: nobody else could move up, so no button is offered.
    assert "Move up" not in _section(page, "waitlist")


def test_promote_when_full_is_refused(client, login_as, world):
    Slot.update(capacity=1).where(Slot.id == world.slot.id).execute()
    english(login_as(world.coordinator_a))
    page = _follow(
        client,
        client.post(f"/termine/{world.slot.id}/besetzung/{world.waiting_signup.id}/nachruecken"),
    )
    assert "There is no free place." in page
    assert Signup.get_by_id(world.waiting_signup.id).status == "waitlisted"


def test_unassign_frees_the_seat_for_the_first_on_the_waitlist(client, login_as, world):
    Slot.update(capacity=1).where(Slot.id == world.slot.id).execute()
    make_check(world.waiting, world.a)
    english(login_as(world.coordinator_a))
    page = _follow(
        client,
        client.post(f"/termine/{world.slot.id}/besetzung/{world.confirmed_signup.id}/entfernen"),
    )
    assert "Vera Vogel has been taken off this slot." in page
    assert Signup.get_by_id(world.confirmed_signup.id).status == "cancelled"
    assert Signup.get_by_id(world.waiting_signup.id).status == "confirmed"
    assert Slot.get_by_id(world.slot.id).taken == 1
    assert _audit("signup.unassigned")[-1].subject_id == world.volunteer.id
    assert len(_mails_to(world.volunteer)) == 1
    assert len(_mails_to(world.waiting)) == 1


def test_the_waitlist_passes_over_people_without_a_valid_certificate(client, login_as, world):
    """A child-facing slot: a freed seat never goes to someone without a valid certificate."""
    Slot.update(capacity=1).where(Slot.id == world.slot.id).execute()
    CertificateCheck.delete().where(CertificateCheck.volunteer == world.waiting.id).execute()
    english(login_as(world.coordinator_a))
    client.post(f"/termine/{world.slot.id}/besetzung/{world.confirmed_signup.id}/entfernen")
    assert Signup.get_by_id(world.waiting_signup.id).status == "waitlisted"
    assert Slot.get_by_id(world.slot.id).taken == 0
    assert _mails_to(world.waiting) == []


def test_acting_twice_gives_a_clear_message_not_an_error(client, login_as, world):
    english(login_as(world.coordinator_a))
    url = f"/termine/{world.slot.id}/besetzung/{world.pending_signup.id}/ablehnen"
    _follow(client, client.post(url))
    page = _follow(client, client.post(url))
    assert 'class="flash flash-error"' in page
    assert len(_audit("signup.declined")) == 1


# --- Attendance ----------------------------------------------------------------------------


def test_past_roster_offers_attendance(client, login_as, world):
    english(login_as(world.coordinator_a))
    body = _roster(client, world.past_slot.id)
    assert "This slot has taken place." in body
    assert f'action="/termine/{world.past_slot.id}/besetzung/anwesenheit"' in body
    assert 'name="rows-0-hours"' in body and 'value="2"' in body  # the slot's length
    assert f'name="rows-0-signup_id" value="{world.past_signup.id}"' in body
    assert "Assign a volunteer" not in body
    future = _roster(client, world.slot.id)
    assert "/anwesenheit" not in future


def _attendance(world, data: dict) -> dict:
    """The roster's attendance form with one row: the past slot's volunteer."""
    row = {"rows-0-signup_id": str(world.past_signup.id)}
    row.update({f"rows-0-{name}": value for name, value in data.items()})
    return row


@pytest.mark.parametrize(
    ("data", "attendance", "hours"),
    [
        ({"attendance": "attended", "hours": "1,5"}, "attended", Decimal("1.50")),
        ({"attendance": "attended", "hours": "2.25"}, "attended", Decimal("2.25")),
        ({"attendance": "attended", "hours": ""}, "attended", Decimal("2.00")),
        ({"attendance": "no_show", "hours": "3"}, "no_show", Decimal("0.00")),
    ],
)
def test_record_attendance(client, login_as, world, data, attendance, hours):
    english(login_as(world.coordinator_a))
    page = _follow(
        client,
        client.post(
            f"/termine/{world.past_slot.id}/besetzung/anwesenheit", data=_attendance(world, data)
        ),
    )
    assert "Attendance of Vera Vogel has been saved." in page
    signup = Signup.get_by_id(world.past_signup.id)
    assert (signup.attendance, signup.hours) == (attendance, hours)
    entry = _audit("signup.attendance")[-1]
    assert (entry.actor_id, entry.subject_id) == (world.coordinator_a.id, world.volunteer.id)


@pytest.mark.parametrize(
    "data",
    [
        {"attendance": "attended", "hours": "25"},
        {"attendance": "attended", "hours": "-1"},
        {"attendance": "attended", "hours": "1,555"},
        {"attendance": "attended", "hours": "NaN"},
        {"attendance": "attended", "hours": "1e3"},
        {"attendance": "attended", "hours": "zwei"},
        {"attendance": "vielleicht", "hours": "1"},
        {"hours": "1"},
    ],
)
def test_bad_attendance_input_is_refused(client, login_as, world, data):
    english(login_as(world.coordinator_a))
    response = client.post(
        f"/termine/{world.past_slot.id}/besetzung/anwesenheit", data=_attendance(world, data)
    )
    page = response.get_data(as_text=True)  # the roster again, the message at the row
    assert response.status_code == 200 and 'class="flash flash-error"' in page
    assert f'id="att-{world.past_signup.id}-error"' in page
    signup = Signup.get_by_id(world.past_signup.id)
    assert signup.attendance is None and signup.hours is None
    assert _audit("signup.attendance") == []


def test_attendance_for_a_future_slot_is_refused(client, login_as, world):
    english(login_as(world.coordinator_a))
    data = {
        "rows-0-signup_id": str(world.confirmed_signup.id),
        "rows-0-attendance": "attended",
        "rows-0-hours": "2",
    }
    response = client.post(f"/termine/{world.slot.id}/besetzung/anwesenheit", data=data)
    page = response.get_data(as_text=True)
    assert "Attendance can be recorded once the slot has started." in page
    assert Signup.get_by_id(world.confirmed_signup.id).attendance is None


# --- Capacity -------------------------------------------------------------------------------


def test_raising_capacity_fills_from_the_waitlist(client, login_as, world):
    Slot.update(capacity=1).where(Slot.id == world.slot.id).execute()
    make_check(world.waiting, world.a)
    english(login_as(world.coordinator_a))
    page = _follow(
        client, client.post(f"/termine/{world.slot.id}/besetzung/plaetze", data={"capacity": "3"})
    )
    assert "The number of volunteers needed has been saved." in page
    slot = Slot.get_by_id(world.slot.id)
    assert (slot.capacity, slot.taken) == (3, 2)
    assert Signup.get_by_id(world.waiting_signup.id).status == "confirmed"


@pytest.mark.parametrize("value", ["0", "51", "-3", "zwei", "", "1.5"])
def test_bad_capacity_is_refused(client, login_as, world, value):
    english(login_as(world.coordinator_a))
    page = _follow(
        client, client.post(f"/termine/{world.slot.id}/besetzung/plaetze", data={"capacity": value})
    )
    assert 'class="flash flash-error"' in page
    assert Slot.get_by_id(world.slot.id).capacity == 2


def test_capacity_below_the_confirmed_count_is_refused(client, login_as, world):
    make_signup(world.slot)  # now 2 of 2
    english(login_as(world.coordinator_a))
    page = _follow(
        client, client.post(f"/termine/{world.slot.id}/besetzung/plaetze", data={"capacity": "1"})
    )
    assert "Please remove someone" in page
    assert Slot.get_by_id(world.slot.id).capacity == 2


# --- Cancelled slots ---------------------------------------------------------------------------


def test_cancelled_slot_shows_a_marker_and_no_actions(client, login_as, world):
    Slot.update(status="cancelled").where(Slot.id == world.slot.id).execute()
    english(login_as(world.coordinator_a))
    body = _roster(client, world.slot.id)
    assert "This slot has been cancelled." in body
    assert "/entfernen" not in body and "/bestaetigen" not in body and "zuweisen" not in body


# --- Query count ---------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["besetzung", "besetzung/drucken", "besetzung.csv"])
def test_query_count_is_the_same_for_10_and_500_signups(client, login_as, world, page):
    small = make_slot(make_activity(world.a, title="Klein", is_child_facing=True), 7)
    large = make_slot(make_activity(world.a, title="Groß", is_child_facing=True), 8)
    many_signups(small, 10)
    many_signups(large, 500)
    login_as(world.coordinator_a)
    counts = []
    for slot, n in ((small, 10), (large, 500)):
        with count_queries() as counter:
            response = client.get(f"/termine/{slot.id}/{page}?q=Viele")
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        if page == "besetzung.csv":
            assert body.count("\r\n") == n + 1
        else:
            assert body.count("Viele 0") >= n
        counts.append(counter.count)
    assert counts[0] == counts[1]
    # Login user, slot, membership check, roster with its check-ins (+ the name search on
    # the roster page).
    assert counts[0] == (5 if page == "besetzung" else 4)


def test_time_is_shown_in_berlin_time(client, login_as, world):
    login_as(world.coordinator_a)  # German
    body = _roster(client, world.slot.id)
    assert "15:00–17:00" in body
    assert re.search(r"<h1>Vorlesestunde", body)
