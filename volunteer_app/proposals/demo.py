"""Demo data of proposals: a solved run for the first centre, weekly suggestions opt-ins."""

from __future__ import annotations

import datetime as dt

from volunteer_app.centres.models import CentreMembership
from volunteer_app.centres.queries import today
from volunteer_app.proposals import tasks
from volunteer_app.proposals.models import MatchRun, WeeklySuggestions


def seed(network) -> int:
    """Create what is missing (idempotent); returns the number of rows created."""
    created = 0
    for n in sorted(network.volunteers)[:2]:
        user = network.volunteers[n]
        _, new = WeeklySuggestions.get_or_create(user=user.id)
        created += int(new)
    if not network.centres:
        return created
    centre = network.centres[sorted(network.centres)[0]]
    if not MatchRun.select().where(MatchRun.centre == centre.id).exists():
        membership = CentreMembership.get_or_none(CentreMembership.centre == centre.id)
        start = today() + dt.timedelta(days=1)
        run = MatchRun.create(
            centre=centre.id,
            period_from=start,
            period_to=start + dt.timedelta(days=27),
            created_by=membership.user_id if membership else None,
        )
        tasks.execute_run(run.id)
        created += 1
    return created
