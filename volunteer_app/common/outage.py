"""While the database cannot be reached: a 503 page in the person's language, Retry-After.

A request that finds the database down (refused, restarting, its connection cut, every
pooled connection busy; ``db.database_unavailable``) gets this page instead of a 500. Any
other database error is not ours: it goes on to the 500 page and the log with its traceback.
"""

from __future__ import annotations

import peewee as pw
from flask import current_app, g, render_template, request, session
from playhouse.pool import MaxConnectionsExceeded

from volunteer_app.db import database_unavailable

# Long enough for a restart or a failover, short enough that nobody waits for nothing.
RETRY_AFTER_SECONDS = 30


def as_visitor_if_unavailable(exc: Exception) -> None:
    """Loading the logged-in person failed: if because the database is down, the page is
    shown as to a visitor (the layout shows who is logged in); else the error stands."""
    if not database_unavailable(exc):
        raise exc
    g._login_user = current_app.login_manager.anonymous_user()


def unavailable_response():
    """The 503 page; it needs nothing from the database."""
    # The layout shows who is logged in; with the database down, a person not loaded yet is
    # shown as logged out rather than loaded (which would fail again).
    if "_login_user" not in g:
        g._login_user = current_app.login_manager.anonymous_user()
    # A flash waiting in the session (e.g. "You are signed up") is kept for the next page.
    waiting = session.get("_flashes")
    page = render_template("errors/unavailable.html", retry_after=RETRY_AFTER_SECONDS)
    if waiting and "_flashes" not in session:
        session["_flashes"] = waiting
    return page, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}


def _database_error(e: Exception):
    if not database_unavailable(e):
        raise e  # a real error: the 500 page, and the traceback in the log
    reason = " ".join(str(e).split())[:200]
    # The endpoint, not the path: paths of one-time links and feeds carry their token.
    current_app.logger.warning(
        "Database unavailable, answered 503 to %s %s: %s", request.method, request.endpoint, reason
    )
    return unavailable_response()


def init_app(app) -> None:
    # DatabaseError for libpq's lost connection (db.database_unavailable); its other
    # subclasses (integrity, data, programming errors) go on to the 500 page as before.
    for error in (pw.OperationalError, pw.InterfaceError, pw.DatabaseError, MaxConnectionsExceeded):
        app.register_error_handler(error, _database_error)
