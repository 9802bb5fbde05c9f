"""The matching problem built from the database: every rule the web side feeds the engine."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories_centres import count_queries
from tests.factories_proposals import (
    make_activity,
    make_centre,
    make_check,
    make_signup,
    make_volunteer,
    next_weekday,
    slot_on,
)
from volunteer_app import matching
from volunteer_app.centres.queries import today
from volunteer_app.proposals.models import MatchRun, Proposal
from volunteer_app.proposals.problem import build_problem

pytestmark = pytest.mark.dates  # depends on today: CI reruns it at fixed days


def _eligible(built, slot) -> set[int]:
    return set(matching.eligible(built.problem)[slot.id])


def _build(centre, day, **kw):
    return build_problem([centre.id], day, day + dt.timedelta(days=kw.pop("days", 0)), **kw)


def test_interests_windows_and_centres(app, conn):
    centre, other = make_centre(), make_centre()
    day = next_weekday(1)  # Tuesday
    slot = slot_on(make_activity(centre, category_key="reading"), day, hour=15)
    reader = make_volunteer(centre)
    gardener = make_volunteer(centre, categories=("gardening",))
    open_one = make_volunteer(centre, categories=(), open_to_anything=True)
    mornings = make_volunteer(centre, start="08:00", end="12:00")
    mondays = make_volunteer(centre, weekdays=(0,))
    elsewhere = make_volunteer(other)
    built = _build(centre, day)
    assert _eligible(built, slot) == {reader.id, open_one.id}
    ids = {v.id for v in built.problem.volunteers}
    assert elsewhere.id not in ids and {gardener.id, mornings.id, mondays.id} <= ids
    (engine_slot,) = built.problem.slots
    assert engine_slot.start.hour == 15  # Berlin wall-clock, whatever the UTC offset
    assert engine_slot.seats == slot.capacity


def test_certificate_must_be_valid_on_the_slot_date_at_the_slots_centre(app, conn):
    centre, other = make_centre(), make_centre()
    activity = make_activity(centre, is_child_facing=True)
    day = next_weekday(2)
    slot = slot_on(activity, day)
    valid = make_volunteer(centre)
    make_check(valid, centre)
    # Inspected almost five years ago: the five years run out before the slot's date.
    expiring = make_volunteer(centre)
    days_left = (day - today()).days - 1
    make_check(expiring, centre, inspected_days_ago=5 * 365 + 1 - days_left)
    not_eligible = make_volunteer(centre)
    make_check(not_eligible, centre, eligible=False)
    other_centre = make_volunteer(centre, other)
    make_check(other_centre, other)
    none = make_volunteer(centre)
    built = _build(centre, day)
    assert _eligible(built, slot) == {valid.id}
    # The certificate reason names the slot centre's own record.
    kinds = {r.kind: r.data for r in built.reasons(valid.id, slot.id)}
    assert kinds["certificate"]["valid_until"] > day
    assert none.id in {v.id for v in built.problem.volunteers}
    # The funnel of the slot stops at the certificate.
    steps = dict(matching.funnel(built.for_centre(centre.id), slot.id))
    assert steps["centre"] == 5 and steps["certificate"] == 1


def test_multi_centre_problem_uses_each_centres_own_certificate(app, conn):
    a, b = make_centre(), make_centre()
    day = next_weekday(3)
    slot_a = slot_on(make_activity(a, is_child_facing=True), day, hour=10)
    slot_b = slot_on(make_activity(b, is_child_facing=True), day + dt.timedelta(days=7), hour=10)
    person = make_volunteer(a, b)
    make_check(person, a)
    built = build_problem([a.id, b.id], day, day + dt.timedelta(days=7))
    eligible = matching.eligible(built.problem)
    assert person.id in eligible[slot_a.id]
    assert person.id not in eligible[slot_b.id]


def test_confirmed_signups_are_fixed_and_count_against_seats_and_caps(app, conn):
    centre = make_centre()
    day = next_weekday(1)
    activity = make_activity(centre, volunteers_needed=2)
    slot = slot_on(activity, day)
    later = slot_on(activity, day + dt.timedelta(days=1))
    busy = make_volunteer(centre, max_per_week=1)
    make_signup(slot, busy)
    no_profile = make_signup(slot, None).volunteer  # assigned by hand, no profile
    built = _build(centre, day, days=1)
    assert built.problem.fixed == (matching.Pair(busy.id, slot.id),)
    seats = {s.id: s.seats for s in built.problem.slots}
    assert seats[slot.id] == 1  # the person without a profile takes a seat away
    assert busy.id not in _eligible(built, later)  # one a week, already used
    assert no_profile.id not in {v.id for v in built.problem.volunteers}


def test_load_outside_the_period_counts_for_week_month_and_day(app, conn):
    centre = make_centre()
    monday = next_weekday(0, weeks_ahead=2)
    activity = make_activity(centre)
    inside = slot_on(activity, monday + dt.timedelta(days=2), hour=15)
    outside_same_day = slot_on(activity, monday + dt.timedelta(days=2), hour=9)
    outside_week = slot_on(activity, monday, hour=9)
    weekly = make_volunteer(centre, max_per_week=1)
    make_signup(outside_week, weekly)
    daily = make_volunteer(centre, max_per_week=5)
    make_signup(outside_same_day, daily)
    free = make_volunteer(centre)
    # The period is Wednesday only; Monday's date is outside it but in the same week.
    wednesday = monday + dt.timedelta(days=2)
    built = build_problem([centre.id], wednesday, wednesday)
    assert outside_week.id not in {s.id for s in built.problem.slots}
    load = built.problem.load
    assert sum(load[weekly.id]["week"].values()) == 1
    eligible = _eligible(built, inside)
    assert weekly.id not in eligible and daily.id not in eligible and free.id in eligible


def test_overlap_with_a_date_elsewhere_excludes_the_pair(app, conn):
    centre = make_centre()
    day = next_weekday(4)
    slot = slot_on(make_activity(centre), day, hour=15)
    elsewhere = slot_on(make_activity(make_centre()), day, hour=16)
    person = make_volunteer(centre, max_per_week=5)
    make_signup(elsewhere, person)
    built = build_problem([centre.id], day, day, allow_same_day=True)
    assert person.id not in _eligible(built, slot)


def test_declined_removed_and_cancelled_pairs_are_never_proposed(app, conn):
    centre = make_centre()
    day = next_weekday(1)
    slot = slot_on(make_activity(centre, volunteers_needed=5), day)
    said_no, removed, cancelled, fine = (make_volunteer(centre) for _ in range(4))
    run = MatchRun.create(centre=centre, period_from=day, period_to=day)
    Proposal.create(run=run, slot=slot, volunteer=said_no, status="declined")
    Proposal.create(run=run, slot=slot, volunteer=removed, status="removed")
    make_signup(slot, cancelled, status="cancelled")
    built = _build(centre, day)
    assert _eligible(built, slot) == {fine.id}
    assert matching.Pair(said_no.id, slot.id) in built.problem.declined


def test_invitations_are_fixed_and_earlier_proposals_are_previous(app, conn):
    centre = make_centre()
    day = next_weekday(1)
    slot = slot_on(make_activity(centre, volunteers_needed=3), day)
    invited, proposed = make_volunteer(centre), make_volunteer(centre)
    run = MatchRun.create(centre=centre, period_from=day, period_to=day)
    Proposal.create(run=run, slot=slot, volunteer=invited, status="invited")
    Proposal.create(run=run, slot=slot, volunteer=proposed, status="proposed")
    built = _build(centre, day)
    assert built.problem.fixed == (matching.Pair(invited.id, slot.id),)
    assert built.problem.previous == (matching.Pair(proposed.id, slot.id),)
    assert _build(centre, day, exclude_run=run.id).problem.previous == ()


def test_past_cancelled_and_other_centres_slots_are_left_out(app, conn):
    centre = make_centre()
    day = next_weekday(1)
    activity = make_activity(centre)
    kept = slot_on(activity, day)
    slot_on(activity, day, hour=9, status="cancelled")
    slot_on(make_activity(make_centre()), day)
    slot_on(activity, today() - dt.timedelta(days=1))
    built = build_problem([centre.id], today() - dt.timedelta(days=1), day)
    assert [s.id for s in built.problem.slots] == [kept.id]


def test_history_gives_continuity(app, conn):
    centre = make_centre()
    activity = make_activity(centre)
    past = slot_on(activity, today() - dt.timedelta(days=10))
    person = make_volunteer(centre)
    make_signup(past, person)
    day = next_weekday(1)
    slot = slot_on(activity, day)
    built = _build(centre, day)
    (volunteer,) = built.problem.volunteers
    assert volunteer.history_centres == frozenset({centre.id})
    assert "continuity" in {r.kind for r in built.reasons(person.id, slot.id)}


def _build_queries(centre, day) -> int:
    with count_queries() as counter:
        _build(centre, day, days=6)
    return counter.count


def test_building_costs_the_same_number_of_queries_for_more_rows(app, conn):
    centre = make_centre()
    day = next_weekday(0)
    activity = make_activity(centre, is_child_facing=True, volunteers_needed=5)
    for offset in range(2):
        make_signup(slot_on(activity, day + dt.timedelta(days=offset)), make_volunteer(centre))
    small = _build_queries(centre, day)
    for offset in range(2, 7):
        slot = slot_on(activity, day + dt.timedelta(days=offset))
        for _ in range(4):
            person = make_volunteer(centre)
            make_check(person, centre)
            make_signup(slot, person)
    assert _build_queries(centre, day) == small
