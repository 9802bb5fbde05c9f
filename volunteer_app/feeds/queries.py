"""Read helpers of the feeds: the rows a feed shows, and the fingerprint of those rows.

Revision of a feed
------------------
A feed is rendered once per *revision* and then served from ``FeedCache``. The revision is a
SHA-256 fingerprint of one aggregate row per table the feed reads (``COUNT``, ``SUM(id)``,
``MAX(updated_at)``, ``SUM(sequence)``, capacity and seats taken, and for sign-ups
``SUM(id * status code)``), taken over exactly the rows the feed shows, plus the first day of
the window and the language. So it moves when a row is added, changed (``updated_at``,
``sequence``, status), **deleted** (count and id sum drop), when a slot leaves the window, and
every day as the window moves (the cancelled slots of yesterday drop out). Computing it is one
or two small aggregate queries — no rendering, no rows sent — which keeps the 304 path cheap.

What the aggregates cannot see (a renamed centre or category, a volunteer's changed name) is
caught by the cache's maximum age: an entry older than ``FEED_CACHE_MAX_AGE`` (config.py) is rendered again, and
when the bytes are the same the ETag and Last-Modified stay as they were.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import peewee as pw
from peewee import JOIN

from volunteer_app.accounts.models import User
from volunteer_app.activities.models import Activity, ActivityText, Category, Slot
from volunteer_app.activities.texts import TEXT_LANGUAGES
from volunteer_app.centres.models import Centre, CentreMembership
from volunteer_app.feeds.builders import window
from volunteer_app.feeds.models import FeedCache, FeedToken
from volunteer_app.rooms.models import Booking, Room
from volunteer_app.rooms.queries import public_consultations
from volunteer_app.signups.models import Signup

# Changes when the feed's text or layout changes in code: every cached feed is rendered anew.
LAYOUT_VERSION = "2"
BACK_DAYS = 60
AHEAD_DAYS = 365
_STATUS_CODE = {"confirmed": 1, "pending": 2, "waitlisted": 3, "cancelled": 4, "declined": 5}


@dataclass(frozen=True)
class Bounds:
    """The feed window [start, end) and the start of today, all naive UTC."""

    today: dt.date
    start: dt.datetime
    end: dt.datetime
    today_start: dt.datetime


def bounds(today: dt.date) -> Bounds:
    start, end = window(today, BACK_DAYS, AHEAD_DAYS)
    return Bounds(today, start, end, window(today, 0, 0)[0])


def _slot_in_feed(b: Bounds):
    """Slots overlapping the window; a cancelled one only until its day is over."""
    return (
        (Slot.starts_at < b.end)
        & (Slot.ends_at > b.start)
        & ((Slot.status == "scheduled") | (Slot.ends_at >= b.today_start))
    )


def _digest(*parts) -> str:
    text = "|".join(str(p) for p in (LAYOUT_VERSION, *parts))
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def _status_code():
    return pw.Case(Signup.status, list(_STATUS_CODE.items()), 0)


def _slot_aggregates():
    return (
        pw.fn.COUNT(Slot.id),
        pw.fn.SUM(Slot.id),
        pw.fn.MAX(Slot.updated_at),
        pw.fn.SUM(Slot.sequence),
        pw.fn.MAX(Activity.updated_at),
        pw.fn.SUM(Slot.taken),
        pw.fn.SUM(Slot.capacity),
        pw.fn.SUM(Activity.id),
    )


# --- centres, categories, people -----------------------------------------------------------


def centre_by_slug(slug: str) -> Centre | None:
    return Centre.select().where(Centre.slug == slug).first()


def is_member(user_id: int, centre_id: int) -> bool:
    return (
        CentreMembership.select()
        .where((CentreMembership.user == user_id) & (CentreMembership.centre == centre_id))
        .exists()
    )


def staff_centres(user) -> list[Centre]:
    """Centres whose staff feed ``user`` may subscribe to: all for admins, else memberships."""
    if not user.is_authenticated or user.role not in ("coordinator", "admin"):
        return []
    query = Centre.select().order_by(Centre.town, Centre.name)
    if not user.is_admin:
        query = query.join(CentreMembership).where(CentreMembership.user == user.id)
    return list(query)


def active_links(user_id: int) -> list[FeedToken]:
    """A person's active private links with the centre of each staff link (one query)."""
    return list(
        FeedToken.select(FeedToken, Centre)
        .join(Centre, JOIN.LEFT_OUTER, on=(FeedToken.centre == Centre.id))
        .where((FeedToken.user == user_id) & FeedToken.revoked_at.is_null())
        .order_by(FeedToken.id)
    )


