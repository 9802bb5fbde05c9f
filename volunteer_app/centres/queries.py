"""Read helpers for centres; every list is one query."""

from __future__ import annotations

from peewee import JOIN

from volunteer_app.accounts.models import User
from volunteer_app.centres.models import Centre, CentreMembership, ClosingDay, Operator


def centres_overview() -> list[Centre]:
    """All centres with their operator, by town then name (one query)."""
    return list(
        Centre.select(Centre, Operator)
        .join(Operator, on=(Centre.operator == Operator.id), join_type=JOIN.LEFT_OUTER)
        .order_by(Centre.town, Centre.name)
    )


def centre_by_slug(slug: str) -> Centre | None:
    return (
        Centre.select(Centre, Operator)
        .join(Operator, on=(Centre.operator == Operator.id), join_type=JOIN.LEFT_OUTER)
        .where(Centre.slug == slug)
        .first()
    )


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
