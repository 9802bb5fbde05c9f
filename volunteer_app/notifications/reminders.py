"""Reminders before each slot, by the volunteer's preference (``flask jobs send-reminders``).

"N hours before" means N hours of elapsed time (computed in UTC), not the same wall-clock
time N hours earlier on the calendar. Across a daylight-saving change the two differ by an
hour only when the change falls between the reminder and the slot: a slot at 10:00 on
Sunday 25 October 2026 (the autumn change, 09:00 UTC) is reminded "24 h before" at
Saturday 09:00 UTC = 11:00 Berlin, not at 10:00 Berlin (which would be 25 real hours).
For a slot at 10:00 on the Monday after, both readings agree: Sunday 10:00 Berlin = 09:00
UTC. Elapsed time is what a person planning their day expects of "in 24 hours", and it
needs no time-zone arithmetic in SQL.

A sign-up is reminded once: ``Signup.reminded_at`` is claimed with a conditional UPDATE
(``… WHERE reminded_at IS NULL``) whose row count decides, in the same transaction as the
queued mail, so that a second run — also one running at the same time — sends nothing
new. When a slot moves, the activities feature sets ``reminded_at`` back to NULL, and the
new time is reminded. The claim also checks that the slot still starts when the mail says.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import peewee as pw
from peewee import JOIN

from volunteer_app.accounts.models import User
from volunteer_app.activities.models import Activity, Slot
from volunteer_app.centres.models import Centre
from volunteer_app.common.urls import base_url
from volunteer_app.db import is_sqlite, utcnow, write_transaction
from volunteer_app.notifications.services import queue_mail
from volunteer_app.signups.models import Signup
from volunteer_app.volunteers.models import VolunteerProfile
from volunteer_app.volunteers.queries import DEFAULT_REMINDER_HOURS

log = logging.getLogger(__name__)

# The model's CHECK allows preferences up to a week: nothing further ahead is looked at.
MAX_REMINDER_HOURS = 168

Responsible = User.alias("responsible")


@dataclass(frozen=True)
class ReminderResult:
    sent: int = 0
    skipped: int = 0  # claimed by a parallel run, or the slot changed in between


def _hours():
    """The volunteer's preference in hours (default when no profile was saved)."""
    return pw.fn.COALESCE(VolunteerProfile.reminder_hours, DEFAULT_REMINDER_HOURS)


def _due_before(hours, now: dt.datetime):
    """SQL: the slot starts no later than ``now + hours`` (per row; both backends)."""
    if is_sqlite():
        # Stored as 'YYYY-MM-DD HH:MM:SS[.ffffff]'; strftime keeps milliseconds, so that the
        # text comparison is exact to the second.
        limit = pw.fn.strftime(
            "%Y-%m-%d %H:%M:%f",
            now.strftime("%Y-%m-%d %H:%M:%S.%f"),
            pw.fn.printf("+%d hours", hours),
        )
        return Slot.starts_at <= limit
    return Slot.starts_at <= pw.Value(now) + hours * pw.SQL("INTERVAL '1 hour'")


def due_reminders(now: dt.datetime, limit: int | None = None) -> list[Signup]:
    """Confirmed, not yet reminded sign-ups of scheduled slots whose reminder is due.

    One joined query; each sign-up carries ``slot.activity.centre``, ``volunteer`` and
    ``slot.activity.responsible`` (a User alias, None if nobody is named).
    """
    hours = _hours()
    query = (
        Signup.select(Signup, User, Slot, Activity, Centre, Responsible)
        .join(User, on=(Signup.volunteer == User.id))
        .switch(Signup)
        .join(Slot, on=(Signup.slot == Slot.id))
        .join(Activity, on=(Slot.activity == Activity.id))
        .join(Centre, on=(Activity.centre == Centre.id))
        .switch(Activity)
        .join(
            Responsible,
            JOIN.LEFT_OUTER,
            on=(Activity.responsible == Responsible.id),
            attr="responsible",
        )
        .join(
            VolunteerProfile,
            JOIN.LEFT_OUTER,
            on=(VolunteerProfile.user == Signup.volunteer),
        )
        .where(
            (Signup.status == "confirmed")
            & Signup.reminded_at.is_null()
            & (Slot.status == "scheduled")
            & (Slot.starts_at > now)
            & (Slot.starts_at <= now + dt.timedelta(hours=MAX_REMINDER_HOURS))
            & (hours > 0)
            & _due_before(hours, now)
            & (User.is_active == True)  # noqa: E712 - SQL comparison
        )
        .order_by(Slot.starts_at, Signup.id)
    )
    if limit:
        query = query.limit(limit)
    return list(query)


def _claim(signup: Signup, now: dt.datetime) -> bool:
    """Mark the sign-up reminded if nobody did, and if the slot is still as read."""
    unchanged = Slot.select(Slot.id).where(
        (Slot.id == signup.slot_id)
        & (Slot.starts_at == signup.slot.starts_at)
        & (Slot.status == "scheduled")
    )
    claimed = (
        Signup.update(reminded_at=now)
        .where(
            (Signup.id == signup.id)
            & Signup.reminded_at.is_null()
            & (Signup.status == "confirmed")
            & Signup.slot.in_(unchanged)
        )
        .execute()
    )
    return claimed == 1


def _mail_context(signup: Signup) -> dict:
    slot = signup.slot
    activity = slot.activity
    base = base_url()
    return {
        "volunteer": signup.volunteer,
        "slot": slot,
        "activity": activity,
        "centre": activity.centre,
        "responsible": activity.responsible if activity.responsible_id else None,
        "slot_link": f"{base}/termine/{slot.id}",
        "my_slots_link": f"{base}/meine-termine",
    }


def send_reminders(now: dt.datetime | None = None, batch_size: int = 200) -> ReminderResult:
    """Queue every due reminder; each batch is one transaction (claims + mails together)."""
    now = now or utcnow()
    sent = skipped = 0
    while True:
        batch = due_reminders(now, limit=batch_size)
        sent_before = sent
        with write_transaction():
            for signup in batch:
                if not _claim(signup, now):
                    skipped += 1
                    continue
                queue_mail(
                    signup.volunteer.email,
                    "reminder",
                    locale=signup.volunteer.locale,
                    **_mail_context(signup),
                )
                sent += 1
        # A short batch was the last; a batch without a single claim would come back as is.
        if len(batch) < batch_size or sent == sent_before:
            break
    if sent or skipped:
        log.info("Reminders: queued %d, skipped %d.", sent, skipped)
    return ReminderResult(sent=sent, skipped=skipped)
