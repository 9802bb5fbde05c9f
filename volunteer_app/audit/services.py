"""Write the audit trail: call inside the service's transaction."""

from __future__ import annotations

from volunteer_app.audit.models import AuditEntry

ACTIONS = (
    "signup.assigned",
    "signup.unassigned",
    "signup.approved",
    "signup.declined",
    "signup.promoted",
    "signup.cancelled",
    "signup.attendance",
    "signup.checked_in",
    "checkin.changed",
    "slot.cancelled",
    "slot.moved",
    "slot.capacity",
    "check.certificate",
    "check.measles",
    "check.certificate_deleted",
    "check.measles_deleted",
    "proposal.invited",
    "certificate.signed",
    "allowance.recorded",
    "allowance.cancelled",
    "allowance.corrected",
    "zertifikat.signed",
    "card.recorded",
    "card.deleted",
    "token.created",
    "token.revoked",
    "api.change",
)


def record(
    centre_id: int, actor, action: str, subject=None, slot_id=None, detail: str = ""
) -> None:
    """One audit row: who (actor) did what (action) to whom (subject), in which centre."""
    assert action in ACTIONS, action
    AuditEntry.create(
        centre=centre_id,
        actor=getattr(actor, "id", actor),
        action=action,
        subject=getattr(subject, "id", subject),
        slot_id=slot_id,
        detail=detail[:255],
    )
