"""Eligibility, reasons, the "why is this slot empty" funnel and suggestions (no solver)."""

from __future__ import annotations

from .model import STATIC_RULES, Context, matching_window, preference
from .problem import Pair, Problem, Reason

FUNNEL_KEYS = (*tuple(key for key, _ in STATIC_RULES), "free")


def eligible(problem: Problem) -> dict[int, list[int]]:
    """Slot id -> sorted ids of the volunteers who may be proposed for it.

    Every slot of the problem is a key (possibly with an empty list). A volunteer is eligible
    when all hard rules hold: interest, window, centre, certificate, language, and "free" (caps
    after outside load and fixed pairs, no overlap with a fixed slot, not declined, not already
    fixed on this slot). Seats are not looked at: a full slot still lists who would fit.
    """
    ctx = Context(problem)
    result: dict[int, list[int]] = {sid: [] for sid in ctx.slots}
    for vid, v in ctx.volunteers.items():
        for sid in ctx.eligible_slots(v):
            result[sid].append(vid)
    return result


def reasons(problem: Problem, volunteer_id: int, slot_id: int) -> list[Reason]:
    """Why this volunteer fits this slot, as structured reasons (only those that hold).

    Kinds, in this order: "interest" {"category"} or "open" {} (open to anything, no stated
    interest), "window" {"weekday", "start_minute", "end_minute"}, "certificate" {"valid_until"}
    (child-facing slots), "language" {"language"} (slot requires it), "continuity" {"centre"}
    (was at this centre before), "series" {"series"} (was in this series before).
    """
    v = next((v for v in problem.volunteers if v.id == volunteer_id), None)
    s = next((s for s in problem.slots if s.id == slot_id), None)
    if v is None or s is None:
        raise KeyError(f"unknown volunteer {volunteer_id} or slot {slot_id}")
    return _reasons(v, s)


def _reasons(v, s) -> list[Reason]:
    found: list[Reason] = []
    if s.category in v.interests:
        found.append(Reason("interest", {"category": s.category}))
    elif v.open_to_anything:
        found.append(Reason("open", {}))
    window = matching_window(v, s)
    if window is not None:
        found.append(
            Reason(
                "window",
                {
                    "weekday": window.weekday,
                    "start_minute": window.start_minute,
                    "end_minute": window.end_minute,
                },
            )
        )
    if (
        s.child_facing
        and v.certificate_valid_until is not None
        and v.certificate_valid_until >= s.start.date()
    ):
        found.append(Reason("certificate", {"valid_until": v.certificate_valid_until}))
    if s.language is not None and s.language in v.languages:
        found.append(Reason("language", {"language": s.language}))
    if s.centre in v.history_centres:
        found.append(Reason("continuity", {"centre": s.centre}))
    if s.series is not None and s.series in v.history_series:
        found.append(Reason("series", {"series": s.series}))
    return found


def funnel(problem: Problem, slot_id: int) -> list[tuple[str, int]]:
    """How many volunteers are left after each rule, applied in order.

    Keys: "interest", "window", "centre", "certificate", "language", "free" (caps, overlaps,
    declined, already fixed on the slot).
    """
    return funnels(problem, [slot_id])[slot_id]


def funnels(problem: Problem, slot_ids=None) -> dict[int, list[tuple[str, int]]]:
    """`funnel` for many slots at once (all slots when `slot_ids` is None), one set-up."""
    ctx = Context(problem)
    wanted = sorted(ctx.slots) if slot_ids is None else list(slot_ids)
    people = list(ctx.volunteers.values())
    result = {}
    for slot_id in wanted:
        s = ctx.slots[slot_id]
        left = people
        counts: list[tuple[str, int]] = []
        for key, rule in STATIC_RULES:
            left = [v for v in left if rule(v, s)]
            counts.append((key, len(left)))
        left = [v for v in left if ctx.is_free(v, s)]
        counts.append(("free", len(left)))
        result[slot_id] = counts
    return result


def candidates(problem: Problem, slot_id: int) -> list[tuple[int, list[Reason]]]:
    """Who could take one more seat of one slot, best first, with reasons (no solver).

    Everyone eligible for the slot (every hard rule, "free" included; seats are not looked
    at), in the order in which the objective fills a seat of it: an earlier proposal for it
    first (tier 3), then preference points (tier 4), then the lowest fairness cost of one
    more slot for the person (tier 5); ties by id. One person takes one seat of a slot and
    the tiers dominate each other, so the first k are the engine's optimum for k seats.
    """
    ctx = Context(problem)
    s = ctx.slots.get(slot_id)
    if s is None:
        return []
    ranked = []
    for v in ctx.volunteers.values():
        if not ctx.fits(v, s):
            continue
        kept = Pair(v.id, slot_id) in ctx.previous
        ranked.append((-int(kept), -preference(v, s), ctx.fairness_costs(v, 1)[0], v.id))
    ranked.sort()
    return [(vid, _reasons(ctx.volunteers[vid], s)) for *_, vid in ranked]


def _scarcity(candidates: int) -> int:
    if candidates <= 2:
        return 3
    if candidates <= 5:
        return 2
    if candidates <= 10:
        return 1
    return 0


def suggest(problem: Problem, volunteer_id: int, limit: int = 10) -> list[tuple[int, list[Reason]]]:
    """Open slots (a seat left) the volunteer is eligible for, best first, with reasons.

    Score = fit (preference points: interest 4, same centre 2, same series 2, language 1)
    + 3 if nobody is on the slot yet + scarcity (3 with ≤ 2 eligible people, 2 with ≤ 5,
    1 with ≤ 10). Ties: earlier start, then slot id.
    """
    ctx = Context(problem)
    v = ctx.volunteers.get(volunteer_id)
    if v is None:
        return []
    mine = ctx.eligible_slots(v, open_only=True)
    if not mine:
        return []
    wanted = set(mine)
    candidates = dict.fromkeys(mine, 0)
    for other in ctx.volunteers.values():
        for sid in ctx.eligible_slots(other, open_only=True):
            if sid in wanted:
                candidates[sid] += 1
    ranked = []
    for sid in mine:
        s = ctx.slots[sid]
        empty = 3 if ctx.fixed_on_slot[sid] == 0 else 0
        score = preference(v, s) + empty + _scarcity(candidates[sid])
        ranked.append((-score, s.start, sid))
    ranked.sort()
    return [(sid, _reasons(v, ctx.slots[sid])) for _, _, sid in ranked[: max(0, limit)]]
