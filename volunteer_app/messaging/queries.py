"""Reads of messaging: whom a message reaches, the choices of the compose page, the log.

An audience is resolved by a few fixed queries whatever its size: the people are selected
by subqueries in the database, never collected id by id.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import peewee as pw
from flask_babel import format_datetime

from volunteer_app.accounts.models import User
from volunteer_app.activities.models import Activity, Category, Slot
from volunteer_app.activities.queries import categories_for, category_label
from volunteer_app.centres.models import Centre
from volunteer_app.messaging.models import (
    ESSENTIAL_AUDIENCES,
    CentreMessage,
    MessageOptOut,
    MessageRecipient,
)
from volunteer_app.notifications.models import OutboxMessage
from volunteer_app.signups.models import ACTIVE, Signup
from volunteer_app.volunteers.models import Interest, ReachableCentre

# The dates offered for "the people of one date": a week back (a thank-you) to this far ahead.
SLOTS_BACK = dt.timedelta(days=7)
SLOTS_AHEAD = dt.timedelta(days=56)
SLOTS_SHOWN = 300
LOG_SHOWN = 50


@dataclass(frozen=True)
class Choices:
    """What the compose page offers, as (id, label) pairs."""

    slots: list[tuple[int, str]]
    activities: list[tuple[int, str]]
    categories: list[tuple[int, str]]


@dataclass
class Audience:
    """Whom a message reaches: the recipients (id, e-mail, name, language) and how many of
    the people it is meant for turned such messages off."""

    kind: str
    ref: int | None
    label: str
    essential: bool
    recipients: list[User] = field(default_factory=list)
    opted_out: int = 0


def slot_label(slot: Slot, activity_title: str) -> str:
    """``Sat, 12.12.2026 10:00 · Vorlesestunde`` in the reader's language (Berlin time)."""
    return f"{format_datetime(slot.starts_at, 'EEE, dd.MM.yyyy HH:mm')} · {activity_title}"


def choices(centre_id: int, now: dt.datetime) -> Choices:
    """The centre's dates around now, its activities and the categories (three queries)."""
    slots = (
        Slot.select(Slot.id, Slot.starts_at, Activity.title)
        .join(Activity, on=(Slot.activity == Activity.id))
        .where(
            (Activity.centre == centre_id)
            & (Slot.status == "scheduled")
            & (Slot.starts_at >= now - SLOTS_BACK)
            & (Slot.starts_at <= now + SLOTS_AHEAD)
        )
        .order_by(Slot.starts_at, Slot.id)
        .limit(SLOTS_SHOWN)
    )
    activities = (
        Activity.select(Activity.id, Activity.title)
        .where(Activity.centre == centre_id)
        .order_by(Activity.title, Activity.id)
    )
    return Choices(
        slots=[(s.id, slot_label(s, s.activity.title)) for s in slots],
        activities=[(a.id, a.title) for a in activities],
        categories=[(c.id, category_label(c)) for c in categories_for(centre_id)],
    )


def _booked(centre_id: int, now: dt.datetime, *condition) -> pw.ModelSelect:
    """Subquery: the people with an active sign-up for a date of the centre that has not
    ended (and, with ``condition``, only such dates)."""
    where = (
        (Activity.centre == centre_id)
        & Signup.status.in_(ACTIVE)
        & (Slot.status == "scheduled")
        & (Slot.ends_at > now)
    )
    for extra in condition:
        where &= extra
    return (
        Signup.select(Signup.volunteer)
        .join(Slot, on=(Signup.slot == Slot.id))
        .join(Activity, on=(Slot.activity == Activity.id))
        .where(where)
    )


def _reach(centre_id: int) -> pw.ModelSelect:
    """Subquery: the people who chose the centre as one they can reach."""
    return ReachableCentre.select(ReachableCentre.user).where(ReachableCentre.centre == centre_id)


def audience(centre: Centre, kind: str, ref: int | None, now: dt.datetime) -> Audience | None:
    """Whom a message of ``kind`` about ``ref`` reaches at the centre; None when ``ref`` is
    not the centre's (a slot, activity or category of another centre, or none).

    slot: everyone on the date (confirmed, awaiting approval, waiting list), also a past one;
    activity: everyone booked on its dates that have not ended; category: who chose it as an
    interest and can reach the centre, or is booked on the centre's dates in it; centre: who
    chose the centre as reachable or is booked there. The last two are news and leave out
    who turned them off; the first two are about the person's own bookings and reach all.
    """
    if kind == "slot":
        slot = (
            Slot.select(Slot.id, Slot.starts_at, Activity.title)
            .join(Activity, on=(Slot.activity == Activity.id))
            .where((Slot.id == ref) & (Activity.centre == centre.id))
            .first()
        )
        if slot is None:
            return None
        label = slot_label(slot, slot.activity.title)
        people = User.id.in_(
            Signup.select(Signup.volunteer).where(
                (Signup.slot == slot.id) & Signup.status.in_(ACTIVE)
            )
        )
    elif kind == "activity":
        activity = Activity.get_or_none((Activity.id == ref) & (Activity.centre == centre.id))
        if activity is None:
            return None
        label = activity.title
        people = User.id.in_(_booked(centre.id, now, Activity.id == activity.id))
    elif kind == "category":
        category = Category.get_or_none(
            (Category.id == ref) & (Category.centre.is_null() | (Category.centre == centre.id))
        )
        if category is None:
            return None
        label = category_label(category)
        interested = Interest.select(Interest.user).where(Interest.category == category.id)
        people = (User.id.in_(interested) & User.id.in_(_reach(centre.id))) | User.id.in_(
            _booked(centre.id, now, Activity.category == category.id)
        )
    elif kind == "centre":
        label = centre.name
        people = User.id.in_(_reach(centre.id)) | User.id.in_(_booked(centre.id, now))
    else:
        return None
    essential = kind in ESSENTIAL_AUDIENCES
    found = Audience(
        kind=kind, ref=ref if kind != "centre" else None, label=label, essential=essential
    )
    opted_out = MessageOptOut.select(MessageOptOut.id).where(MessageOptOut.user == User.id)
    rows = (
        User.select(
            User.id, User.email, User.name, User.locale, pw.fn.EXISTS(opted_out).alias("off")
        )
        .where(people & (User.is_active == True))  # noqa: E712
        .order_by(User.name, User.id)
    )
    for user in rows:
        if not essential and user.off:
            found.opted_out += 1
        else:
            found.recipients.append(user)
    return found


