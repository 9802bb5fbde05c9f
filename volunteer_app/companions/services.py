"""State changes of families who volunteer together. Every function owns its transaction.

Children who come along are a number on the volunteer's own sign-up: they never take a
volunteer place (``Slot.taken`` is not touched) and appear only on the centre's roster and
written plan. Adults are sent a link to the date and sign up themselves: no account is ever
made for anybody. A parent may act for their own child aged 14 to 17 once the child has
confirmed the link from their own account; the sign-up itself is the child's, made through
``signups.services`` like any other (same rules, same mails to the child)."""

from __future__ import annotations

import datetime as dt
import re

from flask import current_app
from flask_babel import gettext as _

from volunteer_app.accounts.models import User
from volunteer_app.accounts.services import normalise_email
from volunteer_app.activities.models import Slot
from volunteer_app.centres.queries import today
from volunteer_app.common.errors import Conflict, DomainError, NotAllowed, NotFound
from volunteer_app.common.security import new_token
from volunteer_app.common.time import to_berlin
from volunteer_app.common.urls import external_url
from volunteer_app.companions.models import (
    MAX_CHILDREN,
    MAX_INVITES,
    ComingAlong,
    CompanionInvite,
    FamilyLink,
)
from volunteer_app.db import utcnow, write_transaction
from volunteer_app.notifications.services import queue_mail
from volunteer_app.signups import services as signups
from volunteer_app.signups.models import ACTIVE, Signup

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# --- Ages ----------------------------------------------------------------------------------


def certain_age(birth_year: int, day: dt.date) -> int:
    """The age a person born in ``birth_year`` has reached for certain on ``day``: only the
    year of birth is kept, so the birthday is assumed to be still to come."""
    return day.year - birth_year - 1


def is_minor(birth_year: int, day: dt.date) -> bool:
    """Still possibly under 18 on ``day`` (the birthday may already have passed)."""
    return day.year - birth_year <= 17


def may_link(birth_year: int, day: dt.date) -> bool:
    """A parent may link a child who is at least 14 for certain and still 17 at most."""
    return certain_age(birth_year, day) >= 14 and is_minor(birth_year, day)


def open_to_child(activity, birth_year: int | None, slot_start: dt.datetime) -> bool:
    """Whether the activity is open to the child's age on the slot's (Berlin) day."""
    if birth_year is None or activity.minors_from_age is None:
        return False
    day = to_berlin(slot_start).date()
    return certain_age(birth_year, day) >= activity.minors_from_age


# --- Coming along --------------------------------------------------------------------------


def update_companions(slot_id: int, children: int, email: str = "", *, actor: User) -> str:
    """The volunteer says how many children come along (0–10) and, optionally, sends an
    adult a link to the date. Only on their own active sign-up, before the date starts,
    where the activity allows each. Returns the address invited ("" if none)."""
    email = (email or "").strip()
    with write_transaction():
        signup = _own_active_signup(slot_id, actor)
        slot = signup.slot
        activity = slot.activity
        if slot.starts_at <= utcnow():
            raise Conflict(_("This date has already started or is over."))
        current = ComingAlong.get_or_none(ComingAlong.signup == signup.id)
        if children != (current.children if current else 0):
            if not activity.companion_children:
                raise DomainError(_("Children cannot come along to this activity."), "children")
            if not 0 <= children <= MAX_CHILDREN:
                raise DomainError(
                    _("Please enter a number from 0 to %(max)d.", max=MAX_CHILDREN), "children"
                )
            if children == 0:
                ComingAlong.delete().where(ComingAlong.signup == signup.id).execute()
            elif current is None:
                ComingAlong.create(signup=signup.id, children=children)
            else:
                ComingAlong.update(children=children, updated_at=utcnow()).where(
                    ComingAlong.id == current.id
                ).execute()
        if email:
            _invite_adult(signup, slot, email, actor)
    return email


def _invite_adult(signup: Signup, slot: Slot, email: str, actor: User) -> None:
    activity = slot.activity
    if not activity.companion_adults:
        raise DomainError(_("Adults cannot be invited to this activity."), "email")
    if len(email) > 254 or not EMAIL.match(email):
        raise DomainError(_("Please enter a valid e-mail address."), "email")
    if email.casefold() == actor.email.casefold():
        raise DomainError(_("Please enter the address of the person you invite."), "email")
    sent = CompanionInvite.select().where(CompanionInvite.signup == signup.id).count()
    if sent >= MAX_INVITES:
        raise DomainError(
            _("You can invite at most %(max)d people to one date.", max=MAX_INVITES), "email"
        )
    token, token_hash = new_token()
    CompanionInvite.create(signup=signup.id, token_hash=token_hash)
    # The invitee has no language setting here: the inviter's language is the best guess.
    queue_mail(
        email,
        "companion_invite",
        locale=actor.locale,
        inviter=actor,
        slot=slot,
        activity=activity,
        centre=activity.centre,
        link=external_url("companions.invitation", token=token),
    )


def _own_active_signup(slot_id: int, actor: User) -> Signup:
    signup = (
        Signup.select()
        .where((Signup.slot == slot_id) & (Signup.volunteer == actor.id))
        .where(Signup.status.in_(ACTIVE))
        .first()
    )
    if signup is None:
        raise NotFound(_("Please sign up for this date first."))
    return signup


