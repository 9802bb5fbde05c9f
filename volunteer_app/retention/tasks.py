"""The retention job: delete what may no longer be kept (docs/privacy.md).

Also a command: ``flask jobs retention``.
"""

from __future__ import annotations

from volunteer_app.retention import services
from volunteer_app.taskqueue import at_berlin_time, huey, job_context


def run_retention():
    """Apply the retention rules (the body of the daily task and of ``flask jobs retention``)."""
    with job_context():
        return services.run_retention()


@huey.periodic_task(at_berlin_time(3, 15), name="retention_daily")
def retention_daily():
    """Every night at 03:15 Berlin time (outside the DST hour): delete what may no longer be
    kept (idempotent: a second run deletes nothing more)."""
    run_retention()