def is_opted_out(user_id: int) -> bool:
    """Whether the person turned the centres' news off (one query)."""
    return MessageOptOut.select().where(MessageOptOut.user == user_id).exists()


def opt_out_since(user_id: int) -> dt.datetime | None:
    row = MessageOptOut.get_or_none(MessageOptOut.user == user_id)
    return row.created_at if row else None


# --- The log --------------------------------------------------------------------------------


def sent_messages(centre_id: int, limit: int = LOG_SHOWN) -> list[CentreMessage]:
    """The centre's latest messages, newest first, each with its author (one query)."""
    Author = User.alias()
    return list(
        CentreMessage.select(CentreMessage, Author.name.alias("author_name"))
        .join(Author, pw.JOIN.LEFT_OUTER, on=(CentreMessage.author == Author.id))
        .where(CentreMessage.centre == centre_id)
        .order_by(CentreMessage.created_at.desc(), CentreMessage.id.desc())
        .limit(limit)
        .objects()
    )


def message_of(centre_id: int, message_id: int) -> CentreMessage | None:
    """One message of the centre with its author (one query); None if not the centre's."""
    Author = User.alias()
    return (
        CentreMessage.select(CentreMessage, Author.name.alias("author_name"))
        .join(Author, pw.JOIN.LEFT_OUTER, on=(CentreMessage.author == Author.id))
        .where((CentreMessage.id == message_id) & (CentreMessage.centre == centre_id))
        .objects()
        .first()
    )


@dataclass(frozen=True)
class Delivery:
    name: str
    status: str  # pending, sending, sent, failed, or "" when the outbox row is gone
    sent_at: dt.datetime | None


def deliveries(message_id: int) -> list[Delivery]:
    """Who got the message and how far its delivery is (one query)."""
    rows = (
        MessageRecipient.select(User.name, OutboxMessage.status, OutboxMessage.sent_at)
        .join(User, on=(MessageRecipient.user == User.id))
        .join_from(
            MessageRecipient,
            OutboxMessage,
            pw.JOIN.LEFT_OUTER,
            on=(MessageRecipient.outbox == OutboxMessage.id),
        )
        .where(MessageRecipient.message == message_id)
        .order_by(User.name, User.id)
        .dicts()
    )
    return [Delivery(r["name"], r["status"] or "", r["sent_at"]) for r in rows]


# --- The person's data --------------------------------------------------------------------


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.replace(microsecond=0).isoformat() + "Z"


def personal_data(user_id: int) -> dict:
    """What messaging holds about the person, for the data download (two queries): whether
    they turned the news off, the messages they received and the messages they wrote."""
    got = MessageRecipient.select(MessageRecipient.id).where(
        (MessageRecipient.message == CentreMessage.id) & (MessageRecipient.user == user_id)
    )
    rows = (
        CentreMessage.select(
            CentreMessage.created_at,
            CentreMessage.subject,
            CentreMessage.essential,
            CentreMessage.audience,
            CentreMessage.recipient_count,
            CentreMessage.author,
            Centre.name,
            pw.fn.EXISTS(got).alias("received"),
        )
        .join(Centre, on=(CentreMessage.centre == Centre.id))
        .where((CentreMessage.author == user_id) | pw.fn.EXISTS(got))
        .order_by(CentreMessage.created_at, CentreMessage.id)
        .dicts()
    )
    received, written = [], []
    for r in rows:
        if r["received"]:
            received.append(
                {
                    "received_at": _iso(r["created_at"]),
                    "centre": r["name"],
                    "subject": r["subject"],
                    "essential": bool(r["essential"]),
                }
            )
        if r["author"] == user_id:
            written.append(
                {
                    "written_at": _iso(r["created_at"]),
                    "centre": r["name"],
                    "subject": r["subject"],
                    "audience": r["audience"],
                    "recipients": r["recipient_count"],
                }
            )
    return {
        "news_turned_off_at": _iso(opt_out_since(user_id)),
        "received": received,
        "written": written,
    }
