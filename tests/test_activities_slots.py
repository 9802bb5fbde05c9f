"""Changing slots: only this one, this and all following, cancelling — and who is told."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import make_centre, make_coordinator, make_user
from tests.factories_activities import (
    make_activity,
    make_signup,
    next_weekday,
    reload,
)
from tests.factories_centres import english
from volunteer_app.activities import schedules
from volunteer_app.activities.models import Series, Slot
from volunteer_app.activities.recurrence import berlin_to_utc, utc_to_berlin
from volunteer_app.audit.models import AuditEntry
from volunteer_app.centres.queries import today
from volunteer_app.common.errors import DomainError
from volunteer_app.notifications.models import OutboxMessage
from volunteer_app.notifications.services import queue_mail
from volunteer_app.signups import services as signup_services
from volunteer_app.signups.models import Signup

pytestmark = pytest.mark.dates  # depends on today: CI reruns it at fixed days


@pytest.fixture
def plan(app, conn):
    """A weekly Tuesday series 10–12 with six slots, and the people around it."""
    app.config["SLOT_HORIZON_DAYS"] = 70
    centre = make_centre(slug="zentrum-a", contact_email="info@zentrum-a.example")
    coordinator = make_coordinator(centre)
    activity = make_activity(centre, title="Gartentag", volunteers_needed=2)
    start = next_weekday(1, weeks=1)
    data = {
        "recurrence": "weekly",
        "start_date": start,
        "start_time": dt.time(10),
        "end_time": dt.time(12),
        "interval": 1,
        "ends": "count",
        "count": 6,
    }
    schedules.add_schedule(activity, data, actor=coordinator)
    slots = list(Slot.select().order_by(Slot.starts_at))
    assert len(slots) == 6
    return {"centre": centre, "coordinator": coordinator, "activity": activity, "slots": slots}


def fields(day: dt.date, start="10:00", end="12:00", capacity=2) -> dict:
    return {
        "date": day.isoformat(),
        "start_time": start,
        "end_time": end,
        "capacity": str(capacity),
    }


def mails_to(user) -> list[OutboxMessage]:
    return list(OutboxMessage.select().where(OutboxMessage.recipient == user.email))


# --- Only this slot ----------------------------------------------------------------------------


def test_move_only_this_slot_tells_the_people_signed_up(client, login_as, plan):
    slot = plan["slots"][1]
    confirmed = make_user(name="Anna Acker", locale="de")
    waiting = make_user(name="Bert Beet", locale="en")
    gone = make_user(name="Carla Cancel")
    make_signup(slot, confirmed)
    make_signup(slot, waiting, status="waitlisted")
    make_signup(slot, gone, status="cancelled")
    day = slot.original_date + dt.timedelta(days=1)
    english(login_as(plan["coordinator"]))
    page = client.get(f"/termine/{slot.id}/bearbeiten").get_data(as_text=True)
    assert f'value="{slot.original_date.isoformat()}"' in page and 'value="10:00"' in page
    response = client.post(f"/termine/{slot.id}/bearbeiten", data=fields(day, "15:00", "17:30"))
    assert response.status_code == 302
    moved = reload(slot)
    assert utc_to_berlin(moved.starts_at) == dt.datetime.combine(day, dt.time(15))
    assert utc_to_berlin(moved.ends_at) == dt.datetime.combine(day, dt.time(17, 30))
    assert moved.detached is True
    assert moved.sequence == slot.sequence + 1
    assert moved.original_date == slot.original_date  # the series will not bring it back
    assert moved.series_id == slot.series_id
    # The other slots are untouched.
    assert [reload(s).starts_at for s in plan["slots"] if s.id != slot.id] == [
        s.starts_at for s in plan["slots"] if s.id != slot.id
    ]
    (german,) = mails_to(confirmed)
    assert german.subject.startswith(("Neue Uhrzeit", "New time"))
    assert "Gartentag" in german.body_text and "15:00" in german.body_text
    (english_mail,) = mails_to(waiting)
    assert "has a new time" in english_mail.body_text
    assert "Before:" in english_mail.body_text and "10:00" in english_mail.body_text
    assert "3:00" in english_mail.body_text or "15:00" in english_mail.body_text
    assert f"/termine/{slot.id}" in english_mail.body_text
    assert mails_to(gone) == []
    entry = AuditEntry.get()
    assert (entry.action, entry.slot_id, entry.actor_id) == (
        "slot.moved",
        slot.id,
        plan["coordinator"].id,
    )
    assert entry.centre_id == plan["centre"].id


def test_a_moved_slot_is_reminded_again_at_its_new_time(client, login_as, plan):
    slot = plan["slots"][1]
    person = make_user(name="Rita Reminder")
    signup = make_signup(slot, person, reminded_at=dt.datetime(2026, 1, 1))
    day = slot.original_date + dt.timedelta(days=1)
    login_as(plan["coordinator"])
    response = client.post(f"/termine/{slot.id}/bearbeiten", data=fields(day, "15:00", "17:30"))
    assert response.status_code == 302
    assert reload(signup).reminded_at is None


def test_capacity_only_marks_detached_without_telling_anyone(client, login_as, plan):
    slot = plan["slots"][0]
    person = make_user()
    make_signup(slot, person)
    login_as(plan["coordinator"])
    response = client.post(
        f"/termine/{slot.id}/bearbeiten", data=fields(slot.original_date, capacity=5)
    )
    assert response.status_code == 302
    changed = reload(slot)
    assert (changed.capacity, changed.detached, changed.sequence) == (5, True, slot.sequence)
    assert changed.starts_at == slot.starts_at
    assert OutboxMessage.select().count() == 0
    assert [e.action for e in AuditEntry.select()] == ["slot.capacity"]


def test_saving_unchanged_slot_changes_nothing(client, login_as, plan):
    slot = plan["slots"][0]
    login_as(plan["coordinator"])
    client.post(f"/termine/{slot.id}/bearbeiten", data=fields(slot.original_date))
    assert reload(slot).detached is False and reload(slot).updated_at == slot.updated_at


def _next_change(month: int) -> dt.date:
    from tests.factories_activities import next_dst_change

    return next_dst_change(month)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"start_time": "13:00", "end_time": "12:00"}, "The end must be after the start."),
        ({"date": ""}, "Please enter a date, like 24.12.2026."),
        ({"date": "2027-13-01"}, "Please enter a valid date"),
        ({"start_time": "zehn"}, "Please enter a valid time"),
        ({"capacity": "0"}, "from 1 to 50"),
        ({"capacity": "51"}, "from 1 to 50"),
        ({"capacity": "x"}, "Please enter a whole number."),
        ({"date": "YESTERDAY"}, "This time has passed."),
        ({"date": "MARCH", "start_time": "02:30", "end_time": "04:00"}, "the clocks go forward"),
        ({"date": "OCTOBER", "start_time": "02:30", "end_time": "04:00"}, "the clocks go back"),
    ],
)
def test_bad_slot_input_is_refused(client, login_as, plan, changes, message):
    slot = plan["slots"][0]
    data = fields(slot.original_date)
    special = {
        "YESTERDAY": (today() - dt.timedelta(days=1)).isoformat(),
        "MARCH": _next_change(3).isoformat(),
        "OCTOBER": _next_change(10).isoformat(),
    }
    data.update({k: special.get(v, v) for k, v in changes.items()})
    english(login_as(plan["coordinator"]))
    response = client.post(f"/termine/{slot.id}/bearbeiten", data=data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    fresh = reload(slot)
    assert (fresh.starts_at, fresh.capacity, fresh.detached) == (slot.starts_at, 2, False)


def test_capacity_below_the_confirmed_people_is_refused(client, login_as, plan):
    slot = plan["slots"][0]
    Slot.update(capacity=3).where(Slot.id == slot.id).execute()
    for _ in range(3):
        make_signup(slot, make_user())
    english(login_as(plan["coordinator"]))
    response = client.post(
        f"/termine/{slot.id}/bearbeiten", data=fields(slot.original_date, capacity=2)
    )
    assert "3 volunteers are confirmed for this slot" in response.get_data(as_text=True)
    assert reload(slot).capacity == 3


def test_moving_onto_another_slot_of_a_volunteer_is_refused(client, login_as, plan):
    first, second = plan["slots"][0], plan["slots"][1]
    person = make_user(name="Dora Doppelt")
    make_signup(first, person)
    other_activity = make_activity(plan["centre"], title="Backen")
    other = Slot.create(
        activity=other_activity,
        starts_at=berlin_to_utc(second.original_date, dt.time(14)),
        ends_at=berlin_to_utc(second.original_date, dt.time(16)),
        capacity=2,
    )
    make_signup(other, person)
    english(login_as(plan["coordinator"]))
    response = client.post(
        f"/termine/{first.id}/bearbeiten", data=fields(second.original_date, "15:00", "17:00")
    )
    assert "Dora Doppelt is booked for another slot at that time" in response.get_data(as_text=True)
    assert reload(first).starts_at == first.starts_at
    assert OutboxMessage.select().count() == 0


def test_past_or_cancelled_slot_cannot_be_changed(client, login_as, plan):
    slot = plan["slots"][0]
    Slot.update(status="cancelled").where(Slot.id == slot.id).execute()
    english(login_as(plan["coordinator"]))
    response = client.post(
        f"/termine/{slot.id}/bearbeiten", data=fields(slot.original_date, "14:00", "15:00")
    )
    assert "This slot has been cancelled." in response.get_data(as_text=True)
    past = Slot.create(
        activity=plan["activity"],
        starts_at=dt.datetime(2020, 5, 5, 8),
        ends_at=dt.datetime(2020, 5, 5, 10),
        capacity=2,
    )
    response = client.post(
        f"/termine/{past.id}/bearbeiten", data=fields(next_weekday(2), "14:00", "15:00")
    )
    assert "already started or taken place" in response.get_data(as_text=True)
    assert reload(past).starts_at == past.starts_at


# --- This and all following -------------------------------------------------------------------


def following(day: dt.date, **changes) -> dict:
    data = {
        "following-recurrence": "weekly",
        "following-start_date": day.isoformat(),
        "following-start_time": "14:00",
        "following-end_time": "16:00",
        "following-interval": "1",
        "following-nth": "1",
        "following-ends": "never",
        "following-until_date": "",
        "following-count": "",
    }
    data.update({f"following-{k}": str(v) for k, v in changes.items()})
    return data


def test_this_and_following_splits_the_series(client, login_as, plan):
    slots = plan["slots"]
    split = slots[2]
    old_series = Series.get()
    person = make_user(name="Emil Erde")
    make_signup(slots[3], person)
    english(login_as(plan["coordinator"]))
    form_page = client.get(f"/termine/{split.id}/bearbeiten").get_data(as_text=True)
    assert "This and all following dates" in form_page
    assert 'name="following-count"' in form_page and 'value="4"' in form_page  # 6 - 2 held
    response = client.post(
        f"/termine/{split.id}/folgende-bearbeiten",
        data=following(split.original_date, ends="count", count=4),
    )
    assert response.status_code == 302
    old, new = reload(old_series), Series.select().order_by(Series.id.desc()).first()
    assert old.until_date == split.original_date - dt.timedelta(days=1)
    assert (new.start_date, new.start_time, new.count) == (split.original_date, dt.time(14), 4)
    # The first two slots stay with the old series at 10:00.
    for slot in slots[:2]:
        fresh = reload(slot)
        assert fresh.series_id == old.id and fresh.starts_at == slot.starts_at
    # The untaken ones were replaced by the new series' slots at 14:00.
    assert Slot.select().where(Slot.series == old.id).count() == 2
    new_slots = list(Slot.select().where(Slot.series == new.id).order_by(Slot.starts_at))
    assert [s.original_date for s in new_slots] == [s.original_date for s in slots[2:]]
    assert {utc_to_berlin(s.starts_at).time() for s in new_slots} == {dt.time(14)}
    # The slot with a sign-up was moved, not deleted, and its person told.
    kept = reload(slots[3])
    assert kept.series_id == new.id and utc_to_berlin(kept.starts_at).time() == dt.time(14)
    assert kept.sequence == slots[3].sequence + 1 and kept.detached is False
    assert Signup.get(Signup.volunteer == person.id).slot_id == kept.id
    assert len(mails_to(person)) == 1
    assert AuditEntry.get().action == "slot.moved" and AuditEntry.get().slot_id == kept.id
    assert Slot.select().count() == 6


def test_this_and_following_on_another_weekday_moves_within_the_week(client, login_as, plan):
    slots = plan["slots"]
    person = make_user()
    make_signup(slots[4], person)  # a Tuesday
    login_as(plan["coordinator"])
    response = client.post(
        f"/termine/{slots[2].id}/folgende-bearbeiten",
        data=following(slots[2].original_date + dt.timedelta(days=1), start_time="10:00"),
    )
    assert response.status_code == 302
    moved = reload(slots[4])
    assert moved.original_date == slots[4].original_date + dt.timedelta(days=1)  # Wednesday
    assert utc_to_berlin(moved.starts_at).date().weekday() == 2
    assert len(mails_to(person)) == 1


def test_this_and_following_keeps_a_booked_slot_the_new_rule_has_no_date_for(
    client, login_as, plan
):
    slots = plan["slots"]
    person = make_user()
    make_signup(slots[3], person)
    english(login_as(plan["coordinator"]))
    response = client.post(
        f"/termine/{slots[2].id}/folgende-bearbeiten",
        data=following(slots[2].original_date, interval=2, start_time="10:00", end_time="12:00"),
        follow_redirects=True,
    )
    assert "1 date with sign-ups has no place in the new schedule" in response.get_data(
        as_text=True
    )
    kept = reload(slots[3])
    assert kept.starts_at == slots[3].starts_at and kept.detached is True
    assert mails_to(person) == []


def test_this_and_following_refuses_a_dst_hour_and_changes_nothing(client, login_as, plan):
    slots = plan["slots"]
    english(login_as(plan["coordinator"]))
    change = _next_change(3)
    response = client.post(
        f"/termine/{slots[2].id}/folgende-bearbeiten",
        data=following(change - dt.timedelta(weeks=1), start_time="02:15", end_time="03:30"),
    )
    assert "the clocks go forward" in response.get_data(as_text=True)
    assert Series.select().count() == 1 and Series.get().until_date is None
    assert [reload(s).starts_at for s in slots] == [s.starts_at for s in slots]


def test_this_and_following_is_not_offered_for_a_one_off_slot(client, login_as, plan):
    single = Slot.create(
        activity=plan["activity"],
        starts_at=berlin_to_utc(next_weekday(4), dt.time(9)),
        ends_at=berlin_to_utc(next_weekday(4), dt.time(10)),
        capacity=1,
    )
    login_as(plan["coordinator"])
    assert "following-recurrence" not in client.get(f"/termine/{single.id}/bearbeiten").get_data(
        as_text=True
    )
    assert (
        client.post(
            f"/termine/{single.id}/folgende-bearbeiten", data=following(next_weekday(4))
        ).status_code
        == 404
    )


# --- Cancelling ----------------------------------------------------------------------------------


@pytest.fixture
def recorded(monkeypatch):
    """Record the calls to the sign-up service's cancel_slot_signups (tests of this feature's
    own part; the real one is exercised below)."""
    calls = []

    def fake(slot, *, actor):
        calls.append((slot.id, slot.status, actor.id))
        return []

    monkeypatch.setattr(signup_services, "cancel_slot_signups", fake)
    return calls


def test_cancel_keeps_the_slot_and_shows_it_cancelled(client, login_as, plan, recorded):
    slot = plan["slots"][1]
    english(login_as(plan["coordinator"]))
    page = client.get(f"/termine/{slot.id}/absagen").get_data(as_text=True)
    assert "Cancel this date?" in page
    assert reload(slot).status == "scheduled"  # GET changes nothing
    response = client.post(f"/termine/{slot.id}/absagen")
    assert response.status_code == 302
    cancelled = reload(slot)
    assert cancelled.status == "cancelled"
    assert cancelled.cancelled_at is not None
    assert cancelled.sequence == slot.sequence + 1
    assert cancelled.series_id == slot.series_id  # the series does not bring it back
    assert recorded == [(slot.id, "cancelled", plan["coordinator"].id)]
    entry = AuditEntry.get()
    assert (entry.action, entry.slot_id, entry.centre_id) == (
        "slot.cancelled",
        slot.id,
        plan["centre"].id,
    )
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    assert '<tr class="cancelled">' in detail and "Cancelled on" in detail
    assert schedules.extend_slots().slots == 0
    assert Slot.select().count() == 6


def test_cancel_twice_or_in_the_past_is_refused(client, login_as, plan, recorded):
    slot = plan["slots"][1]
    english(login_as(plan["coordinator"]))
    client.post(f"/termine/{slot.id}/absagen")
    response = client.post(f"/termine/{slot.id}/absagen", follow_redirects=True)
    assert "This slot has been cancelled." in response.get_data(as_text=True)
    past = Slot.create(
        activity=plan["activity"],
        starts_at=dt.datetime(2020, 5, 5, 8),
        ends_at=dt.datetime(2020, 5, 5, 10),
        capacity=2,
    )
    response = client.post(f"/termine/{past.id}/absagen", follow_redirects=True)
    assert "already started or taken place" in response.get_data(as_text=True)
    assert reload(past).status == "scheduled"
    assert len(recorded) == 1 and AuditEntry.select().count() == 1


def test_failure_while_telling_people_rolls_the_cancellation_back(
    client, login_as, plan, monkeypatch
):
    def broken(slot, *, actor):
        raise DomainError("mail broken")

    monkeypatch.setattr(signup_services, "cancel_slot_signups", broken)
    slot = plan["slots"][1]
    login_as(plan["coordinator"])
    client.post(f"/termine/{slot.id}/absagen")
    assert reload(slot).status == "scheduled" and reload(slot).sequence == slot.sequence
    assert AuditEntry.select().count() == 0


def test_cancel_tells_everyone_active_through_the_signup_service(client, login_as, plan):
    slot = plan["slots"][1]
    confirmed, waiting, gone = make_user(), make_user(), make_user()
    make_signup(slot, confirmed)
    make_signup(slot, waiting, status="waitlisted")
    make_signup(slot, gone, status="cancelled")
    login_as(plan["coordinator"])
    try:
        response = client.post(f"/termine/{slot.id}/absagen")
    except NotImplementedError:
        pytest.xfail("signups.services.cancel_slot_signups is not implemented yet")
    assert response.status_code == 302
    assert reload(slot).status == "cancelled" and reload(slot).taken == 0
    assert {s.status for s in Signup.select()} == {"cancelled"}
    assert len(mails_to(confirmed)) == 1 and len(mails_to(waiting)) == 1
    assert mails_to(gone) == []


@pytest.mark.parametrize("locale", ["de", "en"])
def test_slot_mail_templates_render(app, plan, locale):
    slot = plan["slots"][0]
    user = make_user(name="Fritz Feld", locale=locale)
    context = {
        "user": user,
        "slot": slot,
        "activity": plan["activity"],
        "centre": plan["centre"],
        "link": "http://localhost/termine/1",
    }
    moved = queue_mail(
        user.email,
        "slot_moved",
        locale=locale,
        old_starts_at=slot.starts_at - dt.timedelta(days=1),
        old_ends_at=slot.ends_at - dt.timedelta(days=1),
        **context,
    )
    for message in (moved,):
        assert "Fritz" in message.body_text and "Gartentag" in message.subject
        assert "info@zentrum-a.example" in message.body_html
        assert "\n" not in message.subject
    if locale == "en":
        assert "Hello Fritz," in moved.body_text and "Place: " in moved.body_text
