"""The booking core: signing up, refusals, waitlist, cancelling and the cancel deadline."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import make_centre, make_check, make_user
from tests.factories_signups import (
    english_service_messages,  # noqa: F401 (autouse fixture)
    fresh,
    invariant_after_each_test,  # noqa: F401 (autouse fixture)
    mails_to,
    make_activity,
    make_signup,
    make_slot,
    signup_world,  # noqa: F401 (the fixture ``w``)
    status_of,
    world,
)
from volunteer_app.audit.models import AuditEntry
from volunteer_app.common.errors import NotFound
from volunteer_app.common.time import BERLIN
from volunteer_app.db import utcnow
from volunteer_app.notifications.models import OutboxMessage
from volunteer_app.signups import services
from volunteer_app.signups.models import Signup

pytestmark = pytest.mark.dates  # depends on today: CI reruns it at fixed days

# --- Signing up ----------------------------------------------------------------------------


def test_sign_up_confirms_takes_a_seat_and_mails_the_details(w):
    slot = make_slot(w.act, capacity=2, hours_ahead=100)
    result = services.sign_up(slot.id, actor=w.vol)
    assert result.outcome == "confirmed"
    assert result.signup.status == "confirmed"
    assert fresh(slot).taken == 1
    [mail] = mails_to(w.vol)
    assert mail.subject.startswith(f"Confirmed: {w.act.title}")
    assert mail.locale == "en"
    body = mail.body_text
    assert w.act.title in body and "Garten hinter dem Haus" in body and w.centre.name in body
    assert f"http://localhost/termine/{slot.id}" in body
    assert f'href="http://localhost/termine/{slot.id}"' in mail.body_html
    # The time is shown in Berlin time, not UTC.
    berlin = slot.starts_at.replace(tzinfo=dt.UTC).astimezone(BERLIN)
    assert berlin.strftime("%-I:%M") in body
    assert "cancel" in body and "+49 361 555-0101" in body


def test_mail_is_written_in_the_volunteers_language(w):
    german = make_user(locale="de")
    slot = make_slot(w.act)
    services.sign_up(slot.id, actor=german)
    [mail] = mails_to(german)
    assert mail.locale == "de"
    assert '<html lang="de"' in mail.body_html


def test_full_slot_puts_people_on_the_waitlist_in_order(w):
    slot = make_slot(w.act, capacity=1)
    first, second, third = make_user(locale="en"), make_user(locale="en"), make_user(locale="en")
    assert services.sign_up(slot.id, actor=first).outcome == "confirmed"
    assert services.sign_up(slot.id, actor=second).outcome == "waitlisted"
    assert services.sign_up(slot.id, actor=third).outcome == "waitlisted"
    assert fresh(slot).taken == 1
    [mail] = mails_to(third)
    assert mail.subject.startswith("Waitlist:")
    assert "place 2" in mail.body_text


def test_approval_mode_makes_a_pending_request_without_a_seat(conn):
    _centre, _coord, activity, volunteer = world(signup_mode="approval")
    slot = make_slot(activity)
    result = services.sign_up(slot.id, actor=volunteer)
    assert result.outcome == "pending"
    assert fresh(slot).taken == 0
    [mail] = mails_to(volunteer)
    assert mail.subject.startswith("Sign-up received:")


# --- Refusals ------------------------------------------------------------------------------


def _nothing_booked(slot, volunteer):
    assert status_of(slot, volunteer) is None
    assert fresh(slot).taken == 0
    assert mails_to(volunteer) == []


def test_cancelled_slot_is_refused(w):
    slot = make_slot(w.act, status="cancelled")
    with pytest.raises(services.SlotCancelled, match="cancelled"):
        services.sign_up(slot.id, actor=w.vol)
    _nothing_booked(slot, w.vol)


@pytest.mark.parametrize("hours_ahead", [-0.01, -5, -500])
def test_started_or_past_slot_is_refused(w, hours_ahead):
    slot = make_slot(w.act, hours_ahead=hours_ahead)
    with pytest.raises(services.SlotStarted, match="already started"):
        services.sign_up(slot.id, actor=w.vol)
    _nothing_booked(slot, w.vol)


def test_unknown_slot_is_not_found(w):
    with pytest.raises(NotFound):
        services.sign_up(999_999, actor=w.vol)


@pytest.mark.parametrize("status", ["confirmed", "pending", "waitlisted"])
def test_overlap_with_another_active_signup_is_refused(w, status):
    other = make_slot(make_activity(make_centre(), title="Vorlesen am Nachmittag"), hours_ahead=50)
    make_signup(other, w.vol, status=status)
    slot = make_slot(w.act, hours_ahead=51, length=2)  # starts while the other runs
    with pytest.raises(services.OverlapError, match="Vorlesen am Nachmittag"):
        services.sign_up(slot.id, actor=w.vol)
    _nothing_booked(slot, w.vol)


def test_overlap_ignores_back_to_back_cancelled_and_inactive(w):
    base = make_slot(w.act, hours_ahead=50, length=2)
    make_signup(base, w.vol)
    after = make_slot(w.act, hours_ahead=52, length=1)  # starts when the first one ends
    assert services.sign_up(after.id, actor=w.vol).outcome == "confirmed"
    called_off = make_slot(w.act, hours_ahead=80, length=3, status="cancelled")
    make_signup(called_off, w.vol, status="cancelled")
    declined = make_slot(w.act, hours_ahead=90, length=3)
    make_signup(declined, w.vol, status="declined")
    assert services.sign_up(make_slot(w.act, hours_ahead=81).id, actor=w.vol).outcome
    assert services.sign_up(make_slot(w.act, hours_ahead=91).id, actor=w.vol).outcome


def test_child_facing_activity_needs_a_valid_certificate_of_that_centre(w):
    reading = make_activity(w.centre, is_child_facing=True, title="Vorlesestunde")
    slot = make_slot(reading)
    with pytest.raises(services.CertificateRequired) as refused:
        services.sign_up(slot.id, actor=w.vol)
    text = refused.value.message
    assert "police certificate" in text and "free of charge" in text
    assert "confirmation letter" in text and w.centre.name in text
    _nothing_booked(slot, w.vol)

    # A certificate seen by another centre, or one not eligible, does not count.
    make_check(w.vol, make_centre())
    with pytest.raises(services.CertificateRequired):
        services.sign_up(slot.id, actor=w.vol)
    check = make_check(w.vol, w.centre, eligible=False)
    with pytest.raises(services.CertificateRequired):
        services.sign_up(slot.id, actor=w.vol)
    check.eligible = True
    check.save()
    assert services.sign_up(slot.id, actor=w.vol).outcome == "confirmed"


def test_certificate_must_still_be_valid_on_the_slots_date(w):
    reading = make_activity(w.centre, is_child_facing=True)
    # Inspected almost five years ago: valid today, expired in 30 days.
    make_check(w.vol, w.centre, inspected_days_ago=5 * 365 - 20)
    late = make_slot(reading, hours_ahead=24 * 30)
    with pytest.raises(services.CertificateRequired):
        services.sign_up(late.id, actor=w.vol)
    soon = make_slot(reading, hours_ahead=24)
    assert services.sign_up(soon.id, actor=w.vol).outcome == "confirmed"


@pytest.mark.parametrize(
    ("status", "text"),
    [
        ("confirmed", "already signed up"),
        ("waitlisted", "already on the waitlist"),
        ("pending", "already signed up"),
        ("declined", "declined"),
    ],
)
def test_second_sign_up_is_refused(w, status, text):
    slot = make_slot(w.act)
    make_signup(slot, w.vol, status=status)
    before = fresh(slot).taken
    with pytest.raises(services.AlreadySignedUp, match=text):
        services.sign_up(slot.id, actor=w.vol)
    assert fresh(slot).taken == before
    assert Signup.select().count() == 1
    assert mails_to(w.vol) == []


def test_signing_up_again_after_cancelling_reactivates_the_same_row(w):
    slot = make_slot(w.act, capacity=1)
    first = services.sign_up(slot.id, actor=w.vol).signup
    services.cancel_signup(first.id, actor=w.vol)
    assert fresh(slot).taken == 0
    again = services.sign_up(slot.id, actor=w.vol)
    assert again.outcome == "confirmed"
    assert again.signup.id == first.id
    assert Signup.select().count() == 1
    row = fresh(first)
    assert row.status == "confirmed" and row.queued_at >= first.queued_at
    assert fresh(slot).taken == 1


# --- Cancelling and the waitlist -----------------------------------------------------------


def test_cancel_frees_the_seat_and_the_first_on_the_waitlist_moves_up(w):
    slot = make_slot(w.act, capacity=1)
    services.sign_up(slot.id, actor=w.vol)
    later, earlier = make_user(locale="en"), make_user(locale="en")
    now = utcnow()
    # Waitlist order is queued_at, then id: "earlier" has the higher id but queued first.
    make_signup(slot, later, status="waitlisted", queued_at=now)
    make_signup(slot, earlier, status="waitlisted", queued_at=now - dt.timedelta(minutes=5))
    signup = Signup.get(Signup.volunteer == w.vol.id)

    services.cancel_signup(signup.id, actor=w.vol)

    assert status_of(slot, w.vol) == "cancelled"
    assert status_of(slot, earlier) == "confirmed"
    assert status_of(slot, later) == "waitlisted"
    assert fresh(slot).taken == 1
    [moved] = mails_to(earlier)
    assert moved.subject.startswith("A place for you:")
    assert mails_to(later) == []
    assert mails_to(w.vol)[-1].subject.startswith("Cancelled:")
    actions = [a.action for a in AuditEntry.select().order_by(AuditEntry.id)]
    assert actions == ["signup.cancelled", "signup.promoted"]


def test_leaving_the_waitlist_moves_nobody(w):
    slot = make_slot(w.act, capacity=1)
    make_signup(slot, make_user())
    waiting = make_signup(slot, w.vol, status="waitlisted")
    services.cancel_signup(waiting.id, actor=w.vol)
    assert fresh(waiting).status == "cancelled"
    assert fresh(slot).taken == 1


def test_cancel_after_the_deadline_is_refused_with_the_centres_contact(w):
    w.act.cancel_deadline_hours = 48
    w.act.save()
    slot = make_slot(w.act, hours_ahead=47)
    signup = make_signup(slot, w.vol)
    with pytest.raises(services.DeadlinePassed) as refused:
        services.cancel_signup(signup.id, actor=w.vol)
    message = refused.value.message
    assert "48 hours" in message
    assert "+49 361 555-0101" in message and "kontakt@zentrum.example" in message
    assert fresh(signup).status == "confirmed"
    assert fresh(slot).taken == 1
    assert mails_to(w.vol) == []


def test_cancel_just_before_the_deadline_works(w):
    w.act.cancel_deadline_hours = 48
    w.act.save()
    slot = make_slot(w.act, hours_ahead=48.2)
    signup = make_signup(slot, w.vol)
    services.cancel_signup(signup.id, actor=w.vol)
    assert fresh(signup).status == "cancelled"


def test_deadline_message_without_contact_data_names_the_coordinators(conn):
    centre = make_centre(name="Zentrum Ohne Telefon")
    activity = make_activity(centre, cancel_deadline_hours=1)
    volunteer = make_user(locale="en")
    signup = make_signup(make_slot(activity, hours_ahead=0.5), volunteer)
    with pytest.raises(services.DeadlinePassed, match="coordinators of Zentrum Ohne Telefon"):
        services.cancel_signup(signup.id, actor=volunteer)


def test_waitlisted_and_pending_may_withdraw_after_the_deadline(w):
    w.act.cancel_deadline_hours = 48
    w.act.save()
    slot = make_slot(w.act, hours_ahead=10, capacity=1)
    make_signup(slot, make_user())
    waiting = make_signup(slot, w.vol, status="waitlisted")
    services.cancel_signup(waiting.id, actor=w.vol)
    assert fresh(waiting).status == "cancelled"


def test_cancel_of_a_started_slot_is_refused(w):
    slot = make_slot(w.act, hours_ahead=-1)
    signup = make_signup(slot, w.vol)
    with pytest.raises(services.SlotStarted):
        services.cancel_signup(signup.id, actor=w.vol)
    assert fresh(signup).status == "confirmed"


def test_nobody_cancels_someone_elses_signup(w):
    slot = make_slot(w.act)
    signup = make_signup(slot, make_user())
    with pytest.raises(NotFound):
        services.cancel_signup(signup.id, actor=w.vol)
    with pytest.raises(NotFound):
        services.cancel_signup(signup.id, actor=w.coord)  # the coordinator uses unassign
    assert fresh(signup).status == "confirmed"


def test_cancelling_twice_is_refused(w):
    slot = make_slot(w.act)
    signup = services.sign_up(slot.id, actor=w.vol).signup
    services.cancel_signup(signup.id, actor=w.vol)
    with pytest.raises(services.WrongState):
        services.cancel_signup(signup.id, actor=w.vol)
    assert fresh(slot).taken == 0
    assert OutboxMessage.select().count() == 2  # confirmed + cancelled, nothing more
