"""Error pages in both languages, and domain errors that escape a view."""

from __future__ import annotations

from flask import render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError


def _titles():
    return {
        400: _("The request could not be understood"),
        403: _("You may not open this page"),
        404: _("Page not found"),
        405: _("This action is not possible here"),
        429: _("Too many requests"),
        500: _("Something went wrong on our side"),
    }


def _texts():
    return {
        400: _("Please go back and try again. If you sent a form, reload it first."),
        403: _("If you think you should have access, ask the coordinator of your centre."),
        404: _("The address may be mistyped, or the page was removed."),
        405: _("Please use the links and buttons on the page."),
        429: _("Please wait a moment before you try again."),
        500: _("The error has been logged. Please try again in a few minutes."),
    }


def render_error(code: int, text: str | None = None):
    return (
        render_template(
            "errors/error.html", code=code, title=_titles()[code], text=text or _texts()[code]
        ),
        code,
    )


def init_app(app) -> None:
    for code in (400, 403, 404, 405, 429):
        app.register_error_handler(code, lambda e, code=code: render_error(code))

    @app.errorhandler(CSRFError)
    def _csrf(e):
        return render_error(400, _("The form has expired. Please reload the page and try again."))

    @app.errorhandler(500)
    def _server_error(e):
        # Flask has logged the traceback already; the page says nothing internal.
        return render_error(500)
