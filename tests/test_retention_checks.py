"""Retention of certificate records and measles notes on hand-made timelines.

Every date is relative to today (Berlin): never started, ended 2 and 4 months ago, still
booked; per centre; each run twice, the second deleting nothing more.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import make_centre, make_check, make_signup, make_user
from tests.factories_coordination import make_activity, make_slot
from volunteer_app.activities.models import Slot
from volunteer_app.centres.queries import today
from volunteer_app.checks.models import CertificateCheck, MeaslesProof
from volunteer_app.checks.services import months_before
from volunteer_app.common.time import berlin_to_utc
from volunteer_app.db import utcnow
from volunteer_app.retention import services
from volunteer_app.retention.queries import (
    NEVER,
    CheckPeriods,
    Timeline,
    due_date,
    months_after,
)

pytestmark = pytest.mark.dates  # depends on today: CI reruns it at fixed days

KINDS = ("certificate", "measles")
MODELS = {"certificate": CertificateCheck, "measles": MeaslesProof}


def record(kind: str, volunteer, centre, inspected: dt.date):
    """A certificate record or measles note of ``volunteer`` at ``centre`` dated ``inspected``."""
    if kind == "certificate":
        return make_check(
            volunteer,
            centre,
            certificate_date=inspected - dt.timedelta(days=10),
            inspected_on=inspected,
        )
    return MeaslesProof.create(
        volunteer=volunteer, centre=centre, shown_on=inspected, proof_ok=True
    )


def slot_on(centre, day: dt.date, volunteer, status: str = "confirmed", **fields):
    """A two-hour slot at 10:00 Berlin on ``day`` at ``centre`` with the volunteer on it."""
    slot = make_slot(
        make_activity(centre), starts_at=berlin_to_utc(dt.datetime.combine(day, dt.time(10)))
    )
    make_signup(slot, volunteer, status=status, **fields)
    return slot


def exists(row) -> bool:
    return type(row).select().where(type(row).id == row.id).exists()


def run_twice(kind: str) -> int:
    """Run the rule twice; the second run must delete nothing. Returns the first count."""
    first = services.delete_expired_check_records(kind, utcnow())
    assert services.delete_expired_check_records(kind, utcnow()) == 0
    return first


@pytest.fixture
def centre(conn):
    return make_centre(name="Zentrum Sonnenblume")


@pytest.fixture
def person(conn):
    return make_user(name="Vera Vogel")


# --- The date each record is due ------------------------------------------------------------


def test_due_date_rules():
    periods = CheckPeriods(start_months=3, end_months=3)
    inspected = dt.date(2025, 1, 31)
    # Never started: three months after the inspection (the month's last day if shorter).
    assert due_date(inspected, NEVER, periods) == dt.date(2025, 4, 30)
    # Started: three months after the last date, unless the inspection's period ends later.
    assert due_date(inspected, Timeline(dt.date(2025, 6, 15)), periods) == dt.date(2025, 9, 15)
    assert due_date(inspected, Timeline(dt.date(2024, 12, 1)), periods) == dt.date(2025, 4, 30)
    # Booked: no date at all.
    assert due_date(inspected, Timeline(dt.date(2025, 6, 15), booked=True), periods) is None
    assert due_date(inspected, Timeline(None, booked=True), periods) is None
    assert months_after(dt.date(2024, 11, 30), 3) == dt.date(2025, 2, 28)


# --- Never started ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_never_started_goes_three_months_after_the_inspection(kind, centre, person):
    other = make_user(name="Otto Ohnezeit")
    due = record(kind, person, centre, months_before(today(), 3))
    fresh = record(kind, other, centre, today() - dt.timedelta(days=80))

    assert run_twice(kind) == 1
    assert not exists(due)
    assert exists(fresh)  # still within three months of the inspection


@pytest.mark.parametrize("kind", KINDS)
def test_cancelled_or_declined_sign_ups_are_not_taking_up(kind, centre, person):
    """A slot the centre cancelled, or a sign-up cancelled or declined, does not count."""
    slot = slot_on(centre, today() - dt.timedelta(days=20), person)
    Slot.update(status="cancelled").where(Slot.id == slot.id).execute()
    slot_on(centre, today() - dt.timedelta(days=10), person, status="cancelled")
    slot_on(centre, today() - dt.timedelta(days=5), person, status="declined")
    row = record(kind, person, centre, months_before(today(), 4))

    assert run_twice(kind) == 1
    assert not exists(row)


# --- Ended some time ago ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_ended_two_months_ago_is_kept_four_months_ago_is_deleted(kind, centre, person):
    inspected = months_before(today(), 14)
    recent = make_user(name="Rita Recent")
    slot_on(centre, months_before(today(), 8), recent, attendance="attended")
    slot_on(centre, months_before(today(), 2), recent, attendance="attended")
    kept = record(kind, recent, centre, inspected)
    slot_on(centre, months_before(today(), 4), person, attendance="attended")
    gone = record(kind, person, centre, inspected)

    assert run_twice(kind) == 1
    assert exists(kept)
    assert not exists(gone)


@pytest.mark.parametrize("kind", KINDS)
def test_a_booked_slot_without_attendance_counts_as_the_last_date(kind, centre, person):
    """Attendance not recorded (or a no-show): the booked slot still counts."""
    slot_on(centre, months_before(today(), 5), person, attendance="attended")
    slot_on(centre, months_before(today(), 2), person)  # confirmed, nothing recorded
    row = record(kind, person, centre, months_before(today(), 6))

    assert run_twice(kind) == 0
    assert exists(row)


@pytest.mark.parametrize("kind", KINDS)
def test_a_shorter_end_period_is_applied(kind, app, centre, person):
    app.config["RETENTION_CHECK_END_MONTHS"] = 1
    slot_on(centre, months_before(today(), 2), person, attendance="attended")
    row = record(kind, person, centre, months_before(today(), 12))

    assert run_twice(kind) == 1
    assert not exists(row)


# --- Still booked -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("status", ["confirmed", "pending", "waitlisted"])
def test_still_booked_is_kept_however_old(kind, status, centre, person):
    slot_on(centre, months_before(today(), 30), person, attendance="attended")
    slot_on(centre, today() + dt.timedelta(days=10), person, status=status)
    row = record(kind, person, centre, months_before(today(), 40))

    assert run_twice(kind) == 0
    assert exists(row)


@pytest.mark.parametrize("kind", KINDS)
def test_a_slot_under_way_keeps_the_record(kind, centre, person):
    start = utcnow().replace(microsecond=0) - dt.timedelta(hours=1)
    make_signup(make_slot(make_activity(centre), starts_at=start, hours=3), person)
    row = record(kind, person, centre, months_before(today(), 40))

    assert run_twice(kind) == 0
    assert exists(row)


@pytest.mark.parametrize("kind", KINDS)
def test_a_cancelled_future_slot_protects_nothing(kind, centre, person):
    slot = slot_on(centre, today() + dt.timedelta(days=10), person)
    Slot.update(status="cancelled").where(Slot.id == slot.id).execute()
    row = record(kind, person, centre, months_before(today(), 5))

    assert run_twice(kind) == 1
    assert not exists(row)


@pytest.mark.parametrize("kind", KINDS)
def test_each_centre_on_its_own(kind, centre, person):
    """Booked at one centre keeps that centre's record only."""
    elsewhere = make_centre(name="Zentrum Regenbogen")
    slot_on(centre, today() + dt.timedelta(days=7), person)
    slot_on(elsewhere, months_before(today(), 5), person, attendance="attended")
    here = record(kind, person, centre, months_before(today(), 9))
    there = record(kind, person, elsewhere, months_before(today(), 9))

    assert run_twice(kind) == 1
    assert exists(here)
    assert not exists(there)


def test_the_whole_job_reports_both_kinds_and_deletes_nothing_the_second_time(centre, person):
    record("certificate", person, centre, months_before(today(), 4))
    record("measles", person, centre, months_before(today(), 4))
    keep = make_user(name="Kurt Kommt")
    slot_on(centre, today() + dt.timedelta(days=2), keep)
    record("certificate", keep, centre, months_before(today(), 4))
    record("measles", keep, centre, months_before(today(), 4))

    first = services.run_retention()
    assert first.counts["certificate_records"] == 1
    assert first.counts["measles_records"] == 1
    second = services.run_retention()
    assert second.deleted == 0, second.counts
    assert [r.volunteer_id for r in CertificateCheck.select()] == [keep.id]
    assert [r.volunteer_id for r in MeaslesProof.select()] == [keep.id]


def test_the_job_at_a_later_now(centre, person):
    """``run_retention(now=…)`` applies the rules as of that moment."""
    record("certificate", person, centre, today() - dt.timedelta(days=10))
    assert services.run_retention().counts["certificate_records"] == 0
    later = utcnow() + dt.timedelta(days=100)
    assert services.run_retention(now=later).counts["certificate_records"] == 1
    assert CertificateCheck.select().count() == 0
