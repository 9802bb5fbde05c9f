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

A request without a validator (a first visit, a shared link) for a page whose ETag this
process has answered before gets the bytes it rendered then (``PageStore``: kept per ETag,
bounded by ``PUBLIC_PAGE_CACHE_BYTES``): the ETag names everything the bytes depend on, so a
write, a new day or a date starting or ending names another ETag and the page is rendered
anew. Concurrent first requests for one ETag render it once per process. Only shareable
answers (nobody logged in, no message waiting, 200, no cookie set) are ever kept.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, make_response, request, session
from flask_babel import get_locale
from flask_login import current_user
from werkzeug.wrappers import Response

from volunteer_app.common.time import berlin_to_utc, to_berlin
from volunteer_app.db import utcnow
from volunteer_app.revisions import queries

MAX_AGE = 60  # seconds: a change is on every copy within a minute
RENDER_WAIT = 10.0  # seconds a request waits for another one rendering the same page
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


# --- the rendered pages kept in this process ------------------------------------------------


@dataclass(frozen=True)
class Kept:
    """A shareable answer's bytes and the headers the view gave it (its type)."""

    body: bytes
    headers: tuple[tuple[str, str], ...]

    def response(self) -> Response:
        return current_app.response_class(self.body, status=200, headers=list(self.headers))


class PageStore:
    """Rendered answers by ETag, in this process, the least recently used dropped first once
    they hold more than ``limit`` bytes; ``rendering(key)`` lets one request at a time render
    a key, so concurrent first requests for a page render it once."""

    def __init__(self) -> None:
        self.items: OrderedDict[str, Kept] = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()
        self._rendering: dict[str, list] = {}  # key -> [its lock, requests using it]

    def get(self, key: str) -> Kept | None:
        with self.lock:
            kept = self.items.get(key)
            if kept is not None:
                self.items.move_to_end(key)
            return kept

    def put(self, key: str, kept: Kept, limit: int) -> None:
        with self.lock:
            old = self.items.pop(key, None)
            if old is not None:
                self.size -= len(old.body)
            if len(kept.body) > limit:
                return
            self.items[key] = kept
            self.size += len(kept.body)
            while self.size > limit:
                _, dropped = self.items.popitem(last=False)
                self.size -= len(dropped.body)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()
            self.size = 0

    @contextlib.contextmanager
    def rendering(self, key: str):
        """Held by one request per key at a time; one that waited ``RENDER_WAIT`` seconds
        goes on without it (renders itself rather than keep a family waiting)."""
        with self.lock:
            entry = self._rendering.setdefault(key, [threading.Lock(), 0])
            entry[1] += 1
        held = entry[0].acquire(timeout=RENDER_WAIT)
        try:
            yield
        finally:
            if held:
                entry[0].release()
            with self.lock:
                entry[1] -= 1
                if entry[1] == 0:
                    del self._rendering[key]


def page_store(app=None) -> PageStore:
    """The ``PageStore`` of this app (the current one by default) in this process."""
    extensions = (app or current_app).extensions
    store = extensions.get("public_pages")
    if store is None:
        store = extensions.setdefault("public_pages", PageStore())
    return store


def _keepable(response: Response, session_before: dict) -> Kept | None:
    """The answer as it may be kept for everyone, or None: only a plain 200 that set no
    cookie and left the session as it was."""
    if (
        response.status_code != 200
        or response.is_streamed
        or response.direct_passthrough
        or "Set-Cookie" in response.headers
        or dict(session) != session_before
    ):
        return None
    headers = tuple((k, v) for k, v in response.headers.items() if k.lower() != "content-length")
    return Kept(response.get_data(), headers)


def _rendered(key: str, render) -> Response:
    """The answer ``render()`` gives, from ``PageStore`` when this process kept it for ``key``
    (the ETag), else rendered (once per process however many ask at the same time) and kept
    when it may be."""
    limit = current_app.config["PUBLIC_PAGE_CACHE_BYTES"]
    if limit <= 0:
        return make_response(render())
    store = page_store()
    kept = store.get(key)
    if kept is None:
        with store.rendering(key):
            kept = store.get(key)  # rendered by another request while this one waited
            if kept is None:
                before = dict(session)
                response = make_response(render())
                kept = _keepable(response, before)
                if kept is not None:
                    store.put(key, kept, limit)
                return response
    return kept.response()


def public_page(view):
    """For a view of one centre's public page (``slug`` in its URL): 304 when the asker's
    copy is still good, else the page with its validators (from ``PageStore`` when this
    process has rendered it already). Whoever may not share the answer (logged in, a message
    waiting) gets the page as before, neither kept here nor by others."""

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
            response = _rendered(etag, functools.partial(view, *args, **kwargs))
            if response.status_code == 200:
                _stamp(response, etag, last_modified)
        response.vary.update(VARY)
        return response

    return wrapper
