"""Redirect targets and absolute links."""

from __future__ import annotations

from flask import current_app, has_request_context, url_for


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


def external_url(endpoint: str, **values) -> str:
    """An absolute link from the configured BASE_URL, never from the Host header."""
    if has_request_context():
        return current_app.config["BASE_URL"] + url_for(endpoint, _external=False, **values)
    # Jobs and threads have no request: build the path from the URL map directly.
    adapter = current_app.url_map.bind("localhost", url_scheme="https")
    return current_app.config["BASE_URL"] + adapter.build(endpoint, values, force_external=False)
