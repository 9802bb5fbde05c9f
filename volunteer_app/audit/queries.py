"""Reading the audit trail of a centre."""

from __future__ import annotations

from peewee import JOIN

from volunteer_app.accounts.models import User
from volunteer_app.activities.models import Activity, Slot
from volunteer_app.audit.models import AuditEntry
from volunteer_app.coordination.queries import Page, paginate

PER_PAGE = 50


def centre_log(centre_id: int, page: int = 1, per_page: int = PER_PAGE) -> Page:
    """The centre's audit entries, newest first, with who acted, on whom, and the slot
    with its activity (one query per page). ``entry.actor`` / ``entry.subject`` are None
    for deleted accounts; ``entry.slot`` is None when the entry names no (existing) slot."""
    actor = User.alias()
    subject = User.alias()
    query = (
        AuditEntry.select(AuditEntry, actor, subject, Slot, Activity)
        .join_from(AuditEntry, actor, JOIN.LEFT_OUTER, on=(AuditEntry.actor == actor.id))
        .join_from(AuditEntry, subject, JOIN.LEFT_OUTER, on=(AuditEntry.subject == subject.id))
        .join_from(
            AuditEntry,
            Slot,
            JOIN.LEFT_OUTER,
            on=(AuditEntry.slot_id == Slot.id),
            attr="slot",
        )
        .join_from(Slot, Activity, JOIN.LEFT_OUTER)
        .where(AuditEntry.centre == centre_id)
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    )
    result = paginate(query, page, per_page)
    for entry in result.items:
        slot = getattr(entry, "slot", None)
        entry.slot = slot if slot is not None and slot.id is not None else None
    return result
