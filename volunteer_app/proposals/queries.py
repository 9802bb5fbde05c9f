"""Read helpers: a matching problem from the database, runs, proposals, invitations.

The problem follows ``matching.Problem`` (Berlin wall-clock times). Everything a rule needs
is read in a fixed number of queries, whatever the number of volunteers and slots.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

import peewee as pw

from volunteer_app import matching
from volunteer_app.accounts.models import User
from volunteer_app.activities.models import Activity, Category, Slot
from volunteer_app.centres.models import Centre, CentreMembership, Operator
from volunteer_app.checks.models import CertificateCheck
from volunteer_app.checks.queries import certificate_valid_until
from volunteer_app.common.security import hash_token
from volunteer_app.common.time import berlin_to_utc, to_berlin
from volunteer_app.db import utcnow
from volunteer_app.proposals.models import EXCLUDED, HOLDING, MatchRun, Proposal, WeeklySuggestions
from volunteer_app.signups.models import Signup
from volunteer_app.volunteers.models import (
    AvailabilityWindow,
    Interest,
    ReachableCentre,
    VolunteerProfile,
)
from volunteer_app.volunteers.queries import chose_centres

HISTORY_DAYS = 365
# With "several slots a day" a person may take up to this many (never overlapping).
SAME_DAY_CAP = 3


# --- Scope: which centres a run covers, who may start and see it ----------------------------


def operator_centre_ids(operator_id: int) -> list[int]:
    return [c.id for c in Centre.select(Centre.id).where(Centre.operator == operator_id)]


def run_centre_ids(run: MatchRun) -> list[int]:
    """The centres a run covers: its centre, or every centre of its operator now."""
    if run.centre_id is not None:
        return [run.centre_id]
    return operator_centre_ids(run.operator_id)


def may_manage_all(user, centre_ids: Iterable[int]) -> bool:
    """Admins, or a coordinator who belongs to every one of the centres (one query)."""
    ids = set(centre_ids)
    if not getattr(user, "is_authenticated", False) or not ids:
        return False
    if user.is_admin:
        return True
    if user.role != "coordinator":
        return False
    mine = CentreMembership.select(CentreMembership.centre).where(
        (CentreMembership.user == user.id) & CentreMembership.centre.in_(list(ids))
    )
    return {m.centre_id for m in mine} == ids


def operator_scope(user, centre: Centre) -> Operator | None:
    """The centre's operator, if it runs more than this centre and the user manages them all."""
    if centre.operator_id is None:
        return None
    ids = operator_centre_ids(centre.operator_id)
    if len(ids) < 2 or not may_manage_all(user, ids):
        return None
    return Operator.get_by_id(centre.operator_id)


def run_with_scope(run_id: int) -> MatchRun | None:
    """A run with its centre or operator and its creator (one query)."""
    creator = User.alias()
    return (
        MatchRun.select(MatchRun, Centre, Operator, creator)
        .join(Centre, pw.JOIN.LEFT_OUTER, on=(MatchRun.centre == Centre.id))
        .switch(MatchRun)
        .join(Operator, pw.JOIN.LEFT_OUTER, on=(MatchRun.operator == Operator.id))
        .switch(MatchRun)
        .join(creator, pw.JOIN.LEFT_OUTER, on=(MatchRun.created_by == creator.id))
        .where(MatchRun.id == run_id)
        .first()
    )


def recent_runs(centre: Centre, limit: int = 10) -> list[MatchRun]:
    """The centre's runs and its operator's, newest first (one query)."""
    where = MatchRun.centre == centre.id
    if centre.operator_id is not None:
        where |= MatchRun.operator == centre.operator_id
    return list(MatchRun.select().where(where).order_by(MatchRun.id.desc()).limit(limit))


