"""Coordinators' daily digest of unfilled slots (``flask jobs send-digest``, 07:00 Berlin).

Each coordinator gets at most one mail per Berlin date, listing the scheduled slots of the
next seven days (from the run) in their centres that still need people. Nobody gets a mail
about nothing. ``DigestSent`` (unique per person and day) is inserted in the same
transaction as the queued mail, so that a second run that day — also one running at the
same time — sends nothing new.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass

from volunteer_app.accounts.models import STAFF_ROLES, User
from volunteer_app.activities.models import Slot
from volunteer_app.centres.models import CentreMembership
from volunteer_app.common.time import to_berlin
from volunteer_app.common.urls import base_url
from volunteer_app.coordination.queries import unfilled_slots_for
from volunteer_app.db import utcnow, write_transaction
from volunteer_app.notifications.models import DigestSent
from volunteer_app.notifications.services import queue_mail

log = logging.getLogger(__name__)

DAYS_AHEAD = 7


@dataclass(frozen=True)
class DigestResult:
    sent: int = 0
    already_sent: int = 0
    nothing_to_report: int = 0


def _coordinators() -> dict[User, set[int]]:
    """Active staff with centre memberships, and their centres (one query)."""
    result: dict[int, tuple[User, set[int]]] = {}
    query = (
        CentreMembership.select(CentreMembership.centre, User)
        .join(User, on=(CentreMembership.user == User.id))
        .where(User.role.in_(STAFF_ROLES) & (User.is_active == True))  # noqa: E712
        .order_by(User.id)
    )
    for m in query:
        user = m.user
        result.setdefault(user.id, (user, set()))[1].add(m.centre_id)
    return dict(result.values())


def _claim(user: User, day: dt.date) -> bool:
    """One digest per person and Berlin date: the unique index decides."""
    query = DigestSent.insert(user=user.id, day=day, created_at=utcnow()).on_conflict_ignore()
    # The row count, not the last id: SQLite keeps a stale last id when the insert is ignored.
    return query.as_rowcount().execute() == 1


def _by_day(slots: list[Slot]) -> list[tuple[dt.date, list[Slot]]]:
    """Slots grouped by their Berlin date, in order."""
    days: dict[dt.date, list[Slot]] = {}
    for slot in slots:
        days.setdefault(to_berlin(slot.starts_at).date(), []).append(slot)
    return list(days.items())


def send_digests(now: dt.datetime | None = None) -> DigestResult:
    """Queue today's digest for every coordinator with unfilled slots ahead."""
    now = now or utcnow()
    day = to_berlin(now).date()
    end = now + dt.timedelta(days=DAYS_AHEAD)
    coordinators = _coordinators()
    all_centres = set().union(*coordinators.values()) if coordinators else set()
    by_centre: dict[int, list[Slot]] = defaultdict(list)
    for slot in unfilled_slots_for(all_centres, now, end):
        by_centre[slot.activity.centre_id].append(slot)
    done = {
        d.user_id
        for d in DigestSent.select(DigestSent.user).where(
            DigestSent.day == day, DigestSent.user.in_([u.id for u in coordinators])
        )
    }

    sent = already = empty = 0
    base = base_url()
    for user, centre_ids in coordinators.items():
        slots = sorted(
            (s for c in centre_ids for s in by_centre[c]),
            key=lambda s: (s.starts_at, s.activity.centre.name, s.activity.title, s.id),
        )
        if not slots:
            empty += 1
            continue
        if user.id in done:
            already += 1
            continue
        with write_transaction():
            if not _claim(user, day):
                already += 1
                continue
            queue_mail(
                user.email,
                "digest",
                locale=user.locale,
                coordinator=user,
                count=len(slots),
                days=_by_day(slots),
                several_centres=len({s.activity.centre_id for s in slots}) > 1,
                roster_link=lambda slot: f"{base}/termine/{slot.id}/besetzung",
            )
        sent += 1
    if sent:
        log.info("Digest: queued %d, already sent %d.", sent, already)
    return DigestResult(sent=sent, already_sent=already, nothing_to_report=empty)
