"""Response headers, session timeouts and tokens."""

from __future__ import annotations

import hashlib
import secrets
import time

from flask import current_app, request, session
from flask_login import current_user, logout_user

CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)


def new_token() -> tuple[str, str]:
    """A URL-safe token (256 bits) and the hash that is stored instead of it."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def init_app(app) -> None:
    @app.after_request
    def _headers(response):
        h = response.headers
        h.setdefault("Content-Security-Policy", CSP)
        h["X-Content-Type-Options"] = "nosniff"
        h["Referrer-Policy"] = "same-origin"
        h["X-Frame-Options"] = "DENY"
        h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config["HSTS"]:
            h["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        # Pages for a logged-in person must not stay in any cache (shared computers, proxies);
        # static files are the same for everyone and may be cached.
        if request.endpoint != "static" and current_user and current_user.is_authenticated:
            h["Cache-Control"] = "no-store"
            response.vary.add("Cookie")
        return response

    @app.before_request
    def _session_timeouts():
        if request.endpoint == "static":
            return
        if not current_user.is_authenticated:
            return
        # Only logged-in sessions get the idle timeout (and a refreshed cookie).
        session.permanent = True
        # A session without a login time (not made by a login) counts as expired.
        login_at = session.get("login_at") or 0
        if time.time() - login_at > current_app.config["SESSION_ABSOLUTE_HOURS"] * 3600:
            lang = session.get("lang")
            logout_user()
            session.clear()
            if lang:
                session["lang"] = lang
