"""Models of feeds: private feed links (tokens) and the cache of rendered feeds."""

from __future__ import annotations

import peewee as pw

from volunteer_app.accounts.models import User
from volunteer_app.centres.models import Centre
from volunteer_app.db import BaseModel, utcnow

KINDS = ("volunteer", "staff")
# Reminder choices of the volunteer feed (minutes before the start); None = no alarm.
ALARM_CHOICES = (30, 60, 120, 180, 1440, 2880)


class FeedToken(BaseModel):
    """A private feed link of one person: their volunteer feed, or a centre's staff feed.

    The secret in the URL is never stored. A row keeps a random ``seed`` (256 bits) and the
    SHA-256 ``token_hash`` of the token; the token itself is HMAC-SHA256(SECRET_KEY, seed), so
    the "my calendars" page can show the same link again, while a database dump alone reveals
    no working link. Revoked rows are kept so that the old URL answers with a small calendar
    saying that the link was replaced; at most one active link per (user, kind, centre).
    """

    user = pw.ForeignKeyField(User, backref="feed_tokens", on_delete="CASCADE")
    kind = pw.CharField(max_length=10)
    centre = pw.ForeignKeyField(Centre, null=True, backref="feed_tokens", on_delete="CASCADE")
    seed = pw.CharField(max_length=64)
    token_hash = pw.CharField(max_length=64, unique=True)
    alarm_minutes = pw.IntegerField(null=True)
    created_at = pw.DateTimeField(default=utcnow)
    revoked_at = pw.DateTimeField(null=True)

    class Meta:
        constraints = [
            pw.SQL("CHECK (kind IN ('volunteer', 'staff'))"),
            pw.SQL("CHECK ((kind = 'staff') = (centre_id IS NOT NULL))"),
            pw.SQL(
                "CHECK (alarm_minutes IS NULL OR (alarm_minutes >= 0 AND alarm_minutes <= 10080))"
            ),
        ]

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


FeedToken.add_index(
    FeedToken.index(
        FeedToken.user,
        FeedToken.kind,
        unique=True,
        where=FeedToken.centre.is_null() & FeedToken.revoked_at.is_null(),
        name="feedtoken_active_personal",
    )
)
FeedToken.add_index(
    FeedToken.index(
        FeedToken.user,
        FeedToken.kind,
        FeedToken.centre,
        unique=True,
        where=FeedToken.centre.is_null(False) & FeedToken.revoked_at.is_null(),
        name="feedtoken_active_centre",
    )
)


class FeedCache(BaseModel):
    """One rendered feed revision, shared by every app server through the database.

    ``key`` names the feed and its variant (kind, centre or person, categories, language);
    ``revision`` is the fingerprint the bytes were rendered for (see ``queries``).
    """

    key = pw.CharField(max_length=200, unique=True)
    revision = pw.CharField(max_length=64)
    etag = pw.CharField(max_length=80)
    body = pw.BlobField()
    last_modified = pw.DateTimeField()
    rendered_at = pw.DateTimeField()


MODELS: list = [FeedToken, FeedCache]
