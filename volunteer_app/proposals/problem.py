"""The matching problem of centres' open slots in a period, read from the database.

The problem follows ``matching.Problem`` (Berlin wall-clock times). Everything a rule needs
is read in a fixed number of queries, whatever the number of volunteers and slots.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
from collections import defaultdict

from volunteer_app import matching
from volunteer_app.accounts.models import User
from volunteer_app.activities.models import Activity, Slot
from volunteer_app.checks.models import CertificateCheck
from volunteer_app.checks.queries import certificate_valid_until
from volunteer_app.common.time import berlin_to_utc, to_berlin
from volunteer_app.db import utcnow
from volunteer_app.proposals.models import EXCLUDED, HOLDING, Proposal, StandinRequest
from volunteer_app.signups.models import Signup
from volunteer_app.volunteers.models import (
    AvailabilityWindow,
    Interest,
    ReachableCentre,
    VolunteerProfile,
)
from volunteer_app.volunteers.queries import chose_centres

HISTORY_DAYS = 365
# Sign-ups that keep the person off that slot in a run: they said no, were declined, or
# wait for approval (which a proposal must not pre-empt).
NOT_AGAIN = ("cancelled", "declined", "pending")
# With "several slots a day" a person may take up to this many (never overlapping).
SAME_DAY_CAP = 3


@dataclasses.dataclass
class Built:
    """A problem plus what the web layer needs to explain it.

    ``problem`` is what is solved: per-centre certificates are exact through exclusions
    (the engine knows one date per person), so ``for_centre(c)`` gives the variant whose
    certificate dates are the ones centre ``c`` recorded, for reasons and funnels.
    """

    problem: matching.Problem
    certificates: dict[int, dict[int, dt.date]]  # centre -> volunteer -> last valid day
    slot_rows: dict[int, Slot]
    _variants: dict = dataclasses.field(default_factory=dict)
    _by_id: dict = dataclasses.field(default_factory=dict)
    true_declined: frozenset = frozenset()

    def for_centre(self, centre_id: int) -> matching.Problem:
        """The problem with the certificate dates centre ``centre_id`` recorded (funnels)."""
        if centre_id not in self._variants:
            valid = self.certificates.get(centre_id, {})
            volunteers = tuple(
                dataclasses.replace(v, certificate_valid_until=valid.get(v.id))
                for v in self.problem.volunteers
            )
            self._variants[centre_id] = dataclasses.replace(
                self.problem, volunteers=volunteers, declined=self.true_declined
            )
        return self._variants[centre_id]

    def reasons(self, volunteer_id: int, slot_id: int) -> list:
        """The engine's reasons for one pair, with the slot centre's certificate record.

        Reasons depend on the person and the slot only: a two-row problem keeps it cheap."""
        if not self._by_id:
            self._by_id = {v.id: v for v in self.problem.volunteers}
            self._by_id.update({("s", s.id): s for s in self.problem.slots})
        slot = self._by_id[("s", slot_id)]
        volunteer = dataclasses.replace(
            self._by_id[volunteer_id],
            certificate_valid_until=self.certificates.get(slot.centre, {}).get(volunteer_id),
        )
        tiny = matching.Problem(volunteers=(volunteer,), slots=(slot,))
        return matching.reasons(tiny, volunteer_id, slot_id)


def berlin_naive(value: dt.datetime) -> dt.datetime:
    return to_berlin(value).replace(tzinfo=None)


def period_bounds(period_from: dt.date, period_to: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Naive UTC bounds of Berlin dates ``period_from`` .. ``period_to`` (both included)."""
    start = berlin_to_utc(dt.datetime.combine(period_from, dt.time()))
    end = berlin_to_utc(dt.datetime.combine(period_to + dt.timedelta(days=1), dt.time()))
    return start, end


