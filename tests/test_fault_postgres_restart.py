"""A PostgreSQL restart under sign-up load: nothing lost, nothing doubled, nothing failed after.

The test runs a PostgreSQL server of its own: ``initdb`` into a temporary directory and
``pg_ctl start`` on a free port of 127.0.0.1 (as the ``postgres`` user when the test runs as
root, since PostgreSQL refuses to run as root). ``gunicorn -w 2 wsgi:app`` serves the app
against it, and logged-in volunteers sign up for and cancel a few small slots from threads,
each reading the answer the person would see (the flash on the page the form leads to).
Mid-load the server is stopped with a fast shutdown (every connection is cut, open
transactions are rolled back), stays down until the job consumer has found it down, and
starts again.

Each phase of the load (before the restarts, between them, after the second) lasts until
every volunteer has had ``ANSWERS_PER_PHASE`` answers to requests started in it (two sign-ups
or cancellations each, 40 answers in all), rather than for a fixed time: ten volunteers at
once keep both gunicorn workers busy, so each worker meets its dead pooled connection after a
restart, and sign-ups and cancellations are under way when the server goes away; on a busy
machine a phase waits for them instead of running with fewer.

What must hold:

- while it is down, pages answer 503 with ``Retry-After`` and the health check says that the
  database is down (500s are failures at any time);
- no request that starts after the server is back fails, and none fails with a 5xx other than
  503 or a broken connection at any time;
- nothing is lost: everyone the app told "you are signed up" is signed up, everyone told
  "cancelled" is cancelled; nothing is doubled: one row per person and slot, and on every
  slot ``taken`` = confirmed sign-ups <= capacity.

Locally the test skips when PostgreSQL's server binaries are missing; with
``REQUIRE_POSTGRES=1`` (CI) it fails instead.
"""

from __future__ import annotations

import contextlib
import dataclasses
import glob
import http.client
import os
import pwd
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg2
import pytest

from config import TestingConfig
from tests.conftest import _close_all, _migrate
from tests.factories import make_user
from tests.factories_signups import assert_invariant, make_slot, world
from tests.gunicorn_server import run_gunicorn
from tests.mailserver import free_port
from volunteer_app import create_app, taskqueue
from volunteer_app.activities.models import Slot
from volunteer_app.db import db
from volunteer_app.notifications import tasks as notification_tasks
from volunteer_app.notifications.models import OutboxMessage
from volunteer_app.signups.models import Signup

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
VOLUNTEERS, SLOTS, CAPACITY = 10, 4, 3
# Answers (not a 503 or a broken connection) each volunteer has in every phase of the load:
# a sign-up or cancellation is two (the form, then the page with its flash).
ANSWERS_PER_PHASE = 4
OK = (200, 302, 404)
FLASH = re.compile(r'<p class="flash flash-(\w+)">([^<]*)</p>')


def _skip_or_fail(reason: str):
    if os.environ.get("REQUIRE_POSTGRES") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


# --- A PostgreSQL server of the test's own -----------------------------------------------------


