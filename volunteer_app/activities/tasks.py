"""The schedules' nightly job: keep the rolling horizon of slots filled.

Also a command: ``flask jobs extend-slots``.
"""

from __future__ import annotations

import logging

from huey import crontab

from volunteer_app.activities import schedules
from volunteer_app.taskqueue import huey, job_context

log = logging.getLogger(__name__)


def run_extend_slots():
    """Create the slots of running schedules up to the horizon (body of the periodic task)."""
    with job_context():
        result = schedules.extend_slots()
    if result.slots:
        log.info("Slots: created %d in %d schedule(s).", result.slots, result.series)
    return result


@huey.periodic_task(crontab(hour="2", minute="30"), name="extend_slots_daily")
def extend_slots_daily():
    """Every night: keep the rolling horizon of slots filled (running twice adds nothing)."""
    run_extend_slots()
