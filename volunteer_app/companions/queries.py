"""Reads of families who volunteer together: a slot's children on the roster, what the slot
page shows a volunteer, a parent's and a child's family page."""

from __future__ import annotations

from dataclasses import dataclass, field

from peewee import JOIN, fn

from volunteer_app.accounts.models import User
from volunteer_app.activities.models import Activity, Category, Slot
from volunteer_app.activities.queries import join_activity
from volunteer_app.centres.models import Centre
from volunteer_app.centres.queries import today
from volunteer_app.common.security import hash_token
from volunteer_app.companions.models import ComingAlong, CompanionInvite, FamilyLink
from volunteer_app.companions.services import is_minor, open_to_child
from volunteer_app.db import utcnow
from volunteer_app.signups.models import ACTIVE, Signup


def children_on_slot(slot_id: int) -> dict[int, int]:
    """Sign-up id -> children coming along, for the slot's active sign-ups (one query)."""
    rows = (
        ComingAlong.select(ComingAlong.signup, ComingAlong.children)
        .join(Signup, on=(ComingAlong.signup == Signup.id))
        .where((Signup.slot == slot_id) & Signup.status.in_(ACTIVE))
        .tuples()
    )
    return dict(rows)


@dataclass(frozen=True)
class ChildOnSlot:
    """A linked child on the slot page of their parent."""

    link: FamilyLink
    status: str | None  # the child's sign-up status on the slot, None if none
    allowed: bool  # the activity is open to the child's age on that day


@dataclass(frozen=True)
class SlotFamily:
    children: int = 0  # children coming along with the viewer
    invites: int = 0  # adults the viewer sent a link
    linked: list[ChildOnSlot] = field(default_factory=list)


def slot_family(slot: Slot, user: User) -> SlotFamily:
    """What the slot page shows the viewer about companions and linked children (3 queries,
    fewer when the activity allows nothing of this)."""
    activity = slot.activity
    children = invites = 0
    if activity.companion_children or activity.companion_adults:
        row = (
            Signup.select(
                ComingAlong.children,
                fn.COUNT(CompanionInvite.id).alias("invites"),
            )
            .join(ComingAlong, JOIN.LEFT_OUTER, on=(ComingAlong.signup == Signup.id))
            .join_from(
                Signup, CompanionInvite, JOIN.LEFT_OUTER, on=(CompanionInvite.signup == Signup.id)
            )
            .where((Signup.slot == slot.id) & (Signup.volunteer == user.id))
            .group_by(ComingAlong.children)
            .tuples()
            .first()
        )
        if row:
            children, invites = row[0] or 0, row[1] or 0
    linked: list[ChildOnSlot] = []
    if activity.minors_from_age is not None:
        links = list(
            FamilyLink.select(FamilyLink, User)
            .join(User, on=(FamilyLink.child == User.id))
            .where((FamilyLink.parent == user.id) & FamilyLink.confirmed_at.is_null(False))
            .order_by(User.name)
        )
        day = today()
        links = [link for link in links if is_minor(link.birth_year, day)]
        statuses = dict(
            Signup.select(Signup.volunteer, Signup.status)
            .where((Signup.slot == slot.id) & Signup.volunteer.in_([link.child_id for link in links]))
            .tuples()
        ) if links else {}  # fmt: skip
        linked = [
            ChildOnSlot(
                link,
                statuses.get(link.child_id),
                open_to_child(activity, link.birth_year, slot.starts_at),
            )
            for link in links
        ]
    return SlotFamily(children, invites, linked)


@dataclass(frozen=True)
class Invitation:
    slot: Slot
    valid: bool  # False: the date has started, was called off, or the inviter cancelled


def invitation(token: str) -> Invitation | None:
    """The date a companion's link leads to (None: no such link; two queries)."""
    invite = CompanionInvite.get_or_none(CompanionInvite.token_hash == hash_token(token or ""))
    if invite is None:
        return None
    signup = (
        join_activity(
            Signup.select(Signup, Slot, Activity, Category, Centre).join(
                Slot, on=(Signup.slot == Slot.id)
            )
        )
        .where(Signup.id == invite.signup_id)
        .first()
    )
    slot = signup.slot
    valid = signup.status in ACTIVE and slot.status == "scheduled" and slot.starts_at > utcnow()
    return Invitation(slot, valid)


@dataclass(frozen=True)
class ChildDates:
    link: FamilyLink
    signups: list[Signup]
    minor: bool


@dataclass
class FamilyPage:
    as_parent: list[FamilyLink] = field(default_factory=list)  # with .child loaded
    as_child: list[FamilyLink] = field(default_factory=list)  # with .parent loaded
    dates: list[ChildDates] = field(default_factory=list)


def family_page(user: User) -> FamilyPage:
    """The person's links as parent and as child, and their linked children's coming dates
    (three queries)."""
    child, parent = User.alias(), User.alias()
    as_parent = list(
        FamilyLink.select(FamilyLink, child)
        .join(child, on=(FamilyLink.child == child.id))
        .where(FamilyLink.parent == user.id)
        .order_by(child.name, FamilyLink.id)
    )
    as_child = list(
        FamilyLink.select(FamilyLink, parent)
        .join(parent, on=(FamilyLink.parent == parent.id))
        .where(FamilyLink.child == user.id)
        .order_by(parent.name, FamilyLink.id)
    )
    confirmed = [link for link in as_parent if link.confirmed_at is not None]
    by_child: dict[int, list[Signup]] = {link.child_id: [] for link in confirmed}
    if confirmed:
        rows = (
            join_activity(
                Signup.select(Signup, Slot, Activity, Category, Centre).join(
                    Slot, on=(Signup.slot == Slot.id)
                )
            )
            .where(
                Signup.volunteer.in_(list(by_child))
                & Signup.status.in_(ACTIVE)
                & (Slot.ends_at > utcnow())
            )
            .order_by(Slot.starts_at, Signup.id)
        )
        for signup in rows:
            by_child[signup.volunteer_id].append(signup)
    day = today()
    dates = [
        ChildDates(link, by_child[link.child_id], is_minor(link.birth_year, day))
        for link in confirmed
    ]
    return FamilyPage(as_parent, as_child, dates)
