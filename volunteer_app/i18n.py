"""Flask-Babel set-up and the date/time filters templates use (always Europe/Berlin)."""

from __future__ import annotations

from flask_babel import format_date, format_datetime, format_time, get_locale

from volunteer_app.extensions import babel, select_locale


def init_app(app) -> None:
    babel.init_app(
        app,
        locale_selector=select_locale,
        timezone_selector=lambda: app.config["BABEL_DEFAULT_TIMEZONE"],
    )
    app.jinja_env.filters["datetime"] = lambda v, fmt="medium": format_datetime(v, fmt) if v else ""
    app.jinja_env.filters["date"] = lambda v, fmt="medium": format_date(v, fmt) if v else ""
    app.jinja_env.filters["time"] = lambda v, fmt="short": format_time(v, fmt) if v else ""

    @app.context_processor
    def _locale():
        return {"current_locale": str(get_locale()), "languages": app.config["LANGUAGES"]}
