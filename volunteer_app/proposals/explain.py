"""The engine's structured reasons and funnels, in words ("mag Vorlesen · dienstags frei").

The engine says *what* (``Reason(kind, data)``, ``[(rule, count), …]``); this module says
it in the reader's language. Pure display: no queries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from babel import Locale
from flask_babel import format_date, get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from volunteer_app.activities.queries import category_label

# "free on Tuesdays" reads "dienstags frei" in German: the adverb is translated as a whole.
WEEKDAYS_PLURAL = (
    _l("on Mondays"),
    _l("on Tuesdays"),
    _l("on Wednesdays"),
    _l("on Thursdays"),
    _l("on Fridays"),
    _l("on Saturdays"),
    _l("on Sundays"),
)


def reason_dicts(reasons: Iterable) -> list[dict]:
    """Reasons as stored (JSON): ``{"kind": …, "data": {…}}`` whatever came in."""
    out = []
    for r in reasons or ():
        if isinstance(r, dict):
            out.append({"kind": r.get("kind", ""), "data": dict(r.get("data") or {})})
        else:
            out.append({"kind": r.kind, "data": dict(r.data or {})})
    return out


def _as_date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def language_name(code: str) -> str:
    try:
        return Locale.parse(code).get_display_name(get_locale()) or code
    except (ValueError, TypeError, LookupError):
        return code


def reason_words(reasons: Iterable, slot) -> list[str]:
    """Short phrases for a proposal: "likes Reading aloud", "free on Tuesdays", …"""
    words: list[str] = []
    category = category_label(slot.activity.category)
    for r in reason_dicts(reasons):
        kind, data = r["kind"], r["data"]
        if kind == "interest":
            words.append(_("likes %(category)s", category=category))
        elif kind == "open":
            words.append(_("open to anything"))
        elif kind == "window":
            weekday = data.get("weekday")
            if isinstance(weekday, int) and 0 <= weekday <= 6:
                words.append(_("free %(when)s", when=WEEKDAYS_PLURAL[weekday]))
        elif kind == "certificate":
            until = _as_date(data.get("valid_until"))
            if until is not None:
                words.append(
                    _(
                        "police certificate valid until %(month)s",
                        month=format_date(until, "MM/yyyy"),
                    )
                )
        elif kind == "language":
            code = data.get("language")
            if code:
                words.append(_("speaks %(language)s", language=language_name(code)))
        elif kind == "continuity":
            words.append(_("has helped at this centre before"))
        elif kind == "series":
            words.append(_("knows this series"))
    return words


def funnel_words(funnel: Iterable, slot) -> list[str]:
    """How many volunteers each rule left, in words; rules that do not apply are left out.

    e.g. "12 like Reading aloud · 3 have time on Tuesdays · 0 with a valid police certificate".
    """
    words: list[str] = []
    category = category_label(slot.activity.category)
    when = WEEKDAYS_PLURAL[_weekday(slot)]
    previous = None
    for step in funnel or ():
        rule, num = step[0], int(step[1])
        if rule in ("certificate",) and not slot.activity.is_child_facing:
            previous = num
            continue
        if rule == "language" and previous is not None and num == previous:
            continue
        text = _funnel_step(rule, num, category, when)
        if text:
            words.append(text)
        previous = num
        if num == 0:
            break  # after the first rule that leaves nobody, the rest says nothing
    return words


def _weekday(slot) -> int:
    from volunteer_app.common.time import to_berlin

    return to_berlin(slot.starts_at).weekday()


def _funnel_step(rule: str, num: int, category: str, when) -> str | None:
    if rule in ("all", "total", "volunteers"):
        return ngettext("%(num)d volunteer in all", "%(num)d volunteers in all", num)
    if rule == "interest":
        return ngettext(
            "%(num)d likes %(category)s", "%(num)d like %(category)s", num, category=category
        )
    if rule == "window":
        return ngettext("%(num)d has time %(when)s", "%(num)d have time %(when)s", num, when=when)
    if rule == "centre":
        return ngettext("%(num)d can reach the centre", "%(num)d can reach the centre", num)
    if rule == "certificate":
        return ngettext(
            "%(num)d with a valid police certificate",
            "%(num)d with a valid police certificate",
            num,
        )
    if rule == "language":
        return ngettext(
            "%(num)d speaks the language needed", "%(num)d speak the language needed", num
        )
    if rule == "free":
        return ngettext(
            "%(num)d still available (limits, other dates, earlier no)",
            "%(num)d still available (limits, other dates, earlier no)",
            num,
        )
    return None


def bottleneck(funnel: Iterable) -> str | None:
    """The first rule that left nobody (the reason a slot stays empty), if any."""
    for step in funnel or ():
        if int(step[1]) == 0:
            return step[0]
    return None
