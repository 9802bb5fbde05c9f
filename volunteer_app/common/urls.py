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


#: Stands for the id while a pattern is built: digits that no other part of a URL has.
_PLACEHOLDER = 987654321


class UrlPattern:
    """``url_for(endpoint, **values, <key>=id)`` for many ids, built once: the URL is made
    with a placeholder id and the id written in its place, which gives the same text as
    ``url_for`` (ids are plain decimal digits in every route). On a page of 300 rows this
    replaces 300 calls of ``url_for``. In templates: ``{% set roster_url =
    url_pattern("coordination.roster", "slot_id") %}`` … ``{{ roster_url(slot.id) }}``."""

    __slots__ = ("_after", "_before", "_endpoint", "_key", "_values")

    def __init__(self, endpoint: str, key: str, **values):
        self._endpoint, self._key, self._values = endpoint, key, values
        built = url_for(endpoint, **values, **{key: _PLACEHOLDER})
        before, found, after = built.partition(str(_PLACEHOLDER))
        if not found or str(_PLACEHOLDER) in after:  # not where we can tell: url_for per id
            self._before = None
        else:
            self._before, self._after = before, after

    def __call__(self, row_id: int) -> str:
        if self._before is None or type(row_id) is not int:
            return url_for(self._endpoint, **self._values, **{self._key: row_id})
        return f"{self._before}{row_id}{self._after}"


def url_pattern(endpoint: str, key: str = "id", **values) -> UrlPattern:
    """A ``UrlPattern``: ``url_pattern("activities.edit_slot", "slot_id")(7)`` equals
    ``url_for("activities.edit_slot", slot_id=7)``."""
    return UrlPattern(endpoint, key, **values)


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
