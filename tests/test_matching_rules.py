"""Eligibility rules, the funnel, suggestions, reasons, and the checker catching violations
(message for message as the checker before it, tests/matching_reference.py)."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from tests import matching_reference as reference
from tests.factories_matching import tiny
from volunteer_app.matching import (
    Options,
    Pair,
    Problem,
    Reason,
    Slot,
    Volunteer,
    Window,
    check,
    eligible,
    funnel,
    funnels,
    reasons,
    solve,
    suggest,
)
from volunteer_app.matching.generate import generate

TUE = datetime(2026, 3, 3, 10, 0)  # a Tuesday


def vol(vid, **kw):
    base = dict(
        id=vid,
        interests=frozenset({1}),
        open_to_anything=False,
        windows=(Window(1, 9 * 60, 13 * 60), Window(3, 9 * 60, 13 * 60)),
        centres=frozenset({5}),
        certificate_valid_until=date(2029, 5, 31),
        languages=frozenset({"de"}),
    )
    base.update(kw)
    return Volunteer(**base)


def slot(sid, start=TUE, minutes=90, **kw):
    from datetime import timedelta

    base = dict(
        id=sid, centre=5, category=1, start=start, end=start + timedelta(minutes=minutes), seats=1
    )
    base.update(kw)
    return Slot(**base)


def test_funnel_counts_volunteers_left_after_each_rule_in_order():
    s = slot(1, child_facing=True, language="ar")
    people = (
        vol(1, interests=frozenset({2})),  # fails interest
        vol(2, windows=(Window(0, 0, 1440),)),  # fails window (Monday only)
        vol(3, centres=frozenset({6})),  # fails centre
        vol(4, certificate_valid_until=date(2026, 3, 1)),  # expired before the slot
        vol(5),  # no Arabic
        vol(6, languages=frozenset({"de", "ar"}), cap_week=0),  # no capacity left
        vol(7, languages=frozenset({"ar"})),
        vol(8, languages=frozenset({"ar"}), open_to_anything=True, interests=frozenset()),
    )
    declined = frozenset({Pair(8, 1)})
    problem = Problem(people, (s,), declined=declined)
    assert funnel(problem, 1) == [
        ("interest", 7),
        ("window", 6),
        ("centre", 5),
        ("certificate", 4),
        ("language", 3),
        ("free", 1),
    ]
    assert eligible(problem) == {1: [7]}
    assert funnels(problem) == {1: funnel(problem, 1)}


def test_free_counts_fixed_pairs_load_and_overlaps():
    a, b = slot(1), slot(2, start=TUE.replace(day=5))  # Tuesday and Thursday, same week
    other = slot(3, start=TUE.replace(hour=11), centre=9)  # overlaps a, not reachable
    p = Problem((vol(1, cap_week=1),), (a, b, other), fixed=(Pair(1, 1),))
    assert eligible(p) == {1: [], 2: [], 3: []}  # week cap used up by the fixed slot
    p2 = Problem((vol(1, cap_month=3),), (a, b), load={1: {"day": {date(2026, 3, 5): 1}}})
    assert eligible(p2) == {1: [1], 2: []}
    p3 = Problem(
        (vol(1, cap_day=2),),
        (a, slot(4, start=TUE.replace(hour=11)), slot(5, start=TUE.replace(hour=12), minutes=60)),
        fixed=(Pair(1, 1),),
        options=Options(allow_same_day=True),
    )
    assert eligible(p3) == {1: [], 4: [], 5: [1]}  # slot 4 overlaps the fixed one


def test_reasons_are_structured_and_only_those_that_hold():
    s = slot(1, child_facing=True, language="ar", series=4)
    v = vol(
        1,
        languages=frozenset({"de", "ar"}),
        history_centres=frozenset({5}),
        history_series=frozenset({4}),
    )
    got = reasons(Problem((v,), (s,)), 1, 1)
    assert got == [
        Reason("interest", {"category": 1}),
        Reason("window", {"weekday": 1, "start_minute": 540, "end_minute": 780}),
        Reason("certificate", {"valid_until": date(2029, 5, 31)}),
        Reason("language", {"language": "ar"}),
        Reason("continuity", {"centre": 5}),
        Reason("series", {"series": 4}),
    ]
    assert [r.data for r in got] == [
        {"category": 1},
        {"weekday": 1, "start_minute": 540, "end_minute": 780},
        {"valid_until": date(2029, 5, 31)},
        {"language": "ar"},
        {"centre": 5},
        {"series": 4},
    ]
    anything = vol(2, interests=frozenset(), open_to_anything=True)
    assert reasons(Problem((anything,), (slot(2),)), 2, 2)[0].kind == "open"


def test_suggest_ranks_eligible_open_slots_only():
    me = vol(
        1, interests=frozenset({1, 2}), centres=frozenset({5, 8}), history_centres=frozenset({8})
    )
    rival = vol(2, interests=frozenset({1, 2}))
    thu = TUE.replace(day=5)
    slots = (
        slot(1, category=2),  # fits, but another person could do it too
        slot(2, start=thu, category=1, seats=2),  # fits, one seat taken by rival (fixed)
        slot(3, start=thu.replace(hour=9), category=1, seats=1),  # full: rival fixed
        slot(4, category=3),  # not my interest
        slot(5, start=TUE.replace(day=10), category=1, centre=8),  # fits; my old centre
        slot(6, start=TUE.replace(hour=14)),  # outside my window
    )
    problem = Problem((me, rival), slots, fixed=(Pair(2, 2), Pair(2, 3)))
    ranked = suggest(problem, 1)
    ids = [sid for sid, _ in ranked]
    assert set(ids) == {1, 5, 2}
    assert 3 not in ids and 4 not in ids and 6 not in ids
    assert ids == [5, 1, 2]  # continuity first; then the empty slot before the half-filled one
    assert all(rs and rs[0].kind == "interest" for _, rs in ranked)
    assert suggest(problem, 1, limit=1) == ranked[:1]
    assert suggest(problem, 99) == []


def test_checker_catches_every_kind_of_violation():
    people = (vol(1, cap_week=1, cap_month=1), vol(2), vol(3, interests=frozenset({2})))
    a = slot(1, child_facing=True)
    b = slot(2, start=TUE.replace(day=5))
    c = slot(3, start=TUE.replace(hour=11), centre=7, language="ar")
    problem = Problem(people, (a, b, c), fixed=(Pair(2, 1),), declined=frozenset({Pair(2, 2)}))
    assert check(problem, [Pair(1, 2)]) == []

    def bad(pairs, fragment, p=problem):
        found = check(p, pairs)
        assert any(fragment in f for f in found), found

    bad([Pair(3, 2)], "interests")
    bad([Pair(1, 3)], "not reachable")
    bad([Pair(1, 3)], "language ar")
    late = replace(
        problem, slots=(slot(1, start=TUE.replace(hour=12)),), fixed=()
    )  # ends 13:30 > 13:00
    bad([Pair(1, 1)], "outside availability", late)
    bad([Pair(2, 2)], "declined")
    bad([Pair(2, 1)], "already fixed")
    bad([Pair(1, 1)], "1 seats")
    bad([Pair(1, 2), Pair(1, 2)], "twice")
    bad([Pair(9, 2)], "unknown volunteer")
    bad([Pair(1, 99)], "unknown slot")
    expired = replace(
        problem, volunteers=(vol(1, certificate_valid_until=date(2026, 3, 2)),), fixed=()
    )
    bad([Pair(1, 1)], "certificate", expired)
    two = replace(problem, slots=(a, b, slot(4, start=TUE.replace(day=10))), fixed=())
    bad([Pair(1, 1), Pair(1, 2)], "week", two)
    bad([Pair(1, 1), Pair(1, 4)], "month", two)
    same_day = replace(problem, slots=(a, slot(5, start=TUE.replace(hour=11))), fixed=())
    bad([Pair(2, 1), Pair(2, 5)], "day", same_day)
    allowed = replace(
        same_day, volunteers=(vol(2, cap_day=2),), options=Options(allow_same_day=True)
    )
    bad([Pair(2, 1), Pair(2, 5)], "overlap", allowed)
    loaded = replace(problem, fixed=(), load={1: {"week": {(2026, 10): 1}}})
    bad([Pair(1, 2)], "week", loaded)
    series = replace(
        problem,
        slots=(slot(1, series=3), slot(2, start=TUE.replace(day=10), series=3)),
        fixed=(),
        declined=frozenset(),
        options=Options(same_person_for_series=True),
    )
    bad([Pair(2, 1)], "series 3", series)
    assert check(series, [Pair(2, 1), Pair(2, 2)]) == []


def _with_noise(problem, seed: int):
    """Outside load, fixed and declined pairs (some of them odd: unknown ids, duplicates)."""
    rng = random.Random(seed)
    vids = [v.id for v in problem.volunteers] + [999]
    sids = [s.id for s in problem.slots] + [12345]
    every = [Pair(v, s) for v in vids for s in sids]
    days = sorted({s.start.date() for s in problem.slots})
    load = {}
    for vid in rng.sample(vids, min(2, len(vids))):
        d = rng.choice(days) if days else date(2026, 3, 3)
        iso = d.isocalendar()
        load[vid] = {
            "month": {(d.year, d.month): rng.randint(0, 3)},
            "week": {(iso[0], iso[1]): rng.randint(0, 2)},
            "day": {d: rng.randint(0, 1)},
        }
    fixed = tuple(rng.sample(every, 3)) if seed % 3 == 0 else ()
    return replace(
        problem,
        fixed=fixed + fixed[:1],  # a confirmed pair listed twice counts twice
        declined=frozenset(rng.sample(every, 4)) if seed % 2 else frozenset(),
        load=load if seed % 4 else {},
    ), every


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10**6), st.sampled_from(["plain", "same_day", "series"]))
def test_property_the_checker_says_what_it_said_before(seed, kind):
    """check() works on (volunteer, slot) tuples and counts now; the checker it replaced
    (tests/matching_reference.py) gives the same messages in the same order, on random pair
    sets with every kind of violation (duplicates and unknown ids included)."""
    options = {
        "plain": Options(),
        "same_day": Options(allow_same_day=True),
        "series": Options(same_person_for_series=True),
    }[kind]
    problem, every = _with_noise(tiny(seed, volunteers=5, slots=8, options=options), seed)
    rng = random.Random(seed)
    for _ in range(5):
        pairs = rng.sample(every, rng.randint(0, 14))
        pairs += rng.sample(pairs, min(len(pairs), rng.randint(0, 2)))
        assert check(problem, pairs) == reference.check(problem, pairs)


def test_the_checker_says_what_it_said_before_on_a_solved_month():
    problem = generate(300, 1500, seed=4)
    pairs = list(solve(problem, "greedy").pairs)
    rng = random.Random(4)
    noisy = pairs + rng.sample(
        [Pair(v.id, s.id) for v in problem.volunteers[:40] for s in problem.slots[:150]], 400
    )
    for variant, chosen in (
        (problem, pairs),
        (problem, noisy),
        (_with_noise(problem, 6)[0], noisy),
    ):
        found = check(variant, chosen)
        assert found == reference.check(variant, chosen)
    assert found  # the noisy set breaks rules
