"""Conditional answers of the families' public pages: ETag, Last-Modified, 304, and who may
keep a copy (docs/deployment.md shows the micro-cache in front of them).

A page a family sees without logging in is the same for everyone who asks for it in the same
language: only then (GET or HEAD, nobody logged in, no message waiting to be shown) it is
``public, max-age=60`` with an ETag over what its bytes depend on — the address, the language,
the centre's public revision (``ContentRevision``, moved by database triggers), the Berlin
day, the last moment a date of the centre started or ended, and the release (templates,
catalogues and styles on disk). Telling whether a copy is still good costs one indexed
lookup (``queries.public_state``); the page itself is rendered only when it is not.
A logged-in person's page is never stored (``common.security``: ``no-store``).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import os
from pathlib import Path

from flask import current_app, make_response, request, session
from flask_babel import get_locale
from flask_login import current_user
from werkzeug.wrappers import Response

from volunteer_app.common.time import berlin_to_utc, to_berlin
from volunteer_app.db import utcnow
from volunteer_app.revisions import queries

MAX_AGE = 60  # seconds: a change is on every copy within a minute
VARY = ("Accept-Language", "Cookie")


@functools.lru_cache(maxsize=4)
def release(*roots: str) -> str:
    """A fingerprint of the files that shape a page besides the data (templates, message
    catalogues, styles): a deployment changes it, so no copy outlives the code it came from."""
    digest = hashlib.sha256()
    for root in roots:
        for path in sorted(Path(root).rglob("*")):
            if path.suffix in (".html", ".mo", ".css", ".js", ".svg") and path.is_file():
                stat = path.stat()
                digest.update(f"{path}|{stat.st_mtime_ns}|{stat.st_size}\n".encode())
    return digest.hexdigest()[:16]


def _release() -> str:
    app = current_app
    roots = [app.root_path, os.path.join(app.root_path, os.pardir, "templates")]
    return release(*(os.path.abspath(r) for r in roots))


def shareable() -> bool:
    """The answer is the same for everyone asking for this address in this language."""
    if request.method not in ("GET", "HEAD") or current_user.is_authenticated:
        return False
    return not session.get("_flashes")


def _midnight(now: dt.datetime) -> dt.datetime:
    return berlin_to_utc(dt.datetime.combine(to_berlin(now).date(), dt.time(0, 0)))


def validator(state: queries.CentreState, now: dt.datetime) -> tuple[str, dt.datetime]:
    """The ETag and Last-Modified of this page as it would be rendered now."""
    since = _midnight(now)
    moments = queries.page_moments(state, now, since)
    language = str(get_locale())
    parts = (
        request.url,
        language,
        state.centre_id,
        state.revision.token,
        since.isoformat(),
        moments.last.isoformat() if moments.last else "",
        moments.next.isoformat() if moments.next else "",
        _release(),
    )
    etag = hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:32]
    changed = [t for t in (state.revision.changed_at, since, moments.last) if t is not None]
    return etag, max(changed).replace(microsecond=0)


def _matches(etag: str, last_modified: dt.datetime) -> bool:
    if request.if_none_match:
        return request.if_none_match.contains_weak(etag)
    since = request.if_modified_since
    return since is not None and last_modified.replace(tzinfo=dt.UTC) <= since


def _stamp(response: Response, etag: str, last_modified: dt.datetime) -> Response:
    response.set_etag(etag)
    response.last_modified = last_modified.replace(tzinfo=dt.UTC)
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    return response


def public_page(view):
    """For a view of one centre's public page (``slug`` in its URL): 304 when the asker's
    copy is still good, else the page with its validators. Whoever may not share the answer
    (logged in, a message waiting) gets the page as before, uncached by others."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        state = queries.public_state(kwargs["slug"]) if shareable() else None
        if state is None:  # not shareable, or no such centre (the view answers 404)
            response = make_response(view(*args, **kwargs))
            response.vary.update(VARY)
            if not current_user.is_authenticated:
                response.headers.setdefault("Cache-Control", "private, no-cache")
            return response
        etag, last_modified = validator(state, utcnow())
        if _matches(etag, last_modified):
            response = _stamp(Response(status=304), etag, last_modified)
        else:
            response = make_response(view(*args, **kwargs))
            if response.status_code == 200:
                _stamp(response, etag, last_modified)
        response.vary.update(VARY)
        return response

    return wrapper
