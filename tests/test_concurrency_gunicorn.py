"""50 simultaneous sign-ups for the last places through a real multi-worker server.

``gunicorn -w 4 wsgi:app`` on 127.0.0.1 serves a private, migrated PostgreSQL database (the
session's, shared with the API's race: ``tests/gunicorn_server.py``);
50 logged-in volunteers POST the sign-up form at once. Exactly the free places are taken,
everyone else is told they are on the waitlist, and no request gets a 5xx.
"""

from __future__ import annotations

import http.client
import re
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

from config import TestingConfig
from tests.conftest import _close_all
from tests.factories import make_user
from tests.factories_signups import assert_invariant, make_signup, make_slot, world
from volunteer_app import create_app
from volunteer_app.activities.models import Slot
from volunteer_app.db import db
from volunteer_app.signups.models import Signup

ROOT = Path(__file__).resolve().parent.parent
VOLUNTEERS = 50
CAPACITY, ALREADY_TAKEN = 6, 3


@pytest.fixture
def server(gunicorn_server):
    """The session's gunicorn (tests/gunicorn_server.py): (port, log path)."""
    return gunicorn_server.port, gunicorn_server.log


@pytest.fixture
def private_pg(gunicorn_server):
    return gunicorn_server.database_url


def _session_cookie(app, user) -> str:
    """A session cookie as a login leaves it (second factor done), signed like Flask does."""
    now = time.time()
    data = {
        "_user_id": user.get_id(),
        "_fresh": True,
        "login_at": now,
        "auth_at": now,
        "mfa_ok": True,
        "lang": "en",
        "_permanent": True,
    }
    value = app.session_interface.get_signing_serializer(app).dumps(data)
    return f"{app.config['SESSION_COOKIE_NAME']}={value}"


def _cookie_from(response, fallback: str) -> str:
    for header, value in response.getheaders():
        if header.lower() == "set-cookie" and value.startswith("session="):
            return value.split(";", 1)[0]
    return fallback


FLASH = re.compile(r'<p class="flash flash-(\w+)">([^<]*)</p>')


@pytest.mark.slow
def test_fifty_simultaneous_sign_ups_through_gunicorn(private_pg, server):
    port, log = server
    app = create_app(TestingConfig, DATABASE_URL=private_pg)
    with app.app_context(), db.connection_context():
        _centre, _coord, activity, _vol = world()
        slot = make_slot(activity, capacity=CAPACITY)
        for _ in range(ALREADY_TAKEN):
            make_signup(slot, make_user())
        volunteers = [make_user(locale="en") for _ in range(VOLUNTEERS)]
        cookies = [_session_cookie(app, v) for v in volunteers]
    _close_all()

    barrier = threading.Barrier(VOLUNTEERS)
    answers: list = [None] * VOLUNTEERS

    def volunteer(i: int) -> None:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.connect()
            barrier.wait(timeout=30)
            conn.request(
                "POST",
                f"/termine/{slot.id}/anmelden",
                body="",
                headers={
                    "Cookie": cookies[i],
                    "Content-Type": "application/x-www-form-urlencoded",
                },
            )
            response = conn.getresponse()
            response.read()
            status, location = response.status, response.getheader("Location")
            cookie = _cookie_from(response, cookies[i])
            conn.close()
            # The answer the person sees: the flash on the page the form leads to.
            page = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            page.request("GET", urlparse(location or "/").path, headers={"Cookie": cookie})
            body = page.getresponse().read().decode()
            answers[i] = (status, location, FLASH.findall(body))
        except Exception as exc:  # reported below
            answers[i] = ("error", repr(exc), [])

    threads = [threading.Thread(target=volunteer, args=(i,)) for i in range(VOLUNTEERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)

    statuses = [a[0] for a in answers]
    assert all(s == 302 for s in statuses), (statuses, log.read_text(errors="replace")[-3000:])
    assert all(a[1].endswith(f"/termine/{slot.id}") for a in answers)
    flashes = [a[2] for a in answers]
    assert all(len(f) == 1 for f in flashes), flashes
    kinds = [f[0][0] for f in flashes]
    free = CAPACITY - ALREADY_TAKEN
    assert kinds.count("success") == free, flashes
    assert kinds.count("warning") == VOLUNTEERS - free, flashes
    assert all(
        text.startswith("You are signed up")
        for kind, text in (f[0] for f in flashes)
        if kind == "success"
    )
    assert all(
        "on the waitlist" in text for kind, text in (f[0] for f in flashes) if kind == "warning"
    )

    with app.app_context(), db.connection_context():
        assert Slot.get_by_id(slot.id).taken == CAPACITY
        of_slot = Signup.select().where(Signup.slot == slot.id)
        assert of_slot.where(Signup.status == "confirmed").count() == CAPACITY
        assert of_slot.where(Signup.status == "waitlisted").count() == VOLUNTEERS - free
        assert_invariant()
    _close_all()
    assert "Traceback" not in log.read_text(errors="replace")
