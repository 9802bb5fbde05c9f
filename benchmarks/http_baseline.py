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
import json
import os
import re
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

from _common import (
    DEFAULT_PG,
    HOST,
    RouteResult,
    app_env,
    flask,
    get,
    gunicorn,
    machine,
    postgres_database,
    postgres_reachable,
    run_load,
)


def centre_path(port: int) -> str | None:
    for page in ("/", "/zentren/"):
        status, body = get(port, page)
        if status == 200:
            match = re.search(rb'href="(/zentren/[^"/?#]+)"', body)
            if match:
                return match.group(1).decode()
    return None


def measure(port: int, path: str, requests: int, concurrency: int, max_seconds: float):
    """Send up to ``requests`` GETs from ``concurrency`` threads, stopping at ``max_seconds``."""
    for _ in range(min(20, requests)):  # warm-up: imports, template cache, pool connections
        get(port, path)
    return run_load(lambda _n: get(port, path)[0] == 200, requests, concurrency, max_seconds)


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
            load = measure(port, path, args.requests, args.concurrency, args.route_seconds)
            results.append(RouteResult.from_load(backend, route, path, load))
            print(
                f"[{backend}] {path}: {load.count} requests in {load.wall:.1f} s", file=sys.stderr
            )
    return results


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