def _load_window(period_from: dt.date, period_to: dt.date) -> tuple[dt.date, dt.date]:
    """Every day in the months and ISO weeks the period touches (caps count there)."""
    first = min(period_from.replace(day=1), period_from - dt.timedelta(days=period_from.weekday()))
    next_month = (period_to.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    last = max(next_month - dt.timedelta(days=1), period_to + dt.timedelta(6 - period_to.weekday()))
    return first, last


def _minutes(value: dt.time) -> int:
    return value.hour * 60 + value.minute


def _volunteer_ids(centre_ids: list[int]):
    """Sub-select: active volunteers with a profile who can reach one of the centres.

    Those who chose the centres are the half of the visibility rule
    (``volunteers.queries.visible_volunteers``) that matching needs: whoever may start a
    run manages every centre it covers, so the problem never holds anyone they may not see.
    """
    return (
        User.select(User.id)
        .join(VolunteerProfile, on=(VolunteerProfile.user == User.id))
        .where(
            (User.role == "volunteer")
            & (User.is_active == True)  # noqa: E712
            & User.id.in_(chose_centres(centre_ids))
        )
    )


def problem_slots(
    centre_ids: list[int], start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> list[Slot]:
    """Scheduled future slots of the centres starting in [start, end) (one query)."""
    return list(
        Slot.select(Slot, Activity)
        .join(Activity, on=(Slot.activity == Activity.id))
        .where(
            Activity.centre.in_(centre_ids)
            & (Slot.status == "scheduled")
            & (Slot.starts_at >= max(start, now))
            & (Slot.starts_at < end)
            & (Slot.capacity > 0)
        )
        .order_by(Slot.starts_at, Slot.id)
    )


def build_problem(
    centre_ids: list[int],
    period_from: dt.date,
    period_to: dt.date,
    *,
    allow_same_day: bool = False,
    same_person_for_series: bool = False,
    exclude_run: int | None = None,
    now: dt.datetime | None = None,
    time_limit_s: float = 10.0,
) -> Built:
    """The matching problem of the centres' open slots in the period (Berlin dates).

    Hard rules come from the profiles (interests or open to anything, weekly windows,
    reachable centres, caps per week and month), the certificate checks of each slot's
    centre (valid on the slot's date), confirmed sign-ups and open invitations (fixed,
    counting against seats and caps), the load outside the period in the same months,
    weeks and days, overlaps with it, and pairs declined, removed or cancelled before
    (stand-in requests declined included).
    A sign-up pending approval keeps its person off that slot and off every slot
    overlapping it (not counted against their limits: it may still be declined).
    ``exclude_run``: its own proposals are not "previous" (a run being re-solved).
    """
    now = now or utcnow()
    start, end = period_bounds(period_from, period_to)
    slots = problem_slots(centre_ids, start, end, now)
    slot_ids = [s.id for s in slots]
    volunteer_ids = _volunteer_ids(centre_ids)

    people = list(
        VolunteerProfile.select(
            VolunteerProfile.user,
            VolunteerProfile.open_to_anything,
            VolunteerProfile.max_per_week,
            VolunteerProfile.max_per_month,
            VolunteerProfile.languages,
        )
        .where(VolunteerProfile.user.in_(volunteer_ids))
        .order_by(VolunteerProfile.user)
    )
    interests = defaultdict(set)
    for row in Interest.select(Interest.user, Interest.category).where(
        Interest.user.in_(volunteer_ids)
    ):
        interests[row.user_id].add(row.category_id)
    windows = defaultdict(list)
    for row in (
        AvailabilityWindow.select()
        .where(AvailabilityWindow.user.in_(volunteer_ids))
        .order_by(
            AvailabilityWindow.user, AvailabilityWindow.weekday, AvailabilityWindow.start_time
        )
    ):
        end_minute = _minutes(row.end_time) or 24 * 60
        windows[row.user_id].append(
            matching.Window(row.weekday, _minutes(row.start_time), end_minute)
        )
    reach = defaultdict(set)
    for row in ReachableCentre.select(ReachableCentre.user, ReachableCentre.centre).where(
        ReachableCentre.user.in_(volunteer_ids) & ReachableCentre.centre.in_(centre_ids)
    ):
        reach[row.user_id].add(row.centre_id)

    # Certificates: per centre (the booking service asks the slot's centre).
    certificates: dict[int, dict[int, dt.date]] = defaultdict(dict)
    inspected: dict[tuple[int, int], dt.date] = {}
    for check in CertificateCheck.select().where(
        CertificateCheck.centre.in_(centre_ids) & CertificateCheck.volunteer.in_(volunteer_ids)
    ):
        until = certificate_valid_until(check)
        if until is not None:
            # The engine counts its date as the last valid day; the check's is the first
            # day no longer valid.
            certificates[check.centre_id][check.volunteer_id] = until - dt.timedelta(days=1)
            inspected[(check.volunteer_id, check.centre_id)] = check.inspected_on

    # History: earlier confirmed dates (continuity with a centre or a series).
    history_centres, history_series = defaultdict(set), defaultdict(set)
    past = (
        Signup.select(Signup.volunteer, Slot.series, Activity.centre)
        .join(Slot, on=(Signup.slot == Slot.id))
        .join(Activity, on=(Slot.activity == Activity.id))
        .where(
            Signup.volunteer.in_(volunteer_ids)
            & (Signup.status == "confirmed")
            & (Slot.starts_at < now)
            & (Slot.starts_at >= now - dt.timedelta(days=HISTORY_DAYS))
        )
        .distinct()
        .tuples()
    )
    for volunteer_id, series_id, centre_id in past:
        history_centres[volunteer_id].add(centre_id)
        if series_id is not None:
            history_series[volunteer_id].add(series_id)

    known = {p.user_id for p in people}
    fixed: list[matching.Pair] = []
    declined: set[matching.Pair] = set()
    unknown_taken: dict[int, int] = defaultdict(int)
    # A sign-up pending approval holds no seat, but the person has asked for that time: they
    # are proposed neither for it nor for anything overlapping it (``busy`` below).
    busy: list[tuple[int, dt.datetime, dt.datetime]] = []
    slot_by_id = {s.id: s for s in slots}
    for volunteer_id, slot_id, status in (
        Signup.select(Signup.volunteer, Signup.slot, Signup.status)
        .where(Signup.slot.in_(slot_ids) & Signup.status.in_(("confirmed", *NOT_AGAIN)))
        .tuples()
    ):
        if status == "confirmed":
            if volunteer_id in known:
                fixed.append(matching.Pair(volunteer_id, slot_id))
            else:
                unknown_taken[slot_id] += 1
        else:
            declined.add(matching.Pair(volunteer_id, slot_id))
            if status == "pending":
                slot = slot_by_id[slot_id]
                busy.append(
                    (volunteer_id, berlin_naive(slot.starts_at), berlin_naive(slot.ends_at))
                )

    # A no to a coordinator's stand-in request is remembered like a declined invitation.
    for volunteer_id, slot_id in (
        StandinRequest.select(StandinRequest.volunteer, StandinRequest.slot)
        .where(StandinRequest.slot.in_(slot_ids) & (StandinRequest.status == "declined"))
        .tuples()
    ):
        declined.add(matching.Pair(volunteer_id, slot_id))

    previous: set[matching.Pair] = set()
    fixed_set = set(fixed)
    proposal_rows = (
        Proposal.select(Proposal.volunteer, Proposal.slot, Proposal.status, Proposal.run)
        .where(Proposal.slot.in_(slot_ids) & Proposal.status.in_((*HOLDING, *EXCLUDED)))
        .tuples()
    )
    for volunteer_id, slot_id, status, run_id in proposal_rows:
        pair = matching.Pair(volunteer_id, slot_id)
        if status in EXCLUDED:
            declined.add(pair)
        elif status == "invited":
            if volunteer_id in known and pair not in fixed_set:
                fixed.append(pair)
                fixed_set.add(pair)
            elif volunteer_id not in known:
                unknown_taken[slot_id] += 1
        elif run_id != exclude_run and volunteer_id in known:
            previous.add(pair)

    # Load outside the problem's slots in the same months, weeks and days; and overlaps.
    first, last = _load_window(period_from, period_to)
    load_start, load_end = period_bounds(first, last)
    load: dict[int, dict] = {}
    outside_signups = (
        Signup.select(Signup.volunteer, Slot.starts_at, Slot.ends_at, Signup.status)
        .join(Slot, on=(Signup.slot == Slot.id))
        .where(
            Signup.volunteer.in_(volunteer_ids)
            & Signup.status.in_(("confirmed", "pending"))
            & (Slot.status == "scheduled")
            & (Slot.starts_at >= load_start)
            & (Slot.starts_at < load_end)
            & Slot.id.not_in(slot_ids)
        )
        .tuples()
    )
    outside_invited = (
        Proposal.select(Proposal.volunteer, Slot.starts_at, Slot.ends_at, Proposal.status)
        .join(Slot, on=(Proposal.slot == Slot.id))
        .where(
            Proposal.volunteer.in_(volunteer_ids)
            & (Proposal.status == "invited")
            & (Slot.status == "scheduled")
            & (Slot.starts_at >= load_start)
            & (Slot.starts_at < load_end)
            & Slot.id.not_in(slot_ids)
        )
        .tuples()
    )
    for volunteer_id, starts_at, ends_at, status in [*outside_signups, *outside_invited]:
        s, e = berlin_naive(starts_at), berlin_naive(ends_at)
        busy.append((volunteer_id, s, e))
        if status == "pending":
            continue  # may still be declined: it blocks its time, not the person's limits
        day = s.date()
        iso = day.isocalendar()
        entry = load.setdefault(volunteer_id, {"month": {}, "week": {}, "day": {}})
        for key, bucket in (
            ("month", (day.year, day.month)),
            ("week", (iso[0], iso[1])),
            ("day", day),
        ):
            entry[key][bucket] = entry[key].get(bucket, 0) + 1

    engine_slots = []
    for slot in slots:
        seats = slot.capacity - unknown_taken.get(slot.id, 0)
        engine_slots.append(
            matching.Slot(
                id=slot.id,
                centre=slot.activity.centre_id,
                category=slot.activity.category_id,
                start=berlin_naive(slot.starts_at),
                end=berlin_naive(slot.ends_at),
                seats=max(seats, 0),
                child_facing=slot.activity.is_child_facing,
                language=None,
                series=slot.series_id,
            )
        )

    volunteers = []
    for p in people:
        valid = [certificates[c][p.user_id] for c in centre_ids if p.user_id in certificates[c]]
        volunteers.append(
            matching.Volunteer(
                id=p.user_id,
                interests=frozenset(interests[p.user_id]),
                open_to_anything=p.open_to_anything,
                windows=tuple(windows[p.user_id]),
                centres=frozenset(reach[p.user_id]),
                certificate_valid_until=max(valid) if valid else None,
                languages=frozenset(x.strip() for x in p.languages.split(",") if x.strip()),
                cap_month=p.max_per_month,
                cap_week=p.max_per_week,
                cap_day=SAME_DAY_CAP if allow_same_day else 1,
                history_centres=frozenset(history_centres[p.user_id]),
                history_series=frozenset(history_series[p.user_id]),
            )
        )

    # Exclusions the engine cannot see: overlaps with dates outside the problem; and (for the
    # solve only) a certificate recorded by another centre or valid on fewer days.
    starts = [s.start for s in engine_slots]
    longest = max((s.end - s.start for s in engine_slots), default=dt.timedelta())
    for volunteer_id, s, e in busy:
        lo = bisect.bisect_left(starts, s - longest)
        hi = bisect.bisect_left(starts, e)
        for slot in engine_slots[lo:hi]:
            if slot.start < e and slot.end > s:
                declined.add(matching.Pair(volunteer_id, slot.id))
    excluded = set(declined)
    for s in engine_slots:
        if not s.child_facing:
            continue
        valid = certificates.get(s.centre, {})
        for v in volunteers:
            if v.certificate_valid_until is None:
                continue  # the engine refuses these itself
            until = valid.get(v.id)
            if until is None or not inspected[(v.id, s.centre)] <= s.start.date() <= until:
                excluded.add(matching.Pair(v.id, s.id))

    true_declined = frozenset(declined)
    problem = matching.Problem(
        volunteers=tuple(volunteers),
        slots=tuple(engine_slots),
        fixed=tuple(sorted(fixed)),
        previous=tuple(sorted(previous - fixed_set)),
        declined=frozenset(excluded),
        load=load,
        options=matching.Options(
            allow_same_day=allow_same_day,
            same_person_for_series=same_person_for_series,
            time_limit_s=time_limit_s,
        ),
    )
    return Built(
        problem=problem,
        certificates=dict(certificates),
        slot_rows={s.id: s for s in slots},
        true_declined=true_declined,
    )
