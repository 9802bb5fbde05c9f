"""TOTP and recovery codes: pure helpers, no database and no Flask."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time

import pyotp
import segno

ISSUER = "ThEKiZ Ehrenamt"
RECOVERY_CODE_COUNT = 10
_CODE = re.compile(r"^\d{6}$")


def new_secret() -> str:
    """A base32 TOTP secret (160 bits, as RFC 4226 recommends)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, account: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=ISSUER)


def qr_data_uri(uri: str) -> str:
    """The otpauth:// URI as an inline SVG QR code (the CSP allows ``img-src data:``)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def grouped_secret(secret: str) -> str:
    """The secret in groups of four, easier to type into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def normalise_code(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "")


def matching_step(
    secret: str, code: str, after: int | None = None, now: float | None = None
) -> int | None:
    """The time step whose code this is (one step of clock drift either way), or None.

    Steps at or before ``after`` (the last one used) do not count: a code works once.
    """
    code = normalise_code(code)
    if not secret or not _CODE.match(code):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(time.time() if now is None else now)
    for step in (current - 1, current, current + 1):
        if after is not None and step <= after:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def new_recovery_codes(count: int = RECOVERY_CODE_COUNT) -> list[str]:
    """Codes like ``k7m2p-9xq4d``: 50 bits each, no easily confused characters."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(alphabet) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def hash_recovery_code(code: str) -> str:
    """Codes are long random strings, so a fast hash of the normalised form is enough."""
    return hashlib.sha256(normalise_code(code).lower().encode()).hexdigest()
