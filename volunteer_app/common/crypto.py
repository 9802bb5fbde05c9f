"""Secrets at rest: values encrypted under keys derived from ``SECRET_KEY``, and session ids.

A database dump or a backup alone must not give anyone a working secret (docs/security.md,
"Secrets at rest"). Two tools for that:

- ``encrypt``/``decrypt``: AES-256-GCM with a key derived from ``SECRET_KEY`` by HKDF-SHA256.
  A stored value reads ``v1$<key id>$<base64url(nonce | ciphertext | tag)>``: the version
  names the format, the key id (a fingerprint of the derived key, not the key) names the
  key, so that after a rotation values under the previous key are still read with
  ``SECRET_KEY_FALLBACKS`` until ``flask db reencrypt-secrets`` has moved them.
  ``EncryptedField`` does this transparently for a model column.
- ``session_id``: the Flask-Login id is ``<user id>:<HMAC(SECRET_KEY, user id, session token)>``,
  so the per-user session token in the database is not what the session cookie carries.

The pure functions take the keys as arguments; only ``app_keys`` and the field read the app.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import logging
import os
from collections.abc import Sequence

import peewee as pw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

log = logging.getLogger(__name__)

VERSION = "v1"
_SEP = "$"
_NONCE_BYTES = 12
_ENCRYPTION_INFO = b"thekiz-ehrenamt/secrets-at-rest/v1"
_SESSION_INFO = b"thekiz-ehrenamt/session-id/v1"


class UndecryptableSecret(ValueError):
    """A stored value that no configured key opens (or that is not in the stored format)."""


def _hkdf(secret_key: str, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(
        secret_key.encode("utf-8")
    )


@functools.lru_cache(maxsize=16)
def _encryption_key(secret_key: str) -> tuple[str, AESGCM]:
    """The key id and cipher for one ``SECRET_KEY`` (HKDF is cheap, but this runs per row)."""
    key = _hkdf(secret_key, _ENCRYPTION_INFO)
    key_id = hashlib.sha256(b"key-id:" + key).hexdigest()[:12]
    return key_id, AESGCM(key)


def key_id(secret_key: str) -> str:
    """The fingerprint under which values encrypted with this ``SECRET_KEY`` are stored."""
    return _encryption_key(secret_key)[0]


def is_encrypted(value: str | None) -> bool:
    return bool(value) and value.startswith(VERSION + _SEP)


def stored_key_id(value: str) -> str | None:
    """The key id of a stored value, or None when it is not in the stored format."""
    parts = value.split(_SEP) if value else []
    return parts[1] if len(parts) == 3 and parts[0] == VERSION else None


def encrypt(plaintext: str, secret_key: str, context: str) -> str:
    """Encrypt under ``secret_key``; ``context`` (e.g. ``user.totp_secret``) is bound to it."""
    kid, cipher = _encryption_key(secret_key)
    nonce = os.urandom(_NONCE_BYTES)
    sealed = cipher.encrypt(nonce, plaintext.encode("utf-8"), context.encode("utf-8"))
    body = base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")
    return _SEP.join((VERSION, kid, body))


def decrypt(value: str, secret_keys: Sequence[str], context: str) -> str:
    """Decrypt a stored value with whichever of ``secret_keys`` it names (current first)."""
    kid = stored_key_id(value)
    if kid is None:
        raise UndecryptableSecret("not an encrypted value")
    for secret_key in secret_keys:
        this_kid, cipher = _encryption_key(secret_key)
        if this_kid != kid:
            continue
        body = value.rsplit(_SEP, 1)[1]
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            if len(raw) <= _NONCE_BYTES:
                raise UndecryptableSecret("value too short")
            plain = cipher.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context.encode("utf-8"))
        except (InvalidTag, binascii.Error, ValueError) as exc:
            raise UndecryptableSecret("value does not open with its key") from exc
        return plain.decode("utf-8")
    raise UndecryptableSecret(f"no configured key has the id {kid}")


def app_keys(config=None) -> list[str]:
    """``SECRET_KEY`` first, then ``SECRET_KEY_FALLBACKS`` (older keys, for reading only)."""
    config = config if config is not None else current_app.config
    keys = [config["SECRET_KEY"]]
    keys.extend(k for k in config["SECRET_KEY_FALLBACKS"] if k and k not in keys)
    return keys


class EncryptedField(pw.CharField):
    """A text column stored encrypted under the app's ``SECRET_KEY`` (see the module doc).

    Reading a value that no configured key opens gives None and a warning in the log, so a
    forgotten fallback key costs the second factor (recovery codes still work), never a 500.
    """

    def __init__(self, *args, context: str, **kwargs):
        kwargs.setdefault("max_length", 255)
        super().__init__(*args, **kwargs)
        self.context = context

    def db_value(self, value):
        if value is None:
            return None
        return encrypt(str(value), current_app.config["SECRET_KEY"], self.context)

    def python_value(self, value):
        if value is None:
            return None
        try:
            return decrypt(value, app_keys(), self.context)
        except UndecryptableSecret as exc:
            log.warning("Cannot decrypt %s: %s (was SECRET_KEY changed?)", self.context, exc)
            return None


@functools.lru_cache(maxsize=4)
def _session_key(secret_key: str) -> bytes:
    return _hkdf(secret_key, _SESSION_INFO)


def session_id(secret_key: str, user_id: int, session_token: str) -> str:
    """The Flask-Login id: the user id and an HMAC of the stored session token.

    Only the current ``SECRET_KEY`` counts: rotating it ends every login, as it should when
    the key may have leaked. Changing the stored token still ends every session of the user.
    """
    mac = hmac.new(
        _session_key(secret_key), f"{user_id}:{session_token}".encode(), hashlib.sha256
    ).digest()
    return f"{user_id}:{base64.urlsafe_b64encode(mac).rstrip(b'=').decode('ascii')}"
