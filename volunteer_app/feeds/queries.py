"""Read helpers of the feeds: the rows a feed shows, and what tells a feed's revision.

Revision of a feed
------------------
A feed is rendered once per *revision* and then served from ``FeedCache``. The revision is
a digest of the owner's ``ContentRevision`` (volunteer_app/revisions/: a counter per centre
and person that database triggers move on every write the feed shows, deletions and
cascades included), the first day of the window, the language and, for the family feed, the
chosen categories. Telling it is one indexed lookup, joined to the one that reads the cache
entry's head: a conditional request that matches never reads a slot. The family feed
follows the centre's ``public`` revision, the staff feed its ``staff`` revision (sign-ups and
the names on them too), a volunteer's feed their ``person`` revision (their sign-ups) and the
sum of every centre's ``public`` revision (a date, an activity, a centre's contact or the
responsible person changed anywhere).

``FEED_CACHE_MAX_AGE`` (config.py) still has an entry rendered again after that long (a new
release's texts); when the bytes are the same the ETag and Last-Modified stay as they were.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import peewee as pw
from peewee import JOIN

from volunteer_app.accounts.models import User
from volunteer_app.activities.models import Activity, Category, Slot
from volunteer_app.centres.models import Centre, CentreMembership
from volunteer_app.db import db
from volunteer_app.feeds.builders import window
from volunteer_app.feeds.models import FeedCache, FeedToken
from volunteer_app.revisions.models import ContentRevision
from volunteer_app.revisions.queries import (
    Revision,
    as_datetime,
    revision_join,
    revision_of,
    run_cached,
)
from volunteer_app.rooms.queries import public_consultations
from volunteer_app.signups.models import Signup

# Changes when the feed's text or layout changes in code: every cached feed is rendered anew.
LAYOUT_VERSION = "3"
BACK_DAYS = 60
AHEAD_DAYS = 365


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
    """The link row of a token with its owner and centre, in one query. Also on the row:
    ``is_member`` (the owner belongs to the link's centre), and the revision its feed
    follows (``revision``): a staff link's centre's ``staff`` revision, a volunteer link's
    owner's ``person`` revision with the sum of every centre's ``public`` one."""
    staff = FeedToken.kind == "staff"
    member = pw.fn.EXISTS(
        CentreMembership.select(CentreMembership.id).where(
            (CentreMembership.user == FeedToken.user)
            & (CentreMembership.centre == FeedToken.centre)
        )
    )
    Public = ContentRevision.alias("public_revision")
    everywhere = Public.select(pw.fn.SUM(Public.value)).where(Public.scope == "public")
    own = pw.Case(None, [(staff, "staff")], "person")
    link = (
        FeedToken.select(
            FeedToken,
            User,
            Centre,
            member.alias("is_member"),
            ContentRevision.value.alias("revision_value"),
            ContentRevision.changed_at.alias("revision_changed_at"),
            pw.Case(None, [(staff, 0)], everywhere).alias("public_sum"),
        )
        .join(User, on=(FeedToken.user == User.id))
        .switch(FeedToken)
        .join(Centre, JOIN.LEFT_OUTER, on=(FeedToken.centre == Centre.id))
        .switch(FeedToken)
        .join(
            ContentRevision,
            JOIN.LEFT_OUTER,
            on=revision_join(own, pw.fn.COALESCE(FeedToken.centre, FeedToken.user)),
            attr="revision_row",
        )
        .where(FeedToken.token_hash == token_hash)
        .first()
    )
    if link is not None:
        row = getattr(link, "revision_row", None)
        link.revision = revision_of(
            getattr(row, "revision_value", None), getattr(row, "revision_changed_at", None)
        )
        link.is_member = bool(link.is_member)
    return link


# --- family feed ---------------------------------------------------------------------------


def _family_where(centre_id: int, category_ids: tuple[int, ...], b: Bounds):
    where = (Activity.centre == centre_id) & (Activity.is_public == True) & _slot_in_feed(b)  # noqa: E712
    if category_ids:
        where &= Activity.category.in_(category_ids)
    return where


def family_key(centre_id: int, category_ids: tuple[int, ...], locale: str) -> str:
    return f"family:{centre_id}:{','.join(map(str, category_ids))}:{locale}"


def family_revision(
    centre_id: int, category_ids: tuple[int, ...], b: Bounds, locale: str, revision: Revision
) -> str:
    """The family feed's revision in ``locale``: the centre's ``public`` revision (its
    activities, their texts and dates, categories, consultation hours, the centre itself)."""
    return _digest("family", centre_id, category_ids, b.today, locale, revision.token)


@dataclass(frozen=True)
class FamilyHead:
    centre_id: int
    revision: Revision
    cached: FeedCache | None  # the cache entry's head, without its body


def family_head(slug: str, category_ids: tuple[int, ...], locale: str) -> FamilyHead | None:
    """What a conditional request for a family feed needs, in one query over unique
    indexes: the centre's id, its public revision, and the head of the feed's cache entry.
    None: no such centre."""
    suffix = f":{','.join(map(str, category_ids))}:{locale}"
    row = run_cached("family_head", _family_head_query, slug=slug, suffix=suffix).fetchone()
    if row is None:
        return None
    return FamilyHead(row[0], revision_of(row[1], row[2]), _head(row[3:]))


def _family_head_query(slug, suffix):
    key = pw.Value("family:").concat(pw.Cast(Centre.id, "text")).concat(suffix)
    return (
        Centre.select(
            Centre.id,
            ContentRevision.value,
            ContentRevision.changed_at,
            *_HEAD_FIELDS,
        )
        .join(ContentRevision, JOIN.LEFT_OUTER, on=revision_join("public", Centre.id))
        .switch(Centre)
        .join(FeedCache, JOIN.LEFT_OUTER, on=(FeedCache.key == key))
        .where(Centre.slug == slug)
        .limit(1)
    )


def revision_row(scope: str, owner_id: int) -> Revision:
    """One ``ContentRevision`` (one query): for callers that have no head yet."""
    row = (
        ContentRevision.select(ContentRevision.value, ContentRevision.changed_at)
        .where(revision_join(scope, owner_id))
        .tuples()
        .first()
    )
    return revision_of(*(row or (0, None)))


def public_sum() -> int:
    """The sum of every centre's ``public`` revision (one query)."""
    total = ContentRevision.select(pw.fn.SUM(ContentRevision.value))
    return int(total.where(ContentRevision.scope == "public").scalar() or 0)


def consultations(centre_id: int, b: Bounds) -> list:
    """Public consultation hours in the window; a cancelled one only until its day is over."""
    return [
        entry
        for entry in public_consultations([centre_id], b.start, b.end)
        if entry.status != "cancelled" or entry.ends_at >= b.today_start
    ]


@dataclass(frozen=True, slots=True)
class FeedSlot:
    """What a feed shows of a slot; ``activity`` (with its ``category``) is one object shared
    by all its slots."""

    id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    updated_at: dt.datetime
    status: str
    sequence: int
    cancel_reason: str
    activity: Activity


def family_slots(centre_id: int, category_ids: tuple[int, ...], b: Bounds) -> list[FeedSlot]:
    """The public slots of a centre in the window, with activity and category (one query):
    only the columns the feed shows, each activity built once (a 2,000-event feed spent
    most of its rendering building three full model objects per row)."""
    query = (
        Slot.select(
            Slot.id,
            Slot.starts_at,
            Slot.ends_at,
            Slot.updated_at,
            Slot.status,
            Slot.sequence,
            Slot.cancel_reason,
            Activity.id,
            Activity.title,
            Activity.description,
            Activity.place,
            Activity.audience,
            Activity.updated_at,
            Category.id,
            Category.key,
            Category.name,
        )
        .join(Activity, on=(Slot.activity == Activity.id))
        .join(Category, on=(Activity.category == Category.id))
        .where(_family_where(centre_id, category_ids, b))
        .order_by(Slot.starts_at, Slot.id)
    )
    activities: dict[int, Activity] = {}
    slots = []
    # The driver's rows as they come: SQLite's text dates are read by ``as_datetime``
    # (``fromisoformat``), many times faster than peewee's trial of date formats.
    for row in db.execute(query):
        activity = activities.get(row[7])
        if activity is None:
            activity = Activity(
                id=row[7],
                title=row[8],
                description=row[9],
                place=row[10],
                audience=row[11],
                updated_at=as_datetime(row[12]),
                category=Category(id=row[13], key=row[14], name=row[15]),
            )
            activities[row[7]] = activity
        starts, ends, updated = (as_datetime(v) for v in row[1:4])
        slots.append(FeedSlot(row[0], starts, ends, updated, *row[4:7], activity))
    return slots


# --- staff feed ----------------------------------------------------------------------------


def _staff_where(centre_id: int, b: Bounds):
    return (Activity.centre == centre_id) & _slot_in_feed(b)


def staff_revision(centre_id: int, b: Bounds, locale: str, revision: Revision) -> str:
    """The staff feed's revision: the centre's ``staff`` revision (sign-ups, names, seats)."""
    return _digest("staff", centre_id, b.today, locale, revision.token)


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


def volunteer_revision(
    user_id: int, b: Bounds, locale: str, alarm: int | None, revision: Revision, public_sum
) -> str:
    """A volunteer feed's revision: the person's own (their sign-ups) and the sum of every
    centre's ``public`` revision (their dates, activities, centres and responsible people)."""
    return _digest("volunteer", user_id, b.today, locale, alarm, revision.token, public_sum)


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


_HEAD_FIELDS = (
    FeedCache.id,
    FeedCache.key,
    FeedCache.revision,
    FeedCache.etag,
    FeedCache.last_modified,
    FeedCache.rendered_at,
)


def _head(values) -> FeedCache | None:
    if values[0] is None:
        return None
    names = ("id", "key", "revision", "etag", "last_modified", "rendered_at")
    fields = dict(zip(names, values, strict=True))
    for name in ("last_modified", "rendered_at"):
        fields[name] = as_datetime(fields[name])
    return FeedCache(**fields)


def cache_head(key: str) -> FeedCache | None:
    """The cached entry without its body (the 304 path needs no bytes)."""
    row = FeedCache.select(*_HEAD_FIELDS).where(FeedCache.key == key).tuples().first()
    return _head(row) if row else None


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
