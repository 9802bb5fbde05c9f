"""Error pages in both languages, and domain errors that escape a view."""

from __future__ import annotations

import peewee as pw
from flask import current_app, render_template
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from volunteer_app.common.errors import Conflict, DomainError, NotAllowed, NotFound

# The status a domain error gets when a view lets it escape (views should catch them).
DOMAIN_STATUS = ((NotFound, 404), (NotAllowed, 403), (Conflict, 409))


def _titles():
    return {
        400: _("The request could not be understood"),
        403: _("You may not open this page"),
        404: _("Page not found"),
        405: _("This action is not possible here"),
        409: _("This could not be done"),
        429: _("Too many requests"),
        500: _("Something went wrong on our side"),
    }


def _texts():
    return {
        400: _("Please go back and try again. If you sent a form, reload it first."),
        403: _("If you think you should have access, ask the coordinator of your centre."),
        404: _("The address may be mistyped, or the page was removed."),
        405: _("Please use the links and buttons on the page."),
        409: _("Something changed in the meantime. Please reload the page and try again."),
        429: _("Please wait a moment before you try again."),
        500: _("The error has been logged. Please try again in a few minutes."),
    }


def render_error(code: int, text: str | None = None):
    """The generic error page; a code without its own text borrows 400's or 500's."""
    known = code if code in _titles() else (500 if code >= 500 else 400)
    # The layout shows who is logged in. An error can end a request before anything loaded
    # the user (a refused CSRF token, a rate limit): load it here, so that rendering the
    # page makes no query.
    try:
        current_user._get_current_object()
    except Exception as exc:
        from volunteer_app.common.outage import as_visitor_if_unavailable

        as_visitor_if_unavailable(exc)  # the database is down: shown as to a visitor
    page = render_template(
        "errors/error.html", code=code, title=_titles()[known], text=text or _texts()[known]
    )
    return page, code


def _http_error(e: HTTPException):
    if e.code is None or e.code < 400:
        return e  # not an error (e.g. a redirect raised by routing)
    response = render_error(e.code)
    if e.code == 405 and e.valid_methods:
        return response[0], e.code, {"Allow": ", ".join(e.valid_methods)}
    return response


def _domain_error(e: DomainError):
    code = next((status for cls, status in DOMAIN_STATUS if isinstance(e, cls)), 400)
    return render_error(code, e.message)


# Logged with this text, so that tests can tell the safety net from a check at the cause.
REFUSED_BY_DATABASE = "The database refused a value from the request"


def _refused_by_database(e):
    """A value the database refused (a number past its integer, a duplicate, a broken CHECK)
    came from the client, so the answer is theirs: 400, or 409 for a clash with another row,
    never a 500. Input is checked before it gets here (``IdConverter``, ``row_id``, the forms'
    ranges): reaching this is a gap in those checks, logged with its traceback to be fixed
    where the value comes in. ``write_transaction()`` has rolled back on the way out."""
    current_app.logger.error(REFUSED_BY_DATABASE, exc_info=e)
    return render_error(409 if isinstance(e, pw.IntegrityError) else 400)


def _server_error(e):
    # Flask has logged the traceback already; the page says nothing internal.
    try:
        return render_error(500)
    except Exception:
        # The page itself failed (e.g. the database is down): answer without the layout.
        current_app.logger.exception("The error page could not be rendered")
        return (
            _("Something went wrong on our side"),
            500,
            {"Content-Type": "text/plain; charset=utf-8"},
        )


def init_app(app) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(500, _server_error)
    for error in (pw.DataError, pw.IntegrityError, OverflowError):
        app.register_error_handler(error, _refused_by_database)
    # The database unreachable: 503 with Retry-After instead of a 500.
    from volunteer_app.common import outage

    outage.init_app(app)

    @app.errorhandler(CSRFError)
    def _csrf(e):
        return render_error(400, _("The form has expired. Please reload the page and try again."))

    # Last: its CSRF check must run after every other before-request hook.
    from volunteer_app.common import refusal

    refusal.init_app(app)
