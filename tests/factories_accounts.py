"""Account test helpers: English pages, reading links out of queued mail, logging in by form."""

from __future__ import annotations

import re
import time

import pyotp
from argon2 import PasswordHasher

from tests import factories
from tests.factories import PASSWORD, make_user
from tests.factories import reload as fresh  # noqa: F401 (re-exported)
from volunteer_app.accounts import passwords
from volunteer_app.accounts.models import RecoveryCode, User
from volunteer_app.accounts.twofactor import hash_recovery_code
from volunteer_app.db import utcnow
from volunteer_app.notifications.models import OutboxMessage

NEW_PASSWORD = "a brand new passphrase"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


# argon2id with the real parameters costs ~90 ms per hash on CI machines; the flows under
# test do not depend on the cost, so most tests use a cheap hasher (test_accounts_passwords
# checks the real parameters, and that the dummy hash costs as much as a real one).
_CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
_CHEAP_PASSWORD_HASH = _CHEAP.hash(PASSWORD)
_CHEAP_DUMMY_HASH = _CHEAP.hash("timing-equaliser-not-a-password")


def use_fast_hashing(monkeypatch) -> None:
    monkeypatch.setattr(passwords, "_hasher", _CHEAP)
    monkeypatch.setattr(passwords, "DUMMY_HASH", _CHEAP_DUMMY_HASH)
    monkeypatch.setattr(factories, "_HASH", _CHEAP_PASSWORD_HASH)


def no_timing_floor(app) -> None:
    """Anti-enumeration answers are padded to a minimum duration; tests need not wait."""
    app.config["ACCOUNT_RESPONSE_FLOOR_SECONDS"] = 0


def use_english(client) -> None:
    """Pages in English, so that tests can read their text before the German catalogue lands."""
    with client.session_transaction() as sess:
        sess["lang"] = "en"


def mails_to(address: str) -> list[OutboxMessage]:
    return list(
        OutboxMessage.select().where(OutboxMessage.recipient == address).order_by(OutboxMessage.id)
    )


def link_in(message: OutboxMessage, prefix: str) -> str:
    """The path of the one link under ``prefix`` in the plain-text body (built from BASE_URL)."""
    found = re.findall(
        r"http://localhost(" + re.escape(prefix) + r"[A-Za-z0-9_\-]+)", message.body_text
    )
    assert len(found) == 1, message.body_text
    assert found[0] in message.body_html
    return found[0]


def last_link(address: str, prefix: str) -> str:
    return link_in(mails_to(address)[-1], prefix)


def login(client, email: str, password: str = PASSWORD, **extra):
    return client.post("/konto/anmelden", data={"email": email, "password": password, **extra})


def log_in_by_session(client, user: User, mfa_ok: bool = True):
    """Like the ``login_as`` fixture, for any client (a second device)."""
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["login_at"] = sess["auth_at"] = time.time()
        sess["mfa_ok"] = mfa_ok
    return client


def make_totp_user(role: str = "volunteer", codes: list[str] | None = None, **fields) -> User:
    """A user with TOTP switched on (a fixed secret) and, optionally, recovery codes."""
    user = make_user(role=role, totp_secret=TOTP_SECRET, totp_enabled_at=utcnow(), **fields)
    for code in codes or []:
        RecoveryCode.create(user=user, code_hash=hash_recovery_code(code))
    return user


def code_after_now(secret: str = TOTP_SECRET, steps: int = 1) -> str:
    """A code from a later time step (still inside the one-step window), never used before."""
    return pyotp.TOTP(secret).at(time.time() + 30 * steps)
