"""The coordinators' daily digest of unfilled slots in the next seven days."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from tests.factories import make_centre, make_coordinator, make_user
from tests.factories_volunteers import make_activity, make_signup, make_slot
from volunteer_app import jobs
from volunteer_app.db import db
from volunteer_app.notifications.digest import send_digests
from volunteer_app.notifications.models import DigestSent, OutboxMessage

pytestmark = pytest.mark.dates  # depends on today: CI reruns it at fixed days

H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)
# Monday 8 June 2026, 07:00 Berlin (05:00 UTC): when the periodic task runs.
NOW = dt.datetime(2026, 6, 8, 5, 0)


@pytest.fixture
def world(conn):
    a = make_centre(name="ThEKiZ Anger", town="Erfurt")
    b = make_centre(name="ThEKiZ Lobeda", town="Jena")
    coord_a = make_coordinator(a, name="Anna Anger", email="anna@example.org", locale="en")
    coord_b = make_coordinator(b, name="Bert Lobeda", email="bert@example.org", locale="en")
    coord_ab = make_coordinator(a, b, name="Cleo Beide", email="cleo@example.org", locale="en")
    make_user(role="admin", email="admin@example.org")
    reading = make_activity(a, title="Vorlesestunde")
    garden = make_activity(a, title="Gartentag")
    hike = make_activity(b, title="Familienwanderung")
    # Centre A: one gap tomorrow (1 of 3), one full slot, one cancelled, one too far, one past.
    gap = make_slot(reading, starts_at=NOW + D + 3 * H, capacity=3)  # Tue 10:00 Berlin
    make_signup(gap)
    full = make_slot(garden, starts_at=NOW + 2 * D, capacity=1)
    make_signup(full)
    make_slot(garden, starts_at=NOW + 3 * D, capacity=2, status="cancelled", cancelled_at=NOW)
    make_slot(garden, starts_at=NOW + 7 * D + H, capacity=2)
    make_slot(garden, starts_at=NOW - H, capacity=2)
    # Centre B: an empty slot in six days.
    b_gap = make_slot(hike, starts_at=NOW + 6 * D, capacity=2)
    return {
        "a": a,
        "b": b,
        "coord_a": coord_a,
        "coord_b": coord_b,
        "coord_ab": coord_ab,
        "gap": gap,
        "full": full,
        "b_gap": b_gap,
    }


def mails_to(address: str) -> list[OutboxMessage]:
    return list(OutboxMessage.select().where(OutboxMessage.recipient == address))


def test_each_coordinator_gets_the_gaps_of_their_own_centres(world):
    result = send_digests(now=NOW)
    assert result.sent == 3
    [mail_a] = mails_to("anna@example.org")
    text = mail_a.body_text
    assert "Vorlesestunde" in text and "1 of 3 filled" in text
    assert f"http://localhost/termine/{world['gap'].id}/besetzung" in text
    assert f"/termine/{world['gap'].id}/besetzung" in mail_a.body_html
    assert "Tuesday, June 9, 2026" in text and "10:00" in text  # Berlin time
    assert "Gartentag" not in text  # full, cancelled, too far ahead or past
    assert "Familienwanderung" not in text  # centre B
    assert mail_a.subject == "1 date in the next 7 days still needs volunteers"

    [mail_b] = mails_to("bert@example.org")
    assert "Familienwanderung" in mail_b.body_text and "0 of 2 filled" in mail_b.body_text
    assert "Vorlesestunde" not in mail_b.body_text

    [mail_ab] = mails_to("cleo@example.org")
    assert mail_ab.subject == "2 dates in the next 7 days still need volunteers"
    body = mail_ab.body_text
    assert body.index("Vorlesestunde") < body.index("Familienwanderung")  # by time
    assert "(ThEKiZ Anger)" in body and "(ThEKiZ Lobeda)" in body  # several centres: named

    assert mails_to("admin@example.org") == []
    assert OutboxMessage.select().count() == 3


def test_german_mail_uses_german_dates(world):
    from volunteer_app.accounts.models import User

    User.update(locale="de").where(User.email == "anna@example.org").execute()
    send_digests(now=NOW)
    [mail] = mails_to("anna@example.org")
    assert mail.locale == "de" and "Dienstag, 9. Juni 2026" in mail.body_text


def test_once_per_berlin_day(world):
    assert send_digests(now=NOW).sent == 3
    again = send_digests(now=NOW + 10 * H)  # 17:00 the same day
    assert (again.sent, again.already_sent) == (0, 3)
    # 23:30 UTC is already the next day in Berlin (01:30 CEST): a new digest is due.
    late = send_digests(now=NOW + 18 * H + 30 * 60 * dt.timedelta(seconds=1))
    assert late.sent == 3
    assert OutboxMessage.select().count() == 6
    days = sorted({d.day for d in DigestSent.select()})
    assert days == [dt.date(2026, 6, 8), dt.date(2026, 6, 9)]


def test_nobody_gets_a_mail_about_nothing(world):
    from volunteer_app.activities.models import Slot

    Slot.update(taken=Slot.capacity).execute()
    result = send_digests(now=NOW)
    assert (result.sent, result.nothing_to_report) == (0, 3)
    assert OutboxMessage.select().count() == 0
    # Nothing was recorded either: a gap that opens later that day is still reported.
    assert DigestSent.select().count() == 0
    Slot.update(taken=0).where(Slot.id == world["gap"].id).execute()
    assert send_digests(now=NOW + 2 * H).sent == 2  # Anna and Cleo (centre A)


def test_inactive_coordinators_and_volunteers_get_nothing(world):
    from volunteer_app.accounts.models import User

    User.update(is_active=False).where(User.email == "bert@example.org").execute()
    make_user(email="vol@example.org")
    send_digests(now=NOW)
    assert mails_to("bert@example.org") == [] and mails_to("vol@example.org") == []


def test_two_runs_at_the_same_time_send_one_digest_each(app, world):
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            with app.app_context(), db.connection_context():
                barrier.wait(timeout=10)
                results.append(send_digests(now=NOW))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert sum(r.sent for r in results) == 3
    assert sorted(m.recipient for m in OutboxMessage.select()) == [
        "anna@example.org",
        "bert@example.org",
        "cleo@example.org",
    ]


def test_command(runner, world):
    from volunteer_app.db import utcnow

    # Make sure something is unfilled relative to the real clock.
    make_slot(make_activity(world["a"]), starts_at=utcnow().replace(microsecond=0) + D)
    result = runner.invoke(args=["jobs", "send-digest"])
    assert result.exit_code == 0, result.output
    assert "Digests queued: 2" in result.output  # Anna and Cleo
    result = runner.invoke(args=["jobs", "send-digest"])
    assert "Digests queued: 0, already sent today: 2" in result.output


@pytest.mark.parametrize(
    "day",
    [dt.date(2026, 1, 15), dt.date(2026, 3, 29), dt.date(2026, 7, 1), dt.date(2026, 10, 25)],
)
def test_periodic_task_runs_once_a_day_at_seven_berlin_time(day):
    periodic = {t.__name__: t for t in jobs.huey._registry._periodic_tasks}
    task = periodic["send_digest_daily"]()
    start = dt.datetime.combine(day, dt.time()) - 2 * H  # a Berlin day in UTC, roughly
    minutes = [start + dt.timedelta(minutes=n) for n in range(24 * 60)]
    fired = [m for m in minutes if task.validate_datetime(m)]
    # 06:00 UTC in winter, 05:00 UTC in summer; both change days are past 03:00 by then.
    utc_hour = {1: 6, 3: 5, 7: 5, 10: 6}[day.month]
    assert fired == [dt.datetime.combine(day, dt.time(utc_hour))]
