"""Read helpers of wishes; every list is one query."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import peewee as pw
from peewee import JOIN

from volunteer_app.activities import texts
from volunteer_app.activities.models import Activity, ActivityText, Slot
from volunteer_app.centres.models import Centre
from volunteer_app.db import utcnow
from volunteer_app.wishes.models import OPEN_STATUSES, Wish, WishSupport

PUBLIC_LIMIT = 200  # wishes on the public page (open ones first, the most supported first)
MANAGE_LIMIT = 300


@dataclass
class WishBoard:
    """A centre's wishes split for the page: open (ranked), realised, declined."""

    open: list[Wish] = field(default_factory=list)
    realised: list[Wish] = field(default_factory=list)
    declined: list[Wish] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.open) + len(self.realised) + len(self.declined)


def _ranked(centre_id: int):
    """The centre's public (approved) wishes with their activity, open ones first, then by
    support and age."""
    open_first = pw.Case(None, [(Wish.status.in_(OPEN_STATUSES), 0)], 1)
    return (
        Wish.select(Wish, Activity)
        .join(Activity, JOIN.LEFT_OUTER, on=(Wish.activity == Activity.id))
        .where((Wish.centre == centre_id) & Wish.approved_at.is_null(False))
        .order_by(open_first, Wish.support_count.desc(), Wish.created_at.desc(), Wish.id.desc())
    )


def _board(wishes) -> WishBoard:
    board = WishBoard()
    for wish in wishes:
        if wish.is_open:
            board.open.append(wish)
        elif wish.status == "realised":
            board.realised.append(wish)
        else:
            board.declined.append(wish)
    return board


def public_board(centre_id: int) -> WishBoard:
    """What families see: every approved wish of the centre (no address), in one query."""
    return _board(_ranked(centre_id).limit(PUBLIC_LIMIT))


def ranked_wishes(centre_id: int, status: str | None = None) -> list[Wish]:
    """The coordinators' list of public wishes: ranked by support, then the newest;
    optionally one status. Wishes awaiting approval are ``pending_wishes``."""
    query = _ranked(centre_id)
    if status:
        query = query.where(Wish.status == status)
    return list(query.limit(MANAGE_LIMIT))


def status_counts(centre_id: int) -> dict[str, int]:
    """Public wishes per status, and those awaiting approval as ``"pending"`` (one query)."""
    key = pw.Case(None, [(Wish.approved_at.is_null(), "pending")], Wish.status)
    rows = (
        Wish.select(key.alias("key"), pw.fn.COUNT(Wish.id).alias("n"))
        .where(Wish.centre == centre_id)
        .group_by(key)
        .tuples()
    )
    return dict(rows)


def pending_wishes(centre_id: int) -> list[Wish]:
    """Wishes awaiting a coordinator's approval, the oldest first (one query)."""
    return list(
        Wish.select()
        .where((Wish.centre == centre_id) & Wish.approved_at.is_null())
        .order_by(Wish.created_at, Wish.id)
        .limit(MANAGE_LIMIT)
    )


def pending_count(centre_id: int) -> int:
    """How many wishes of the centre await approval (the desk's figure)."""
    return Wish.select().where((Wish.centre == centre_id) & Wish.approved_at.is_null()).count()


def own_pending(centre_id: int, browser_hash: str | None) -> list[Wish]:
    """This browser's own wishes still awaiting approval, for "being checked" on the public
    page (one query; none without a cookie). Only the browser that suggested a wish
    supports it before it is public."""
    if not browser_hash:
        return []
    return list(
        Wish.select(Wish.id, Wish.title, Wish.locale, Wish.created_at)
        .join(WishSupport, on=(WishSupport.wish == Wish.id))
        .where(
            (Wish.centre == centre_id)
            & Wish.approved_at.is_null()
            & (WishSupport.browser_hash == browser_hash)
        )
        .order_by(Wish.created_at, Wish.id)
    )