# --- The problem from the database ----------------------------------------------------------


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
    weeks and days, overlaps with it, and pairs declined, removed or cancelled before.
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
    for volunteer_id, slot_id, status in (
        Signup.select(Signup.volunteer, Signup.slot, Signup.status)
        .where(
            Signup.slot.in_(slot_ids) & Signup.status.in_(("confirmed", "cancelled", "declined"))
        )
        .tuples()
    ):
        if status == "confirmed":
            if volunteer_id in known:
                fixed.append(matching.Pair(volunteer_id, slot_id))
            else:
                unknown_taken[slot_id] += 1
        else:
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
    busy: list[tuple[int, dt.datetime, dt.datetime]] = []
    outside_signups = (
        Signup.select(Signup.volunteer, Slot.starts_at, Slot.ends_at)
        .join(Slot, on=(Signup.slot == Slot.id))
        .where(
            Signup.volunteer.in_(volunteer_ids)
            & (Signup.status == "confirmed")
            & (Slot.status == "scheduled")
            & (Slot.starts_at >= load_start)
            & (Slot.starts_at < load_end)
            & Slot.id.not_in(slot_ids)
        )
        .tuples()
    )
    outside_invited = (
        Proposal.select(Proposal.volunteer, Slot.starts_at, Slot.ends_at)
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
    for volunteer_id, starts_at, ends_at in [*outside_signups, *outside_invited]:
        s, e = berlin_naive(starts_at), berlin_naive(ends_at)
        day = s.date()
        iso = day.isocalendar()
        entry = load.setdefault(volunteer_id, {"month": {}, "week": {}, "day": {}})
        for key, bucket in (
            ("month", (day.year, day.month)),
            ("week", (iso[0], iso[1])),
            ("day", day),
        ):
            entry[key][bucket] = entry[key].get(bucket, 0) + 1
        busy.append((volunteer_id, s, e))

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


def run_problem(run: MatchRun, **kw) -> Built:
    return build_problem(
        run_centre_ids(run),
        run.period_from,
        run.period_to,
        allow_same_day=run.allow_same_day,
        same_person_for_series=run.same_person_for_series,
        **kw,
    )


# --- The run page -------------------------------------------------------------------------


@dataclasses.dataclass
class SlotBlock:
    """One slot of a run: its proposals, seats still free, and (if not full) its funnel."""

    slot: Slot
    proposals: list[Proposal]
    free: int  # seats no confirmed sign-up and no open proposal/invitation covers
    funnel: list | None
    candidates: list[User]


def run_blocks(run: MatchRun) -> list[SlotBlock]:
    """Every slot the run proposed for or left with a free seat, in time order (3 queries).

    Proposals come with their volunteer; slots with activity, category and centre.
    """
    shown = ("proposed", "invited", "confirmed", "accepted", "declined", "expired")
    proposals = list(
        Proposal.select(Proposal, User)
        .join(User, on=(Proposal.volunteer == User.id))
        .where((Proposal.run == run.id) & Proposal.status.in_(shown))
        .order_by(Proposal.slot, User.name, Proposal.id)
    )
    funnels = run.funnels or {}
    slot_ids = {p.slot_id for p in proposals} | {int(k) for k in funnels}
    slots = list(
        Slot.select(Slot, Activity, Category, Centre)
        .join(Activity, on=(Slot.activity == Activity.id))
        .join(Category, on=(Activity.category == Category.id))
        .switch(Activity)
        .join(Centre, on=(Activity.centre == Centre.id))
        .where(Slot.id.in_(list(slot_ids)))
        .order_by(Slot.starts_at, Slot.id)
    )
    candidate_ids = {i for ids in (run.candidates or {}).values() for i in ids}
    people = (
        {u.id: u for u in User.select(User.id, User.name).where(User.id.in_(list(candidate_ids)))}
        if candidate_ids
        else {}
    )
    by_slot = defaultdict(list)
    for p in proposals:
        by_slot[p.slot_id].append(p)
    blocks = []
    for slot in slots:
        mine = by_slot.get(slot.id, [])
        holding = sum(1 for p in mine if p.status in HOLDING)
        on_slot = {p.volunteer_id for p in mine if p.status in (*HOLDING, "confirmed", "accepted")}
        candidates = [
            people[i]
            for i in (run.candidates or {}).get(str(slot.id), [])
            if i in people and i not in on_slot
        ]
        blocks.append(
            SlotBlock(
                slot=slot,
                proposals=mine,
                free=max(slot.capacity - slot.taken - holding, 0),
                funnel=funnels.get(str(slot.id)),
                candidates=candidates,
            )
        )
    return blocks


def run_proposal(run_id: int, proposal_id: int) -> Proposal | None:
    return Proposal.get_or_none((Proposal.id == proposal_id) & (Proposal.run == run_id))


# --- Invitations ----------------------------------------------------------------------------


def _invitation_select():
    inviter = User.alias()
    return (
        Proposal.select(Proposal, Slot, Activity, Category, Centre, User, inviter)
        .join(Slot, on=(Proposal.slot == Slot.id))
        .join(Activity, on=(Slot.activity == Activity.id))
        .join(Category, on=(Activity.category == Category.id))
        .switch(Activity)
        .join(Centre, on=(Activity.centre == Centre.id))
        .switch(Proposal)
        .join(User, on=(Proposal.volunteer == User.id))
        .switch(Proposal)
        .join(inviter, pw.JOIN.LEFT_OUTER, on=(Proposal.invited_by == inviter.id))
    )


def invitation_by_token(token: str) -> Proposal | None:
    """The proposal an invitation link points to (whatever its state), fully joined."""
    if not token or len(token) > 200:
        return None
    return _invitation_select().where(Proposal.token_hash == hash_token(token)).first()


def invitation_of(proposal_id: int) -> Proposal | None:
    return _invitation_select().where(Proposal.id == proposal_id).first()


def open_invitations(user) -> list[Proposal]:
    """The person's invitations still to answer, for dates not started yet (one query)."""
    return list(
        _invitation_select()
        .where(
            (Proposal.volunteer == user.id)
            & (Proposal.status == "invited")
            & (Slot.status == "scheduled")
            & (Slot.starts_at > utcnow())
        )
        .order_by(Slot.starts_at)
    )


# --- Suggestions for one volunteer ------------------------------------------------------------

SUGGESTION_DAYS = 28


@dataclasses.dataclass
class Suggestion:
    slot: Slot
    reasons: list


def suggestions_for(user, limit: int = 10, days: int = SUGGESTION_DAYS) -> list[Suggestion]:
    """Open slots ranked for this person, with reasons ("Passt zu dir"). No solver runs.

    The problem covers the centres the person can reach over the next ``days`` days, with
    everybody who reaches them (the engine ranks slots that are hard to fill higher).
    """
    if not getattr(user, "is_authenticated", False):
        return []
    centre_ids = [
        r.centre_id
        for r in ReachableCentre.select(ReachableCentre.centre).where(
            ReachableCentre.user == user.id
        )
    ]
    if not centre_ids:
        return []
    today = to_berlin(utcnow()).date()
    built = build_problem(centre_ids, today, today + dt.timedelta(days=days))
    if user.id not in {v.id for v in built.problem.volunteers}:
        return []
    mine = {
        s.slot_id
        for s in Signup.select(Signup.slot).where(
            (Signup.volunteer == user.id) & Signup.slot.in_(list(built.slot_rows))
        )
    }
    ranked = matching.suggest(built.problem, user.id, limit=limit + len(mine))
    out = []
    for slot_id, _engine_reasons in ranked:
        if slot_id in mine or slot_id not in built.slot_rows:
            continue
        slot = built.slot_rows[slot_id]
        # Reasons against the slot centre's own certificate record.
        out.append(Suggestion(slot=slot, reasons=built.reasons(user.id, slot_id)))
        if len(out) >= limit:
            break
    _attach_centres([s.slot for s in out])
    return out


def _attach_centres(slots: list[Slot]) -> None:
    """Give each slot's activity its category and centre (two queries for all)."""
    if not slots:
        return
    categories = {
        c.id: c
        for c in Category.select().where(Category.id.in_({s.activity.category_id for s in slots}))
    }
    centres = {
        c.id: c for c in Centre.select().where(Centre.id.in_({s.activity.centre_id for s in slots}))
    }
    for s in slots:
        s.activity.category = categories[s.activity.category_id]
        s.activity.centre = centres[s.activity.centre_id]


def weekly_opt_in(user) -> WeeklySuggestions | None:
    return WeeklySuggestions.get_or_none(WeeklySuggestions.user == user.id)


def weekly_subscribers(week: str) -> list[User]:
    """Active volunteers who opted in and have not had this ISO week's mail (one query)."""
    return list(
        User.select(User)
        .join(WeeklySuggestions, on=(WeeklySuggestions.user == User.id))
        .where(
            (User.is_active == True)  # noqa: E712
            & (WeeklySuggestions.last_week.is_null() | (WeeklySuggestions.last_week < week))
        )
        .order_by(User.id)
    )


def iso_week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def first_centre(run: MatchRun) -> Centre | None:
    """A centre of an operator-wide run, for the breadcrumbs (by name)."""
    ids = run_centre_ids(run)
    return Centre.select().where(Centre.id.in_(ids)).order_by(Centre.name).first() if ids else None


def has_profile(user) -> bool:
    return VolunteerProfile.select().where(VolunteerProfile.user == user.id).exists()


def slot_with_centre(slot_id: int) -> Slot | None:
    return (
        Slot.select(Slot, Activity, Category, Centre)
        .join(Activity, on=(Slot.activity == Activity.id))
        .join(Category, on=(Activity.category == Category.id))
        .switch(Activity)
        .join(Centre, on=(Activity.centre == Centre.id))
        .where(Slot.id == slot_id)
        .first()
    )


def live_funnel(slot: Slot) -> list | None:
    """The funnel of one slot now (None for a slot that is past, cancelled or has no seats)."""
    day = to_berlin(slot.starts_at).date()
    built = build_problem([slot.activity.centre_id], day, day)
    if slot.id not in built.slot_rows:
        return None
    return [
        list(step) for step in matching.funnel(built.for_centre(slot.activity.centre_id), slot.id)
    ]


@dataclasses.dataclass
class StartBox:
    """The "Passt zu dir" box of the start page."""

    invitations: list
    suggestions: list


def start_box(user, limit: int = 3) -> StartBox | None:
    """Open invitations and the top suggestions for a volunteer with a profile, else None."""
    if not getattr(user, "is_authenticated", False) or user.role != "volunteer":
        return None
    if not has_profile(user):
        return None
    return StartBox(open_invitations(user), suggestions_for(user, limit=limit))
