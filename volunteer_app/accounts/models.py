"""Accounts: people who log in, their consents, one-time links and recovery codes."""

from __future__ import annotations

import peewee as pw
from flask import current_app

from volunteer_app.common.crypto import EncryptedField, session_id
from volunteer_app.db import BaseModel, utcnow

ROLES = ("volunteer", "coordinator", "admin")
STAFF_ROLES = ("coordinator", "admin")


class User(BaseModel):
    # Stored lower-cased: the unique index makes "Anna@X.de" and "anna@x.de" one account.
    email = pw.CharField(max_length=254, unique=True)
    name = pw.CharField(max_length=100)
    password_hash = pw.CharField(max_length=255)
    role = pw.CharField(max_length=20, default="volunteer", index=True)
    locale = pw.CharField(max_length=5, default="de")
    phone = pw.CharField(max_length=40, default="")
    email_confirmed_at = pw.DateTimeField(null=True)
    # Changing it logs out every session of the user. The session cookie carries an HMAC of
    # it under SECRET_KEY (``get_id``), never the value itself.
    session_token = pw.CharField(max_length=64)
    is_active = pw.BooleanField(default=True)
    # Encrypted under a key derived from SECRET_KEY (common/crypto.py); reads as plain base32.
    totp_secret = EncryptedField(null=True, context="user.totp_secret")
    totp_enabled_at = pw.DateTimeField(null=True)
    totp_last_step = pw.BigIntegerField(null=True)
    failed_logins = pw.IntegerField(default=0)
    locked_until = pw.DateTimeField(null=True)
    last_login_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        constraints = [pw.SQL("CHECK (role IN ('volunteer', 'coordinator', 'admin'))")]

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return session_id(current_app.config["SECRET_KEY"], self.id, self.session_token)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def needs_second_factor(self) -> bool:
        return self.is_staff

    @property
    def has_totp(self) -> bool:
        return self.totp_enabled_at is not None

    @property
    def first_name(self) -> str:
        return self.name.split(" ", 1)[0]


class Consent(BaseModel):
    """A consent with the version of the text agreed to; withdrawn ones are kept for proof."""

    user = pw.ForeignKeyField(User, backref="consents", on_delete="CASCADE")
    kind = pw.CharField(max_length=40)
    version = pw.CharField(max_length=40)
    given_at = pw.DateTimeField(default=utcnow)
    withdrawn_at = pw.DateTimeField(null=True)


class LoginToken(BaseModel):
    """A single-use link (e-mail confirmation, password reset, e-mail change); only the hash is kept."""

    user = pw.ForeignKeyField(User, backref="tokens", on_delete="CASCADE")
    purpose = pw.CharField(max_length=20)
    token_hash = pw.CharField(max_length=64, unique=True)
    new_email = pw.CharField(max_length=254, null=True)
    created_at = pw.DateTimeField(default=utcnow)
    expires_at = pw.DateTimeField()
    used_at = pw.DateTimeField(null=True)


class RecoveryCode(BaseModel):
    user = pw.ForeignKeyField(User, backref="recovery_codes", on_delete="CASCADE")
    code_hash = pw.CharField(max_length=255)
    used_at = pw.DateTimeField(null=True)


# Every model of this feature; volunteer_app/models.py collects them.
MODELS: list = [User, Consent, LoginToken, RecoveryCode]
