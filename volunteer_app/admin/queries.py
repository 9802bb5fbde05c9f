"""Read helpers for the administration pages; every list is one query."""

from __future__ import annotations

import peewee as pw
from peewee import JOIN

from volunteer_app.centres.models import Centre, CentreMembership, Invitation, Operator


def centres_with_coordinator_counts() -> list[Centre]:
    """Every centre with its operator and ``coordinator_count``, by town then name."""
    return list(
        Centre.select(Centre, Operator, pw.fn.COUNT(CentreMembership.id).alias("coordinator_count"))
        .join(Operator, on=(Centre.operator == Operator.id), join_type=JOIN.LEFT_OUTER)
        .switch(Centre)
        .join(
            CentreMembership,
            on=(CentreMembership.centre == Centre.id),
            join_type=JOIN.LEFT_OUTER,
        )
        .group_by(Centre.id, Operator.id)
        .order_by(Centre.town, Centre.name)
    )


def open_invitations(centre: Centre | None = None) -> list[Invitation]:
    """Invitations neither accepted nor withdrawn (expired ones too), with their centre."""
    query = (
        Invitation.select(Invitation, Centre)
        .join(Centre)
        .where(Invitation.is_open())
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
    )
    if centre is not None:
        query = query.where(Invitation.centre == centre.id)
    return list(query)


def operators_with_centre_counts() -> list[Operator]:
    """Every operator with ``centre_count``, by name."""
    return list(
        Operator.select(Operator, pw.fn.COUNT(Centre.id).alias("centre_count"))
        .join(Centre, on=(Centre.operator == Operator.id), join_type=JOIN.LEFT_OUTER)
        .group_by(Operator.id)
        .order_by(Operator.name)
    )


def operator_by_id(operator_id: int) -> Operator | None:
    return Operator.get_or_none(Operator.id == operator_id)


def invitation_by_id(invitation_id: int) -> Invitation | None:
    return (
        Invitation.select(Invitation, Centre)
        .join(Centre)
        .where(Invitation.id == invitation_id)
        .first()
    )