def delete_ended_invites(now: dt.datetime) -> int:
    """Retention: links to dates that have started are of no use any more (they expire
    then), and a parent's requests the child has not confirmed within
    ``RETENTION_LINK_DAYS`` lapse; delete both. Returns how many."""
    started = Signup.select(Signup.id).join(Slot, on=(Signup.slot == Slot.id))
    started = started.where(Slot.starts_at <= now)
    cutoff = now - dt.timedelta(days=int(current_app.config["RETENTION_LINK_DAYS"]))
    with write_transaction():
        invites = CompanionInvite.delete().where(CompanionInvite.signup.in_(started)).execute()
        requests = (
            FamilyLink.delete()
            .where(FamilyLink.confirmed_at.is_null() & (FamilyLink.created_at < cutoff))
            .execute()
        )
    return invites + requests


# --- A parent and their child --------------------------------------------------------------


def ask_link(child_email: str, *, actor: User) -> None:
    """The parent asks to link their child's own account (found by its address). Whether
    such an account exists is never told: the child sees the request in their account and
    gets a mail; nothing happens until they confirm. Unconfirmed requests are not shown to
    the parent (that would tell whether the address has an account) and lapse after
    ``RETENTION_LINK_DAYS``."""
    child_email = (child_email or "").strip()
    if not EMAIL.match(child_email) or len(child_email) > 254:
        raise DomainError(_("Please enter a valid e-mail address."), "email")
    with write_transaction():
        child = User.get_or_none(
            (User.email == normalise_email(child_email)) & (User.is_active == True)  # noqa: E712
        )
        if child is None or child.id == actor.id or child.role != "volunteer":
            return
        if FamilyLink.get_or_none((FamilyLink.parent == actor.id) & (FamilyLink.child == child.id)):
            return
        FamilyLink.create(parent=actor.id, child=child.id)
        queue_mail(
            child.email,
            "family_link_request",
            locale=child.locale,
            user=child,
            parent=actor,
            link=external_url("companions.family"),
        )


def confirm_link(link_id: int, birth_year: int | None, *, actor: User) -> FamilyLink:
    """The child confirms the link with their year of birth (they must be 14 to 17)."""
    with write_transaction():
        link = _link_of(link_id, actor)
        if link.child_id != actor.id:
            raise NotAllowed(_("Only the young person can confirm the link."))
        if link.confirmed_at is not None:
            raise Conflict(_("This link is already confirmed."))
        if birth_year is None or not may_link(birth_year, today()):
            raise DomainError(
                _("A parent can only be linked to the account of a young person aged 14 to 17."),
                "birth_year",
            )
        FamilyLink.update(birth_year=birth_year, confirmed_at=utcnow()).where(
            FamilyLink.id == link.id
        ).execute()
        queue_mail(
            link.parent.email,
            "family_link_confirmed",
            locale=link.parent.locale,
            user=link.parent,
            child=actor,
            link=external_url("companions.family"),
        )
    return FamilyLink.get_by_id(link.id)


def unlink(link_id: int, *, actor: User) -> None:
    """The parent or the child ends the link (or withdraws / declines the request)."""
    with write_transaction():
        link = _link_of(link_id, actor)
        FamilyLink.delete().where(FamilyLink.id == link.id).execute()


def _link_of(link_id: int, actor: User) -> FamilyLink:
    link = FamilyLink.get_or_none(FamilyLink.id == link_id)
    if link is None or actor.id not in (link.parent_id, link.child_id):
        raise NotFound(_("We could not find this link."))
    return link


def _child_link(child_id: int, actor: User) -> FamilyLink:
    """The confirmed link of the parent ``actor`` to a child still under 18."""
    link = FamilyLink.get_or_none(
        (FamilyLink.parent == actor.id)
        & (FamilyLink.child == child_id)
        & FamilyLink.confirmed_at.is_null(False)
    )
    if link is None:
        raise NotFound(_("We could not find this link."))
    if not is_minor(link.birth_year, today()):
        raise NotAllowed(_("Your child is of age now and manages their dates themselves."))
    return link


def sign_up_child(slot_id: int, child_id: int, *, actor: User) -> signups.SignupResult:
    """The parent signs their linked child up, where the activity is open to the child's
    age on that day. The sign-up is the child's own (same rules; the mail goes to them)."""
    with write_transaction():
        link = _child_link(child_id, actor)
        slot = Slot.get_or_none(Slot.id == slot_id)
        if slot is None:
            raise NotFound(_("We could not find this date."))
        if not open_to_child(slot.activity, link.birth_year, slot.starts_at):
            raise NotAllowed(_("This activity is not open to your child's age."))
        return signups.sign_up(slot_id, actor=link.child)


def cancel_child_signup(signup_id: int, *, actor: User) -> None:
    """The parent cancels a date of their linked child (until the activity's deadline)."""
    with write_transaction():
        signup = Signup.get_or_none(Signup.id == signup_id)
        if signup is None:
            raise NotFound(_("We could not find this sign-up."))
        link = _child_link(signup.volunteer_id, actor)
        signups.cancel_signup(signup.id, actor=link.child)