class PrivateServer:
    """initdb + pg_ctl in a temporary directory, on a free loopback port, trust auth."""

    def __init__(self, bindir: str, as_postgres: bool):
        self.bindir = bindir
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="thekiz-fault-pg-"))
        self.data = self.root / "data"
        self.prefix: list[str] = []
        if as_postgres:
            # PostgreSQL refuses to run as root: the directory belongs to ``postgres``.
            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)
            self.prefix = ["runuser", "-u", "postgres", "--"]
        os.chmod(self.root, 0o700)
        self.running = False

    def _run(self, *args: str) -> None:
        proc = subprocess.run(
            [*self.prefix, *args], capture_output=True, text=True, timeout=60, check=False
        )
        if proc.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{args[0]} failed: {proc.stdout}{proc.stderr}\n{tail}")

    def init(self) -> None:
        self._run(
            f"{self.bindir}/initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )

    def start(self) -> None:
        options = (
            f"-c listen_addresses={HOST} -c port={self.port} "
            f"-c unix_socket_directories='{self.root}' -c fsync=off -c max_connections=40"
        )
        self._run(
            f"{self.bindir}/pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.root / "server.log"),
            "-o",
            options,
            "-w",
            "start",
        )
        self.running = True

    def stop(self) -> None:
        """Fast shutdown: open transactions are rolled back, every connection is cut."""
        self._run(f"{self.bindir}/pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        self.running = False

    def url(self, database: str) -> str:
        return f"postgresql://postgres@{HOST}:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        conn = psycopg2.connect(host=HOST, port=self.port, user="postgres", dbname="postgres")
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        conn.close()
        return self.url(name)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            if self.running:
                self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def pg_server():
    bindirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    bindir = next((d for d in reversed(bindirs) if os.path.exists(f"{d}/initdb")), None)
    if bindir is None:
        _skip_or_fail("PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin/initdb)")
    as_postgres = os.geteuid() == 0
    if as_postgres:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            _skip_or_fail("running as root, but there is no postgres user to run the server")
        if shutil.which("runuser") is None:
            _skip_or_fail("running as root, but runuser is missing")
    server = PrivateServer(bindir, as_postgres)
    try:
        server.init()
        server.start()
        yield server
    finally:
        _close_all()
        server.close()


@pytest.fixture
def database(pg_server) -> str:
    url = pg_server.create_database("thekiz")
    _migrate(url)
    return url


@pytest.fixture
def consumer(database, tmp_path):
    """The job consumer (``make run``'s command line) on the same database, development
    settings (mail to its log), its queue in a SQLite file. Yields a producer's ``send_mail``
    task, the consumer's log and the process."""
    huey_url = f"sqlite:///{tmp_path / 'huey.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAIL_", "HUEY_"))}
    env.update(
        APP_ENV="development",
        DATABASE_URL=database,
        HUEY_URL=huey_url,
        MAIL_BACKEND="log",
        MAIL_RATE_PER_MINUTE="0",  # every mail of the run is delivered at the end
    )
    log = tmp_path / "jobs.log"
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("huey_consumer")),
            "volunteer_app.jobs.huey",
            "--workers=1",
            "--max-delay=0.5",  # look at the queue at least every half second
            f"--logfile={log}",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    producer = taskqueue.make_huey(huey_url)
    send_mail = producer.task(name="send_mail")(notification_tasks.send_mail.func)
    try:
        yield send_mail, log, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
def gunicorn(database, tmp_path):
    """The app on the private server under ``gunicorn -w 2``; yields (url, port, log path)."""
    log = tmp_path / "gunicorn.log"
    with run_gunicorn(database, log, workers=2, pool_size=4, start_timeout=30) as port:
        yield database, port, log


# --- Requests ------------------------------------------------------------------------------------


@dataclasses.dataclass
class Answer:
    started: float
    finished: float
    method: str
    path: str
    status: int | str  # HTTP status, or the exception's name
    headers: dict[str, str]
    body: str


def _request(port: int, method: str, path: str, cookie: str = "") -> Answer:
    started = time.monotonic()
    headers = {"Cookie": cookie} if cookie else {}
    if method == "POST":
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request(method, path, body="" if method == "POST" else None, headers=headers)
        response = conn.getresponse()
        body = response.read().decode(errors="replace")
        status, headers = response.status, dict(response.getheaders())
    except OSError as exc:
        status, headers, body = type(exc).__name__, {}, ""
    finally:
        conn.close()
    return Answer(started, time.monotonic(), method, path, status, headers, body)


def _get(port: int, path: str) -> tuple[int | str, str]:
    answer = _request(port, "GET", path)
    return answer.status, answer.body


def _session_cookie(app, user) -> str:
    """A session cookie as a login leaves it, signed like Flask does, in English."""
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


def _new_cookie(answer: Answer, cookie: str) -> str:
    value = answer.headers.get("Set-Cookie", "")
    return value.split(";", 1)[0] if value.startswith("session=") else cookie


