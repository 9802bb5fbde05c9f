"""The check-in codes, pure: keys and seeds in, codes and verdicts out (no Flask, no database).

- **Minute codes** (the tablet): ``<step>-<mac>``, where ``step`` counts minutes since the
  Unix epoch (UTC) and ``mac`` is 16 base32 characters (80 bits) of
  HMAC-SHA256(key, step) with a key derived from ``SECRET_KEY`` and the centre's
  ``code_seed``. Like TOTP with a 60-second step, but the step travels in the code, so that
  an old code (a photo of the tablet) is told apart from a wrong one: the current and the
  previous step are accepted, nothing else.
- **Poster code**: 26 base32 characters (130 bits) derived from the ``poster_seed``; fixed
  until a coordinator renews it.
- **Tablet token**: 32 base32 characters (160 bits) derived from the ``tablet_seed``: the
  secret part of the tablet page's address.
- **Grants**: after a good scan the person carries a signed, dated note "scanned at centre X
  by tablet/poster" (itsdangerous) through the log-in to the button that checks them in;
  it is good for ``GRANT_MINUTES``.

The alphabets keep the kinds apart: a minute code has a dash, the others have none.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Literal

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

STEP_SECONDS = 60
GRANT_MINUTES = 15
_EPOCH = dt.datetime(1970, 1, 1)
_MINUTE = re.compile(r"([0-9]{1,12})-([a-z2-7]{16})")
_POSTER = re.compile(r"[a-z2-7]{26}")
_GRANT_SALT = "checkin-grant"

Verdict = Literal["tablet", "poster", "expired", "invalid"]


def new_seed() -> str:
    """A random seed (256 bits, hex)."""
    return secrets.token_hex(32)


def step_at(now: dt.datetime) -> int:
    """The minute step of a naive UTC time."""
    return int((now - _EPOCH).total_seconds()) // STEP_SECONDS


def seconds_left(now: dt.datetime) -> int:
    """Seconds until the next step begins (1 to 60)."""
    return STEP_SECONDS - int((now - _EPOCH).total_seconds()) % STEP_SECONDS


def _derive(secret_key: str, purpose: str, seed: str) -> bytes:
    message = f"thekiz-checkin/{purpose}/{seed}".encode()
    return hmac.new(secret_key.encode("utf-8"), message, hashlib.sha256).digest()


def _b32(raw: bytes, length: int) -> str:
    return base64.b32encode(raw).decode("ascii").lower()[:length]


def minute_code(secret_key: str, code_seed: str, step: int) -> str:
    """The tablet's code for one minute step."""
    key = _derive(secret_key, "minute", code_seed)
    mac = hmac.new(key, str(step).encode(), hashlib.sha256).digest()
    return f"{step}-{_b32(mac, 16)}"


def poster_code(secret_key: str, poster_seed: str) -> str:
    return _b32(_derive(secret_key, "poster", poster_seed), 26)


def tablet_token(secret_key: str, tablet_seed: str) -> str:
    return _b32(_derive(secret_key, "tablet", tablet_seed), 32)


def same(given: str, expected: str) -> bool:
    """Constant-time comparison of two codes."""
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode())


def verdict(code: str, *, secret_key: str, code_seed: str, poster_seed: str, step: int) -> Verdict:
    """What a scanned ``code`` is worth at minute ``step``: a tablet code of this or the
    previous minute, the poster's code, an older (or future) tablet code, or nothing."""
    code = code or ""
    found = _MINUTE.fullmatch(code)
    if found:
        scanned = int(found.group(1))
        if not same(code, minute_code(secret_key, code_seed, scanned)):
            return "invalid"
        return "tablet" if scanned in (step, step - 1) else "expired"
    if _POSTER.fullmatch(code) and same(code, poster_code(secret_key, poster_seed)):
        return "poster"
    return "invalid"


# --- Grants -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grant:
    centre_id: int
    method: str  # "tablet" | "poster"


class GrantRefused(Exception):
    """A grant that is forged, of another centre, or too old (``expired``)."""

    def __init__(self, expired: bool):
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=_GRANT_SALT)


def make_grant(secret_key: str, grant: Grant) -> str:
    return _serializer(secret_key).dumps([grant.centre_id, grant.method])


def read_grant(secret_key: str, token: str, centre_id: int) -> Grant:
    """The grant in ``token`` for this centre, or GrantRefused."""
    try:
        value = _serializer(secret_key).loads(token or "", max_age=GRANT_MINUTES * 60)
    except SignatureExpired as exc:
        raise GrantRefused(expired=True) from exc
    except BadSignature as exc:
        raise GrantRefused(expired=False) from exc
    if (
        not isinstance(value, list)
        or len(value) != 2
        or value[0] != centre_id
        or value[1] not in ("tablet", "poster")
    ):
        raise GrantRefused(expired=False)
    return Grant(centre_id, value[1])
