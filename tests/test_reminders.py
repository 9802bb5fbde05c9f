"""Reminders before each slot: when, to whom, what they say, and never twice."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from tests.factories import make_centre, make_coordinator, make_user
from tests.factories_volunteers import make_activity, make_signup, make_slot, set_reminder
from volunteer_app import jobs
from volunteer_app.activities.models import Slot
from volunteer_app.db import db
from volunteer_app.notifications import reminders
from volunteer_app.notifications.models import OutboxMessage
from volunteer_app.notifications.reminders import send_reminders
from volunteer_app.signups.models import Signup

pytestmark = pytest.mark.dates  # depends on today: CI reruns it at fixed days

H = dt.timedelta(hours=1)
S = dt.timedelta(seconds=1)
# Wednesday 10 June 2026, 10:00 Berlin (summer time, UTC+2).
SUMMER = dt.datetime(2026, 6, 10, 8, 0)


@pytest.fixture
def setup(conn):
    centre = make_centre(
        name="ThEKiZ Am Anger",
        street="Anger 12",
        postcode="99084",
        town="Erfurt",
        contact_email="info@anger.example",
        contact_phone="0361 111",
    )
    coordinator = make_coordinator(
        centre, name="Clara Koch", email="clara.koch@example.org", phone="+49 361 555 0101"
    )
    activity = make_activity(
        centre, title="Vorlesestunde", place="Leseecke im Erdgeschoss", responsible=coordinator
    )
    return {"centre": centre, "coordinator": coordinator, "activity": activity}


def slot_at(setup, starts_at, **fields):
    return make_slot(setup["activity"], starts_at=starts_at, **fields)


def mails(address=None):
    query = OutboxMessage.select().order_by(OutboxMessage.id)
    if address:
        query = query.where(OutboxMessage.recipient == address)
    return list(query)


def reminded(signup) -> dt.datetime | None:
    return Signup.get_by_id(signup.id).reminded_at


# --- When ----------------------------------------------------------------------------------


def test_default_is_24_hours_before_to_the_second(setup):
    slot = slot_at(setup, SUMMER)
    signup = make_signup(slot)  # no profile saved: the default applies
    assert send_reminders(now=SUMMER - 24 * H - S).sent == 0
    assert mails() == [] and reminded(signup) is None
    assert send_reminders(now=SUMMER - 24 * H).sent == 1
    assert reminded(signup) == SUMMER - 24 * H
    assert [m.recipient for m in mails()] == [signup.volunteer.email]


@pytest.mark.parametrize("hours", [2, 24, 48])
def test_each_preference_at_its_edge(setup, hours):
    slot = slot_at(setup, SUMMER)
    signup = make_signup(slot)
    set_reminder(signup.volunteer, hours)
    assert send_reminders(now=SUMMER - hours * H - S).sent == 0
    assert send_reminders(now=SUMMER - hours * H).sent == 1
    assert len(mails()) == 1


def test_no_reminder_when_switched_off(setup):
    slot = slot_at(setup, SUMMER)
    signup = make_signup(slot)
    set_reminder(signup.volunteer, 0)
    for before in (48 * H, 24 * H, 2 * H, 10 * 60 * S, S):
        assert send_reminders(now=SUMMER - before).sent == 0
    assert mails() == [] and reminded(signup) is None


def test_late_run_still_reminds_but_not_after_the_start(setup):
    soon, started = slot_at(setup, SUMMER), slot_at(setup, SUMMER - 3 * H)
    a, b = make_signup(soon), make_signup(started)
    # The job was down for a day: the reminder still goes out before the slot ...
    assert send_reminders(now=SUMMER - 10 * 60 * S).sent == 1
    assert reminded(a) is not None
    # ... but not once the slot has begun (exactly at the start, too).
    assert send_reminders(now=SUMMER).sent == 0
    assert reminded(b) is None


def test_mixed_preferences_in_one_run(setup):
    slot = slot_at(setup, SUMMER, capacity=4)
    two, day, two_days, off = (make_signup(slot) for _ in range(4))
    set_reminder(two.volunteer, 2)
    set_reminder(two_days.volunteer, 48)
    set_reminder(off.volunteer, 0)
    assert send_reminders(now=SUMMER - 30 * H).sent == 1  # only the 48 h one
    assert reminded(two_days) is not None
    assert send_reminders(now=SUMMER - 3 * H).sent == 1  # the default 24 h one
    assert reminded(day) is not None
    assert send_reminders(now=SUMMER - H).sent == 1  # the 2 h one
    assert reminded(two) is not None and reminded(off) is None
    assert len(mails()) == 3


# --- Daylight-saving changes (elapsed time, see reminders.py) --------------------------------


def test_monday_after_the_autumn_change(setup):
    # Monday 26 October 2026, 10:00 CET = 09:00 UTC. 24 h before: Sunday 10:00 CET = 09:00 UTC.
    slot = slot_at(setup, dt.datetime(2026, 10, 26, 9, 0))
    signup = make_signup(slot)
    assert send_reminders(now=dt.datetime(2026, 10, 25, 8, 59, 59)).sent == 0
    assert send_reminders(now=dt.datetime(2026, 10, 25, 9, 0)).sent == 1
    assert reminded(signup) == dt.datetime(2026, 10, 25, 9, 0)


def test_slot_on_the_autumn_change_day_is_reminded_24_real_hours_before(setup):
    # Sunday 25 October 2026, 10:00 CET = 09:00 UTC; the clocks went back at 03:00.
    # 24 elapsed hours before is Saturday 09:00 UTC = 11:00 CEST, not 10:00 CEST (25 h).
    slot = slot_at(setup, dt.datetime(2026, 10, 25, 9, 0))
    make_signup(slot)
    assert send_reminders(now=dt.datetime(2026, 10, 24, 8, 0)).sent == 0  # 10:00 wall-clock
    assert send_reminders(now=dt.datetime(2026, 10, 24, 8, 59, 59)).sent == 0
    assert send_reminders(now=dt.datetime(2026, 10, 24, 9, 0)).sent == 1


def test_slot_on_the_spring_change_day(setup):
    # Sunday 29 March 2026, 10:00 CEST = 08:00 UTC; 24 h before = Saturday 09:00 CET.
    slot = slot_at(setup, dt.datetime(2026, 3, 29, 8, 0))
    make_signup(slot)
    assert send_reminders(now=dt.datetime(2026, 3, 28, 7, 59, 59)).sent == 0
    assert send_reminders(now=dt.datetime(2026, 3, 28, 8, 0)).sent == 1
    assert "10:00" in mails()[0].body_text  # shown in Berlin time


# --- Who ----------------------------------------------------------------------------------


def test_only_confirmed_signups_of_scheduled_slots(setup):
    slot = slot_at(setup, SUMMER, capacity=5)
    confirmed = make_signup(slot)
    others = [
        make_signup(slot, status=s) for s in ("pending", "waitlisted", "cancelled", "declined")
    ]
    cancelled_slot = slot_at(setup, SUMMER + H, status="cancelled", cancelled_at=SUMMER - 48 * H)
    on_cancelled = make_signup(cancelled_slot)
    inactive = make_signup(slot_at(setup, SUMMER + 2 * H), make_user(is_active=False))
    assert send_reminders(now=SUMMER - 2 * H).sent == 1
    assert [m.recipient for m in mails()] == [confirmed.volunteer.email]
    assert all(reminded(s) is None for s in [*others, on_cancelled, inactive])


def test_cancelling_the_slot_before_the_run_means_no_reminder(setup):
    slot = slot_at(setup, SUMMER)
    signup = make_signup(slot)
    Slot.update(status="cancelled", cancelled_at=SUMMER - 30 * H).where(
        Slot.id == slot.id
    ).execute()
    Signup.update(status="cancelled").where(Signup.id == signup.id).execute()
    assert send_reminders(now=SUMMER - H).sent == 0 and mails() == []


# --- Never twice ---------------------------------------------------------------------------


def test_running_twice_sends_nothing_new(setup):
    slot = slot_at(setup, SUMMER, capacity=3)
    for _ in range(3):
        make_signup(slot)
    assert send_reminders(now=SUMMER - 20 * H).sent == 3
    assert send_reminders(now=SUMMER - 20 * H).sent == 0
    assert send_reminders(now=SUMMER - H).sent == 0
    assert len(mails()) == 3


def test_batches_cover_everyone_once(setup):
    slots = [slot_at(setup, SUMMER + n * H, capacity=3) for n in range(4)]
    for slot in slots:
        for _ in range(3):
            make_signup(slot)
    assert send_reminders(now=SUMMER - H, batch_size=5).sent == 12
    recipients = [m.recipient for m in mails()]
    assert len(recipients) == len(set(recipients)) == 12


def test_a_moved_slot_is_reminded_again_for_its_new_time(setup):
    slot = slot_at(setup, SUMMER)
    signup = make_signup(slot)
    send_reminders(now=SUMMER - 20 * H)
    # What the activities feature does when it moves a slot: new time, reminder reset.
    new_start = SUMMER + 26 * H
    Slot.update(starts_at=new_start, ends_at=new_start + 2 * H).where(Slot.id == slot.id).execute()
    Signup.update(reminded_at=None).where(Signup.slot == slot.id).execute()
    assert send_reminders(now=SUMMER - 19 * H).sent == 0  # not due for the new time yet
    assert send_reminders(now=new_start - 24 * H).sent == 1
    first, second = mails()
    assert "Thursday, June 11, 2026" in second.body_text or "11. Juni 2026" in second.body_text
    assert reminded(signup) == new_start - 24 * H
    assert first.id != second.id


def test_claim_refuses_when_the_slot_moved_after_it_was_read(setup):
    slot = slot_at(setup, SUMMER)
    make_signup(slot)
    [due] = reminders.due_reminders(SUMMER - H)
    Slot.update(starts_at=SUMMER + 48 * H, ends_at=SUMMER + 50 * H).where(
        Slot.id == slot.id
    ).execute()
    assert reminders._claim(due, SUMMER - H) is False
    assert Signup.get_by_id(due.id).reminded_at is None


def test_two_runs_at_the_same_time_send_one_mail_each(app, setup):
    slots = [slot_at(setup, SUMMER + n * H, capacity=5) for n in range(6)]
    signups = [make_signup(slot) for slot in slots for _ in range(5)]
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            with app.app_context(), db.connection_context():
                barrier.wait(timeout=10)
                results.append(send_reminders(now=SUMMER - H, batch_size=7))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert sum(r.sent for r in results) == len(signups) == 30
    recipients = [m.recipient for m in mails()]
    assert sorted(recipients) == sorted(s.volunteer.email for s in signups)


# --- What the mail says ----------------------------------------------------------------------


def test_mail_names_place_address_contact_and_berlin_time(setup):
    volunteer = make_user(name="Vera Voll", locale="de")
    make_signup(slot_at(setup, SUMMER), volunteer)
    send_reminders(now=SUMMER - 2 * H)
    [mail] = mails()
    for body in (mail.body_text, mail.body_html):
        assert "Vera" in body
        assert "Vorlesestunde" in body
        assert "Mittwoch, 10. Juni 2026" in body
        assert "10:00" in body and "12:00" in body  # 08:00–10:00 UTC in summer time
        assert "Leseecke im Erdgeschoss" in body
        assert "ThEKiZ Am Anger" in body and "Anger 12" in body and "99084 Erfurt" in body
        assert "Clara Koch" in body
        assert "clara.koch@example.org" in body and "+49 361 555 0101" in body
        assert f"http://localhost/termine/{Slot.get().id}" in body
    assert "08:00" not in mail.body_text
    assert 'style="padding:6px 12px 6px 0;' in mail.body_html  # inline styles for mail clients
    assert 'href="mailto:clara.koch@example.org"' in mail.body_html
    assert "Vorlesestunde" in mail.subject and "10.06.2026" in mail.subject
    assert "10:00" in mail.subject
    assert mail.locale == "de"


def test_mail_in_the_volunteers_language(setup):
    volunteer = make_user(name="Erin English", locale="en")
    make_signup(slot_at(setup, SUMMER), volunteer)
    send_reminders(now=SUMMER - 2 * H)
    [mail] = mails()
    assert mail.locale == "en"
    assert mail.subject.startswith("Reminder: Vorlesestunde on Jun 10, 2026 at 10:00")
    assert "Wednesday, June 10, 2026" in mail.body_text
    assert "Your contact: Clara Koch" in mail.body_text


def test_without_a_responsible_person_the_centre_is_the_contact(setup):
    activity = make_activity(setup["centre"], title="Gartentag", responsible=None)
    make_signup(make_slot(activity, starts_at=SUMMER), make_user(locale="en"))
    send_reminders(now=SUMMER - 2 * H)
    [mail] = mails()
    assert "Your contact: ThEKiZ Am Anger, info@anger.example, 0361 111" in mail.body_text
    assert "Clara" not in mail.body_text


# --- Command and schedule --------------------------------------------------------------------


def test_command_queues_due_reminders(runner, setup):
    from volunteer_app.db import utcnow

    make_signup(slot_at(setup, utcnow().replace(microsecond=0) + 3 * H))
    result = runner.invoke(args=["jobs", "send-reminders"])
    assert result.exit_code == 0, result.output
    assert "Reminders queued: 1" in result.output
    result = runner.invoke(args=["jobs", "send-reminders"])
    assert "Reminders queued: 0" in result.output
    assert len(mails()) == 1


def test_periodic_task_every_ten_minutes():
    periodic = {t.__name__: t for t in jobs.huey._registry._periodic_tasks}
    task = periodic["send_reminders_periodically"]()
    start = dt.datetime(2026, 10, 25, 0, 0)  # across the autumn change: still every 10 min
    due = [start + n * dt.timedelta(minutes=1) for n in range(240)]
    assert [m for m in due if task.validate_datetime(m)] == due[::10]
