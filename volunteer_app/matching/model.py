"""What every engine shares: the eligible pairs, remaining capacities, scores and tier weights.

`Context(problem)` canonicalises the input (volunteers and slots sorted by id, sets sorted) so
that the same problem in any input order builds the same model and gets the same answer.

Objective (maximised), in tiers that dominate each other::

    W1·first_seats + W2·further_seats + W3·kept + W4·preference − fairness_cost

- ``first_seats``: slots without anybody (no fixed pair) that get their first new person;
- ``further_seats``: every other new pair;
- ``kept``: new pairs that were earlier proposals (``problem.previous``);
- ``preference``: points per pair — stated interest 4, same centre as before 2, same series as
  before 2, the slot's required language spoken 1 (at most ``PREF_MAX`` = 9 a pair);
- ``fairness_cost``: per volunteer, the j-th slot in the period (counting fixed ones and outside
  load of the same months) costs ``⌊8·j / cap⌋`` (``cap`` = the person's month cap, else 4× the
  week cap, else 4): non-decreasing marginal cost, i.e. convex, relative to the person's own cap.

Weights (`Weights.of`): with ``Q`` = open seats, ``R`` = eligible earlier proposals and ``U5`` = the
largest possible fairness cost, ``W4 = U5 + 1``, ``W3 = W4·PREF_MAX·Q + U5 + 1``,
``W2 = W3·R + W4·PREF_MAX·Q + U5 + 1``, ``W1 = W2·Q + W3·R + W4·PREF_MAX·Q + U5 + 1``. Each weight
exceeds the largest total every lower tier together can swing, so one unit of a higher tier beats
any change below it: the weighted optimum is the lexicographic optimum. The numbers are Python
integers (no overflow); the flow and CP-SAT engines solve the tiers lexicographically and never
put W1/W2 into the solver, so their int64 costs stay small.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cached_property

from .problem import Pair, Problem, Slot, Volunteer

PREF_INTEREST = 4
PREF_CENTRE = 2
PREF_SERIES = 2
PREF_LANGUAGE = 1
PREF_MAX = PREF_INTEREST + PREF_CENTRE + PREF_SERIES + PREF_LANGUAGE
FAIRNESS_SCALE = 8
DEFAULT_CAP_REF = 4

TIERS = ("first_seats", "further_seats", "kept", "preference", "fairness_cost")


def month_key(day: date) -> tuple[int, int]:
    return (day.year, day.month)


def week_key(day: date) -> tuple[int, int]:
    iso = day.isocalendar()
    return (iso[0], iso[1])


def minute_of_day(moment: datetime) -> int:
    return moment.hour * 60 + moment.minute


def span_minutes(slot: Slot) -> tuple[int, int]:
    """Start and end of the slot in minutes after midnight of its start day (end may be > 1440)."""
    midnight = datetime.combine(slot.start.date(), time())
    start = int((slot.start - midnight).total_seconds() // 60)
    end = int(-((midnight - slot.end).total_seconds() // 60))  # ceil
    return start, end


def overlaps(a: Slot, b: Slot) -> bool:
    return a.start < b.end and b.start < a.end


# --- The hard rules, one function each (funnel order) ----------------------------------------


def rule_interest(v: Volunteer, s: Slot) -> bool:
    return v.open_to_anything or s.category in v.interests


def matching_window(v: Volunteer, s: Slot):
    start, end = span_minutes(s)
    weekday = s.start.weekday()
    for w in sorted(v.windows, key=lambda w: (w.weekday, w.start_minute, w.end_minute)):
        if w.weekday == weekday and w.start_minute <= start and end <= w.end_minute:
            return w
    return None


def rule_window(v: Volunteer, s: Slot) -> bool:
    return matching_window(v, s) is not None


def rule_centre(v: Volunteer, s: Slot) -> bool:
    return s.centre in v.centres


def rule_certificate(v: Volunteer, s: Slot) -> bool:
    if not s.child_facing:
        return True
    return v.certificate_valid_until is not None and v.certificate_valid_until >= s.start.date()


def rule_language(v: Volunteer, s: Slot) -> bool:
    return s.language is None or s.language in v.languages


STATIC_RULES = (
    ("interest", rule_interest),
    ("window", rule_window),
    ("centre", rule_centre),
    ("certificate", rule_certificate),
    ("language", rule_language),
)


def preference(v: Volunteer, s: Slot) -> int:
    points = 0
    if s.category in v.interests:
        points += PREF_INTEREST
    if s.centre in v.history_centres:
        points += PREF_CENTRE
    if s.series is not None and s.series in v.history_series:
        points += PREF_SERIES
    if s.language is not None and s.language in v.languages:
        points += PREF_LANGUAGE
    return points


def fairness_marginal(cap_ref: int, j: int) -> int:
    """Cost of a person's j-th slot (j ≥ 1): non-decreasing in j, so the total is convex."""
    return FAIRNESS_SCALE * j // cap_ref


