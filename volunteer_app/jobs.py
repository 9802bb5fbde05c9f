"""The job consumer's entry point: ``huey_consumer volunteer_app.jobs.huey``.

The huey instance, the job context and the schedule helpers (``at_berlin_time``, …) are in
``taskqueue.py``; each feature defines its queued and periodic tasks in its own ``tasks.py``.
This module imports every one of those so that the consumer knows every task. Nothing in
the app imports it: a service queues a task through its own feature's ``tasks.py``.

| Task | When | Defined in |
|---|---|---|
| ``send_mail_periodically`` / ``send_mail`` | every minute / on demand | notifications |
| ``send_reminders_periodically`` | every 10 minutes | notifications |
| ``send_digest_daily`` | 07:00 Berlin | notifications |
| ``extend_slots_daily`` | 02:30 UTC | activities |
| ``match_run`` | queued by "Vorschläge erzeugen" | proposals |
| ``send_suggestions_weekly`` | Mondays 08:00 Berlin | proposals |
| ``retention_daily`` | 03:15 Berlin | retention |
"""

from __future__ import annotations

from volunteer_app.activities import tasks as activities_tasks
from volunteer_app.notifications import tasks as notifications_tasks
from volunteer_app.proposals import tasks as proposals_tasks
from volunteer_app.retention import tasks as retention_tasks
from volunteer_app.taskqueue import huey

# Every feature's tasks module: a feature that adds a ``tasks.py`` adds it here
# (tests/test_no_cycles.py fails on one that is missing).
TASK_MODULES = (activities_tasks, notifications_tasks, proposals_tasks, retention_tasks)

__all__ = ["TASK_MODULES", "huey"]
