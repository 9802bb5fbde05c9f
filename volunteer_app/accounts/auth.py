"""Who is logged in: Flask-Login wiring, the second-factor gate and permission checks."""

from __future__ import annotations

import time
from functools import wraps

from flask import abort, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user

from volunteer_app.accounts.models import User
from volunteer_app.extensions import login_manager

# Endpoints a half-logged-in staff member (password ok, second factor not yet) may reach.
MFA_OPEN_ENDPOINTS = {
    "static",
    "accounts.logout",
    "accounts.totp_verify",
    "accounts.totp_setup",
    "accounts.recovery_login",
    "core.set_language",
    "core.index",
    "core.privacy",
}


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The id carries the user's session token, so a changed token ends every old session."""
    try:
        pk, token = user_id.split(":", 1)
        user = User.get_or_none(User.id == int(pk))
    except (ValueError, TypeError):
        return None
    if user is None or not user.is_active or user.session_token != token:
        return None
    return user


def start_session(user: User, second_factor_done: bool) -> None:
    """A new session for a successful login (never reuse the anonymous one)."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    login_user(user, remember=False)
    now = time.time()
    session["login_at"] = now
    session["auth_at"] = now
    session["mfa_ok"] = second_factor_done


def mfa_satisfied() -> bool:
    return bool(session.get("mfa_ok"))


def is_fresh(max_minutes: int) -> bool:
    return time.time() - session.get("auth_at", 0) <= max_minutes * 60


def init_app(app) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to open this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @app.before_request
    def _second_factor_gate():
        if not current_user.is_authenticated or not current_user.needs_second_factor:
            return None
        if mfa_satisfied() or request.endpoint in MFA_OPEN_ENDPOINTS:
            return None
        if app.config.get("DEMO_STAFF_SKIP_2FA") and current_user.email.endswith(
            "@demo.thekiz.example"
        ):
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
