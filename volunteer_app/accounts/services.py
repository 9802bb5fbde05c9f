"""Account state changes: registration, login, links by mail, profile and the second factor.

Every function owns its transaction, raises ``DomainError`` subclasses with a translated
message and never touches the request. Mail is queued inside the same transaction.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

import peewee as pw
from flask import current_app
from flask_babel import gettext as _

from volunteer_app.accounts import passwords, queries, twofactor
from volunteer_app.accounts.models import Consent, LoginToken, RecoveryCode, User
from volunteer_app.common import crypto
from volunteer_app.common.errors import Conflict, DomainError, InvalidToken, NotAllowed
from volunteer_app.common.security import hash_token, new_token
from volunteer_app.common.urls import external_url
from volunteer_app.db import db, utcnow, write_transaction
from volunteer_app.notifications.services import queue_mail

PURPOSES = ("confirm", "reset", "email_change")


class LoginFailed(DomainError):
    """Wrong e-mail or password, or the account is locked for a while."""

    def __init__(self, message: str, locked: bool = False, field: str | None = None):
        super().__init__(message, field)
        self.locked = locked


class EmailNotConfirmed(DomainError):
    """The password was right, but the address was never confirmed."""


class InvalidCode(DomainError):
    """A TOTP or recovery code that is wrong or already used."""


def normalise_email(email: str | None) -> str:
    return (email or "").strip().lower()


def _config(key: str):
    return current_app.config[key]


def _new_session_token() -> str:
    return secrets.token_hex(16)


def _check_new_password(password: str, email: str, field: str) -> None:
    problem = passwords.problem(password, email)
    if problem is not None:
        raise DomainError(str(problem), field=field)


# --- Single-use links ----------------------------------------------------------------------


def _issue_token(user: User, purpose: str, new_email: str | None = None) -> str:
    """A new link; earlier unused links of the same purpose stop working."""
    now = utcnow()
    LoginToken.update(expires_at=now).where(
        (LoginToken.user == user.id)
        & (LoginToken.purpose == purpose)
        & LoginToken.used_at.is_null()
        & (LoginToken.expires_at > now)
    ).execute()
    token, token_hash = new_token()
    LoginToken.create(
        user=user.id,
        purpose=purpose,
        token_hash=token_hash,
        new_email=new_email,
        created_at=now,
        expires_at=now + dt.timedelta(minutes=_config("TOKEN_TTL_MINUTES")),
    )
    return token


def check_link(token: str, purpose: str) -> LoginToken:
    """The valid, unused link for ``token`` (with its user), or ``InvalidToken`` saying why."""
    row = None
    if token and len(token) <= 100:
        row = (
            LoginToken.select(LoginToken, User)
            .join(User)
            .where((LoginToken.token_hash == hash_token(token)) & (LoginToken.purpose == purpose))
            .first()
        )
    if row is None or not row.user.is_active:
        raise InvalidToken(_("This link is not valid. Please check that you copied all of it."))
    if row.used_at is not None:
        raise InvalidToken(_("This link has already been used. Each link works only once."))
    if row.expires_at <= utcnow():
        raise InvalidToken(_("This link has expired."))
    return row


def _consume_link(token: str, purpose: str) -> LoginToken:
    """Mark the link used; only one of two simultaneous clicks wins."""
    row = check_link(token, purpose)
    now = utcnow()
    used = (
        LoginToken.update(used_at=now)
        .where(
            (LoginToken.id == row.id) & LoginToken.used_at.is_null() & (LoginToken.expires_at > now)
        )
        .execute()
    )
    if used != 1:
        raise InvalidToken(_("This link has already been used. Each link works only once."))
    return row


def _link(endpoint: str, token: str) -> str:
    return external_url(endpoint, token=token)


# --- Registration and confirmation ---------------------------------------------------------


def register_volunteer(*, name: str, email: str, password: str, locale: str) -> User | None:
    """Create an unconfirmed volunteer and mail the confirmation link.

    If the address already has an account, nothing is created and its owner gets a
    notice instead; the caller shows the same answer either way. Returns the new user
    or None.
    """
    email = normalise_email(email)
    _check_new_password(password, email, "password")
    # Hash before looking the address up: both paths cost the same time.
    password_hash = passwords.hash_password(password)
    with write_transaction():
        user = None
        if not User.select().where(User.email == email).exists():
            try:
                with db.atomic():
                    user = User.create(
                        email=email,
                        name=name,
                        password_hash=password_hash,
                        role="volunteer",
                        locale=locale,
                        session_token=_new_session_token(),
                    )
            except pw.IntegrityError:
                user = None  # registered at the same moment by another request
        if user is None:
            _notify_existing_account(email)
            return None
        Consent.create(
            user=user, kind="privacy", version=_config("PRIVACY_NOTICE_VERSION"), given_at=utcnow()
        )
        _send_confirmation(user)
    return user


def _notify_existing_account(email: str) -> None:
    owner = User.get(User.email == email)
    queue_mail(
        owner.email,
        "account_exists",
        locale=owner.locale,
        user=owner,
        login_url=external_url("accounts.login"),
        reset_url=external_url("accounts.reset_request"),
    )


def _send_confirmation(user: User) -> None:
    token = _issue_token(user, "confirm")
    queue_mail(
        user.email,
        "account_confirm",
        locale=user.locale,
        user=user,
        link=_link("accounts.confirm_email", token),
        ttl=_config("TOKEN_TTL_MINUTES"),
    )


def resend_confirmation(email: str) -> None:
    """A new confirmation link for an unconfirmed account; silently nothing otherwise."""
    user = User.get_or_none(User.email == normalise_email(email))
    if user is None or user.email_confirmed_at is not None or not user.is_active:
        return
    with write_transaction():
        _send_confirmation(user)


def confirm_email(token: str) -> User:
    """Use a confirmation link: the address is confirmed."""
    with write_transaction():
        row = _consume_link(token, "confirm")
        User.update(email_confirmed_at=pw.fn.COALESCE(User.email_confirmed_at, utcnow())).where(
            User.id == row.user_id
        ).execute()
    return User.get_by_id(row.user_id)


# --- Login ---------------------------------------------------------------------------------


def _login_failed(locked: bool, field: str | None = None) -> LoginFailed:
    # On the login page the message names both fields; elsewhere only the password is asked.
    if field is None:
        message = _("The e-mail address or the password is not correct.")
    else:
        message = _("The password is not correct.")
    if locked:
        message += " " + _("Too many attempts. Please try again later.")
    return LoginFailed(message, locked=locked, field=field)


def _record_failure(user: User) -> bool:
    """Count a wrong password; at the limit, lock the account for a while. True if locked."""
    with write_transaction():
        User.update(failed_logins=User.failed_logins + 1).where(User.id == user.id).execute()
        locked = (
            User.update(
                failed_logins=0,
                locked_until=utcnow() + dt.timedelta(minutes=_config("LOGIN_LOCK_MINUTES")),
            )
            .where((User.id == user.id) & (User.failed_logins >= _config("LOGIN_MAX_FAILURES")))
            .execute()
        )
    return bool(locked)


def _verify_password(user: User, password: str, field: str | None = None) -> None:
    """Check a password against the soft lock and the failure counter; raise LoginFailed."""
    ok = passwords.verify_password(user.password_hash, password)
    if user.locked_until is not None and user.locked_until > utcnow():
        raise _login_failed(locked=True, field=field)
    if not ok:
        raise _login_failed(locked=_record_failure(user), field=field)
    if not user.is_active:
        raise _login_failed(locked=False, field=field)
    changes = {User.failed_logins: 0, User.locked_until: None}
    if passwords.needs_rehash(user.password_hash):
        changes[User.password_hash] = passwords.hash_password(password)
    if user.failed_logins or user.locked_until or len(changes) > 2:
        with write_transaction():
            User.update(changes).where(User.id == user.id).execute()


def authenticate(email: str, password: str) -> User:
    """The user with this e-mail and password, or LoginFailed / EmailNotConfirmed.

    Unknown addresses cost the same work (a dummy hash) and get the same message.
    """
    user = User.get_or_none(User.email == normalise_email(email))
    if user is None:
        passwords.verify_password(passwords.DUMMY_HASH, password)
        raise _login_failed(locked=False)
    _verify_password(user, password)
    if user.email_confirmed_at is None:
        raise EmailNotConfirmed(
            _("Please confirm your e-mail address first. We can send you a new link.")
        )
    with write_transaction():
        User.update(last_login_at=utcnow()).where(User.id == user.id).execute()
    return User.get_by_id(user.id)


def confirm_password(user: User, password: str) -> None:
    """Re-authentication before a sensitive action (counts towards the soft lock)."""
    _verify_password(User.get_by_id(user.id), password, field="password")


# --- Password reset and change -------------------------------------------------------------


def request_password_reset(email: str) -> None:
    """Mail a reset link if the account exists; otherwise do nothing (same answer)."""
    user = User.get_or_none(User.email == normalise_email(email))
    if user is None or not user.is_active:
        return
    with write_transaction():
        token = _issue_token(user, "reset")
        queue_mail(
            user.email,
            "account_reset",
            locale=user.locale,
            user=user,
            link=_link("accounts.reset_password", token),
            ttl=_config("TOKEN_TTL_MINUTES"),
        )


def reset_password(token: str, new_password: str) -> User:
    """Use a reset link: new password, every session ends, the lock and counter clear.

    Following the link proves the mailbox, so an unconfirmed address counts as confirmed.
    """
    row = check_link(token, "reset")
    _check_new_password(new_password, row.user.email, "password")
    password_hash = passwords.hash_password(new_password)
    with write_transaction():
        row = _consume_link(token, "reset")
        _set_password(row.user, password_hash)
        User.update(email_confirmed_at=pw.fn.COALESCE(User.email_confirmed_at, utcnow())).where(
            User.id == row.user_id
        ).execute()
    return User.get_by_id(row.user_id)


def _set_password(user: User, password_hash: str) -> None:
    User.update(
        password_hash=password_hash,
        session_token=_new_session_token(),
        failed_logins=0,
        locked_until=None,
    ).where(User.id == user.id).execute()
    queue_mail(
        user.email,
        "account_password_changed",
        locale=user.locale,
        user=user,
        reset_url=external_url("accounts.reset_request"),
    )


def change_password(user: User, *, current_password: str, new_password: str) -> User:
    """A new password for a logged-in user; every other session ends (new session token)."""
    user = User.get_by_id(user.id)
    _verify_password(user, current_password, field="current_password")
    _check_new_password(new_password, user.email, "new_password")
    password_hash = passwords.hash_password(new_password)
    with write_transaction():
        _set_password(user, password_hash)
    return User.get_by_id(user.id)


def logout_everywhere(user: User) -> None:
    """End every session of the user, on every device."""
    with write_transaction():
        User.update(session_token=_new_session_token()).where(User.id == user.id).execute()


# --- Profile and e-mail change -------------------------------------------------------------


def update_profile(user: User, *, name: str, phone: str, locale: str) -> None:
    """Name, phone and preferred language (mail goes out in it)."""
    if locale not in current_app.config["LANGUAGES"]:
        raise DomainError(_("Please choose a language from the list."), field="locale")
    with write_transaction():
        User.update(name=name, phone=phone or "", locale=locale).where(User.id == user.id).execute()


def request_email_change(user: User, *, current_password: str, new_email: str) -> None:
    """Mail a confirmation link to the new address and a notice to the old one.

    If the new address belongs to another account, no link is sent, but the caller
    shows the same answer: nobody learns which addresses have accounts.
    """
    user = User.get_by_id(user.id)
    _verify_password(user, current_password, field="email_password")
    new_email = normalise_email(new_email)
    if new_email == user.email:
        raise DomainError(_("This is already your e-mail address."), field="new_email")
    with write_transaction():
        if not User.select().where(User.email == new_email).exists():
            token = _issue_token(user, "email_change", new_email=new_email)
            queue_mail(
                new_email,
                "account_email_change",
                locale=user.locale,
                user=user,
                link=_link("accounts.confirm_email_change", token),
                ttl=_config("TOKEN_TTL_MINUTES"),
            )
        queue_mail(
            user.email,
            "account_email_change_notice",
            locale=user.locale,
            user=user,
            new_email=new_email,
        )


def confirm_email_change(token: str) -> User:
    """Use an e-mail change link: the new address becomes the login."""
    with write_transaction():
        row = _consume_link(token, "email_change")
        try:
            with db.atomic():
                User.update(email=row.new_email, email_confirmed_at=utcnow()).where(
                    User.id == row.user_id
                ).execute()
        except pw.IntegrityError:
            raise Conflict(
                _("This address now belongs to another account, so it cannot be used.")
            ) from None
    return User.get_by_id(row.user_id)


# --- Second factor -------------------------------------------------------------------------


def _store_recovery_codes(user: User) -> list[str]:
    codes = twofactor.new_recovery_codes()
    RecoveryCode.delete().where(RecoveryCode.user == user.id).execute()
    RecoveryCode.insert_many(
        [{"user": user.id, "code_hash": twofactor.hash_recovery_code(c)} for c in codes]
    ).execute()
    return codes


def enable_totp(user: User, *, secret: str, code: str) -> list[str]:
    """Switch TOTP on after the first correct code; returns the recovery codes (shown once)."""
    step = twofactor.matching_step(secret, code)
    if step is None:
        raise InvalidCode(
            _("This code is not correct. Check the time on your phone and try again."),
            field="code",
        )
    with write_transaction():
        changed = (
            User.update(totp_secret=secret, totp_enabled_at=utcnow(), totp_last_step=step)
            .where((User.id == user.id) & User.totp_enabled_at.is_null())
            .execute()
        )
        if changed != 1:
            raise Conflict(_("Two-factor authentication is already switched on."))
        return _store_recovery_codes(user)


def verify_totp(user: User, code: str) -> None:
    """Check a TOTP code; each time step works once (a replayed code is refused)."""
    user = User.get_by_id(user.id)
    step = twofactor.matching_step(user.totp_secret, code, after=user.totp_last_step)
    used = 0
    if step is not None and user.has_totp:
        with write_transaction():
            used = (
                User.update(totp_last_step=step)
                .where(
                    (User.id == user.id)
                    & (User.totp_last_step.is_null() | (User.totp_last_step < step))
                )
                .execute()
            )
    if used != 1:
        raise InvalidCode(
            _("This code is not correct or was already used. Please wait for the next code."),
            field="code",
        )


def use_recovery_code(user: User, code: str) -> int:
    """Spend one recovery code instead of a TOTP code; returns how many are left."""
    with write_transaction():
        used = (
            RecoveryCode.update(used_at=utcnow())
            .where(
                (RecoveryCode.user == user.id)
                & (RecoveryCode.code_hash == twofactor.hash_recovery_code(code))
                & RecoveryCode.used_at.is_null()
            )
            .execute()
        )
    if used < 1:
        raise InvalidCode(_("This recovery code is not correct or was already used."), field="code")
    return queries.recovery_codes_left(user)


def regenerate_recovery_codes(user: User) -> list[str]:
    """Ten new recovery codes; the old ones stop working."""
    if not User.get_by_id(user.id).has_totp:
        raise Conflict(_("Two-factor authentication is not switched on."))
    with write_transaction():
        return _store_recovery_codes(user)


def disable_totp(user: User) -> None:
    """Switch TOTP off (volunteers only: staff always need it)."""
    if user.is_staff:
        raise NotAllowed(_("Coordinators and administrators cannot switch this off."))
    with write_transaction():
        User.update(totp_secret=None, totp_enabled_at=None, totp_last_step=None).where(
            User.id == user.id
        ).execute()
        RecoveryCode.delete().where(RecoveryCode.user == user.id).execute()


@dataclass(frozen=True)
class ReencryptResult:
    moved: int  # re-encrypted under the current SECRET_KEY
    current: int  # already under it
    unreadable: list[int]  # user ids whose secret no configured key opens


def reencrypt_secrets() -> ReencryptResult:
    """Move every TOTP secret to the current ``SECRET_KEY`` after a rotation.

    Values under a key of ``SECRET_KEY_FALLBACKS`` are decrypted and encrypted again under
    the current key; a value is replaced only if it did not change meanwhile. Idempotent.
    """
    keys = crypto.app_keys()
    current_kid = crypto.key_id(keys[0])
    context = User.totp_secret.context
    table = pw.Table(User._meta.table_name, ("id", "totp_secret")).bind(db)
    moved = current = 0
    unreadable = []
    rows = table.select(table.id, table.totp_secret).where(table.totp_secret.is_null(False))
    for row in list(rows.order_by(table.id)):
        value = row["totp_secret"]
        if crypto.stored_key_id(value) == current_kid:
            current += 1
            continue
        try:
            secret = crypto.decrypt(value, keys, context)
        except crypto.UndecryptableSecret:
            unreadable.append(row["id"])
            continue
        with write_transaction():
            moved += (
                table.update(totp_secret=crypto.encrypt(secret, keys[0], context))
                .where((table.id == row["id"]) & (table.totp_secret == value))
                .execute()
            )
    return ReencryptResult(moved=moved, current=current, unreadable=unreadable)


def set_locale(user: User, locale: str) -> None:
    """Remember the user's language (mail goes out in it too)."""
    with write_transaction():
        User.update(locale=locale).where(User.id == user.id).execute()
