"""Notification test helpers: test-only mail templates, queuing and outbox row helpers."""

from __future__ import annotations

import datetime as dt

import pytest
from jinja2 import ChoiceLoader, DictLoader

from tests.factories import reload  # noqa: F401 (re-exported)
from volunteer_app.db import utcnow
from volunteer_app.notifications.models import OutboxMessage
from volunteer_app.notifications.services import queue_mail

TEMPLATES = {
    "emails/test_notice.subject.txt": "{{ title }}",
    "emails/test_notice.txt": "Hallo {{ name }},\n\n{{ body }}\n\nLink: {{ link }}\n",
    "emails/test_notice.html": (
        '{% extends "emails/_layout.html" %}'
        '{% from "emails/_layout.html" import button, h1_style, p_style %}'
        "{% block title %}{{ title }}{% endblock %}"
        "{% block preheader %}{{ body }}{% endblock %}"
        "{% block content %}"
        '<h1 style="{{ h1_style }}">Hallo {{ name }},</h1>'
        '<p style="{{ p_style }}">{{ body }}</p>'
        '{{ button(link, "Termin ansehen") }}'
        "{% endblock %}"
    ),
}


@pytest.fixture
def mail_templates(app):
    """Make ``emails/test_notice`` available to ``queue_mail`` for this test's app."""
    app.jinja_env.loader = ChoiceLoader([DictLoader(TEMPLATES), app.jinja_env.loader])
    return app


def queue(recipient: str = "anna.muster@example.org", locale: str = "de", **context):
    """Queue one test notice through the real ``queue_mail``."""
    data = {
        "title": "Ihr Einsatz beim Gartentag – Größe der Gruppe: 12 Kinder",
        "name": "Anna",
        "body": "Schön, dass Sie dabei sind! Wir treffen uns um 10 Uhr am Gartentor.",
        "link": "http://localhost/termine/7",
    }
    data.update(context)
    return queue_mail(recipient, "test_notice", locale=locale, **data)


def make_due(*rows: OutboxMessage) -> None:
    """Pretend the back-off time has passed."""
    ids = [r.id for r in rows] or [r.id for r in OutboxMessage.select(OutboxMessage.id)]
    past = utcnow() - dt.timedelta(seconds=1)
    OutboxMessage.update(next_attempt_at=past).where(OutboxMessage.id.in_(ids)).execute()
