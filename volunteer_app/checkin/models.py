"""Models of the check-in: a centre's code seeds and the volunteers' check-ins."""

from __future__ import annotations

import peewee as pw

from volunteer_app.centres.models import Centre
from volunteer_app.db import BaseModel, utcnow
from volunteer_app.signups.models import Signup

METHODS = ("tablet", "poster")


class CheckinPoint(BaseModel):
    """A centre's check-in at the door, once a coordinator switched it on.

    Only random seeds are stored; the codes are HMAC-SHA256(SECRET_KEY, seed) (``codes.py``),
    so a database dump alone shows no working code, while the desk can show the same tablet
    link and print the same poster again. ``code_seed`` makes the tablet's minute codes,
    ``poster_seed`` the poster's fixed code, ``tablet_seed`` the tablet page's link (None:
    switched off). A new tablet link renews ``code_seed`` too.
    """

    centre = pw.ForeignKeyField(Centre, unique=True, backref="+", on_delete="CASCADE")
    code_seed = pw.CharField(max_length=64)
    poster_seed = pw.CharField(max_length=64)
    tablet_seed = pw.CharField(max_length=64, null=True)
    tablet_since = pw.DateTimeField(null=True)
    poster_since = pw.DateTimeField(default=utcnow)
    created_at = pw.DateTimeField(default=utcnow)

    @property
    def has_tablet(self) -> bool:
        return self.tablet_seed is not None


class Checkin(BaseModel):
    """A volunteer's arrival for one confirmed sign-up: when, and by which code.

    One row per sign-up. A row older than the sign-up's ``queued_at`` belongs to an earlier,
    cancelled life of the sign-up and no longer counts (``services.check_in`` replaces it).
    """

    signup = pw.ForeignKeyField(Signup, unique=True, backref="+", on_delete="CASCADE")
    checked_in_at = pw.DateTimeField(default=utcnow)
    method = pw.CharField(max_length=10)

    class Meta:
        constraints = [pw.SQL("CHECK (method IN ('tablet', 'poster'))")]


# Every model of this feature; volunteer_app/models.py collects them.
MODELS: list = [CheckinPoint, Checkin]
