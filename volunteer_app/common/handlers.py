"""Error pages in both languages, and domain errors that escape a view."""

from __future__ import annotations

from flask import current_app, render_template
from flask_babel import gettext as _
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

    @app.errorhandler(CSRFError)
    def _csrf(e):
        return render_error(400, _("The form has expired. Please reload the page and try again."))