def link_by_hash(token_hash: str) -> FeedToken | None:
    """The link row of a token with its owner and centre (one query)."""
    return (
        FeedToken.select(FeedToken, User, Centre)
        .join(User, on=(FeedToken.user == User.id))
        .switch(FeedToken)
        .join(Centre, JOIN.LEFT_OUTER, on=(FeedToken.centre == Centre.id))
        .where(FeedToken.token_hash == token_hash)
        .first()
    )


# --- family feed ---------------------------------------------------------------------------


def _family_where(centre_id: int, category_ids: tuple[int, ...], b: Bounds):
    where = (Activity.centre == centre_id) & (Activity.is_public == True) & _slot_in_feed(b)  # noqa: E712
    if category_ids:
        where &= Activity.category.in_(category_ids)
    return where


def family_revision(centre_id: int, category_ids: tuple[int, ...], b: Bounds, locale: str) -> str:
    """The family feed's fingerprint in ``locale``: besides the slots, the activities' texts
    in that language (joined, at most one per slot, so the other sums stay as they are):
    adding or removing one moves it; changing one moves ``Activity.updated_at`` as well."""
    query = Slot.select(*_slot_aggregates()).join(Activity, on=(Slot.activity == Activity.id))
    if locale in TEXT_LANGUAGES:
        text = (ActivityText.activity == Activity.id) & (ActivityText.language == locale)
        query = query.select_extend(pw.fn.COUNT(ActivityText.id), pw.fn.SUM(ActivityText.id))
        query = query.join(ActivityText, JOIN.LEFT_OUTER, on=text)
    row = query.where(_family_where(centre_id, category_ids, b)).tuples().get()
    extra = () if category_ids else consultation_revision(centre_id, b)
    return _digest("family", centre_id, category_ids, b.today, locale, *row, *extra)


def consultation_revision(centre_id: int, b: Bounds) -> tuple:
    """Aggregates over the centre's public consultation hours in the window (one query):
    they move on every booking, change, cancellation and deletion."""
    return (
        Booking.select(
            pw.fn.COUNT(Booking.id),
            pw.fn.SUM(Booking.id),
            pw.fn.MAX(Booking.updated_at),
            pw.fn.SUM(Booking.sequence),
            pw.fn.MAX(Room.updated_at),
        )
        .join(Room, on=(Booking.room == Room.id))
        .where(
            (Room.centre == centre_id)
            & (Booking.is_public == True)  # noqa: E712
            & (Booking.starts_at < b.end)
            & (Booking.ends_at > b.start)
        )
        .tuples()
        .get()
    )


def consultations(centre_id: int, b: Bounds) -> list:
    """Public consultation hours in the window; a cancelled one only until its day is over."""
    return [
        entry
        for entry in public_consultations([centre_id], b.start, b.end)
        if entry.status != "cancelled" or entry.ends_at >= b.today_start
    ]


def family_slots(centre_id: int, category_ids: tuple[int, ...], b: Bounds) -> list[Slot]:
    """The public slots of a centre in the window, with activity and category (one query)."""
    return list(
        Slot.select(Slot, Activity, Category)
        .join(Activity, on=(Slot.activity == Activity.id))
        .join(Category, on=(Activity.category == Category.id))
        .where(_family_where(centre_id, category_ids, b))
        .order_by(Slot.starts_at, Slot.id)
    )


# --- staff feed ----------------------------------------------------------------------------


def _staff_where(centre_id: int, b: Bounds):
    return (Activity.centre == centre_id) & _slot_in_feed(b)


def staff_revision(centre_id: int, b: Bounds, locale: str) -> str:
    slots = (
        Slot.select(*_slot_aggregates())
        .join(Activity, on=(Slot.activity == Activity.id))
        .where(_staff_where(centre_id, b))
        .tuples()
        .get()
    )
    people = (
        Signup.select(
            pw.fn.COUNT(Signup.id),
            pw.fn.SUM(Signup.id * _status_code()),
            pw.fn.MAX(Signup.queued_at),
            pw.fn.MAX(Signup.decided_at),
            pw.fn.SUM(Signup.volunteer),
        )
        .join(Slot, on=(Signup.slot == Slot.id))
        .join(Activity, on=(Slot.activity == Activity.id))
        .where(
            _staff_where(centre_id, b) & Signup.status.in_(("confirmed", "pending", "waitlisted"))
        )
        .tuples()
        .get()
    )
    return _digest("staff", centre_id, b.today, locale, *slots, *people)


