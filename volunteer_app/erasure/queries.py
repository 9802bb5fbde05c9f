"""Read helpers of erasure: who may go, what goes, who is inactive, and the anonymous hours."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import peewee as pw

from volunteer_app.accounts.models import STAFF_ROLES, User
from volunteer_app.activities.models import Activity, Category, Slot
from volunteer_app.centres.models import Centre, CentreMembership
from volunteer_app.common.security import hash_token
from volunteer_app.erasure.models import AnonymousHours, DeletionRequest, InactivityNotice
from volunteer_app.signups.models import ACTIVE, Signup

UPCOMING_SHOWN = 5


def pending_deletion(user_id: int) -> DeletionRequest | None:
    """The person's scheduled deletion, if any."""
    return DeletionRequest.get_or_none(DeletionRequest.user == user_id)


def deletion_by_token(token: str) -> DeletionRequest | None:
    if not token or len(token) > 100:
        return None
    return DeletionRequest.get_or_none(DeletionRequest.token_hash == hash_token(token))


def notice_by_token(token: str) -> InactivityNotice | None:
    if not token or len(token) > 100:
        return None
    return InactivityNotice.get_or_none(
        (InactivityNotice.token_hash == hash_token(token))
        & InactivityNotice.warned_at.is_null(False)
    )


# --- Who must stay: the last coordinator of a centre, the last admin -------------------------


@dataclass(frozen=True)
class Blockers:
    """Why an account cannot be erased yet: centres that would lose their last coordinator,
    and whether it is the installation's last administrator."""

    centres: list[Centre] = field(default_factory=list)
    last_admin: bool = False

    def __bool__(self) -> bool:
        return bool(self.centres) or self.last_admin


def blockers(user: User) -> Blockers:
    """Two queries: the user's centres without another active coordinator, and other admins."""
    other = CentreMembership.alias()
    colleague = User.alias()
    successors = (
        other.select(pw.SQL("1"))
        .join(colleague, on=(other.user == colleague.id))
        .where(
            (other.centre == CentreMembership.centre)
            & (other.user != user.id)
            & colleague.role.in_(STAFF_ROLES)
            & (colleague.is_active == True)  # noqa: E712
        )
    )
    alone = list(
        Centre.select()
        .join(CentreMembership, on=(CentreMembership.centre == Centre.id))
        .where((CentreMembership.user == user.id) & ~pw.fn.EXISTS(successors))
        .order_by(Centre.name)
    )
    last_admin = (
        user.role == "admin"
        and not User.select()
        .where((User.role == "admin") & (User.id != user.id) & (User.is_active == True))  # noqa: E712
        .exists()
    )
    return Blockers(centres=alone, last_admin=last_admin)


# --- What the person loses and keeps (the explanation before the deletion) -------------------


@dataclass
class Facts:
    upcoming: list[Signup]  # the first few active sign-ups for slots that have not started
    upcoming_count: int
    attended_count: int
    staff_centres: list[Centre]


def facts_of(user: User, now: dt.datetime) -> Facts:
    """What the delete page tells the person about their own account (three queries)."""
    upcoming = (
        Signup.select(Signup, Slot, Activity, Centre)
        .join(Slot, on=(Signup.slot == Slot.id))
        .join(Activity, on=(Slot.activity == Activity.id))
        .join(Centre, on=(Activity.centre == Centre.id))
        .where((Signup.volunteer == user.id) & Signup.status.in_(ACTIVE) & (Slot.starts_at > now))
        .order_by(Slot.starts_at)
    )
    attended = Signup.select().where(
        (Signup.volunteer == user.id) & (Signup.attendance == "attended")
    )
    centres = (
        Centre.select()
        .join(CentreMembership, on=(CentreMembership.centre == Centre.id))
        .where(CentreMembership.user == user.id)
        .order_by(Centre.name)
    )
    return Facts(
        upcoming=list(upcoming.limit(UPCOMING_SHOWN)),
        upcoming_count=upcoming.count(),
        attended_count=attended.count(),
        staff_centres=list(centres),
    )


# --- Inactive and unconfirmed accounts -------------------------------------------------------


def inactive_since(threshold: dt.datetime) -> list[User]:
    """Confirmed accounts without sign-in, "keep" click, sign-up or booked slot after
    ``threshold`` (naive UTC), and without a scheduled deletion (one query)."""
    signed_up = Signup.select(pw.SQL("1")).where(
        (Signup.volunteer == User.id)
        & ((Signup.created_at > threshold) | (Signup.queued_at > threshold))
    )
    booked = (
        Signup.select(pw.SQL("1"))
        .join(Slot, on=(Signup.slot == Slot.id))
        .where(
            (Signup.volunteer == User.id)
            & (Signup.status.in_(ACTIVE) | (Signup.attendance == "attended"))
            & (Slot.starts_at > threshold)
        )
    )
    kept = InactivityNotice.select(pw.SQL("1")).where(
        (InactivityNotice.user == User.id) & (InactivityNotice.kept_at > threshold)
    )
    scheduled = DeletionRequest.select(pw.SQL("1")).where(DeletionRequest.user == User.id)
    return list(
        User.select()
        .where(
            User.email_confirmed_at.is_null(False)
            & (User.created_at <= threshold)
            & (User.last_login_at.is_null() | (User.last_login_at <= threshold))
            & ~pw.fn.EXISTS(signed_up)
            & ~pw.fn.EXISTS(booked)
            & ~pw.fn.EXISTS(kept)
            & ~pw.fn.EXISTS(scheduled)
        )
        .order_by(User.id)
    )


