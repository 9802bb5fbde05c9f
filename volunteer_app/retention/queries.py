"""Reading what the retention rules need: each person's timeline at each centre.

The §72a certificate record and the measles note of a person at a centre are kept only as
long as the person volunteers there (docs/domain.md, docs/privacy.md):

- never deleted while they have a booked slot there that has not ended (an active
  sign-up: confirmed, pending or waitlisted, on a slot that is not cancelled);
- otherwise deleted ``RETENTION_CHECK_START_MONTHS`` after the inspection when they have
  not taken up volunteering there since, and at the latest ``RETENTION_CHECK_END_MONTHS``
  after their last attended or booked slot there.

Both are one date per record: ``due_date`` computes it, ``timelines`` reads the facts it
needs for many people in two queries.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import peewee as pw
from flask import current_app

from volunteer_app.activities.models import Activity, Slot
from volunteer_app.centres.models import Centre
from volunteer_app.checks.models import CertificateCheck, MeaslesProof
from volunteer_app.checks.services import months_before
from volunteer_app.common.time import to_berlin
from volunteer_app.signups.models import ACTIVE, Signup

# A slot counts as taken up when the person held a place on it (or was recorded there).
TAKEN_UP = (Signup.status == "confirmed") | (Signup.attendance == "attended")


@dataclass(frozen=True)
class Timeline:
    """A person at one centre: the Berlin date of their last attended or booked slot there
    (past or future; None if they never had one), and whether a booking there is still open."""

    last_slot: dt.date | None = None
    booked: bool = False


NEVER = Timeline()


@dataclass(frozen=True)
class CheckPeriods:
    """The two retention periods for check records, in months (from the configuration)."""

    start_months: int
    end_months: int

    @classmethod
    def configured(cls) -> CheckPeriods:
        config = current_app.config
        return cls(
            start_months=int(config["RETENTION_CHECK_START_MONTHS"]),
            end_months=int(config["RETENTION_CHECK_END_MONTHS"]),
        )


def months_after(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months later (the month's last day if it is shorter)."""
    return months_before(day, -months)


def berlin_date(moment: dt.datetime) -> dt.date:
    """The Berlin calendar date of a naive-UTC timestamp."""
    return to_berlin(moment).date()


def due_date(inspected_on: dt.date, timeline: Timeline, periods: CheckPeriods) -> dt.date | None:
    """The day from which a check record (inspected or shown on ``inspected_on``) must be gone,
    or None while the person still has a booked slot at the centre."""
    if timeline.booked:
        return None
    due = months_after(inspected_on, periods.start_months)
    if timeline.last_slot is not None:
        due = max(due, months_after(timeline.last_slot, periods.end_months))
    return due


def booked_signups(volunteer, centre, now: dt.datetime) -> pw.Select:
    """The person's (a column or an id) active sign-ups for slots of the centre (a column or
    an id) that are not cancelled and have not ended at ``now``: use ``.exists()`` or
    ``fn.EXISTS(...)`` in a correlated condition."""
    return (
        Signup.select(Signup.id)
        .join(Slot, on=(Signup.slot == Slot.id))
        .join(Activity, on=(Slot.activity == Activity.id))
        .where(
            (Signup.volunteer == volunteer)
            & (Activity.centre == centre)
            & Signup.status.in_(ACTIVE)
            & (Slot.status == "scheduled")
            & (Slot.ends_at > now)
        )
    )


def _people_with_records():
    return CertificateCheck.select(CertificateCheck.volunteer).union(
        MeaslesProof.select(MeaslesProof.volunteer)
    )


def timelines(now: dt.datetime, volunteer_id: int | None = None) -> dict[tuple[int, int], Timeline]:
    """``(volunteer id, centre id) -> Timeline`` for everyone with a check record (or for one
    person), in two queries. Pairs without any slot are missing: use ``NEVER``."""
    people = [volunteer_id] if volunteer_id is not None else _people_with_records()
    scheduled = Slot.status == "scheduled"
    last = (
        Signup.select(Signup.volunteer, Activity.centre, pw.fn.MAX(Slot.ends_at))
        .join(Slot, on=(Signup.slot == Slot.id))
        .join(Activity, on=(Slot.activity == Activity.id))
        .where(Signup.volunteer.in_(people) & scheduled & TAKEN_UP)
        .group_by(Signup.volunteer, Activity.centre)
        .tuples()
    )
    booked = (
        Signup.select(Signup.volunteer, Activity.centre)
        .join(Slot, on=(Signup.slot == Slot.id))
        .join(Activity, on=(Slot.activity == Activity.id))
        .where(
            Signup.volunteer.in_(people)
            & scheduled
            & Signup.status.in_(ACTIVE)
            & (Slot.ends_at > now)
        )
        .distinct()
        .tuples()
    )
    booked_pairs = set(booked)
    out: dict[tuple[int, int], Timeline] = {}
    for volunteer, centre, ends_at in last:
        out[(volunteer, centre)] = Timeline(
            berlin_date(ends_at), (volunteer, centre) in booked_pairs
        )
    for pair in booked_pairs - out.keys():
        out[pair] = Timeline(None, True)  # only pending or waitlisted so far
    return out


@dataclass(frozen=True)
class CentreRecords:
    """What one centre has noted about the person, and from when each record must be gone
    (None while they are booked there: then it stays until after their last date)."""

    centre: Centre
    certificate: CertificateCheck | None
    measles: MeaslesProof | None
    certificate_due: dt.date | None
    measles_due: dt.date | None
    booked: bool


def own_records(volunteer_id: int, now: dt.datetime) -> list[CentreRecords]:
    """The person's certificate records and measles notes, per centre by name (three queries)."""
    certificates = {
        c.centre_id: c
        for c in CertificateCheck.select(CertificateCheck, Centre)
        .join(Centre, on=(CertificateCheck.centre == Centre.id))
        .where(CertificateCheck.volunteer == volunteer_id)
    }
    measles = {
        m.centre_id: m
        for m in MeaslesProof.select(MeaslesProof, Centre)
        .join(Centre, on=(MeaslesProof.centre == Centre.id))
        .where(MeaslesProof.volunteer == volunteer_id)
    }
    lines = timelines(now, volunteer_id=volunteer_id)
    periods = CheckPeriods.configured()
    out = []
    for centre_id in certificates.keys() | measles.keys():
        certificate, proof = certificates.get(centre_id), measles.get(centre_id)
        timeline = lines.get((volunteer_id, centre_id), NEVER)
        out.append(
            CentreRecords(
                centre=(certificate or proof).centre,
                certificate=certificate,
                measles=proof,
                certificate_due=certificate
                and due_date(certificate.inspected_on, timeline, periods),
                measles_due=proof and due_date(proof.shown_on, timeline, periods),
                booked=timeline.booked,
            )
        )
    return sorted(out, key=lambda line: (line.centre.name.casefold(), line.centre.id))