class Volunteer:
    """One person in a thread: sign up where not signed up, else cancel; remembers what the
    app told them (None: no clear answer, e.g. a 503 to the form)."""

    def __init__(self, port: int, cookie: str, slot_ids: list[int], seed: int):
        self.port, self.cookie, self.slot_ids = port, cookie, slot_ids
        self.random = random.Random(seed)
        self.busy = threading.Lock()  # held while acting
        self.told: dict[int, str | None] = {}  # slot id -> "confirmed", "active", "cancelled"
        self.answers: list[Answer] = []

    def act(self) -> None:
        slot_id = self.random.choice(self.slot_ids)
        signed_up = self.told.get(slot_id) in ("confirmed", "active")
        path = f"/termine/{slot_id}/{'abmelden' if signed_up else 'anmelden'}"
        answer = self._send("POST", path)
        if answer.status == 404 and signed_up:
            self.told[slot_id] = "cancelled"  # no sign-up of theirs to cancel
            return
        if answer.status != 302:
            self.told[slot_id] = None  # the outcome is unknown to the person
            return
        # The flash travels in the session cookie: read it on the page the form leads to,
        # again if that page answered 503 (the flash waits in the cookie).
        for _ in range(40):
            page = self._send("GET", f"/termine/{slot_id}")
            if page.status == 200:
                self.told[slot_id] = _outcome(signed_up, FLASH.findall(page.body))
                return
            time.sleep(0.25)
        self.told[slot_id] = None

    def _send(self, method: str, path: str) -> Answer:
        answer = _request(self.port, method, path, self.cookie)
        self.cookie = _new_cookie(answer, self.cookie)
        self.answers.append(answer)
        return answer


def _answered(volunteer: Volunteer, since: float) -> int:
    return sum(a.started >= since and a.status in OK for a in list(volunteer.answers))


def _wait_for_load(volunteers: list[Volunteer], since: float) -> None:
    """Until every volunteer has ``ANSWERS_PER_PHASE`` answers to requests started since."""
    deadline = time.monotonic() + 120
    while (counts := [_answered(v, since) for v in volunteers]) and min(counts) < ANSWERS_PER_PHASE:
        if time.monotonic() > deadline:
            pytest.fail(f"the load stalled: answers per volunteer since the phase began {counts}")
        time.sleep(0.05)


def _wait_for_log(path: Path, text: str, seen_before: int) -> None:
    """Until ``text`` is in the log one more time than ``seen_before``."""
    deadline = time.monotonic() + 60
    while path.read_text(errors="replace").count(text) <= seen_before:
        if time.monotonic() > deadline:
            pytest.fail(f"{text!r} not logged:\n" + path.read_text(errors="replace")[-3000:])
        time.sleep(0.05)


def _outcome(was_signed_up: bool, flashes: list[tuple[str, str]]) -> str | None:
    text = " ".join(message for _kind, message in flashes)
    if was_signed_up:
        if "has been cancelled" in text or "not active any more" in text:
            return "cancelled"
    elif "You are signed up" in text:
        return "confirmed"
    elif "on the waitlist" in text or "already" in text:
        return "active"
    return None


# --- The test ------------------------------------------------------------------------------------