def last_activity(users: list[User]) -> dict[int, dt.datetime]:
    """Each user's last sign-in, "keep" click, sign-up or booked slot, else the account's
    creation (naive UTC; two queries)."""
    ids = [u.id for u in users]
    result = {u.id: max(t for t in (u.created_at, u.last_login_at) if t is not None) for u in users}
    if not ids:
        return result

    def later(user_id: int, value) -> None:
        if value is not None:
            value = _as_datetime(value)
            result[user_id] = max(result[user_id], value)

    rows = (
        Signup.select(
            Signup.volunteer,
            pw.fn.MAX(Signup.created_at),
            pw.fn.MAX(Signup.queued_at),
            pw.fn.MAX(
                pw.Case(
                    None,
                    [
                        (
                            Signup.status.in_(ACTIVE) | (Signup.attendance == "attended"),
                            Slot.starts_at,
                        )
                    ],
                    None,
                )
            ),
        )
        .join(Slot, on=(Signup.slot == Slot.id))
        .where(Signup.volunteer.in_(ids))
        .group_by(Signup.volunteer)
        .tuples()
    )
    for user_id, created, queued, slot_start in rows:
        for value in (created, queued, slot_start):
            later(user_id, value)
    for notice in InactivityNotice.select().where(InactivityNotice.user.in_(ids)):
        later(notice.user_id, notice.kept_at)
    return result


def notices_of(users: list[User]) -> dict[int, InactivityNotice]:
    ids = [u.id for u in users]
    if not ids:
        return {}
    return {n.user_id: n for n in InactivityNotice.select().where(InactivityNotice.user.in_(ids))}


def unconfirmed_before(threshold: dt.datetime) -> list[User]:
    """Registrations never confirmed, made at or before ``threshold`` (naive UTC)."""
    return list(
        User.select()
        .where(
            User.email_confirmed_at.is_null()
            & User.last_login_at.is_null()
            & (User.role == "volunteer")
            & (User.created_at <= threshold)
        )
        .order_by(User.id)
    )


def due_deletions(now: dt.datetime) -> list[int]:
    """Ids of the users whose scheduled deletion is due."""
    return [
        row.user_id
        for row in DeletionRequest.select(DeletionRequest.user)
        .where(DeletionRequest.due_at <= now)
        .order_by(DeletionRequest.due_at, DeletionRequest.id)
    ]


def attended_of(user_id: int) -> list[tuple[int, int, dt.datetime, Decimal | None]]:
    """(centre id, category id, slot start, hours) of each attended sign-up of the person."""
    return list(
        Signup.select(Activity.centre, Activity.category, Slot.starts_at, Signup.hours)
        .join(Slot, on=(Signup.slot == Slot.id))
        .join(Activity, on=(Slot.activity == Activity.id))
        .where((Signup.volunteer == user_id) & (Signup.attendance == "attended"))
        .tuples()
    )


# --- Anonymous hours in reports ------------------------------------------------------------


def _in_period(centre_ids, first: dt.date, last: dt.date):
    """A month counts in the period that holds its first day: reports by month, quarter or
    year (and "this year so far") are exact; a period starting mid-month leaves that month's
    anonymous hours to the period before."""
    return (
        AnonymousHours.centre.in_(centre_ids)
        & (AnonymousHours.month >= first)
        & (AnonymousHours.month <= last)
    )


def anonymous_hours_by_category(centre_ids, first: dt.date, last: dt.date):
    """(category id, key, name, hours) of erased people's hours in the period (one query)."""
    return (
        AnonymousHours.select(
            Category.id, Category.key, Category.name, pw.fn.SUM(AnonymousHours.hours)
        )
        .join(Category, on=(AnonymousHours.category == Category.id))
        .where(_in_period(centre_ids, first, last))
        .group_by(Category.id, Category.key, Category.name)
        .tuples()
    )


def anonymous_people(centre_ids, first: dt.date, last: dt.date) -> int:
    """How many erased people have hours in the period (one query)."""
    return (
        AnonymousHours.select(pw.fn.COUNT(pw.fn.DISTINCT(AnonymousHours.person_key)))
        .where(_in_period(centre_ids, first, last))
        .scalar()
        or 0
    )


def _as_datetime(value):
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    return value
