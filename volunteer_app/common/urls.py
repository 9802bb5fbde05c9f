"""Redirect targets, absolute links and the ids in URLs."""

from __future__ import annotations

from flask import current_app, has_request_context, request, url_for
from werkzeug.routing import IntegerConverter

from volunteer_app.db import MAX_ID


def safe_next(target: str | None, default: str = "/") -> str:
    """Only local paths: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target or not isinstance(target, str):
        return default
    target = target.strip()
    # Browsers drop tabs and newlines inside URLs and read "\\" as "/", so "/\t/evil" and
    # "/\\evil" would become "//evil"; any control character is refused outright.
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return default
    # A path starting with one slash has neither scheme nor host ("//host" is protocol-relative).
    if not target.startswith("/") or target.startswith("//"):
        return default
    return target


def base_url() -> str:
    """Where absolute links start (scheme and host, no trailing slash).

    The configured BASE_URL, never the request's Host header: in production and wherever
    BASE_URL is set. Only in development without a BASE_URL (``BASE_URL_FROM_REQUEST``) do
    links follow the address the app was reached at, so that ``PORT=5301 make run`` mails
    links to port 5301; without a request (the job consumer) BASE_URL is the development
    server's address on ``PORT`` (config.py)."""
    if current_app.config["BASE_URL_FROM_REQUEST"] and has_request_context():
        return request.host_url.rstrip("/")
    return current_app.config["BASE_URL"]


def external_url(endpoint: str, **values) -> str:
    """An absolute link from ``base_url()``: in production the configured BASE_URL, never
    the Host header."""
    if has_request_context():
        return base_url() + url_for(endpoint, _external=False, **values)
    # Jobs and threads have no request: build the path from the URL map directly.
    adapter = current_app.url_map.bind("localhost", url_scheme="https")
    return base_url() + adapter.build(endpoint, values, force_external=False)


class IdConverter(IntegerConverter):
    """``<int:…>`` in every route is a row id: 1 to ``MAX_ID`` in ASCII digits. Anything else
    (a number past the database's integer, 0, other scripts' digits) does not match the
    route, so it is a 404 before any view or query runs. ``create_app()`` registers it in
    place of werkzeug's ``int``."""

    regex = r"[0-9]{1,10}"

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)
