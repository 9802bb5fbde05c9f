"""The "commercial auto-assign" baseline: slot by slot (earliest first), take the top-ranked
free people. Also the fallback when an exact engine cannot run. Respects every hard rule."""

from __future__ import annotations

from collections import defaultdict

from .model import Context, month_key, overlaps, preference, week_key
from .problem import Pair


class _Tracker:
    """Remaining caps and taken slots per volunteer while greedy assigns."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.used = defaultdict(int)  # (vid, kind, key) -> new slots
        self.taken = defaultdict(list)  # vid -> new slots
        self.count = defaultdict(int)

    def can_take(self, vid: int, sid: int) -> bool:
        ctx = self.ctx
        v, s = ctx.volunteers[vid], ctx.slots[sid]
        d = s.start.date()
        rm, rw, rd = ctx.remaining(v, d)
        if rd - self.used[(vid, "day", d)] <= 0:
            return False
        if rw is not None and rw - self.used[(vid, "week", week_key(d))] <= 0:
            return False
        if rm is not None and rm - self.used[(vid, "month", month_key(d))] <= 0:
            return False
        return not any(overlaps(s, t) for t in self.taken[vid])

    def take(self, vid: int, sid: int) -> None:
        d = self.ctx.slots[sid].start.date()
        self.used[(vid, "day", d)] += 1
        self.used[(vid, "week", week_key(d))] += 1
        self.used[(vid, "month", month_key(d))] += 1
        self.taken[vid].append(self.ctx.slots[sid])
        self.count[vid] += 1


def solve_greedy(ctx: Context, pairs) -> list[Pair]:
    candidates: dict[int, list[int]] = defaultdict(list)
    for vid, sid in pairs:
        candidates[sid].append(vid)
    eligible = {(vid, sid) for vid, sid in pairs}
    series_slots: dict[int, list[int]] = defaultdict(list)
    for sid, s in ctx.slots.items():
        if s.series is not None:
            series_slots[s.series].append(sid)
    tracker = _Tracker(ctx)
    base = {vid: ctx.fairness_base(v) for vid, v in ctx.volunteers.items()}
    ref = {vid: ctx.cap_ref(v) for vid, v in ctx.volunteers.items()}
    seats = dict(ctx.open_seats)
    chosen_set: set[Pair] = set()
    by_series = ctx.options.same_person_for_series
    for sid in sorted(ctx.slots, key=lambda i: (ctx.slots[i].start, i)):
        s = ctx.slots[sid]

        def rank(vid, s=s):
            v = ctx.volunteers[vid]
            load = (base[vid] + tracker.count[vid]) / ref[vid]
            return ((vid, s.id) not in ctx.previous_pairs, -preference(v, s), load, vid)

        for vid in sorted(candidates.get(sid, ()), key=rank):
            if seats[sid] <= 0:
                break
            group = [sid]
            if by_series and s.series is not None:
                group = [i for i in series_slots[s.series] if Pair(vid, i) not in ctx.fixed_set]
                if any((vid, i) not in eligible or seats[i] <= 0 for i in group):
                    continue
                if any(Pair(vid, i) in chosen_set for i in group):
                    continue
            if not _fits_all(tracker, vid, group):
                continue
            for i in group:
                tracker.take(vid, i)
                seats[i] -= 1
                chosen_set.add(Pair(vid, i))
    return sorted(chosen_set)


def _fits_all(tracker: _Tracker, vid: int, group: list[int]) -> bool:
    """Whether the person can take every slot of the group (a series must fit as a whole)."""
    if len(group) == 1:
        return tracker.can_take(vid, group[0])
    ctx = tracker.ctx
    keys = []
    for i in group:
        d = ctx.slots[i].start.date()
        keys += [(vid, "day", d), (vid, "week", week_key(d)), (vid, "month", month_key(d))]
    saved = {k: tracker.used[k] for k in keys}
    saved_taken, saved_count = list(tracker.taken[vid]), tracker.count[vid]
    ok = True
    for i in sorted(group, key=lambda i: (ctx.slots[i].start, i)):
        if not tracker.can_take(vid, i):
            ok = False
            break
        tracker.take(vid, i)
    tracker.used.update(saved)
    tracker.taken[vid] = saved_taken
    tracker.count[vid] = saved_count
    return ok
