"""The app under a real ``gunicorn`` for the tests that need separate worker processes.

``run_gunicorn(...)`` starts one; the fixture ``gunicorn_server`` (a plugin of
``tests/conftest.py``) is one ``gunicorn -w 4`` on a private, migrated PostgreSQL database,
shared by the races of ``test_concurrency_gunicorn.py`` and ``test_concurrency_api.py``
(starting four workers and migrating a database cost more than either race): each race makes
its own slot and people and counts only those.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest

from tests.mailserver import free_port

ROOT = Path(__file__).resolve().parent.parent


def _up(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        conn.request("GET", "/healthz")
        return conn.getresponse().status == 200
    except OSError:
        return False


@contextlib.contextmanager
def run_gunicorn(
    database_url: str, log: Path, *, workers: int, pool_size: int, start_timeout: float = 60
) -> Iterator[int]:
    """``gunicorn -w workers wsgi:app`` on a free loopback port with TestingConfig (its
    SECRET_KEY signs the tests' cookies, no CSRF) on ``database_url``; yields the port once
    ``/healthz`` answers, and stops the server at the end."""
    port = free_port()
    env = {
        **os.environ,
        "APP_ENV": "testing",
        "TEST_DATABASE_URL": database_url,
        "DATABASE_POOL_SIZE": str(pool_size),
    }
    bind = f"127.0.0.1:{port}"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-w",
                str(workers),
                "-b",
                bind,
                "--no-control-socket",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + start_timeout
        while not _up(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("gunicorn did not start:\n" + log.read_text(errors="replace")[-3000:])
            time.sleep(0.2)
        yield port
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _skip_or_fail(reason: str):
    if os.environ.get("REQUIRE_POSTGRES") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def gunicorn_database():
    """A private PostgreSQL database for the gunicorn races, migrated, dropped at the end."""
    from tests.conftest import PG_URL, _close_all, _migrate
    from volunteer_app.db import make_database

    if not PG_URL:
        _skip_or_fail("PostgreSQL not configured (set TEST_DATABASE_URL)")
    admin = make_database(PG_URL, pool_size=1)
    try:
        admin.connect()
    except Exception as exc:
        _skip_or_fail(f"PostgreSQL unreachable: {exc}")
    name = f"thekiz_gunicorn_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin.execute_sql(f'CREATE DATABASE "{name}"')
    url = urlunparse(urlparse(PG_URL)._replace(path="/" + name))
    try:
        _migrate(url)
        yield url
    finally:
        _close_all()
        admin.execute_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close_all()


@dataclass(frozen=True)
class Gunicorn:
    port: int
    log: Path
    database_url: str


@pytest.fixture(scope="session")
def gunicorn_server(gunicorn_database, tmp_path_factory) -> Iterator[Gunicorn]:
    """gunicorn with four workers (pool of five each) on ``gunicorn_database``, for the session."""
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    with run_gunicorn(gunicorn_database, log, workers=4, pool_size=5) as port:
        yield Gunicorn(port, log, gunicorn_database)
