"""Account state changes (placeholder; the accounts feature fills this in)."""

from __future__ import annotations

from volunteer_app.accounts.models import User
from volunteer_app.db import write_transaction


def set_locale(user: User, locale: str) -> None:
    """Remember the user's language (mail goes out in it too)."""
    with write_transaction():
        User.update(locale=locale).where(User.id == user.id).execute()
