"""The eligible pairs, their scores and the flow network as numpy columns (solve path only).

`Columns(ctx)` applies the hard rules of `Context.eligible_slots` to all volunteers at once:
the weekly windows are joined with the slots of the reachable centres on that weekday through
one sorted key (centre, weekday, start minute), and every further rule is a mask over the
candidate pairs. The result is the same pair list, in the same (volunteer id, slot id) order,
as the per-person pass; so are the capacities, the fairness costs, the weights and the
network `network()` returns, arc for arc (tests/test_matching_arrays.py compares them with
the per-object builder on generated problems).

numpy comes with OR-Tools; this module is imported only inside `solve`, never by the web app.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta

import numpy as np

from .model import (
    FAIRNESS_SCALE,
    PREF_CENTRE,
    PREF_INTEREST,
    PREF_LANGUAGE,
    PREF_SERIES,
    Context,
    Weights,
    month_key,
    week_key,
)

SOURCE, SINK, FIRST, FURTHER = 0, 1, 2, 3  # as in flow.py
EPOCH = datetime(1970, 1, 1)
EPOCH_DAY = date(1970, 1, 1).toordinal()
MICRO = timedelta(microseconds=1)
MINUTE_US = 60_000_000
DAY_US = 86_400_000_000
KEY_SPAN = 2048  # > 1440: start minutes of one (centre, weekday) group stay inside its key range
DENSE_LIMIT = 1 << 24  # key ranges up to this size are counted in a dense table


def _spread(starts: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For ranges [start, start + count): (which range, position) of every element."""
    total = int(counts.sum())
    which = np.repeat(np.arange(len(counts)), counts)
    offsets = np.cumsum(counts) - counts
    pos = np.arange(total) - np.repeat(offsets - starts, counts)
    return which, pos


def _member(owner: np.ndarray, codes: np.ndarray, pairs: list, width: int) -> np.ndarray:
    """Whether (owner[i], codes[i]) is among `pairs`; codes < 0 never are.

    `pairs`: [(owner, code), …] or the same flat, [owner, code, owner, code, …] (a flat list
    of ints becomes an array several times faster than a list of tuples)."""
    if not pairs or len(owner) == 0:
        return np.zeros(len(owner), dtype=bool)
    table = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    table = table[:, 0] * width + table[:, 1]
    keys = owner * width + codes
    size = (int(owner.max()) + 1) * width
    if size <= DENSE_LIMIT:  # a lookup table
        dense = np.zeros(size, dtype=bool)
        dense[table[table < size]] = True
        return dense[np.where(codes >= 0, keys, 0)] & (codes >= 0)
    table = np.sort(table)
    at = np.minimum(np.searchsorted(table, keys), len(table) - 1)
    return (table[at] == keys) & (codes >= 0)


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """np.unique for int64 by sorting (numpy 2's hash-based unique is slower here)."""
    values = np.sort(values)
    if len(values) == 0:
        return values
    return values[np.r_[True, values[1:] != values[:-1]]]


def _dense_groups(keys: np.ndarray, size: int):
    """Groups of int keys in [0, size): (sorted distinct keys, each row's group, group sizes)."""
    if size <= DENSE_LIMIT:
        counts = np.bincount(keys, minlength=size)
        present = np.flatnonzero(counts)
        rank = np.zeros(size, dtype=np.int64)
        rank[present] = np.arange(len(present))
        return present, rank[keys], counts[present]
    distinct, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    return distinct, inverse.reshape(-1), counts


def _group_starts(keys: np.ndarray) -> np.ndarray:
    """Index of the first row of every run of equal keys (keys sorted)."""
    if len(keys) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])


