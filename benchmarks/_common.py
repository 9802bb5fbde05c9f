"""Shared helpers of the benchmark scripts: private databases, gunicorn, bounded load.

Every helper talks to 127.0.0.1 only; every process or database it creates is stopped or
dropped by the context manager that created it.
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
START_TIMEOUT = 30.0
REQUEST_TIMEOUT = 10.0
#: The pages `pages.py` measures and `profile_pages.py` profiles, by name.
PAGES = (
    "slot list",
    "fits me",
    "dashboard",
    "roster",
    "slot page",
    "programme",
    "programme 300",
    "activity 300",
)


# --- Databases --------------------------------------------------------------------------------


def pg_connect(server_url: str, timeout: int):
    import psycopg2

    parsed = urlparse(server_url)
    return psycopg2.connect(
        dbname=parsed.path.lstrip("/") or "postgres",
        user=parsed.username,
        password=parsed.password,
        host=parsed.hostname,
        port=parsed.port or 5432,
        connect_timeout=timeout,
    )


@contextlib.contextmanager
def postgres_database(server_url: str):
    """A private database on the server, dropped at the end (like tests/conftest.py)."""
    admin = pg_connect(server_url, timeout=5)
    admin.autocommit = True
    name = f"thekiz_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunparse(urlparse(server_url)._replace(path="/" + name))
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def postgres_reachable(server_url: str) -> str | None:
    """None if we can connect, else the reason."""
    try:
        pg_connect(server_url, timeout=3).close()
    except Exception as exc:  # any failure means "skip PostgreSQL"
        return str(exc).strip().splitlines()[0]
    return None


# --- App set-up -------------------------------------------------------------------------------


def app_env(database_url: str, workdir: Path, app_env_name: str = "production") -> dict[str, str]:
    """The environment of the app under test; ``SECRET_KEY`` is new and random each time."""
    env = dict(os.environ)
    env.update(
        {
            "APP_ENV": app_env_name,
            "FLASK_APP": "wsgi.py",
            "DATABASE_URL": database_url,
            "SECRET_KEY": secrets.token_urlsafe(48),
            "BASE_URL": "https://thekiz.invalid",
            # Production refuses to start without the controller (privacy notice, imprint).
            "CONTROLLER_NAME": "Benchmark-Träger e. V.",
            "CONTROLLER_ADDRESS": "Benchmarkweg 1, 99084 Erfurt",
            "CONTROLLER_EMAIL": "kontakt@thekiz.invalid",
            "HUEY_URL": f"sqlite:///{workdir / 'huey.db'}",
            # Nothing is delivered (no job consumer runs); production insists on smtp.
            "MAIL_BACKEND": "smtp",
            "MAIL_SERVER": HOST,
            "RATELIMIT_STORAGE_URI": "memory://",
            "PROXY_COUNT": "0",  # clients connect directly: no X-Forwarded-* is trusted
        }
    )
    return env


def flask(args: list[str], env: dict[str, str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "flask", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{proc.stderr[-2000:]}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def gunicorn(env: dict[str, str], workers: int, workdir: Path, app_dir: Path = ROOT):
    """``gunicorn --workers N wsgi:app`` on a free port of 127.0.0.1; yields the port once
    ``/healthz`` answers, and stops the server (SIGTERM, then SIGKILL) at the end.
    ``app_dir``: the checkout whose ``wsgi.py`` it serves (another one to compare two)."""
    port = free_port()
    log = (workdir / "gunicorn.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(workers),
            "--bind",
            f"{HOST}:{port}",
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        cwd=app_dir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    "gunicorn exited:\n" + (workdir / "gunicorn.log").read_text()[-2000:]
                )
            with contextlib.suppress(OSError):
                if get(port, "/healthz")[0] == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer /healthz within {START_TIMEOUT} s")
            time.sleep(0.2)
        yield port
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


# --- Requests ---------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes


def request(
    port: int,
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> Response:
    """One request on a new connection (gunicorn's sync workers close it after each answer)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
    try:
        conn.request(method, path, body=body, headers={"Accept-Language": "de", **(headers or {})})
        response = conn.getresponse()
        return Response(response.status, response.headers, response.read())
    finally:
        conn.close()


def get(port: int, path: str) -> tuple[int, bytes]:
    response = request(port, "GET", path)
    return response.status, response.body


# --- Load -------------------------------------------------------------------------------------


@dataclass
class Load:
    count: int  # requests completed
    errors: int  # requests whose check failed (wrong status, exception)
    wall: float  # seconds of the measured phase
    latencies: list[float]  # seconds, sorted

    @property
    def rps(self) -> float:
        return self.count / self.wall if self.wall else 0.0

    def ms(self, pct: float) -> float:
        return round(percentile(self.latencies, pct) * 1000, 1)


def run_load(
    call: Callable[[int], bool], requests: int, concurrency: int, max_seconds: float
) -> Load:
    """Call ``call(0)`` … ``call(requests - 1)`` from ``concurrency`` threads, each number
    once, stopping at ``max_seconds``; ``call`` sends one request and says if it was right.

    Latency is measured around ``call``, so it includes connecting.
    """
    tickets = itertools.count()
    lock = threading.Lock()
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + max_seconds

    def worker():
        nonlocal errors
        while time.monotonic() < deadline:
            with lock:
                number = next(tickets)
            if number >= requests:
                return
            started = time.perf_counter()
            try:
                ok = call(number)
            except (OSError, http.client.HTTPException):
                ok = False
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if not ok:
                    errors += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for future in [pool.submit(worker) for _ in range(concurrency)]:
            future.result()
    wall = time.perf_counter() - started
    latencies.sort()
    return Load(len(latencies), errors, wall, latencies)


@dataclass
class RouteResult:
    """One route's figures in one run (printed and written to --json)."""

    backend: str
    route: str
    path: str
    requests: int
    errors: int
    seconds: float
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float

    @classmethod
    def from_load(cls, backend: str, route: str, path: str, load: Load) -> RouteResult:
        return cls(
            backend=backend,
            route=route,
            path=path,
            requests=load.count,
            errors=load.errors,
            seconds=round(load.wall, 2),
            rps=round(load.rps, 1),
            p50_ms=load.ms(50),
            p95_ms=load.ms(95),
            p99_ms=load.ms(99),
        )


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    if not sorted_values:
        return float("nan")
    rank = max(1, round(pct / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def machine() -> str:
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return (
        f"{os.cpu_count()} CPUs ({cpu or platform.machine()}), {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}"
    )


def load_average() -> str:
    """The 1-, 5- and 15-minute load averages, for "before" and "after" lines."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def each_backend(args, prefix: str, db_name: str, run: Callable) -> tuple[list, str, str]:
    """``run(backend, url, workdir, args)`` on SQLite and then PostgreSQL (unless switched off
    by ``--no-sqlite``/``--no-postgres`` or unreachable), each in a fresh temporary folder.
    Returns the reports and the load average before and after."""
    import tempfile

    reports = []
    load_before = load_average()
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        workdir = Path(tmp)
        if not args.no_sqlite:
            (workdir / "sqlite").mkdir()
            url = f"sqlite:///{workdir / 'sqlite' / db_name}"
            reports.append(run("sqlite", url, workdir / "sqlite", args))
        if args.no_postgres:
            print("PostgreSQL: skipped (--no-postgres)", file=sys.stderr)
        elif reason := postgres_reachable(args.postgres_url):
            print(f"PostgreSQL: skipped, not reachable ({reason})", file=sys.stderr)
        else:
            (workdir / "postgres").mkdir()
            with postgres_database(args.postgres_url) as url:
                reports.append(run("postgres", url, workdir / "postgres", args))
    return reports, load_before, load_average()


# --- CPU time -------------------------------------------------------------------------------


_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(*markers: str) -> float:
    """CPU time (user + system) used so far by the processes whose command line contains
    one of ``markers``: the gunicorn workers (their ``--bind`` address) and the PostgreSQL
    backends serving the benchmark's database (its name)."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if not any(m in cmdline for m in markers):
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / _TICK
