"""Rendered feeds in the database, and the HTTP answer built from them.

Every app server (and worker) reads and writes the same ``FeedCache`` rows, so a revision is
rendered once for all of them. A conditional request whose ETag (or date) matches the cached
revision gets a 304 without rendering and without reading the body; for a family feed that is
one query (``queries.family_head``), for a private link two (the link with its revision, the
cache entry's head).

Concurrent first requests for a new revision render it once (``render_lock``): one worker
renders and stores, the others wait (polling the cache entry) and answer from it. The lock
spans every worker of every server: on PostgreSQL a session-level advisory lock
(``pg_try_advisory_lock``); on SQLite, which lives on one machine, a byte-range lock in a
file beside the database (``fcntl``) with a thread lock per process. A worker that waited
``RENDER_WAIT`` seconds renders itself rather than keep a calendar client waiting.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import threading
import time
from dataclasses import dataclass

import peewee as pw
from flask import Response, current_app, request

from volunteer_app.common.urls import base_url
from volunteer_app.db import db, is_sqlite, utcnow
from volunteer_app.feeds import queries
from volunteer_app.feeds.content import Feed
from volunteer_app.feeds.models import FeedCache

MIMETYPE = "text/calendar"
RENDER_WAIT = 10.0  # seconds a worker waits for another one's rendering of the same feed
POLL = 0.05
_UNREAD = object()


@dataclass
class Rendered:
    etag: str
    last_modified: dt.datetime
    body: bytes | None  # None until needed (a 304 needs none)
    key: str | None = None

    def load_body(self) -> bytes:
        if self.body is None:
            self.body = queries.cache_body(self.key) or b""
        return self.body


def etag_of(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:32]


def _max_age() -> dt.timedelta:
    return current_app.config["FEED_CACHE_MAX_AGE"]


def _store(
    feed: Feed, revision: str, body: bytes, previous: FeedCache | None, now: dt.datetime
) -> Rendered:
    etag = etag_of(body)
    # Same bytes as before (a re-render after the maximum age): the date stays.
    same = previous is not None and previous.etag == etag
    last_modified = previous.last_modified if same else now.replace(microsecond=0)
    fields = {
        FeedCache.revision: revision,
        FeedCache.etag: etag,
        FeedCache.body: body,
        FeedCache.last_modified: last_modified,
        FeedCache.rendered_at: now,
    }
    (
        FeedCache.insert({FeedCache.key: feed.key, **fields})
        .on_conflict(conflict_target=[FeedCache.key], update=fields)
        .execute()
    )
    return Rendered(etag, last_modified, body, feed.key)


def revision_key(revision: str) -> str:
    """The revision the cache keeps: the bytes hold absolute links, so a feed rendered for
    another base address (another port in development, a new BASE_URL) is stale."""
    return hashlib.sha256(f"{revision}|{base_url()}".encode()).hexdigest()[:40]


def _revision(feed: Feed) -> str:
    return revision_key(feed.revision)


def _fresh(head: FeedCache | None, revision: str, now: dt.datetime) -> bool:
    return head is not None and head.revision == revision and now - head.rendered_at < _max_age()


def _from_cache(head: FeedCache) -> Rendered:
    return Rendered(head.etag, head.last_modified, None, head.key)


def rendered(feed: Feed, now: dt.datetime | None = None, head=_UNREAD) -> Rendered:
    """The feed's current bytes' ETag and date: from the cache when it holds this revision,
    else rendered now (once across workers) and stored for every server. ``head``: the cache
    entry's head if already read (None: there is none)."""
    now = now or utcnow()
    if feed.key is None:
        body = feed.render()
        return Rendered(etag_of(body), feed.last_modified or now.replace(microsecond=0), body)
    if head is _UNREAD:
        head = queries.cache_head(feed.key)
    revision = _revision(feed)
    if _fresh(head, revision, now):
        return _from_cache(head)
    with render_lock(feed.key) as try_lock:
        deadline = time.monotonic() + RENDER_WAIT
        while not try_lock():
            if time.monotonic() >= deadline:
                break  # the other worker is slow: render here as well
            time.sleep(POLL)
            head = queries.cache_head(feed.key)
            if _fresh(head, revision, now):
                return _from_cache(head)
        else:  # the lock is ours; another worker may have stored it just before
            head = queries.cache_head(feed.key)
            if _fresh(head, revision, now):
                return _from_cache(head)
        return _store(feed, revision, feed.render(), head, now)


def response(feed: Feed, head=_UNREAD) -> Response:
    """200 with the calendar, or 304; HEAD answers the same headers without a body."""
    return _answer(rendered(feed, head=head), feed.private, feed.filename)