def wish_in_centre(centre: Centre, wish_id: int) -> Wish | None:
    """The wish with its activity, only if it belongs to ``centre``."""
    wish = (
        Wish.select(Wish, Activity)
        .join(Activity, JOIN.LEFT_OUTER, on=(Wish.activity == Activity.id))
        .where((Wish.id == wish_id) & (Wish.centre == centre.id))
        .first()
    )
    if wish is not None:
        wish.centre = centre
    return wish


def supported_ids(centre_id: int, browser_hash: str | None) -> set[int]:
    """Wishes of the centre this browser has supported (one query; none without a cookie)."""
    if not browser_hash:
        return set()
    rows = (
        WishSupport.select(WishSupport.wish)
        .join(Wish, on=(WishSupport.wish == Wish.id))
        .where((Wish.centre == centre_id) & (WishSupport.browser_hash == browser_hash))
        .tuples()
    )
    return {wish_id for (wish_id,) in rows}


@dataclass(frozen=True)
class RealisedWish:
    """For the centre page: what families wished and which activity answers it."""

    wish_id: int
    title: str
    activity_id: int
    activity_title: str  # in the page's language where the activity has a text in it
    next_start: dt.datetime | None  # naive UTC of the next public date, if any
    activity_lang: str = ""  # "de" when the title is German on a page in another language
    locale: str = "de"  # the language the wish itself was written in

    @property
    def activity_attrs(self):
        return texts.lang_attrs(self.activity_lang)


def realised_wishes(centre_id: int, limit: int = 6) -> list[RealisedWish]:
    """The centre's most recently realised wishes with their public activity (titled in the
    page's language where it has a text in it) and its next date (one query). Activities not
    shown to families are left out."""
    next_slot = (
        Slot.select(pw.fn.MIN(Slot.starts_at))
        .where(
            (Slot.activity == Activity.id)
            & (Slot.status == "scheduled")
            & (Slot.starts_at > utcnow())
        )
        .alias("next_start")
    )
    language = texts.current_language()
    in_language = (ActivityText.activity == Activity.id) & (ActivityText.language == language)
    rows = (
        Wish.select(
            Wish.id,
            Wish.title,
            Activity.id,
            Activity.title,
            next_slot,
            Wish.locale,
            ActivityText.title,
        )
        .join(Activity, on=(Wish.activity == Activity.id))
        .join(ActivityText, JOIN.LEFT_OUTER, on=in_language)
        .where(
            (Wish.centre == centre_id)
            & (Wish.status == "realised")
            & Wish.approved_at.is_null(False)
            & (Activity.is_public == True)  # noqa: E712
        )
        .order_by(Wish.realised_at.desc(), Wish.id.desc())
        .limit(limit)
        .tuples()
    )
    result = []
    for wish_id, title, activity_id, activity_title, start, locale, text_title in rows:
        text = ActivityText(language=language, title=text_title) if text_title else None
        shown = texts.pick(Activity(id=activity_id, title=activity_title), text, language)
        result.append(
            RealisedWish(
                wish_id, title, activity_id, shown.title, _as_datetime(start), shown.lang, locale
            )
        )
    return result


def _as_datetime(value):
    # SQLite hands back a sub-select's timestamp as text.
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    return value


def wish_figures(centre_ids, start_utc: dt.datetime, end_utc: dt.datetime) -> dict[str, int]:
    """Wishes received and realised in ``[start, end)`` across the centres (one query)."""
    received = pw.fn.SUM(
        pw.Case(None, [(Wish.created_at.between(start_utc, end_utc - _TICK), 1)], 0)
    )
    realised = pw.fn.SUM(
        pw.Case(None, [(Wish.realised_at.between(start_utc, end_utc - _TICK), 1)], 0)
    )
    row = (
        Wish.select(received.alias("received"), realised.alias("realised"))
        .where(Wish.centre.in_(list(centre_ids)))
        .dicts()
        .first()
    ) or {}
    return {"received": int(row.get("received") or 0), "realised": int(row.get("realised") or 0)}


_TICK = dt.timedelta(microseconds=1)
