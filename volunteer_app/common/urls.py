"""Redirect targets and absolute links."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, url_for


def safe_next(target: str | None, default: str = "/") -> str:
    """Only local paths: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target:
        return default
    target = target.strip()
    if any(c in target for c in ("\\", "\r", "\n", "\t")) or any(ord(c) < 32 for c in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def external_url(endpoint: str, **values) -> str:
    """An absolute link from the configured BASE_URL, never from the Host header."""
    return current_app.config["BASE_URL"] + url_for(endpoint, _external=False, **values)
