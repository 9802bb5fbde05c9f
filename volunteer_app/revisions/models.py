"""Models of revisions: one counter per (scope, owner) that triggers move (``triggers.py``)."""

from __future__ import annotations

import peewee as pw

from volunteer_app.db import BaseModel, utcnow

#: ``public``: what families see of a centre (its pages, its family feed), owner = centre id;
#: ``staff``: all of that plus sign-ups and the names on them (the staff feed), owner = centre
#: id; ``person``: a volunteer's own sign-ups (their feed), owner = user id.
SCOPES = ("public", "staff", "person")


class ContentRevision(BaseModel):
    """How often, and when last, the content of one scope changed.

    Written only by the database triggers of ``triggers.py`` (never by the app, so no stale
    model instance can write an old value back): each insert, update or delete of a row the
    scope shows adds one to ``value`` and moves ``changed_at`` (it never goes back). A missing
    row means "unchanged since the triggers were installed". ``owner_id`` is no foreign key:
    the row of a deleted centre or person stays behind, harmless and tiny.
    """

    scope = pw.CharField(max_length=10)
    owner_id = pw.IntegerField()
    value = pw.BigIntegerField(default=0)
    changed_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("scope", "owner_id"), True),)
        constraints = [pw.SQL("CHECK (scope IN ('public', 'staff', 'person'))")]


MODELS: list = [ContentRevision]
