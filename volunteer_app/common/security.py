"""Response headers, session timeouts and tokens."""

from __future__ import annotations

import hashlib
import secrets
import time

from flask import current_app, g, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user, logout_user
from itsdangerous import URLSafeTimedSerializer

CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)

#: The one exception to "no site may frame our pages": the centre's programme made to be
#: shown on the centre's own website (``/zentren/<slug>/einbetten``). Any site may frame it
#: (``FRAMEABLE_CSP``, no X-Frame-Options). It is the same for everyone: it neither reads nor
#: writes the session (no cookie set or refreshed, no CSRF token, nobody logged in), so
#: shared caches may keep it. Nothing on it changes anything (no forms, links open a new tab).
FRAMEABLE_ENDPOINTS = frozenset({"programme.embed"})
FRAMEABLE_CSP = CSP.replace("frame-ancestors 'none'", "frame-ancestors *")


def is_frameable() -> bool:
    """This request is for a page other sites may frame (``FRAMEABLE_ENDPOINTS``)."""
    return request.endpoint in FRAMEABLE_ENDPOINTS


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie sessions, except that a frameable page never sets the cookie
    (not even the idle-timeout refresh of a logged-in person's session)."""

    _signing: tuple[tuple, URLSafeTimedSerializer | None] = ((), None)

    def get_signing_serializer(self, app) -> URLSafeTimedSerializer | None:
        # Flask makes a new one for reading and again for writing the cookie on every
        # request; it depends on nothing but the keys, so one is kept while they stay.
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        known, serializer = self._signing
        if known != keys:
            serializer = super().get_signing_serializer(app)
            self._signing = (keys, serializer)
        return serializer

    def save_session(self, app, session, response) -> None:
        if is_frameable():
            return
        # Flask-Login marks every session without a login it meets "not fresh"; left with
        # only that mark (after a logout, a message shown), the visitor would keep a session
        # cookie for good, and shared caches skip whoever sends one. It is dropped instead.
        if session and session.keys() <= _MARKS_ONLY:
            session.clear()
        super().save_session(app, session, response)


_MARKS_ONLY = {"_fresh", "_permanent"}


def new_token() -> tuple[str, str]:
    """A URL-safe token (256 bits) and the hash that is stored instead of it."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def init_app(app) -> None:
    app.session_interface = SessionInterface()

    @app.after_request
    def _headers(response):
        h = response.headers
        # Only the page itself: its error pages (an unknown centre) are not for frames.
        framed = is_frameable() and response.status_code < 400
        if framed:
            h["Content-Security-Policy"] = FRAMEABLE_CSP
        else:
            h.setdefault("Content-Security-Policy", CSP)
            h["X-Frame-Options"] = "DENY"
        h["X-Content-Type-Options"] = "nosniff"
        h["Referrer-Policy"] = "same-origin"
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
        if is_frameable():
            # Nobody is logged in on a frameable page: the user is not even loaded from the
            # session (Flask-Login keeps the current user in ``g._login_user``).
            g._login_user = app.login_manager.anonymous_user()
            return
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
            if lang:  # kept in the language cookie (i18n.keep_language), not the session
                g.keep_language = lang
