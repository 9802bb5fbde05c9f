"""Races for the last places: many threads released together by a barrier, against a SQLite
file and against PostgreSQL (the ``app`` fixture runs each test on both backends)."""

from __future__ import annotations

import threading

import pytest

from tests.factories import make_user
from tests.factories_signups import (
    assert_invariant,
    assert_no_overlaps,
    make_activity,
    make_signup,
    make_slot,
    world,
)
from tests.factories_volunteers import choose
from volunteer_app.activities.models import Slot
from volunteer_app.common.errors import DomainError
from volunteer_app.db import db
from volunteer_app.notifications.models import OutboxMessage
from volunteer_app.signups import services
from volunteer_app.signups.models import ACTIVE, Signup

THREADS = 50


def _race(app, calls):
    """Run each call in its own thread, all released at once; returns (results, errors)."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)
    errors: list = [None] * len(calls)

    def run(i, call):
        with app.app_context():
            barrier.wait(timeout=30)
            # The connection is opened after the barrier: PostgreSQL's pool has fewer
            # connections than there are threads, and waiting threads queue for one.
            try:
                with db.connection_context():
                    results[i] = call()
            except DomainError as exc:
                errors[i] = exc
            except Exception as exc:  # anything else fails the test below
                errors[i] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return results, errors


def test_many_volunteers_race_for_the_last_places(app, backend):
    if backend == "sqlite":
        assert app.config["DATABASE_URL"].endswith(".db")  # a file, not :memory:
    with db.connection_context():
        _centre, _coord, activity, _vol = world()
        slot = make_slot(activity, capacity=5)
        for _ in range(3):
            make_signup(slot, make_user())
        volunteers = [make_user(locale="en") for _ in range(THREADS)]
    free = 2

    results, errors = _race(
        app, [lambda v=v: services.sign_up(slot.id, actor=v) for v in volunteers]
    )

    unexpected = [e for e in errors if e is not None]
    assert not unexpected, unexpected
    outcomes = [r.outcome for r in results]
    assert outcomes.count("confirmed") == free
    assert outcomes.count("waitlisted") == THREADS - free
    with db.connection_context():
        assert Slot.get_by_id(slot.id).taken == 5
        assert Signup.select().where(Signup.status == "confirmed").count() == 5
        waitlisted = list(
            Signup.select()
            .where(Signup.status == "waitlisted")
            .order_by(Signup.queued_at, Signup.id)
        )
        assert len(waitlisted) == THREADS - free
        # Everyone was told exactly once.
        assert OutboxMessage.select().count() == THREADS
        assert_invariant()


def test_racing_cancellations_and_sign_ups_keep_the_count(app):
    """Half the seated cancel while newcomers sign up: the waitlist refills every seat."""
    with db.connection_context():
        _centre, _coord, activity, _vol = world()
        slot = make_slot(activity, capacity=10)
        seated = [make_signup(slot, make_user(locale="en")) for _ in range(10)]
        newcomers = [make_user(locale="en") for _ in range(THREADS - 10)]
        seated_ids = [(s.id, s.volunteer) for s in seated]

    calls = [lambda v=v: services.sign_up(slot.id, actor=v) for v in newcomers]
    calls += [
        lambda sid=sid, v=v: services.cancel_signup(sid, actor=v) for sid, v in seated_ids[:5]
    ]
    _results, errors = _race(app, calls)

    assert not [e for e in errors if e is not None]
    with db.connection_context():
        assert Slot.get_by_id(slot.id).taken == 10
        confirmed = Signup.select().where(Signup.status == "confirmed").count()
        waitlisted = Signup.select().where(Signup.status == "waitlisted").count()
        assert confirmed == 10
        assert waitlisted == len(newcomers) - 5
        assert_invariant()


def test_one_volunteer_races_for_two_overlapping_slots(app):
    with db.connection_context():
        centre, _coord, activity, volunteer = world()
        first = make_slot(activity, hours_ahead=30, capacity=5)
        second = make_slot(make_activity(centre), hours_ahead=31, capacity=5)

    calls = [
        lambda s=(first if i % 2 else second): services.sign_up(s.id, actor=volunteer)
        for i in range(THREADS)
    ]
    results, errors = _race(app, calls)

    successes = [r for r in results if r is not None]
    assert len(successes) == 1
    refused = [e for e in errors if e is not None]
    assert len(refused) == THREADS - 1
    assert all(isinstance(e, services.OverlapError | services.AlreadySignedUp) for e in refused), {
        type(e) for e in refused
    }
    with db.connection_context():
        assert (
            Signup.select()
            .where((Signup.volunteer == volunteer.id) & Signup.status.in_(ACTIVE))
            .count()
            == 1
        )
        assert_no_overlaps()
        assert_invariant()


def test_coordinator_assignments_race_with_volunteers(app):
    """Assignments and sign-ups for the last place: never more confirmed than capacity."""
    with db.connection_context():
        centre, coordinator, activity, _vol = world()
        slot = make_slot(activity, capacity=3)
        people = [make_user(locale="en") for _ in range(THREADS)]
        for p in people:
            choose(p, centre)  # the coordinator may see (and so assign) them

    calls = [
        (lambda p=p: services.assign(slot.id, p.id, actor=coordinator))
        if i % 2
        else (lambda p=p: services.sign_up(slot.id, actor=p))
        for i, p in enumerate(people)
    ]
    _results, errors = _race(app, calls)

    assert all(e is None or isinstance(e, services.SlotFull) for e in errors), errors
    with db.connection_context():
        assert Slot.get_by_id(slot.id).taken == 3
        assert_invariant()


@pytest.mark.parametrize("step", ["_new_signup", "queue_later"])
def test_a_database_error_mid_booking_rolls_everything_back(app, monkeypatch, step):
    """The seat is taken and the sign-up written (on PostgreSQL with its mail, in the same
    statement), then something fails: all is given back, the next works."""
    with db.connection_context():
        _centre, _coord, activity, volunteer = world()
        slot = make_slot(activity, capacity=1)
        other = make_user(locale="en")
        if step == "queue_later":  # the person's earlier row: reactivated, then the mail
            make_signup(slot, volunteer, status="cancelled")
        mails = OutboxMessage.select().count()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, step, broken)
    with db.connection_context(), pytest.raises(RuntimeError):
        services.sign_up(slot.id, actor=volunteer)
    monkeypatch.undo()
    with db.connection_context():
        assert Slot.get_by_id(slot.id).taken == 0
        assert Signup.select().where(Signup.status != "cancelled").count() == 0
        assert OutboxMessage.select().count() == mails
        assert services.sign_up(slot.id, actor=other).outcome == "confirmed"
        assert_invariant()
