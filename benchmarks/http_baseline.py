"""HTTP baseline: requests/s and latency of a few anonymous pages under gunicorn.

    .venv/bin/python benchmarks/http_baseline.py            # SQLite, and PostgreSQL if reachable
    .venv/bin/python benchmarks/http_baseline.py --requests 1000 --concurrency 8 --no-postgres

For each backend it creates a fresh database (a temporary SQLite file; a private
PostgreSQL database on the server of ``--postgres-url``, dropped afterwards), runs
``flask db upgrade`` and ``flask seed demo``, starts ``gunicorn -w 2`` on a free port of
127.0.0.1 with the production configuration, and sends a bounded number of GET requests
from a thread pool to ``/healthz``, ``/`` and one centre page. Every run is bounded in
requests and seconds, talks to 127.0.0.1 only, and stops the server it started.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import itertools
import json
import os
import platform
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
START_TIMEOUT = 30.0
REQUEST_TIMEOUT = 10.0


@dataclass
class RouteResult:
    backend: str
    route: str
    path: str
    requests: int
    errors: int
    seconds: float
    rps: float
    p50_ms: float
    p95_ms: float


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


def app_env(database_url: str, workdir: Path, app_env_name: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "APP_ENV": app_env_name,
            "FLASK_APP": "wsgi.py",
            "DATABASE_URL": database_url,
            "SECRET_KEY": secrets.token_urlsafe(48),
            "BASE_URL": "https://thekiz.invalid",
            "HUEY_URL": f"sqlite:///{workdir / 'huey.db'}",
            # Nothing is delivered (no job consumer runs); production insists on smtp.
            "MAIL_BACKEND": "smtp",
            "MAIL_SERVER": HOST,
            "RATELIMIT_STORAGE_URI": "memory://",
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
def gunicorn(env: dict[str, str], workers: int, workdir: Path):
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
        cwd=ROOT,
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


# --- Load -------------------------------------------------------------------------------------


def get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
    try:
        conn.request("GET", path, headers={"Accept-Language": "de"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def centre_path(port: int) -> str | None:
    for page in ("/", "/zentren/"):
        status, body = get(port, page)
        if status == 200:
            match = re.search(rb'href="(/zentren/[^"/?#]+)"', body)
            if match:
                return match.group(1).decode()
    return None


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    if not sorted_values:
        return float("nan")
    rank = max(1, round(pct / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def measure(port: int, path: str, requests: int, concurrency: int, max_seconds: float):
    """Send up to ``requests`` GETs from ``concurrency`` threads, stopping at ``max_seconds``."""
    for _ in range(min(20, requests)):  # warm-up: imports, template cache, pool connections
        get(port, path)
    tickets = itertools.count()
    lock = threading.Lock()
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + max_seconds

    def worker():
        nonlocal errors
        while time.monotonic() < deadline:
            with lock:
                if next(tickets) >= requests:
                    return
            started = time.perf_counter()
            try:
                status, _ = get(port, path)
            except OSError:
                status = 0
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if status != 200:
                    errors += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for future in [pool.submit(worker) for _ in range(concurrency)]:
            future.result()
    wall = time.perf_counter() - started
    latencies.sort()
    return len(latencies), errors, wall, latencies


def run_backend(backend: str, database_url: str, workdir: Path, args) -> list[RouteResult]:
    env = app_env(database_url, workdir, args.app_env)
    flask(["db", "upgrade"], env)
    flask(["seed", "demo"], env)
    print(f"[{backend}] migrated and seeded with the demo data", file=sys.stderr)
    results = []
    with gunicorn(env, args.workers, workdir) as port:
        routes = [("health check", "/healthz"), ("start page", "/")]
        path = centre_path(port)
        if path:
            routes.append(("centre page", path))
        else:
            print(f"[{backend}] no centre link found on / or /zentren/", file=sys.stderr)
        for route, path in routes:
            count, errors, wall, lat = measure(
                port, path, args.requests, args.concurrency, args.route_seconds
            )
            results.append(
                RouteResult(
                    backend=backend,
                    route=route,
                    path=path,
                    requests=count,
                    errors=errors,
                    seconds=round(wall, 2),
                    rps=round(count / wall, 1) if wall else 0.0,
                    p50_ms=round(percentile(lat, 50) * 1000, 1),
                    p95_ms=round(percentile(lat, 95) * 1000, 1),
                )
            )
            print(f"[{backend}] {path}: {count} requests in {wall:.1f} s", file=sys.stderr)
    return results


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


def print_table(results: list[RouteResult], args, load_before: float) -> None:
    print(
        f"\nHTTP baseline: gunicorn {args.workers} sync workers, APP_ENV={args.app_env}, "
        f"{args.concurrency} client threads, up to {args.requests} requests per route, "
        f"on {HOST}"
    )
    print(f"Machine: {machine()} (client and server share it)")
    print(f"Load average (1 min) before the run: {load_before:.2f}\n")
    header = (
        f"{'backend':9} {'route':13} {'path':32} {'requests':>8} {'errors':>6} "
        f"{'req/s':>8} {'p50 ms':>7} {'p95 ms':>7}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.backend:9} {r.route:13} {r.path[:32]:32} {r.requests:>8} {r.errors:>6} "
            f"{r.rps:>8.1f} {r.p50_ms:>7.1f} {r.p95_ms:>7.1f}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="per route (default 2000)")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads (default 4)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument(
        "--route-seconds", type=float, default=60.0, help="time cap per route (default 60)"
    )
    parser.add_argument("--app-env", default="production", choices=["production", "development"])
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_PG))
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)
    if not 1 <= args.requests <= 100_000 or not 1 <= args.concurrency <= 64:
        parser.error("--requests must be 1..100000 and --concurrency 1..64")
    if not 1 <= args.workers <= 16 or not 0 < args.route_seconds <= 600:
        parser.error("--workers must be 1..16 and --route-seconds 0..600")

    results: list[RouteResult] = []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="thekiz-bench-") as tmp:
        workdir = Path(tmp)
        sqlite_dir = workdir / "sqlite"
        sqlite_dir.mkdir()
        results += run_backend("sqlite", f"sqlite:///{sqlite_dir / 'bench.db'}", sqlite_dir, args)
        if args.no_postgres:
            print("PostgreSQL: skipped (--no-postgres)", file=sys.stderr)
        elif reason := postgres_reachable(args.postgres_url):
            print(f"PostgreSQL: skipped, not reachable ({reason})", file=sys.stderr)
        else:
            (workdir / "postgres").mkdir()
            with postgres_database(args.postgres_url) as url:
                results += run_backend("postgres", url, workdir / "postgres", args)
    print_table(results, args, load_before)
    if args.json:
        report = {
            "machine": machine(),
            "load_before": load_before,
            "args": vars(args),
            "results": [asdict(r) for r in results],
        }
        args.json.write_text(json.dumps(report, indent=2, default=str) + "\n")
    return 1 if any(r.errors for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