class Columns:
    """The eligible pairs of a Context (slots with open seats only) as columns.

    ``pv``/``ps``: index of the volunteer in ``vids`` / of the slot in ``sids`` (both sorted by
    id), pairs sorted by (volunteer id, slot id): the order of `Context.eligible_pairs`.
    """

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.vols = list(ctx.volunteers.values())
        self.slot_list = list(ctx.slots.values())
        self.vids = np.array([v.id for v in self.vols], dtype=np.int64)
        self.sids = np.array([s.id for s in self.slot_list], dtype=np.int64)
        self.vindex = {v.id: i for i, v in enumerate(self.vols)}
        self.sindex = {s.id: i for i, s in enumerate(self.slot_list)}
        self._slot_columns()
        self._volunteer_columns()
        self.pv, self.ps = self._eligible()
        self._capacities()

    # --- columns of slots and volunteers ------------------------------------------------------

    def _slot_columns(self) -> None:
        slots, n = self.slot_list, len(self.slot_list)
        micro: dict = {}  # datetime -> microseconds since 1970 (slots share their times)
        for moment in itertools.chain.from_iterable((s.start, s.end) for s in slots):
            if moment not in micro:
                micro[moment] = (moment - EPOCH) // MICRO
        self.start_us = np.fromiter((micro[s.start] for s in slots), np.int64, n)
        self.end_us = np.fromiter((micro[s.end] for s in slots), np.int64, n)
        day = self.start_us // DAY_US + EPOCH_DAY  # date.toordinal of the start
        midnight = (day - EPOCH_DAY) * DAY_US
        self.start_min = (self.start_us - midnight) // MINUTE_US  # model.span_minutes
        self.end_min = -((midnight - self.end_us) // MINUTE_US)
        self.weekday = (day - 1) % 7
        self.days = _sorted_unique(day)
        self.dayidx = np.searchsorted(self.days, day)
        day_dates = [date.fromordinal(int(d)) for d in self.days]
        months = [month_key(d) for d in day_dates]
        weeks = [week_key(d) for d in day_dates]
        self.month_keys = sorted(set(months))
        self.week_keys = sorted(set(weeks))
        self.day_month = np.array([self.month_keys.index(m) for m in months], dtype=np.int64)
        self.day_week = np.array([self.week_keys.index(w) for w in weeks], dtype=np.int64)
        self.day_dates = day_dates
        self.day_ord = day
        centre = [s.centre for s in slots]
        category = [s.category for s in slots]
        language = [s.language for s in slots]
        series = [s.series for s in slots]
        self.centres = sorted(set(centre))
        self.categories = sorted(set(category))
        self.languages = sorted(set(language) - {None})
        self.series = sorted(set(series) - {None})
        self.centre_code = {c: i for i, c in enumerate(self.centres)}
        self.category_code = {c: i for i, c in enumerate(self.categories)}
        self.language_code = {c: i for i, c in enumerate(self.languages)}
        self.series_code = {c: i for i, c in enumerate(self.series)}
        code = self.centre_code
        self.s_centre = np.fromiter((code[c] for c in centre), np.int64, n)
        code = self.category_code
        self.s_category = np.fromiter((code[c] for c in category), np.int64, n)
        code = self.language_code
        self.s_language = np.fromiter((code.get(c, -1) for c in language), np.int64, n)
        code = self.series_code
        self.s_series = np.fromiter((code.get(c, -1) for c in series), np.int64, n)
        self.s_child = np.array([bool(s.child_facing) for s in slots], dtype=bool)
        self.s_open = np.fromiter(self.ctx.open_seats.values(), np.int64, n)  # slot id order
        self.s_fixed = np.zeros(n, dtype=np.int64)
        for sid, k in self.ctx.fixed_on_slot.items():
            self.s_fixed[self.sindex[sid]] = k

    def _volunteer_columns(self) -> None:
        ctx, vols = self.ctx, self.vols
        self.v_daycap = np.array([ctx.day_cap(v) for v in vols], dtype=np.int64)
        self.v_capm = np.array([-1 if v.cap_month is None else v.cap_month for v in vols], np.int64)
        self.v_capw = np.array([-1 if v.cap_week is None else v.cap_week for v in vols], np.int64)
        self.v_has_capm = np.array([v.cap_month is not None for v in vols], dtype=bool)
        self.v_has_capw = np.array([v.cap_week is not None for v in vols], dtype=bool)
        self.v_open = np.array([bool(v.open_to_anything) for v in vols], dtype=bool)
        self.v_cert = np.array(
            [
                -1 if v.certificate_valid_until is None else v.certificate_valid_until.toordinal()
                for v in vols
            ],
            dtype=np.int64,
        )
        self.v_touched = np.array([ctx._touched(v) for v in vols], dtype=bool)

    # --- eligibility (Context.eligible_slots with open_only=True, for everybody) -----------------

    def _eligible(self) -> tuple[np.ndarray, np.ndarray]:
        vols = self.vols
        ns = len(self.slot_list)
        group = self.s_centre * 7 + self.weekday
        order = np.flatnonzero(self.s_open > 0)  # slots with a seat left, by (group, start, id)
        order = order[np.lexsort((order, self.start_min[order], group[order]))]
        keys = (group * KEY_SPAN + self.start_min)[order]
        ends = self.end_min[order]
        excluded = (
            (self.v_has_capm & (self.v_capm <= 0))
            | (self.v_has_capw & (self.v_capw <= 0))
            | (self.v_daycap <= 0)
        )
        # each person's windows (valid weekdays) and reachable centres with slots, as flat
        # columns; every window is then paired with every centre of its person
        code = self.centre_code
        windows: list[int] = []  # person, weekday, start minute, end minute, …
        reach: list[int] = []  # person, 7 · centre code, …
        for i, (v, out) in enumerate(zip(vols, excluded.tolist(), strict=True)):
            if out or not v.windows:
                continue
            for w in v.windows:
                if 0 <= w.weekday <= 6:
                    windows += (i, w.weekday, w.start_minute, w.end_minute)
            for c in v.centres:
                if c in code:
                    reach += (i, code[c] * 7)
        win = np.array(windows, dtype=np.int64).reshape(-1, 4)
        cen = np.array(reach, dtype=np.int64).reshape(-1, 2)
        per_person = np.bincount(cen[:, 0], minlength=len(vols))
        w_row, c_row = _spread(
            (np.cumsum(per_person) - per_person)[win[:, 0]], per_person[win[:, 0]]
        )
        tv, lo, hi = win[w_row, 0], win[w_row, 2], win[w_row, 3]
        tg = cen[c_row, 1] + win[w_row, 1]
        # bisect_left(starts, lo) .. bisect_right(starts, hi) inside the group; starts < 1440
        first = np.searchsorted(keys, tg * KEY_SPAN + np.clip(lo, 0, KEY_SPAN - 1), "left")
        last = np.searchsorted(keys, tg * KEY_SPAN + np.clip(hi, -1, 1439), "right")
        which, pos = _spread(first, np.maximum(last - first, 0))
        keep = ends[pos] <= hi[which]
        cv, cs = tv[which[keep]], order[pos[keep]]
        # interest: open to anything, or the slot's category among the interests
        interests = [  # person, category code, … (flat, see _member)
            x
            for i, v in enumerate(vols)
            if not v.open_to_anything
            for c in v.interests
            if c in self.category_code
            for x in (i, self.category_code[c])
        ]
        keep = self.v_open[cv] | _member(cv, self.s_category[cs], interests, len(self.categories))
        # certificate valid on the slot date for child-facing slots
        keep &= ~self.s_child[cs] | (self.v_cert[cv] >= self.day_ord[cs])
        # the required language is spoken
        spoken = [
            x
            for i, v in enumerate(vols)
            for lang in v.languages
            if lang in self.language_code
            for x in (i, self.language_code[lang])
        ]
        lang = self.s_language[cs]
        keep &= (lang < 0) | _member(cv, lang, spoken, len(self.languages) + 1)
        cv, cs = cv[keep], cs[keep]
        touched = self.v_touched[cv]
        if touched.any():
            free = self._free(cv[touched], cs[touched])
            keep = np.ones(len(cv), dtype=bool)
            keep[np.flatnonzero(touched)[~free]] = False
            cv, cs = cv[keep], cs[keep]
        pair = _sorted_unique(cv * max(1, ns) + cs)  # sorted by (volunteer, slot); duplicates of
        return pair // max(1, ns), pair % max(1, ns)  # overlapping windows removed

    def _used(self):
        """Load + fixed per touched volunteer on the problem's days, months and weeks."""
        if hasattr(self, "_used_cols"):
            return self._used_cols
        nv = len(self.vols)
        used_day = np.zeros((nv, len(self.days)), dtype=np.int64)
        used_month = np.zeros((nv, len(self.month_keys)), dtype=np.int64)
        used_week = np.zeros((nv, len(self.week_keys)), dtype=np.int64)
        day_index = {d: i for i, d in enumerate(self.day_dates)}
        month_index = {m: i for i, m in enumerate(self.month_keys)}
        week_index = {w: i for i, w in enumerate(self.week_keys)}
        for i in np.flatnonzero(self.v_touched):
            month, week, day = self.ctx._used[self.vols[i].id]
            for table, counts, index in (
                (used_month, month, month_index),
                (used_week, week, week_index),
                (used_day, day, day_index),
            ):
                for k, n in counts.items():
                    j = index.get(k)
                    if j is not None:
                        table[i, j] = n
        self._used_cols = used_day, used_month, used_week
        return self._used_cols

    def _free(self, cv: np.ndarray, cs: np.ndarray) -> np.ndarray:
        """Context.is_free for candidate pairs of touched volunteers."""
        ctx, ns = self.ctx, max(1, len(self.slot_list))
        barred = [
            (self.vindex[p.volunteer], self.sindex[p.slot])
            for p in (*ctx.declined, *ctx.fixed_set)
            if p.volunteer in self.vindex and p.slot in self.sindex
        ]
        free = ~_member(cv, cs, barred, ns)
        used_day, used_month, used_week = self._used()
        d = self.dayidx[cs]
        free &= self.v_daycap[cv] - used_day[cv, d] > 0
        capm = self.v_capm[cv] - used_month[cv, self.day_month[d]]
        free &= ~self.v_has_capm[cv] | (capm > 0)
        capw = self.v_capw[cv] - used_week[cv, self.day_week[d]]
        free &= ~self.v_has_capw[cv] | (capw > 0)
        fixed = [
            (self.vindex[vid], (s.start - EPOCH) // MICRO, (s.end - EPOCH) // MICRO)
            for vid, slots in ctx.fixed_slots_of.items()
            if vid in self.vindex
            for s in slots
        ]
        if fixed:
            f = np.array(sorted(fixed), dtype=np.int64)
            count = np.bincount(f[:, 0], minlength=len(self.vols))
            begin = np.cumsum(count) - count
            which, pos = _spread(begin[cv], count[cv])
            hit = (self.start_us[cs[which]] < f[pos, 2]) & (f[pos, 1] < self.end_us[cs[which]])
            free &= np.bincount(which[hit], minlength=len(cv)) == 0
        return free

    # --- per volunteer: days, capacities, fairness ---------------------------------------------

    def _capacities(self) -> None:
        """Context.capacity_of and fairness_costs for every volunteer with an eligible pair."""
        ctx = self.ctx
        nd = max(1, len(self.days))
        pd = self.dayidx[self.ps]
        vd, self.pair_vd, self.vd_n = _dense_groups(self.pv * nd + pd, len(self.vols) * nd)
        self.vd_v, self.vd_d = vd // nd, vd % nd
        rd = self.v_daycap[self.vd_v].copy()
        touched = self.v_touched[self.vd_v]
        if touched.any():
            used_day = self._used()[0]
            rd[touched] -= used_day[self.vd_v[touched], self.vd_d[touched]]
        self.vd_rd = rd
        self.vd_cap = np.minimum(self.vd_n, rd)  # day_cap in flow, k in max_new_by_day
        nv = len(self.vols)
        total = np.bincount(self.vd_v, weights=self.vd_cap, minlength=nv).astype(np.int64)
        # the month cap: sum over months of min(days taken, cap − used)
        nm = max(1, len(self.month_keys))
        vm, inv, _ = _dense_groups(self.vd_v * nm + self.day_month[self.vd_d], nv * nm)
        k_m = np.bincount(inv, weights=self.vd_cap, minlength=len(vm)).astype(np.int64)
        m_v, m_m = vm // nm, vm % nm
        rem = self.v_capm[m_v].copy()
        if self.v_touched.any():
            used_month = self._used()[1]
            rem -= used_month[m_v, m_m]
        bym = np.bincount(m_v, weights=np.minimum(k_m, rem), minlength=nv).astype(np.int64)
        total = np.where(self.v_has_capm, np.minimum(total, bym), total)
        self.eligible_v = np.zeros(nv, dtype=bool)
        self.eligible_v[self.pv] = True
        self.capacity = np.where(self.eligible_v, np.maximum(0, total), 0)
        # fairness: the j-th new slot costs ⌊8·(base + j) / cap_ref⌋, j = 1 .. capacity
        ref = np.array([ctx.cap_ref(v) for v in self.vols], dtype=np.int64)
        base = np.zeros(nv, dtype=np.int64)
        for i in np.flatnonzero(self.v_touched):
            base[i] = ctx.fairness_base(self.vols[i])
        self.f_v, j = _spread(np.ones(nv, dtype=np.int64), self.capacity)
        self.f_cost = FAIRNESS_SCALE * (base[self.f_v] + j) // ref[self.f_v]
        self.f_first = np.cumsum(self.capacity) - self.capacity  # first row of each volunteer

    # --- what the engines read ---------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.pv)

    def eligible_map(self) -> dict[int, list[int]]:
        """Context.eligible_map from the columns."""
        starts = _group_starts(self.pv)
        vids = self.vids[self.pv[starts]].tolist()
        sids = np.split(self.sids[self.ps], starts[1:]) if len(starts) else []
        return {vid: s.tolist() for vid, s in zip(vids, sids, strict=True)}

    def fill(self, ctx: Context) -> None:
        """Hands the eligible pairs and capacities to the Context (the other engines read them)."""
        ctx._eligible = self.eligible_map()
        for i in np.flatnonzero(self.eligible_v):
            ctx._capacity[int(self.vids[i])] = int(self.capacity[i])

    def _parts(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per pair: stated interest, same centre as before, same series as before, language."""
        if hasattr(self, "_parts_cols"):
            return self._parts_cols
        vols, cv, cs = self.vols, self.pv, self.ps
        interests = [
            x
            for i, v in enumerate(vols)
            for c in v.interests
            if c in self.category_code
            for x in (i, self.category_code[c])
        ]
        centres = [
            x
            for i, v in enumerate(vols)
            for c in v.history_centres
            if c in self.centre_code
            for x in (i, self.centre_code[c])
        ]
        series = [
            x
            for i, v in enumerate(vols)
            for c in v.history_series
            if c in self.series_code
            for x in (i, self.series_code[c])
        ]
        self._parts_cols = (
            _member(cv, self.s_category[cs], interests, len(self.categories)),
            _member(cv, self.s_centre[cs], centres, len(self.centres)),
            _member(cv, self.s_series[cs], series, len(self.series) + 1),
            self.s_language[cs] >= 0,  # an eligible pair speaks the slot's required language
        )
        return self._parts_cols

    def preference(self) -> np.ndarray:
        """model.preference of every pair."""
        interest, centre, series, language = self._parts()
        pref = PREF_INTEREST * interest.astype(np.int64) + PREF_CENTRE * centre
        return pref + PREF_SERIES * series + PREF_LANGUAGE * language

    def terms(self, pairs) -> dict[str, int]:
        """Context.terms for eligible new pairs (each at most once), from the columns."""
        ns = max(1, len(self.slot_list))
        vindex, sindex = self.vindex, self.sindex
        codes = np.fromiter(
            (vindex[p.volunteer] * ns + sindex[p.slot] for p in pairs), np.int64, len(pairs)
        )
        at = np.searchsorted(self.pv * ns + self.ps, codes)
        v, s = self.pv[at], self.ps[at]
        interest, centre, series, language = (part[at] for part in self._parts())
        slots_taken = _sorted_unique(s)
        first = int((self.s_fixed[slots_taken] == 0).sum())
        per_person = np.bincount(v, minlength=len(self.vols))
        # the j-th new slot of a person costs f_cost[f_first + j - 1]; sum the first n of each
        rows = np.flatnonzero(per_person)
        _, j = _spread(np.zeros(len(rows), dtype=np.int64), per_person[rows])
        owner = np.repeat(rows, per_person[rows])
        fairness = int(self.f_cost[self.f_first[owner] + j].sum())
        return {
            "first_seats": first,
            "further_seats": len(pairs) - first,
            "kept": int(self.previous()[at].sum()),
            "preference": int(
                (
                    PREF_INTEREST * interest.astype(np.int64)
                    + PREF_CENTRE * centre
                    + PREF_SERIES * series
                    + PREF_LANGUAGE * language
                ).sum()
            ),
            "fairness_cost": fairness,
            "interest": int(interest.sum()),
            "continuity": int((centre | series).sum()),
            "language": int(language.sum()),
        }

    def previous(self) -> np.ndarray:
        """Whether each pair was an earlier proposal."""
        if hasattr(self, "_previous_col"):
            return self._previous_col
        ns = max(1, len(self.slot_list))
        known = [
            (self.vindex[v], self.sindex[s])
            for v, s in self.ctx.previous_pairs
            if v in self.vindex and s in self.sindex
        ]
        self._previous_col = _member(self.pv, self.ps, known, ns)
        return self._previous_col

    def weights(self) -> Weights:
        """Context.weights from the columns."""
        q = sum(self.ctx.open_seats.values())
        r = int(self.previous().sum())
        return Weights.of(q, r, int(self.f_cost.sum()))

    # --- the network of flow.py ----------------------------------------------------------------

    def network(self):
        """Arrays of the phase-two network, arc for arc as flow.py describes it."""
        from .flow import NotNested, flow_weights

        ctx = self.ctx
        nv = len(self.vols)
        people = self.capacity > 0  # volunteers with a fairness list
        open_slot = self.s_open > 0
        slot_node = np.full(len(self.slot_list), -1, dtype=np.int64)
        slot_node[open_slot] = 4 + np.arange(int(open_slot.sum()))
        cmax = int(self.f_cost[self.f_first[people] + self.capacity[people] - 1].max(initial=0))
        w3, w4 = flow_weights(ctx, cmax)
        if not ctx.previous_pairs:
            w3 = 0

        # (person, day) rows, sorted by person then day
        rows = people[self.vd_v]
        vd_v, vd_d, vd_cap = self.vd_v[rows], self.vd_d[rows], self.vd_cap[rows]
        vd_row = np.full(len(self.vd_v), -1, dtype=np.int64)
        vd_row[rows] = np.arange(int(rows.sum()))
        same_day = self._same_day_overlap(rows)
        # month and week groups of each person's days; a group with a binding cap is a set
        _, used_month, used_week = self._used() if self.v_touched.any() else (None, None, None)
        kinds = []
        for kind, of_day, caps, has, used in (
            (0, self.day_month, self.v_capm, self.v_has_capm, used_month),
            (1, self.day_week, self.v_capw, self.v_has_capw, used_week),
        ):
            width = max(1, int(of_day.max(initial=0)) + 1)
            g_key, g_inv, g_size = _dense_groups(vd_v * width + of_day[vd_d], nv * width)
            g_v, g_k = g_key // width, g_key % width
            g_sum = np.bincount(g_inv, weights=vd_cap, minlength=len(g_key)).astype(np.int64)
            g_min = np.full(len(g_key), np.iinfo(np.int64).max)
            np.minimum.at(g_min, g_inv, vd_d)
            rem = caps[g_v].copy()
            if used is not None:
                rem -= used[g_v, g_k]
            is_set = has[g_v] & (rem < g_sum)
            kinds.append((kind, g_inv, g_v, g_size, g_min, np.maximum(0, rem), is_set))
        (_, m_inv, m_v, m_size, m_min, m_cap, m_set) = kinds[0]
        (_, w_inv, w_v, w_size, w_min, w_cap, w_set) = kinds[1]
        # distinct weeks of each month group and distinct months of each week group
        mw = _sorted_unique(m_inv * max(1, len(w_v)) + w_inv)
        mw = np.stack([mw // max(1, len(w_v)), mw % max(1, len(w_v))])
        m_weeks = np.bincount(mw[0], minlength=len(m_v))
        w_months = np.bincount(mw[1], minlength=len(w_v))
        bad = m_set[m_inv] & w_set[w_inv] & (m_weeks[m_inv] > 1) & (w_months[w_inv] > 1)
        if bad.any() or same_day is not None:
            # the first person in id order; for one person the days are checked first
            caps_vi = int(vd_v[np.flatnonzero(bad)[0]]) if bad.any() else nv
            if same_day is not None and same_day[0] <= caps_vi:
                vi, _, day = same_day
                raise NotNested(
                    f"volunteer {int(self.vids[vi])}: overlapping candidate slots on {day},"
                    " several allowed"
                )
            raise NotNested(f"volunteer {int(self.vids[caps_vi])}: week and month caps do not nest")

        # sets, ordered per person by (−size, month before week, first day)
        m_ids, w_ids = np.flatnonzero(m_set), np.flatnonzero(w_set)
        s_v = np.r_[m_v[m_ids], w_v[w_ids]]
        s_size = np.r_[m_size[m_ids], w_size[w_ids]]
        s_kind = np.r_[np.zeros(len(m_ids), np.int64), np.ones(len(w_ids), np.int64)]
        s_min = np.r_[m_min[m_ids], w_min[w_ids]]
        s_cap = np.r_[m_cap[m_ids], w_cap[w_ids]]
        s_order = np.lexsort((s_min, s_kind, -s_size, s_v))
        s_rank = np.empty(len(s_order), dtype=np.int64)
        s_rank[s_order] = np.arange(len(s_order))
        n_sets = np.bincount(s_v, minlength=nv)
        set_begin = np.cumsum(n_sets) - n_sets
        s_pos = s_rank - set_begin[s_v]  # position among the person's sets
        m_setid = np.full(len(m_v), -1, dtype=np.int64)
        m_setid[m_ids] = np.arange(len(m_ids))
        w_setid = np.full(len(w_v), -1, dtype=np.int64)
        w_setid[w_ids] = len(m_ids) + np.arange(len(w_ids))

        # node numbers: slot nodes, then per person: root, sets, days (sorted)
        n_days = np.bincount(vd_v, minlength=nv)
        block = np.where(people, 1 + n_sets + n_days, 0)
        root = 4 + int(open_slot.sum()) + np.cumsum(block) - block
        nodes = 4 + int(open_slot.sum()) + int(block.sum())
        day_begin = np.cumsum(n_days) - n_days
        day_pos = np.arange(len(vd_v)) - day_begin[vd_v]
        day_node = root[vd_v] + 1 + n_sets[vd_v] + day_pos
        set_node = root[s_v] + 1 + s_pos

        # parents: the smallest earlier set containing it (laminar), else the root
        s_parent = root[s_v].copy()
        row_m, row_w = m_setid[m_inv], w_setid[w_inv]  # per day row: its month / week set
        one_week = np.full(len(m_v), -1, dtype=np.int64)  # month group inside one week: that
        single = m_weeks[mw[0]] == 1  # week's group
        one_week[mw[0][single]] = mw[1][single]
        one_month = np.full(len(w_v), -1, dtype=np.int64)
        single = w_months[mw[1]] == 1
        one_month[mw[1][single]] = mw[0][single]
        w = one_week[m_ids]  # a month set inside a larger week set
        inside = np.flatnonzero(w >= 0)
        w = w[inside]
        inside, w = inside[w_setid[w] >= 0], w[w_setid[w] >= 0]
        larger = w_size[w] > m_size[m_ids[inside]]
        s_parent[inside[larger]] = set_node[w_setid[w[larger]]]
        m = one_month[w_ids]  # a week set inside a month set
        inside = np.flatnonzero(m >= 0)
        m = m[inside]
        inside, m = inside[m_setid[m] >= 0], m[m_setid[m] >= 0]
        s_parent[len(m_ids) + inside] = set_node[m_setid[m]]
        d_parent = root[vd_v].copy()
        has_m, has_w = row_m >= 0, row_w >= 0
        d_parent[has_m] = set_node[row_m[has_m]]
        later_w = has_w & ~has_m
        both = np.flatnonzero(has_w & has_m)
        later_w[both] = s_pos[row_w[both]] > s_pos[row_m[both]]
        d_parent[later_w] = set_node[row_w[later_w]]

        # source arcs: runs of equal fairness costs
        f_keep = people[self.f_v]
        f_v, f_cost = self.f_v[f_keep], self.f_cost[f_keep]
        run_start = _group_starts(f_v * (int(f_cost.max(initial=0)) + 1) + f_cost)
        run_v = f_v[run_start]
        run_len = np.diff(np.r_[run_start, len(f_v)])
        run_cost = f_cost[run_start]
        n_runs = np.bincount(run_v, minlength=nv)

        # pair arcs of people, sorted by (person, slot id)
        p_keep = people[self.pv]
        pv, ps = self.pv[p_keep], self.ps[p_keep]
        n_pairs = np.bincount(pv, minlength=nv)
        pair_begin = np.cumsum(n_pairs) - n_pairs
        p_pos = np.arange(len(pv)) - pair_begin[pv]
        pref, prev = self.preference()[p_keep], self.previous()[p_keep]

        # arc positions: per person runs, sets, days, pairs; then slots; then the two sinks
        arcs_of = n_runs + n_sets + n_days + n_pairs
        a0 = np.cumsum(arcs_of) - arcs_of
        has_first = open_slot & (self.s_fixed == 0)
        further = self.s_open - has_first
        has_further = open_slot & (further > 0)
        slot_arcs = has_first.astype(np.int64) + has_further
        person_arcs = int(arcs_of.sum())
        n_arcs = person_arcs + int(slot_arcs.sum()) + 2
        tails = np.empty(n_arcs, dtype=np.int32)
        heads = np.empty(n_arcs, dtype=np.int32)
        caps = np.empty(n_arcs, dtype=np.int64)
        costs = np.zeros(n_arcs, dtype=np.int64)

        at = a0[run_v] + np.arange(len(run_v)) - (np.cumsum(n_runs) - n_runs)[run_v]
        tails[at], heads[at], caps[at], costs[at] = SOURCE, root[run_v], run_len, run_cost
        at = a0[s_v] + n_runs[s_v] + s_pos
        tails[at], heads[at], caps[at] = s_parent, set_node, s_cap
        at = a0[vd_v] + n_runs[vd_v] + n_sets[vd_v] + day_pos
        tails[at], heads[at], caps[at] = d_parent, day_node, vd_cap
        pair_arc = a0[pv] + n_runs[pv] + n_sets[pv] + n_days[pv] + p_pos
        tails[pair_arc] = day_node[vd_row[self.pair_vd[p_keep]]]
        heads[pair_arc] = slot_node[ps]
        caps[pair_arc] = 1
        costs[pair_arc] = -w3 * prev - w4 * pref
        at0 = person_arcs + np.cumsum(slot_arcs) - slot_arcs
        firsts = np.flatnonzero(has_first)
        tails[at0[firsts]], heads[at0[firsts]], caps[at0[firsts]] = slot_node[firsts], FIRST, 1
        furthers = np.flatnonzero(has_further)
        at = at0[furthers] + has_first[furthers]
        tails[at], heads[at], caps[at] = slot_node[furthers], FURTHER, further[furthers]
        first_sink, further_sink = n_arcs - 2, n_arcs - 1
        tails[first_sink], heads[first_sink], caps[first_sink] = FIRST, SINK, len(firsts)
        tails[further_sink], heads[further_sink] = FURTHER, SINK
        caps[further_sink] = int(further[furthers].sum())
        return Network(
            nodes=nodes,
            tails=tails,
            heads=heads,
            caps=caps,
            costs=costs,
            pair_arcs=pair_arc,
            pair_v=self.vids[pv],
            pair_s=self.sids[ps],
            first_sink=first_sink,
            further_sink=further_sink,
            weights=(w3, w4),
        )

    def _same_day_overlap(self, rows: np.ndarray):
        """Several slots a day allowed and overlapping candidates on one day: not a tree.

        Returns (volunteer index, smallest slot id of the day, day) of the first such day (the
        per-person builder looks at a person's days in the order of their smallest slot id)."""
        suspect = rows & (self.vd_rd >= 2) & (self.vd_n > 1)
        found = None
        for r in np.flatnonzero(suspect):
            mine = np.flatnonzero(self.pair_vd == r)
            ordered = sorted(
                (self.slot_list[int(self.ps[k])] for k in mine), key=lambda s: (s.start, s.id)
            )
            if any(a.start < b.end and b.start < a.end for a, b in itertools.pairwise(ordered)):
                entry = (int(self.vd_v[r]), min(s.id for s in ordered), ordered[0].start.date())
                found = entry if found is None or entry < found else found
        return found


class Network:
    """The phase-two network as arrays (tails, heads, capacities, unit costs)."""

    def __init__(self, **fields):
        self.__dict__.update(fields)
