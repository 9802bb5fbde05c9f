"""Who is logged in: Flask-Login wiring, the second-factor gate and permission checks."""

from __future__ import annotations

import hmac
import time
from functools import wraps

from flask import abort, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from volunteer_app.accounts.models import User
from volunteer_app.db import Prepared
from volunteer_app.extensions import login_manager
from volunteer_app.i18n import keep_language

# Endpoints a half-logged-in user (password ok, second factor not yet) may reach.
MFA_OPEN_ENDPOINTS = {
    "static",
    "accounts.logout",
    "accounts.totp_verify",
    "accounts.totp_setup",
    "accounts.recovery_login",
    "core.set_language",
    "core.index",
    "core.privacy",
    "core.imprint",
}


# Every logged-in request loads its user: the SQL is built once (db.Prepared).
_USER_BY_ID = Prepared(lambda user_id: User.select().where(User.id == user_id).limit(1))


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The id carries an HMAC of the user's session token, so a changed token (or a changed
    SECRET_KEY) ends every old session, and the database alone cannot make a valid id."""
    try:
        pk, _mac = user_id.split(":", 1)
        user = _USER_BY_ID.first(int(pk))
    except (ValueError, TypeError):
        return None
    if user is None or not user.is_active:
        return None
    if not hmac.compare_digest(user_id.encode(), user.get_id().encode()):
        return None
    return user


def second_factor_required(user: User) -> bool:
    """Staff always; volunteers once they switched TOTP on (demo staff may skip in development)."""
    if (
        user.needs_second_factor
        and current_app.config["DEMO_STAFF_SKIP_2FA"]
        and user.email.endswith("@demo.thekiz.example")
    ):
        return False
    return user.needs_second_factor or user.has_totp


def start_session(user: User, second_factor_done: bool) -> None:
    """A new session for a successful login (never reuse the anonymous one)."""
    lang = session.get("lang")
    session.clear()
    session.permanent = True  # clear() dropped it: the cookie keeps the idle-timeout expiry
    if lang:
        session["lang"] = lang
    login_user(user, remember=False)
    now = time.time()
    session["login_at"] = now
    session["auth_at"] = now
    session["mfa_ok"] = second_factor_done


def refresh_login(user: User) -> None:
    """Keep THIS session after the user's session token changed (password change).

    The password was just entered, so the session counts as fresh; the absolute
    timeout still runs from the original login.
    """
    login_user(user, remember=False)
    session["auth_at"] = time.time()


def end_session() -> None:
    """Log out and forget everything; the chosen language stays in the language cookie (not
    the session: a logged-out visitor's pages set no session cookie)."""
    lang = session.get("lang")
    logout_user()
    session.clear()
    if lang:
        keep_language(lang)


def mark_second_factor_done() -> None:
    session["mfa_ok"] = True


def mark_reauthenticated() -> None:
    session["auth_at"] = time.time()


def mfa_satisfied() -> bool:
    return bool(session.get("mfa_ok"))


def is_fresh(max_minutes: int) -> bool:
    return time.time() - session.get("auth_at", 0) <= max_minutes * 60


def fresh_login_required(view):
    """Sensitive actions: ask for the password again when it was entered too long ago."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not is_fresh(current_app.config["FRESH_LOGIN_MINUTES"]):
            flash(_("Please enter your password again to continue."), "info")
            # A POST cannot be repeated after the detour: come back to the page instead.
            target = request.full_path if request.method == "GET" else request.path
            return redirect(url_for("accounts.reauthenticate", next=target))
        return view(*args, **kwargs)

    return wrapped


def init_app(app) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to open this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @app.teardown_request
    def _forget_user(exc):
        # Flask-Login caches the user in ``g``. When an outer app context is already
        # pushed (tests, CLI), requests share that ``g``; the next request must load
        # its user from its own session cookie, not inherit the previous one.
        g.pop("_login_user", None)

    @app.before_request
    def _second_factor_gate():
        if not current_user.is_authenticated or mfa_satisfied():
            return None
        if request.endpoint in MFA_OPEN_ENDPOINTS or not second_factor_required(current_user):
            return None
        if current_user.has_totp:
            return redirect(url_for("accounts.totp_verify", next=request.full_path))
        return redirect(url_for("accounts.totp_setup"))


def role_required(*roles: str):
    """Logged in with one of these roles, else 403 (anonymous: to the login page)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
