"""The app under a real ``gunicorn`` for the tests that need separate worker processes."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

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
            [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", bind, "wsgi:app"],
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