def staff_slots(centre_id: int, b: Bounds) -> list[Slot]:
    """Every slot of the centre in the window with activity and category (one query)."""
    return list(
        Slot.select(Slot, Activity, Category)
        .join(Activity, on=(Slot.activity == Activity.id))
        .join(Category, on=(Activity.category == Category.id))
        .where(_staff_where(centre_id, b))
        .order_by(Slot.starts_at, Slot.id)
    )


@dataclass
class Staffing:
    confirmed: list[str]
    pending: int = 0
    waitlisted: int = 0


def staffing(centre_id: int, b: Bounds) -> dict[int, Staffing]:
    """Per slot id: first names of the confirmed people (by sign-up order), pending and
    waiting counts (one query for the whole window)."""
    rows = (
        Signup.select(Signup.slot, Signup.status, User.name)
        .join(User, on=(Signup.volunteer == User.id))
        .switch(Signup)
        .join(Slot, on=(Signup.slot == Slot.id))
        .join(Activity, on=(Slot.activity == Activity.id))
        .where(
            _staff_where(centre_id, b) & Signup.status.in_(("confirmed", "pending", "waitlisted"))
        )
        .order_by(Signup.slot, Signup.created_at, Signup.id)
        .tuples()
    )
    result: dict[int, Staffing] = {}
    for slot_id, status, name in rows:
        entry = result.setdefault(slot_id, Staffing([]))
        if status == "confirmed":
            entry.confirmed.append(name.split(" ", 1)[0])
        elif status == "pending":
            entry.pending += 1
        else:
            entry.waitlisted += 1
    return result


# --- volunteer feed ------------------------------------------------------------------------


def _volunteer_where(user_id: int, b: Bounds):
    # My confirmed slots; a slot the centre cancelled keeps showing (as cancelled) until its
    # day is over — its sign-ups were cancelled with it.
    mine = (Signup.status == "confirmed") | (
        (Signup.status == "cancelled") & (Slot.status == "cancelled")
    )
    return (Signup.volunteer == user_id) & mine & _slot_in_feed(b)


def volunteer_revision(user_id: int, b: Bounds, locale: str, alarm: int | None) -> str:
    row = (
        Signup.select(
            *_slot_aggregates(),
            pw.fn.SUM(Signup.id * _status_code()),
            pw.fn.MAX(Centre.id),
        )
        .join(Slot, on=(Signup.slot == Slot.id))
        .join(Activity, on=(Slot.activity == Activity.id))
        .join(Centre, on=(Activity.centre == Centre.id))
        .where(_volunteer_where(user_id, b))
        .tuples()
        .get()
    )
    return _digest("volunteer", user_id, b.today, locale, alarm, *row)


Responsible = User.alias("responsible")


def volunteer_slots(user_id: int, b: Bounds) -> list[Slot]:
    """My slots in the window with activity, centre and the responsible staff member (one
    query); ``slot.activity.responsible`` is None when nobody is named."""
    return list(
        Slot.select(Slot, Activity, Centre, Responsible)
        .join(Signup, on=(Signup.slot == Slot.id))
        .switch(Slot)
        .join(Activity, on=(Slot.activity == Activity.id))
        .join(Centre, on=(Activity.centre == Centre.id))
        .switch(Activity)
        .join(Responsible, JOIN.LEFT_OUTER, on=(Activity.responsible == Responsible.id))
        .where(_volunteer_where(user_id, b))
        .order_by(Slot.starts_at, Slot.id)
    )


# --- cache ---------------------------------------------------------------------------------


def cache_head(key: str) -> FeedCache | None:
    """The cached entry without its body (the 304 path needs no bytes)."""
    return (
        FeedCache.select(
            FeedCache.id,
            FeedCache.key,
            FeedCache.revision,
            FeedCache.etag,
            FeedCache.last_modified,
            FeedCache.rendered_at,
        )
        .where(FeedCache.key == key)
        .first()
    )


def cache_body(key: str) -> bytes | None:
    row = FeedCache.select(FeedCache.body).where(FeedCache.key == key).tuples().first()
    return bytes(row[0]) if row else None


def usable_categories(centre_id: int) -> list[Category]:
    """Categories a family feed of this centre may be narrowed to (built-ins and its own)."""
    return list(Category.select().where(Category.centre.is_null() | (Category.centre == centre_id)))


def public_category_ids(centre_id: int) -> set[int]:
    """Categories of the centre's public activities (what the subscribe page offers)."""
    return {
        row[0]
        for row in Activity.select(Activity.category)
        .where((Activity.centre == centre_id) & (Activity.is_public == True))  # noqa: E712
        .distinct()
        .tuples()
    }
