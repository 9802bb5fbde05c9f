"""The mail jobs: delivering the outbox, reminders before slots, the coordinators' digest.

Each periodic job is idempotent and is also a ``flask jobs`` command (``send-mail``,
``send-reminders``, ``send-digest``) that calls the same function.
"""

from __future__ import annotations

import logging

from huey import crontab

from volunteer_app.notifications import delivery, digest, reminders
from volunteer_app.taskqueue import at_berlin_time, huey, job_context

log = logging.getLogger(__name__)


def run_send_mail(limit: int = 100):
    """Deliver due outbox mail (the body of the periodic task and of ``send_mail``)."""
    with job_context():
        result = delivery.send_pending(limit=limit)
    if result.sent or result.failed or result.retrying:
        log.info(
            "Mail: sent %d, failed %d, retrying later %d.",
            result.sent,
            result.failed,
            result.retrying,
        )
    return result


@huey.periodic_task(crontab(minute="*"), name="send_mail_periodically")
def send_mail_periodically():
    """Every minute: deliver due outbox mail."""
    run_send_mail()


@huey.task(name="send_mail")
def send_mail(limit: int = 100):
    """On demand (e.g. right after a service queued an urgent mail)."""
    result = run_send_mail(limit=limit)
    return {"sent": result.sent, "failed": result.failed, "retrying": result.retrying}


def run_send_reminders():
    """Queue due reminders (the body of the periodic task and of ``flask jobs send-reminders``)."""
    with job_context():
        return reminders.send_reminders()


@huey.periodic_task(crontab(minute="*/10"), name="send_reminders_periodically")
def send_reminders_periodically():
    """Every 10 minutes: reminders by each volunteer's preference."""
    run_send_reminders()


def run_send_digest():
    """Queue today's coordinator digests (once per coordinator and Berlin date)."""
    with job_context():
        return digest.send_digests()


@huey.periodic_task(at_berlin_time(7, 0), name="send_digest_daily")
def send_digest_daily():
    """Every day at 07:00 Berlin time: the coordinators' digest of unfilled slots."""
    run_send_digest()
