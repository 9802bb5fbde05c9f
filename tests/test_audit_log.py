"""The audit log page: the centre's entries, newest first, paginated, one query per page."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories_centres import count_queries, english
from tests.factories_coordination import World
from volunteer_app.accounts.models import User
from volunteer_app.audit.models import AuditEntry
from volunteer_app.audit.queries import centre_log
from volunteer_app.audit.services import record
from volunteer_app.db import utcnow


@pytest.fixture
def world(conn):
    return World()


def _entries(world, n: int, centre=None, action="signup.assigned"):
    base = utcnow() - dt.timedelta(days=1)
    AuditEntry.insert_many(
        [
            {
                "centre": (centre or world.a).id,
                "actor": world.coordinator_a.id,
                "action": action,
                "subject": world.volunteer.id,
                "slot_id": world.slot.id,
                "created_at": base + dt.timedelta(minutes=i),
            }
            for i in range(n)
        ]
    ).execute()


def test_log_shows_who_did_what_newest_first(client, login_as, world):
    record(world.a.id, world.coordinator_a, "signup.assigned", world.volunteer, world.slot.id)
    record(world.a.id, world.coordinator_a, "check.certificate", world.pending)
    record(world.a.id, None, "signup.promoted", world.waiting, world.slot.id)
    record(world.b.id, world.coordinator_b, "signup.declined", world.volunteer, world.slot_b.id)
    english(login_as(world.coordinator_a))
    response = client.get(f"/zentren/{world.a.slug}/protokoll")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    log = body[body.index('class="log"') :]
    positions = [
        log.index(text)
        for text in (
            "Moved up from the waiting list",
            "Certificate inspection recorded",
            "Assigned to a slot",
        )
    ]
    assert positions == sorted(positions)
    assert "By: Clara Auerbach" in log and "Person: Vera Vogel" in log
    assert "By: automatic or a deleted account" in log
    assert f'href="/termine/{world.slot.id}/besetzung"' in log and "Vorlesestunde" in log
    # Centre B's entries and people stay out.
    assert "Sign-up declined" not in log and "Bodo Birkner" not in log
    assert "Gartentag B" not in log


def test_deleted_people_do_not_break_the_log(client, login_as, world):
    record(world.a.id, world.coordinator_a, "check.measles", world.pending)
    AuditEntry.update(subject=None).execute()
    User.update(is_active=False).where(User.id == world.pending.id).execute()
    english(login_as(world.coordinator_a))
    body = client.get(f"/zentren/{world.a.slug}/protokoll").get_data(as_text=True)
    assert "Measles protection recorded" in body
    assert "Paul Pause" not in body


def test_log_is_paginated_with_one_query_per_page(client, login_as, world):
    _entries(world, 120)
    _entries(world, 30, centre=world.b)
    login_as(world.coordinator_a)
    counts = []
    for page in (1, 2, 3):
        with count_queries() as counter:
            response = client.get(f"/zentren/{world.a.slug}/protokoll?seite={page}")
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        audit_selects = [q for q in counter.queries if '"audit_entry"' in q]
        assert len(audit_selects) == 1
        counts.append((counter.count, body.count("<li>\n          <time")))
    assert [n for _c, n in counts] == [50, 50, 20]
    assert len({c for c, _n in counts}) == 1
    assert 'rel="next"' not in body and 'rel="prev"' in body
    with count_queries() as counter:
        page = centre_log(world.a.id, 1)
        [(e.actor.name, e.subject.name, e.slot.activity.title) for e in page.items]
    assert counter.count == 1
    assert page.has_next and not page.has_previous


@pytest.mark.parametrize("page", ["0", "-5", "abc", "99999999999", "4"])
def test_odd_page_numbers_do_not_fail(client, login_as, world, page):
    _entries(world, 3)
    login_as(world.coordinator_a)
    response = client.get(f"/zentren/{world.a.slug}/protokoll?seite={page}")
    assert response.status_code == 200


def test_entries_are_ordered_by_time_then_id(conn, world):
    now = utcnow()
    for action in ("signup.assigned", "signup.approved"):
        AuditEntry.create(centre=world.a, action=action, created_at=now)
    assert [e.action for e in centre_log(world.a.id).items] == [
        "signup.approved",
        "signup.assigned",
    ]