@dataclass(frozen=True)
class Weights:
    w1: int
    w2: int
    w3: int
    w4: int
    bounds: dict  # the tier ranges used: Q, R, U5

    @classmethod
    def of(cls, open_seats: int, eligible_previous: int, fairness_max: int) -> Weights:
        q, r, u5 = open_seats, eligible_previous, fairness_max
        u4 = PREF_MAX * q
        w4 = u5 + 1
        w3 = w4 * u4 + u5 + 1
        w2 = w3 * r + w4 * u4 + u5 + 1
        w1 = w2 * q + w3 * r + w4 * u4 + u5 + 1
        return cls(w1, w2, w3, w4, {"open_seats": q, "previous": r, "fairness_max": u5})

    def objective(self, terms: dict) -> int:
        return (
            self.w1 * terms["first_seats"]
            + self.w2 * terms["further_seats"]
            + self.w3 * terms["kept"]
            + self.w4 * terms["preference"]
            - terms["fairness_cost"]
        )

    def as_dict(self) -> dict:
        return {
            "first_seats": self.w1,
            "further_seats": self.w2,
            "kept": self.w3,
            "preference": self.w4,
            "fairness_cost": -1,
        }


class Context:
    """Indexes and derived figures of one problem; built once, read by every engine."""

    def __init__(self, problem: Problem):
        self.problem = problem
        self.options = problem.options
        self.volunteers: dict[int, Volunteer] = {
            v.id: v for v in sorted(problem.volunteers, key=lambda v: v.id)
        }
        self.slots: dict[int, Slot] = {s.id: s for s in sorted(problem.slots, key=lambda s: s.id)}
        self.declined = frozenset(problem.declined)
        self._declined_by = frozenset(p.volunteer for p in self.declined)
        self.previous = frozenset(p for p in problem.previous)
        fixed = sorted({p for p in problem.fixed if p.slot in self.slots})
        self.fixed = fixed
        self.fixed_set = frozenset(fixed)
        self.fixed_on_slot: dict[int, int] = defaultdict(int)
        self.fixed_slots_of: dict[int, list[Slot]] = defaultdict(list)
        for p in fixed:
            self.fixed_on_slot[p.slot] += 1
            self.fixed_slots_of[p.volunteer].append(self.slots[p.slot])
        self.open_seats = {
            sid: max(0, s.seats - self.fixed_on_slot[sid]) for sid, s in self.slots.items()
        }
        # per-person counts of load + fixed pairs, made when first asked for (the array pass
        # of a solve reads only those of people with load or fixed pairs)
        self._used = _Cache(self._used_of)
        self._eligible: dict[int, list[int]] | None = None
        self._capacity: dict[int, int] = {}
        self.previous_pairs = frozenset((p.volunteer, p.slot) for p in self.previous)

    # --- per-slot indexes, made when first used (a solve's array pass needs none of them) --------

    @cached_property
    def day_of(self) -> dict[int, date]:
        return {sid: s.start.date() for sid, s in self.slots.items()}

    @cached_property
    def month_of(self) -> dict[int, tuple[int, int]]:
        return {sid: month_key(d) for sid, d in self.day_of.items()}

    @cached_property
    def week_of(self) -> dict[int, tuple[int, int]]:
        return {sid: week_key(d) for sid, d in self.day_of.items()}

    @cached_property
    def _months(self) -> frozenset:
        return frozenset(month_key(s.start.date()) for s in self.slots.values())

    @cached_property
    def _index(self):
        return self._slot_index()

    # --- capacities ---------------------------------------------------------------------------

    def day_cap(self, v: Volunteer) -> int:
        return v.cap_day if self.options.allow_same_day else min(v.cap_day, 1)

    def _used_of(self, vid: int):
        load = self.problem.load.get(vid, {}) if self.problem.load else {}
        month = defaultdict(int, load.get("month", {}))
        week = defaultdict(int, load.get("week", {}))
        day = defaultdict(int, load.get("day", {}))
        for s in self.fixed_slots_of.get(vid, ()):
            d = s.start.date()
            month[month_key(d)] += 1
            week[week_key(d)] += 1
            day[d] += 1
        return month, week, day

    def remaining(self, v: Volunteer, d: date) -> tuple[int | None, int | None, int]:
        """Remaining (month, week, day) capacity on day d after outside load and fixed pairs."""
        month, week, day = self._used[v.id]
        rm = None if v.cap_month is None else v.cap_month - month[month_key(d)]
        rw = None if v.cap_week is None else v.cap_week - week[week_key(d)]
        rd = self.day_cap(v) - day[d]
        return rm, rw, rd

    def is_free(self, v: Volunteer, s: Slot) -> bool:
        """Caps, overlaps with fixed slots, declined and already-fixed pairs."""
        pair = Pair(v.id, s.id)
        if pair in self.declined or pair in self.fixed_set:
            return False
        rm, rw, rd = self.remaining(v, s.start.date())
        if rd <= 0 or (rm is not None and rm <= 0) or (rw is not None and rw <= 0):
            return False
        return not any(overlaps(s, f) for f in self.fixed_slots_of.get(v.id, ()))

    def fits(self, v: Volunteer, s: Slot) -> bool:
        return all(rule(v, s) for _, rule in STATIC_RULES) and self.is_free(v, s)

    # --- eligibility ----------------------------------------------------------------------------

    def _slot_index(self):
        """(centre, weekday) -> (start minutes, entries sorted by start) for window look-ups."""
        raw: dict[tuple[int, int], list] = defaultdict(list)
        for s in self.slots.values():
            start, end = span_minutes(s)
            raw[(s.centre, s.start.weekday())].append((start, s.id, end, s))
        index = {}
        for key, entries in raw.items():
            entries.sort(key=lambda e: (e[0], e[1]))
            index[key] = ([e[0] for e in entries], entries)
        return index

    def _touched(self, v: Volunteer) -> bool:
        """Whether anything beyond the plain caps can stop the person (load, fixed, declined)."""
        return bool(
            (self.problem.load and self.problem.load.get(v.id))
            or v.id in self.fixed_slots_of
            or v.id in self._declined_by
        )

    def eligible_slots(self, v: Volunteer, open_only: bool = False) -> list[int]:
        """Ids of the slots the volunteer may be proposed for (all rules incl. "free"), sorted."""
        if (v.cap_month is not None and v.cap_month <= 0) or (
            v.cap_week is not None and v.cap_week <= 0
        ):
            return []
        if self.day_cap(v) <= 0:
            return []
        touched = self._touched(v)
        found: list[int] = []
        by_day: dict[int, list] = defaultdict(list)
        for w in v.windows:
            by_day[w.weekday].append(w)
        for wd, windows in by_day.items():
            windows = sorted((w.start_minute, w.end_minute) for w in windows)
            for centre in v.centres:
                entry = self._index.get((centre, wd))
                if entry is None:
                    continue
                starts, entries = entry
                seen = set() if len(windows) > 1 else None
                for lo, hi in windows:
                    for i in range(bisect_left(starts, lo), bisect_right(starts, hi)):
                        _, sid, end, s = entries[i]
                        if end > hi or (seen is not None and sid in seen):
                            continue
                        if open_only and self.open_seats[sid] <= 0:
                            continue
                        if not (v.open_to_anything or s.category in v.interests):
                            continue
                        if s.child_facing and not rule_certificate(v, s):
                            continue
                        if s.language is not None and s.language not in v.languages:
                            continue
                        if touched and not self.is_free(v, s):
                            continue
                        if seen is not None:
                            seen.add(sid)
                        found.append(sid)
        found.sort()
        return found

    def eligible_map(self) -> dict[int, list[int]]:
        """Volunteer id -> the slots (with open seats) they may be proposed for; cached."""
        if self._eligible is None:
            grouped = {}
            for vid, v in self.volunteers.items():
                sids = self.eligible_slots(v, open_only=True)
                if sids:
                    grouped[vid] = sids
            self._eligible = grouped
        return self._eligible

    def eligible_pairs(self) -> list[tuple[int, int]]:
        """All (volunteer, slot) pairs that may be proposed, slots with open seats only, sorted."""
        return [(vid, sid) for vid, sids in self.eligible_map().items() for sid in sids]

    def capacity_of(self, vid: int) -> int:
        """How many of their eligible slots the person could get at most (cached)."""
        if vid not in self._capacity:
            self._capacity[vid] = self.max_new(
                self.volunteers[vid], self.eligible_map().get(vid, [])
            )
        return self._capacity[vid]

    # --- scores ---------------------------------------------------------------------------------

    def cap_ref(self, v: Volunteer) -> int:
        if v.cap_month is not None:
            return max(1, v.cap_month)
        if v.cap_week is not None:
            return max(1, 4 * v.cap_week)
        return DEFAULT_CAP_REF

    def fairness_base(self, v: Volunteer) -> int:
        """Slots the person already has in the months of this problem (fixed + outside load)."""
        load = self.problem.load.get(v.id, {}) if self.problem.load else {}
        outside = 0
        if load.get("month"):
            months = self._months
            outside = sum(n for k, n in load["month"].items() if k in months)
        return outside + len(self.fixed_slots_of.get(v.id, ()))

    def fairness_costs(self, v: Volunteer, count: int) -> list[int]:
        """Marginal costs of the person's next `count` new slots."""
        ref, base = self.cap_ref(v), self.fairness_base(v)
        return [fairness_marginal(ref, base + j) for j in range(1, count + 1)]

    def max_new(self, v: Volunteer, slot_ids: list[int]) -> int:
        """An upper bound of how many of these slots the person can get at once."""
        per_day: dict[date, int] = defaultdict(int)
        for sid in slot_ids:
            per_day[self.day_of[sid]] += 1
        return self.max_new_by_day(v, per_day)

    def max_new_by_day(self, v: Volunteer, per_day: dict) -> int:
        total = 0
        months: dict = defaultdict(int)
        plain = not self._touched(v)
        for d, n in per_day.items():
            rd = self.day_cap(v) if plain else self.remaining(v, d)[2]
            k = min(n, rd)
            total += k
            months[month_key(d)] += k
        if v.cap_month is not None:
            month_used = self._used[v.id][0]
            total = min(total, sum(min(n, v.cap_month - month_used[m]) for m, n in months.items()))
        return max(0, total)

    def terms(self, pairs) -> dict[str, int]:
        """The objective's tiers (and its preference parts) for a set of new pairs."""
        seen_slot: dict[int, int] = defaultdict(int)
        count_of: dict[int, int] = defaultdict(int)
        t = dict.fromkeys(TIERS, 0)
        parts = {"interest": 0, "continuity": 0, "language": 0}
        for p in sorted(pairs):
            v, s = self.volunteers[p.volunteer], self.slots[p.slot]
            if self.fixed_on_slot[s.id] == 0 and seen_slot[s.id] == 0:
                t["first_seats"] += 1
            else:
                t["further_seats"] += 1
            seen_slot[s.id] += 1
            count_of[v.id] += 1
            if p in self.previous:
                t["kept"] += 1
            t["preference"] += preference(v, s)
            parts["interest"] += s.category in v.interests
            parts["continuity"] += s.centre in v.history_centres or (
                s.series is not None and s.series in v.history_series
            )
            parts["language"] += s.language is not None and s.language in v.languages
        for vid, n in count_of.items():
            t["fairness_cost"] += sum(self.fairness_costs(self.volunteers[vid], n))
        return {**t, **parts}

    def weights(self) -> Weights:
        """The tier weights of this problem (see the module doc for the bound)."""
        grouped = self.eligible_map()
        q = sum(self.open_seats.values())
        r = sum(1 for p in self.previous if p.slot in set(grouped.get(p.volunteer, ())))
        u5 = 0
        for vid in grouped:
            u5 += sum(self.fairness_costs(self.volunteers[vid], self.capacity_of(vid)))
        return Weights.of(q, r, u5)


class _Cache(dict):
    """A dict that makes a missing value with `make(key)` and keeps it."""

    def __init__(self, make):
        super().__init__()
        self._make = make

    def __missing__(self, key):
        value = self[key] = self._make(key)
        return value


def by_volunteer(pairs) -> dict[int, list[int]]:
    grouped: dict[int, list[int]] = defaultdict(list)
    for vid, sid in pairs:
        grouped[vid].append(sid)
    return grouped
