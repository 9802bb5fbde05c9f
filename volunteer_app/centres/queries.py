"""Read helpers for centres; every list is one query."""

from __future__ import annotations

import datetime as dt

import peewee as pw
from peewee import JOIN

from volunteer_app.accounts.models import User
from volunteer_app.centres.models import Centre, CentreMembership, ClosingDay, Invitation, Operator
from volunteer_app.common.security import hash_token
from volunteer_app.common.time import BERLIN


def today() -> dt.date:
    """Today's date in Berlin: closing days are calendar days of the centre."""
    return dt.datetime.now(BERLIN).date()


def _with_operator():
    return Centre.select(Centre, Operator).join(
        Operator, on=(Centre.operator == Operator.id), join_type=JOIN.LEFT_OUTER
    )


def centres_overview() -> list[Centre]:
    """All centres with their operator, by town then name (one query)."""
    return list(_with_operator().order_by(Centre.town, Centre.name))


def operators() -> list[Operator]:
    """Every operator by name (the choices of a centre's operator field)."""
    return list(Operator.select().order_by(Operator.name))


def centre_by_slug(slug: str) -> Centre | None:
    return _with_operator().where(Centre.slug == slug).first()


def managed_centre_ids(user) -> set[int]:
    """Centres the user may manage: all for admins, their memberships for coordinators."""
    if not user.is_authenticated:
        return set()
    if user.is_admin:
        return {c.id for c in Centre.select(Centre.id)}
    if user.role != "coordinator":
        return set()
    return {
        m.centre_id
        for m in CentreMembership.select(CentreMembership.centre).where(
            CentreMembership.user == user.id
        )
    }


def can_manage(user, centre: Centre) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_admin:
        return True
    return (
        user.role == "coordinator"
        and CentreMembership.select()
        .where((CentreMembership.user == user.id) & (CentreMembership.centre == centre.id))
        .exists()
    )


def managed_centres(user) -> list[Centre]:
    """The centres a coordinator belongs to (every centre for an admin), one query.

    Each centre carries ``next_closing_day`` (a date or None) for the overview.
    """
    if not user.is_authenticated or user.role not in ("coordinator", "admin"):
        return []
    next_day = (
        ClosingDay.select(pw.fn.MIN(ClosingDay.day))
        .where((ClosingDay.centre == Centre.id) & (ClosingDay.day >= today()))
        .alias("next_closing_day")
    )
    query = Centre.select(Centre, next_day).order_by(Centre.town, Centre.name)
    if not user.is_admin:
        query = query.join(CentreMembership, on=(CentreMembership.centre == Centre.id)).where(
            CentreMembership.user == user.id
        )
    centres = list(query)
    for centre in centres:
        # SQLite hands back the sub-select's date as text.
        if isinstance(centre.next_closing_day, str):
            centre.next_closing_day = dt.date.fromisoformat(centre.next_closing_day)
    return centres


def upcoming_closing_days(centre: Centre, since) -> list[ClosingDay]:
    return list(
        ClosingDay.select()
        .where((ClosingDay.centre == centre.id) & (ClosingDay.day >= since))
        .order_by(ClosingDay.day)
    )


def coordinators_of(centre: Centre) -> list[User]:
    return list(
        User.select()
        .join(CentreMembership, on=(CentreMembership.user == User.id))
        .where(CentreMembership.centre == centre.id)
        .order_by(User.name)
    )


def invitation_by_token(token: str) -> Invitation | None:
    """The invitation a link points to, with its centre (whatever its state)."""
    return (
        Invitation.select(Invitation, Centre)
        .join(Centre)
        .where(Invitation.token_hash == hash_token(token))
        .first()
    )


def user_by_email(email: str) -> User | None:
    return User.get_or_none(User.email == email.strip().lower())
