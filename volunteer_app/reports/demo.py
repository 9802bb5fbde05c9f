"""Demo certificates of volunteering: one requested by the first demo volunteer with hours."""

from __future__ import annotations

import datetime as dt

from volunteer_app.reports import queries
from volunteer_app.reports.models import VolunteeringCertificate


def seed(network) -> int:
    """A pending certificate request for the first three demo volunteers with hours."""
    created = handled = 0
    today = dt.date.today()
    first = today - dt.timedelta(days=120)
    for volunteer in list(network.volunteers.values())[:10]:
        centres = queries.centres_with_hours(volunteer.id)
        if not centres or handled >= 3:
            continue
        _, was_created = VolunteeringCertificate.get_or_create(
            volunteer=volunteer.id, centre=centres[0].id, period_start=first, period_end=today
        )
        created += int(was_created)
        handled += 1
    return created
