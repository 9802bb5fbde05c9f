"""Password hashing (argon2id) and the common-password check."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory profile
MIN_LENGTH = 8
MAX_LENGTH = 128


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
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
    return password.lower() in _common()


# A dummy hash so that a login for an unknown e-mail costs as much time as a real one.
DUMMY_HASH = _hasher.hash("timing-equaliser-not-a-password")
