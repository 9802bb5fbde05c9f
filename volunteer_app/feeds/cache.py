"""Rendered feeds in the database, and the HTTP answer built from them.

Every app server (and worker) reads and writes the same ``FeedCache`` rows, so a revision is
rendered once for all of them. A conditional request whose ETag (or date) matches the cached
revision gets a 304 without rendering and without reading the body.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from flask import Response, current_app, request

from volunteer_app.common.urls import base_url
from volunteer_app.db import utcnow
from volunteer_app.feeds import queries
from volunteer_app.feeds.content import Feed
from volunteer_app.feeds.models import FeedCache

MIMETYPE = "text/calendar"


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


def _revision(feed: Feed) -> str:
    """The revision the cache keeps: the bytes hold absolute links, so a feed rendered for
    another base address (another port in development, a new BASE_URL) is stale."""
    return hashlib.sha256(f"{feed.revision}|{base_url()}".encode()).hexdigest()[:40]


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


def rendered(feed: Feed, now: dt.datetime | None = None) -> Rendered:
    """The feed's current bytes' ETag and date: from the cache when it holds this revision,
    else rendered now and stored for every server."""
    now = now or utcnow()
    if feed.key is None:
        body = feed.render()
        return Rendered(etag_of(body), feed.last_modified or now.replace(microsecond=0), body)
    head = queries.cache_head(feed.key)
    revision = _revision(feed)
    if head is not None and head.revision == revision and now - head.rendered_at < _max_age():
        return Rendered(head.etag, head.last_modified, None, feed.key)
    return _store(feed, revision, feed.render(), head, now)


def response(feed: Feed) -> Response:
    """200 with the calendar, or 304; HEAD answers the same headers without a body."""
    result = rendered(feed)
    resp = Response(mimetype=MIMETYPE)
    resp.charset = "utf-8"
    resp.set_etag(result.etag)
    resp.last_modified = result.last_modified.replace(tzinfo=dt.UTC)
    if feed.private:
        resp.headers["Cache-Control"] = "private, no-cache"
    else:
        resp.headers["Cache-Control"] = "public, max-age=300"
    resp.headers["Content-Disposition"] = f'inline; filename="{feed.filename}"'
    if _not_modified(result):
        resp.status_code = 304
        return resp
    resp.set_data(result.load_body())
    return resp


def _not_modified(result: Rendered) -> bool:
    if request.if_none_match:
        return request.if_none_match.contains(result.etag)
    since = request.if_modified_since
    return since is not None and result.last_modified.replace(tzinfo=dt.UTC) <= since