def test_postgres_restart_under_sign_up_load(pg_server, consumer, gunicorn):
    # (The consumer is started first: it builds its app while gunicorn starts.)
    url, port, log = gunicorn
    send_mail, jobs_log, consumer_proc = consumer
    # The consumer's first job builds its app: done before the fault, it is ready for it.
    assert send_mail().get(blocking=True, timeout=30) == {"sent": 0, "failed": 0, "retrying": 0}
    app = create_app(TestingConfig, DATABASE_URL=url)
    with app.app_context(), db.connection_context():
        _centre, _coord, activity, _vol = world()
        slots = [
            make_slot(activity, hours_ahead=72 + 24 * i, capacity=CAPACITY) for i in range(SLOTS)
        ]
        people = [make_user(locale="en") for _ in range(VOLUNTEERS)]
        volunteers = [
            Volunteer(port, _session_cookie(app, p), [s.id for s in slots], seed=i)
            for i, p in enumerate(people)
        ]
    _close_all()

    stop, go = threading.Event(), threading.Event()

    def run(volunteer: Volunteer) -> None:
        while not stop.is_set():
            go.wait()
            with volunteer.busy:
                volunteer.act()

    threads = [threading.Thread(target=run, args=(v,)) for v in volunteers]
    waits = "the job waits for it"
    go.set()
    started = time.monotonic()
    for t in threads:
        t.start()
    try:
        _wait_for_load(volunteers, started)
        # 1. A quick restart while nobody sends anything: each worker's pooled connection is
        # dead when the next request takes it, after the server is back.
        go.clear()
        for v in volunteers:
            v.busy.acquire()
        pg_server.stop()
        pg_server.start()
        restarted = time.monotonic()
        for v in volunteers:
            v.busy.release()
        go.set()
        _wait_for_load(volunteers, restarted)
        # 2. The server goes away under load, stays down until the job consumer has found it
        # down (a job queued meanwhile waits for it), and comes back.
        waited_before = jobs_log.read_text(errors="replace").count(waits)
        down_at = time.monotonic()
        pg_server.stop()
        page_down = _request(port, "GET", "/termine/", volunteers[0].cookie)
        health_down = _request(port, "GET", "/healthz")
        mail_queued_while_down = send_mail(1000)
        _wait_for_log(jobs_log, waits, waited_before)
        pg_server.start()
        back_at = time.monotonic()
        _wait_for_load(volunteers, back_at)
    finally:
        stop.set()
        go.set()
        for t in threads:
            t.join(timeout=60)
    health_after = _request(port, "GET", "/healthz")
    # The job queued while the database was down waited for it and then ran.
    assert mail_queued_while_down.get(blocking=True, timeout=60) is not None

    answers = [a for v in volunteers for a in v.answers]
    server_log = log.read_text(errors="replace")
    summary = _summary(answers, down_at, back_at)

    # While it was down: a 503 with Retry-After, in the person's language; the health check
    # names the database.
    assert page_down.status == 503, (page_down.status, page_down.body[:500])
    assert page_down.headers.get("Retry-After", "").isdigit()
    assert "temporarily unavailable" in page_down.body and "<html" in page_down.body
    assert health_down.status == 503, health_down.body
    assert '"database":"down"' in health_down.body.replace(" ", "")
    assert health_down.headers.get("Retry-After", "").isdigit()
    assert health_after.status == 200, health_after.body

    # No 500 and no broken connection at any time; a 503 only to a request that was under
    # way while the server was down (none after the quiet restart, none once it was back).
    failed = [a for a in answers if a.status not in (*OK, 503)]
    tracebacks = server_log[server_log.find("Traceback") :][:3000] if failed else ""
    if failed:
        print(tracebacks)  # shown in full under "Captured stdout call"
    assert not failed, (summary, [(a.method, a.path, a.status) for a in failed][:10], tracebacks)
    late = [
        a
        for a in answers
        if a.status == 503 and not (a.started < back_at and a.finished >= down_at)
    ]
    assert not late, (summary, [(a.method, a.path, a.started - back_at) for a in late][:10])
    # The load really ran through both restarts.
    assert summary["ok_before"] > 0 and summary["ok_after"] > 0, summary

    # Nothing lost, nothing doubled.
    with app.app_context(), db.connection_context():
        assert_invariant()
        rows = {(s.slot_id, s.volunteer_id): s.status for s in Signup.select()}
        assert len(rows) == Signup.select().count()  # one row per person and slot
        for volunteer, person in zip(volunteers, people, strict=True):
            for slot_id, told in volunteer.told.items():
                status = rows.get((slot_id, person.id))
                if told == "confirmed":
                    assert status == "confirmed", (person.id, slot_id, status, summary)
                elif told == "active":
                    assert status in ("confirmed", "waitlisted"), (person.id, slot_id, status)
                elif told == "cancelled":
                    assert status in (None, "cancelled"), (person.id, slot_id, status)
        for slot in Slot.select():
            assert slot.taken <= slot.capacity
        # Every confirmation mail of the run is delivered (to the consumer's log).
        for _ in range(10):
            pending = OutboxMessage.select().where(OutboxMessage.status != "sent").count()
            if not pending:
                break
            send_mail(1000).get(blocking=True, timeout=60)
        assert pending == 0
        assert OutboxMessage.select().count() > 0
    _close_all()
    assert "Traceback" not in server_log, server_log[-3000:]
    # The consumer waited for the database, went on, and is still running.
    assert consumer_proc.poll() is None
    jobs = jobs_log.read_text(errors="replace")
    assert waits in jobs and "answers again" in jobs, jobs[-3000:]
    assert "Traceback" not in jobs, jobs[-3000:]


def _summary(answers: list[Answer], down_at: float, back_at: float) -> dict[str, int]:
    ok = [a for a in answers if a.status in OK]
    return {
        "requests": len(answers),
        "ok_before": sum(a.started < down_at for a in ok),
        "ok_after": sum(a.started >= back_at for a in ok),
        "503": sum(a.status == 503 for a in answers),
        "503_outside_the_outage": sum(
            a.status == 503 and not (a.started < back_at and a.finished >= down_at) for a in answers
        ),
        "other": sum(a.status not in (*OK, 503) for a in answers),
    }
