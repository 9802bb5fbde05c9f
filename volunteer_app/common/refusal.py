"""A refused form keeps what was typed: an expired form (CSRF) and a rate limit (429).

Instead of a bare error page, the request's own view runs once more "refused": every form
(``common.forms.AppForm``) declines to validate, so the view shows its page again with the
typed values, and one sentence at the top of the page says why and what to do. Nothing a
refused request does is kept:

- forms never validate, so no view reaches its service;
- everything the view runs happens inside one database transaction that is rolled back;
- when the view answers anything but its page (a redirect, another error), the session is
  put back as it was and the generic error page is shown instead;
- rate limits are not counted for it.

CSRF is checked by one before-request hook registered after all others (Flask-WTF's own
check is switched off with ``WTF_CSRF_CHECK_DEFAULT = False``), so that the login, second
factor, consent and role guards have had their say before a refused view runs. A post from
another site (its ``Origin`` or ``Sec-Fetch-Site`` says so) gets the plain error page: no
other site can make us show a page filled with its values. docs/security.md, "CSRF and safe
methods", describes the design and its tests.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app, g, has_request_context, request, session
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

STATE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Refusal:
    status: int
    notice: str  # shown at the top of the page when the view shows its page again
    page_text: str  # the generic error page's text when it does not
    retry_after: int | None = None


def current_refusal() -> Refusal | None:
    """The refusal this request is answered with, or None (the usual case)."""
    return g.get("form_refusal") if has_request_context() else None


class _Undo(Exception):
    """Raised into the refused request's transaction to roll it back."""


def _begin(refusal: Refusal) -> None:
    from volunteer_app.db import db

    g.form_refusal = refusal
    g.refusal_notice = refusal.notice
    g.refusal_session = dict(session)
    transaction = db.atomic()
    transaction.__enter__()
    g.refusal_transaction = transaction


def _roll_back() -> None:
    transaction = g.pop("refusal_transaction", None)
    if transaction is not None:
        try:
            transaction.__exit__(_Undo, _Undo(), None)
        except Exception:  # the connection is gone: so is the transaction
            current_app.logger.exception("Rolling back a refused request failed")


def _restore_session() -> None:
    saved = g.pop("refusal_session", None)
    if saved is not None and dict(session) != saved:
        session.clear()
        session.update(saved)
    g.pop("_login_user", None)  # Flask-Login loads the person again from the session


def _cross_site() -> bool:
    """A post sent from another site's page (modern browsers always say where from)."""
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        return True
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    ours = urlsplit(request.host_url)
    theirs = urlsplit(origin)
    return (theirs.scheme, theirs.netloc) != (ours.scheme, ours.netloc)


def _minutes(seconds: int) -> int:
    # Retry-After rounds the reset time up by up to a second: 61 s is "1 minute".
    return max(1, math.ceil((seconds - 1) / 60))


def _retry_after() -> int:
    from volunteer_app.extensions import limiter

    limit = limiter.current_limit
    if limit is None:
        return 60
    return max(1, int(limit.reset_at - time.time()))


def _wait_text(seconds: int) -> str:
    minutes = _minutes(seconds)
    return ngettext(
        "Too many attempts. Please wait %(num)d minute before you try again.",
        "Too many attempts. Please wait %(num)d minutes before you try again.",
        minutes,
    )


def _form_wait_text(seconds: int) -> str:
    minutes = _minutes(seconds)
    return ngettext(
        "You have sent this form too often. Please send it again in %(num)d minute.",
        "You have sent this form too often. Please send it again in %(num)d minutes.",
        minutes,
    )


def expired_form_page_text() -> str:
    return _("The form has expired. Please reload the page and try again.")


# --- The hooks -------------------------------------------------------------------------------


def _check_csrf():
    g.refusal_guards_done = True  # every other before-request hook has let it pass
    if not current_app.config["WTF_CSRF_ENABLED"]:
        return None
    from volunteer_app.i18n import is_api_request

    if is_api_request():
        return None  # the JSON API ignores cookies: only a bearer token authorises (api/auth.py)
    from volunteer_app.extensions import csrf

    try:
        csrf.protect(apply_exemptions=True)
    except CSRFError:
        if _cross_site():
            raise
        from volunteer_app.common.forms import EXPIRED_FORM

        _begin(Refusal(400, str(EXPIRED_FORM), expired_form_page_text()))
    return None


def _too_many_requests(exc: RateLimitExceeded):
    from volunteer_app.common.handlers import render_error

    seconds = _retry_after()
    view = current_app.view_functions.get(request.endpoint or "")
    # Only a route's own limit (checked as its view is called, after every guard) shows the
    # page again; a limit hit before the guards ran, or on a GET, gets the 429 page.
    shown_again = g.get("refusal_guards_done") and current_refusal() is None
    if request.method not in STATE_METHODS or view is None or not shown_again:
        page, status = render_error(429, _wait_text(seconds))
        return page, status, {"Retry-After": str(seconds)}
    # The view runs again, refused and without limits.
    _begin(Refusal(429, _form_wait_text(seconds), _wait_text(seconds), retry_after=seconds))
    try:
        return current_app.ensure_sync(view)(**(request.view_args or {}))
    except HTTPException:
        pass
    except Exception:
        current_app.logger.exception("A rate-limited view failed when shown again")
    return render_error(429, _wait_text(seconds))


def _finish(response):
    refusal = current_refusal()
    if refusal is None:
        return response
    _roll_back()
    if response.status_code == 200 and response.mimetype == "text/html":
        response.status_code = refusal.status
    else:
        from volunteer_app.common.handlers import render_error

        _restore_session()
        g.refusal_notice = None  # the page's own text says it
        page, _status = render_error(refusal.status, refusal.page_text)
        response = current_app.make_response((page, refusal.status))
    if refusal.retry_after is not None:
        response.headers["Retry-After"] = str(refusal.retry_after)
    return response


def _teardown(exc) -> None:
    if g.get("refusal_transaction") is not None:
        _roll_back()
    for name in ("form_refusal", "refusal_notice", "refusal_session", "refusal_guards_done"):
        g.pop(name, None)


def _is_refused() -> bool:
    return current_refusal() is not None


def init_app(app) -> None:
    """Call after every other before-request hook is registered (``handlers.init_app``)."""
    from volunteer_app.extensions import limiter

    app.config["WTF_CSRF_CHECK_DEFAULT"] = False  # ``_check_csrf`` checks, last
    app.before_request(_check_csrf)
    app.after_request(_finish)
    app.teardown_request(_teardown)
    app.register_error_handler(RateLimitExceeded, _too_many_requests)
    app.context_processor(lambda: {"refusal_notice": g.get("refusal_notice")})
    # The limiter is one object for every app (tests build several): one filter is enough.
    if not getattr(limiter, "_skips_refused_requests", False):
        limiter.request_filter(_is_refused)
        limiter._skips_refused_requests = True
