"""The API's twin of tests/test_concurrency_gunicorn.py: 500 programs sign their people up at
once for the last places of one date, through ``POST /api/v1/slots/<id>/signups``.

``gunicorn -w 4 wsgi:app`` on 127.0.0.1 serves a private, migrated PostgreSQL database (the
session's, shared with the form's race: ``tests/gunicorn_server.py``);
500 volunteers, each with a personal token of their own (``signups:write``: one rate-limit
count per token, so the limit is not what stops anyone), post at once. Exactly the free
places are confirmed, ``taken`` equals the confirmed sign-ups and never passes the capacity,
everyone else is on the waiting list in one unbroken order, every answer is a 201 with the
outcome the database holds (or a 409 problem: a refusal the document lists), and no request
gets a 5xx.
"""

from __future__ import annotations

import http.client
import json
import threading

import pytest

from config import TestingConfig
from tests.conftest import _close_all
from tests.factories import make_user
from tests.factories_accounts import use_fast_hashing
from tests.factories_signups import assert_invariant, make_signup, make_slot, world
from volunteer_app import create_app
from volunteer_app.activities.models import Slot
from volunteer_app.common.security import hash_token
from volunteer_app.db import db, utcnow
from volunteer_app.signups.models import Signup
from volunteer_app.tokens.models import TOKEN_MARKER, ApiToken
from volunteer_app.tokens.services import new_raw_token

CLIENTS = 500
CAPACITY, ALREADY_TAKEN = 6, 3
PROBLEM = "application/problem+json"


@pytest.fixture
def server(gunicorn_server):
    """The session's gunicorn (tests/gunicorn_server.py): (port, log path)."""
    return gunicorn_server.port, gunicorn_server.log


@pytest.fixture
def private_pg(gunicorn_server):
    return gunicorn_server.database_url


def _tokens(volunteers) -> list[str]:
    """One personal token with ``signups:write`` per volunteer, written in one statement."""
    raws = [new_raw_token() for _ in volunteers]
    now = utcnow()
    ApiToken.insert_many(
        [
            {
                "kind": "personal",
                "name": "Race",
                "prefix": raw[len(TOKEN_MARKER) :][:8],
                "token_hash": hash_token(raw),
                "scopes": "signups:write",
                "owner": volunteer.id,
                "created_by": volunteer.id,
                "created_at": now,
            }
            for raw, volunteer in zip(raws, volunteers, strict=True)
        ]
    ).execute()
    return raws


@pytest.mark.slow
def test_five_hundred_simultaneous_api_sign_ups_through_gunicorn(
    private_pg,
    server,
    monkeypatch,
):
    port, log = server
    use_fast_hashing(monkeypatch)
    app = create_app(TestingConfig, DATABASE_URL=private_pg)
    with app.app_context(), db.connection_context():
        _centre, _coord, activity, _vol = world()
        slot = make_slot(activity, capacity=CAPACITY)
        for _ in range(ALREADY_TAKEN):
            make_signup(slot, make_user())
        volunteers = [make_user(locale="en") for _ in range(CLIENTS)]
        raws = _tokens(volunteers)
    _close_all()

    barrier = threading.Barrier(CLIENTS)
    answers: list = [None] * CLIENTS

    def client(i: int) -> None:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            conn.connect()
            barrier.wait(timeout=60)
            conn.request(
                "POST",
                f"/api/v1/slots/{slot.id}/signups?lang=en",
                headers={"Authorization": f"Bearer {raws[i]}", "Content-Length": "0"},
            )
            response = conn.getresponse()
            answers[i] = (response.status, response.getheader("Content-Type"), response.read())
            conn.close()
        except Exception as exc:  # reported below
            answers[i] = ("error", repr(exc), b"")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a client hung"

    server_log = log.read_text(errors="replace")
    statuses = [a[0] for a in answers]
    assert set(statuses) <= {201, 409}, (
        sorted({str(s) for s in statuses}),
        [a for a in answers if a[0] not in (201, 409)][:3],
        server_log[-3000:],
    )
    bodies = [json.loads(a[2]) for a in answers]
    for (status, content_type, _raw), body in zip(answers, bodies, strict=True):
        if status == 409:  # a documented refusal, as a problem
            assert content_type == PROBLEM and body["status"] == 409, body
    created = [body for status, body in zip(statuses, bodies, strict=True) if status == 201]
    free = CAPACITY - ALREADY_TAKEN
    outcomes = [body["outcome"] for body in created]
    assert outcomes.count("confirmed") == free, outcomes.count("confirmed")
    assert outcomes.count("waitlisted") == len(created) - free
    positions = sorted(b["waitlist_position"] for b in created if b["outcome"] == "waitlisted")
    # Each was told their place when they joined; together they are 1..n without a gap
    # (a place is only ever told once: nobody leaves the list during the race).
    assert positions == list(range(1, len(positions) + 1)), positions[:20]

    with app.app_context(), db.connection_context():
        stored = Slot.get_by_id(slot.id)
        confirmed = Signup.select().where((Signup.slot == slot.id) & (Signup.status == "confirmed"))
        waitlisted = Signup.select().where(
            (Signup.slot == slot.id) & (Signup.status == "waitlisted")
        )
        # Nobody overbooked: taken is the confirmed count, and that is the capacity.
        assert stored.taken == confirmed.count() == CAPACITY
        assert waitlisted.count() == len(created) - free
        # What each program was told is what the database holds.
        status_of = dict(
            Signup.select(Signup.id, Signup.status).where(Signup.slot == slot.id).tuples()
        )
        assert all(status_of[b["id"]] == b["outcome"] for b in created)
        assert_invariant()
    _close_all()
    assert "Traceback" not in server_log, server_log[-3000:]
