"""Reads for importing and exporting: what the checks compare with, the open invitations,
the centre's activities and dates for the CSV."""

from __future__ import annotations

import datetime as dt

import peewee as pw
from flask_babel import force_locale

from volunteer_app.accounts.models import User
from volunteer_app.activities import queries as activity_queries
from volunteer_app.activities.models import Activity, Category, Slot
from volunteer_app.centres.models import Centre
from volunteer_app.centres.queries import today
from volunteer_app.common.security import hash_token
from volunteer_app.common.time import berlin_to_utc
from volunteer_app.db import utcnow
from volunteer_app.imports.checks import Known, fold
from volunteer_app.imports.models import ImportInvitation


def known(centre: Centre, kind: str) -> Known:
    """What the checks of ``kind`` compare with (a fixed number of queries)."""
    if kind == "volunteers":
        accounts = frozenset(e.lower() for (e,) in User.select(User.email).tuples())
        invited = {
            email.lower(): created.date()
            for email, created in ImportInvitation.select(
                ImportInvitation.email, ImportInvitation.created_at
            )
            .where(ImportInvitation.centre == centre.id)
            .tuples()
        }
        return Known(accounts=accounts, invited=invited)
    categories = {}
    for category in activity_queries.categories_for(centre.id):
        names = {category.name}
        for code in ("de", "en"):
            with force_locale(code):
                names.add(activity_queries.category_label(category))
        for name in names:
            categories.setdefault(fold(name), category.id)
    activities = {
        title.casefold(): (activity_id, title)
        for activity_id, title in Activity.select(Activity.id, Activity.title)
        .where(Activity.centre == centre.id)
        .order_by(Activity.id)
        .tuples()
    }
    return Known(
        categories=categories,
        activities=activities,
        closed=frozenset(activity_queries.closing_days_of(centre.id)),
        today=today(),
    )


def open_invitations(centre: Centre) -> list[ImportInvitation]:
    """The centre's invitations not yet accepted, newest first (one query); expired ones
    are gone with the daily retention job."""
    return list(
        ImportInvitation.select()
        .where(ImportInvitation.centre == centre.id)
        .order_by(ImportInvitation.created_at.desc(), ImportInvitation.id.desc())
    )


def invitation_by_token(token: str) -> ImportInvitation | None:
    """The invitation of a link, with its centre, if the link is still valid."""
    if not token or len(token) > 100:
        return None
    return (
        ImportInvitation.select(ImportInvitation, Centre)
        .join(Centre)
        .where(
            (ImportInvitation.token_hash == hash_token(token))
            & (ImportInvitation.expires_at > utcnow())
        )
        .first()
    )


def export_rows(centre: Centre) -> list[tuple[Activity, Slot | None]]:
    """Each activity of the centre with each of its dates from today on (not cancelled), or
    alone when it has none; by title, then date (two queries)."""
    activities = list(
        Activity.select(Activity, Category)
        .join(Category)
        .where(Activity.centre == centre.id)
        .order_by(pw.fn.LOWER(Activity.title), Activity.id)
    )
    since = berlin_to_utc(dt.datetime.combine(today(), dt.time(0)))
    slots: dict[int, list[Slot]] = {}
    for slot in (
        Slot.select()
        .join(Activity)
        .where(
            (Activity.centre == centre.id)
            & (Slot.starts_at >= since)
            & (Slot.status == "scheduled")
        )
        .order_by(Slot.starts_at, Slot.id)
    ):
        slots.setdefault(slot.activity_id, []).append(slot)
    rows: list[tuple[Activity, Slot | None]] = []
    for activity in activities:
        rows.extend((activity, slot) for slot in slots.get(activity.id, [None]))
    return rows
