"""The weekly "Passt zu dir" mail (``flask jobs send-suggestions``, Mondays 08:00 Berlin).

Everyone who opted in (``services.set_weekly_suggestions``) gets at most one mail per ISO
week with the open slots that suit them best; nobody gets a mail about nothing.
"""

from __future__ import annotations

import dataclasses

from volunteer_app.common.time import to_berlin
from volunteer_app.common.urls import external_url
from volunteer_app.db import utcnow, write_transaction
from volunteer_app.notifications.services import queue_mail
from volunteer_app.proposals import queries
from volunteer_app.proposals.models import WeeklySuggestions


@dataclasses.dataclass(frozen=True)
class WeeklyResult:
    sent: int
    nothing_to_suggest: int
    already_sent: int


def send_weekly_suggestions(limit: int = 5) -> WeeklyResult:
    """Queue this ISO week's suggestions mail for everyone who opted in, once per week.

    Each person's week is claimed with one conditional update in the transaction that
    queues the mail, so parallel or repeated runs never send a week twice."""
    today = to_berlin(utcnow()).date()
    week = queries.iso_week(today)
    sent = empty = already = 0
    for user in queries.weekly_subscribers(week):
        suggestions = queries.suggestions_for(user, limit=limit)
        with write_transaction():
            claimed = (
                WeeklySuggestions.update(last_week=week)
                .where(
                    (WeeklySuggestions.user == user.id)
                    & (WeeklySuggestions.last_week.is_null() | (WeeklySuggestions.last_week < week))
                )
                .execute()
            )
            if not claimed:
                already += 1
                continue
            if not suggestions:
                empty += 1
                continue
            queue_mail(
                user.email,
                "match_suggestions",
                locale=user.locale,
                user=user,
                suggestions=suggestions,
                link=external_url("proposals.suggestions"),
                slot_link=lambda slot_id: external_url("signups.show_slot", slot_id=slot_id),
            )
            sent += 1
    return WeeklyResult(sent, empty, already)
