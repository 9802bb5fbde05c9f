"""Password hashing (argon2id), the password rules and the common-password check."""

from __future__ import annotations

import unicodedata
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import lazy_gettext as _l

_hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory profile
MIN_LENGTH = 8
MAX_LENGTH = 128


def _normalise(password: str) -> str:
    # NIST SP 800-63B: the same characters typed on another keyboard or device must match.
    return unicodedata.normalize("NFKC", password)


def hash_password(password: str) -> str:
    return _hasher.hash(_normalise(password))


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, _normalise(password))
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


@cache
def _common() -> frozenset[str]:
    # zxcvbn ships the 30,000 most common passwords from leaked lists.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def is_common(password: str) -> bool:
    """True for passwords from the shipped list of common ones (case-insensitive)."""
    return _normalise(password).lower() in _common()


def length_message():
    return _l("Please use between %(min)d and %(max)d characters.", min=MIN_LENGTH, max=MAX_LENGTH)


def problem(password: str, email: str | None = None):
    """Why a new password is refused (a lazy, translated message), or None if it is fine.

    No composition rules: length, the list of common passwords, and not the e-mail address.
    """
    if not MIN_LENGTH <= len(password or "") <= MAX_LENGTH:
        return length_message()
    if is_common(password):
        return _l("This password is too common and easy to guess. Please choose another one.")
    if email and _normalise(password).strip().lower() == email.strip().lower():
        return _l("Your password must not be your e-mail address.")
    return None


# A dummy hash so that a login for an unknown e-mail costs as much time as a real one.
DUMMY_HASH = _hasher.hash("timing-equaliser-not-a-password")
