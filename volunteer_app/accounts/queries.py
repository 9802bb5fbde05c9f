"""Read helpers for account pages."""

from __future__ import annotations

from volunteer_app.accounts.models import Consent, RecoveryCode, User


def consents_of(user: User) -> list[Consent]:
    """The user's consents, newest first, withdrawn ones included (they are proof)."""
    return list(
        Consent.select()
        .where(Consent.user == user.id)
        .order_by(Consent.given_at.desc(), Consent.id.desc())
    )


def recovery_codes_left(user: User) -> int:
    """How many unused recovery codes the user still has."""
    return (
        RecoveryCode.select()
        .where((RecoveryCode.user == user.id) & RecoveryCode.used_at.is_null())
        .count()
    )