def head_of(feed: Feed) -> FeedCache | None:
    """The head of the feed's cache entry (one query; None without one or without a key)."""
    return queries.cache_head(feed.key) if feed.key is not None else None


def answer_if_cached(feed: Feed, head: FeedCache | None, *, body: bool = True) -> Response | None:
    """The answer from the cache entry's ``head`` when it holds the feed's revision and is
    fresh, without rendering; None when the feed must be rendered. ``body=False``: only a
    304 (None unless the request matches), so that no body is read."""
    if feed.key is None or not _fresh(head, _revision(feed), utcnow()):
        return None
    return _answer_or_none(_from_cache(head), feed.private, feed.filename, body)


def answer_from_head(
    head: FeedCache | None, revision: str, *, private: bool, filename: str, body: bool = True
) -> Response | None:
    """The answer straight from the cache entry's head, when it holds ``revision`` (a feed's
    revision as ``queries`` tells it) and is fresh; None when the feed must be rendered.
    ``body=False``: only a 304 (None unless the request matches)."""
    if not _fresh(head, revision_key(revision), utcnow()):
        return None
    return _answer_or_none(_from_cache(head), private, filename, body)


def _answer_or_none(result: Rendered, private: bool, filename: str, body: bool):
    if not body and not _not_modified(result):
        return None
    return _answer(result, private, filename)


def _answer(result: Rendered, private: bool, filename: str) -> Response:
    resp = Response(mimetype=MIMETYPE)
    resp.charset = "utf-8"
    resp.set_etag(result.etag)
    resp.last_modified = result.last_modified.replace(tzinfo=dt.UTC)
    if private:
        resp.headers["Cache-Control"] = "private, no-cache"
    else:
        resp.headers["Cache-Control"] = "public, max-age=300"
    resp.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    if _not_modified(result):
        resp.status_code = 304
        return resp
    resp.set_data(result.load_body())
    return resp


def _not_modified(result: Rendered) -> bool:
    if request.if_none_match:
        # Weak comparison: a proxy that compressed the feed hands out W/"…" (RFC 9110 13.1.2).
        return request.if_none_match.contains_weak(result.etag)
    since = request.if_modified_since
    return since is not None and result.last_modified.replace(tzinfo=dt.UTC) <= since


# --- one rendering per revision across workers ----------------------------------------------

_STRIPES = 64
_thread_locks = [threading.Lock() for _ in range(_STRIPES)]
_lock_files: dict[str, int] = {}
_lock_files_guard = threading.Lock()


def _number(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)


@contextlib.contextmanager
def render_lock(key: str):
    """A lock per feed key across every worker: yields ``try_lock()``, which takes it without
    waiting and says whether it did; the lock is given back at the end of the block."""
    if is_sqlite():
        with _sqlite_lock(key) as try_lock:
            yield try_lock
    else:
        with _postgres_lock(key) as try_lock:
            yield try_lock


@contextlib.contextmanager
def _postgres_lock(key: str):
    number = _number(key)
    held = []

    def try_lock() -> bool:
        if not held:
            cursor = db.execute_sql("SELECT pg_try_advisory_lock(%s)", (number,))
            if cursor.fetchone()[0]:
                held.append(number)
        return bool(held)

    try:
        yield try_lock
    finally:
        if held:
            with contextlib.suppress(pw.DatabaseError, pw.InterfaceError):
                db.execute_sql("SELECT pg_advisory_unlock(%s)", (number,))


def _lock_file() -> int | None:
    """This process's descriptor of the lock file beside the SQLite database (opened once and
    never closed: closing any descriptor of a file ends the process's locks on it)."""
    path = getattr(db.obj, "database", "") or ""
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    with _lock_files_guard:
        if path not in _lock_files:
            _lock_files[path] = os.open(f"{path}-feedlock", os.O_RDWR | os.O_CREAT, 0o600)
        return _lock_files[path]


@contextlib.contextmanager
def _sqlite_lock(key: str):
    import fcntl

    number = _number(key)
    stripe = _thread_locks[number % _STRIPES]  # record locks are per process, not per thread
    offset = number % (1 << 20)
    fd = _lock_file()
    held = {"thread": False, "file": False}

    def try_lock() -> bool:
        if not held["thread"]:
            held["thread"] = stripe.acquire(blocking=False)
            if not held["thread"]:
                return False
        if fd is not None and not held["file"]:
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, offset)
            except OSError:
                return False
            held["file"] = True
        return True

    try:
        yield try_lock
    finally:
        if held["file"]:
            fcntl.lockf(fd, fcntl.LOCK_UN, 1, offset)
        if held["thread"]:
            stripe.release()
