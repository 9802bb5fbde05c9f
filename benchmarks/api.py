"""The JSON API's public programme at regional scale: a full 200, its 304, next to /healthz.

    .venv/bin/python benchmarks/api.py                    # SQLite, and PostgreSQL if reachable
    .venv/bin/python benchmarks/api.py --no-postgres --requests 500

For each backend it builds the regional dataset of ``benchmarks/dataset.py`` (100 centres,
5,000 volunteers, 50,000 slots, 150,000 sign-ups) in a fresh database (a temporary SQLite
file; a private PostgreSQL database, dropped afterwards), starts ``gunicorn -w 2`` on a free
port of 127.0.0.1 with the production configuration (as ``regional.py``), takes the
programme of 10 centres (every tenth) and measures from ``--concurrency`` client threads,
each request on a new connection, on the same server in the same run:

1. ``/healthz``, the bare route;
2. ``GET /api/v1/centres/<slug>/programme?limit=100``, a full page rendered each time (no
   ``If-None-Match``: what a first visit or a client without a cache costs; the server keeps
   no cache of it): each must answer 200 with 100 dates and an ``ETag``;
3. the same with ``If-None-Match`` of that ETag: each must answer 304 with no body;
4. ``/healthz`` again.

Anonymous, as a website's visitors call it (the rate limit per address, ``RATELIMIT_API``,
is raised for the run). The output gives requests/s, p50/p95, the share of the bare
route's requests/s (the mean of its two runs) and the 1-minute load average before and after
each measurement. Exit code 1 on any error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import dataset
from _common import (
    DEFAULT_PG,
    HOST,
    Load,
    app_env,
    each_backend,
    gunicorn,
    machine,
    request,
    run_load,
)

CENTRES = 10
PAGE = 100
WARMUP = 20


def _load() -> float:
    return round(os.getloadavg()[0], 2)


@dataclass
class Measured:
    route: str
    requests: int
    errors: int
    rps: float
    p50_ms: float
    p95_ms: float
    load_before: float
    load_after: float
    share: float | None = None  # of the bare route's requests/s


@dataclass
class BackendReport:
    backend: str
    generation_seconds: float = 0.0
    body_bytes: int = 0
    rows: dict = field(default_factory=dict)
    measured: list[Measured] = field(default_factory=list)


def _slugs(database_url: str) -> list[str]:
    from volunteer_app.centres.models import Centre
    from volunteer_app.db import db

    app = dataset.app_for(database_url)
    with app.app_context(), db.connection_context():
        slugs = [c.slug for c in Centre.select(Centre.slug).order_by(Centre.id)]
    dataset.close_database()
    return slugs[::10][:CENTRES]


def _preflight(port: int, paths: list[str]) -> tuple[dict[str, str], int]:
    """Each page's ETag (a full page of dates each), and the size of one body."""
    etags, size = {}, 0
    for path in paths:
        response = request(port, "GET", path)
        body = json.loads(response.body) if response.status == 200 else {}
        etag = response.headers.get("ETag")
        if response.status != 200 or len(body.get("items", ())) != PAGE or not etag:
            raise RuntimeError(f"{path}: {response.status}, {len(body.get('items', ()))} dates")
        again = request(port, "GET", path, {"If-None-Match": etag})
        if again.status != 304 or again.body:
            raise RuntimeError(f"{path} with its ETag: {again.status}, {len(again.body)} bytes")
        etags[path], size = etag, len(response.body)
    return etags, size


def _measure(name: str, call, args) -> Measured:
    for n in range(WARMUP):
        call(n)
    before = _load()
    load: Load = run_load(call, args.requests, args.concurrency, args.route_seconds)
    print(f"  {name}: {load.count} requests in {load.wall:.1f} s", file=sys.stderr)
    return Measured(
        name,
        load.count,
        load.errors,
        round(load.rps, 1),
        load.ms(50),
        load.ms(95),
        before,
        _load(),
    )


def run_backend(backend: str, database_url: str, workdir: Path, args) -> BackendReport:
    report = BackendReport(backend)
    print(f"[{backend}] generating the regional dataset …", file=sys.stderr)
    app = dataset.app_for(database_url)
    with app.app_context():
        try:
            generated = dataset.generate(args.sizes, args.seed, log=lambda line: None)
        finally:
            dataset.close_database()
    report.generation_seconds = round(generated.total_seconds, 1)
    report.rows = generated.counts
    paths = [f"/api/v1/centres/{slug}/programme?limit={PAGE}" for slug in _slugs(database_url)]

    env = app_env(database_url, workdir)
    env["RATELIMIT_API"] = "1000000 per minute"  # one address sends every request
    with gunicorn(env, args.workers, workdir) as port:
        etags, report.body_bytes = _preflight(port, paths)

        def bare(n: int) -> bool:
            return request(port, "GET", "/healthz").status == 200

        def full(n: int) -> bool:
            response = request(port, "GET", paths[n % len(paths)])
            return response.status == 200 and bool(response.headers.get("ETag"))

        def not_modified(n: int) -> bool:
            path = paths[n % len(paths)]
            response = request(port, "GET", path, {"If-None-Match": etags[path]})
            return response.status == 304 and not response.body

        print(f"[{backend}] measuring on port {port} …", file=sys.stderr)
        runs = [
            _measure("/healthz (bare route)", bare, args),
            _measure("programme 200 (no If-None-Match)", full, args),
            _measure("programme 304 (If-None-Match)", not_modified, args),
            _measure("/healthz again", bare, args),
        ]
    bare_rps = (runs[0].rps + runs[3].rps) / 2
    for run in runs[1:3]:
        run.share = round(run.rps / bare_rps, 3) if bare_rps else None
    report.measured = runs
    return report


def print_report(reports: list[BackendReport], args, load_before, load_after) -> None:
    print(
        f"\nAPI programme, regional dataset: gunicorn {args.workers} sync workers, "
        f"APP_ENV=production, {args.concurrency} client threads, up to {args.requests} "
        f"requests per route, {CENTRES} centres' programmes (?limit={PAGE}), on {HOST}"
    )
    print(f"Machine: {machine()} (client and server share it)")
    print(f"Load average (1/5/15 min) before: {load_before}, after: {load_after}")
    header = (
        f"{'backend':9} {'route':34} {'requests':>8} {'errors':>6} {'req/s':>7} "
        f"{'÷ bare':>7} {'p50 ms':>7} {'p95 ms':>7} {'load':>11}"
    )
    for report in reports:
        print(
            f"\n[{report.backend}] dataset {sum(report.rows.values())} rows in "
            f"{report.generation_seconds} s; a page of {PAGE} dates is {report.body_bytes} bytes"
        )
    print("\n" + header)
    print("-" * len(header))
    for report in reports:
        for m in report.measured:
            share = f"{m.share:.2f}" if m.share is not None else ""
            print(
                f"{report.backend:9} {m.route:34} {m.requests:>8} {m.errors:>6} {m.rps:>7.1f} "
                f"{share:>7} {m.p50_ms:>7.1f} {m.p95_ms:>7.1f} {m.load_before:>5}→{m.load_after:<5}"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1000, help="per route (default 1000)")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads (default 4)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument(
        "--route-seconds", type=float, default=60.0, help="time cap per route (default 60)"
    )
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_PG))
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    dataset.add_size_arguments(parser, signups_flag="--dataset-signups")
    args = parser.parse_args(argv)
    args.sizes = dataset.sizes_from(parser, args)
    if not 1 <= args.requests <= 20_000:
        parser.error("--requests must be 1..20000")
    if not 1 <= args.concurrency <= 64 or not 1 <= args.workers <= 16:
        parser.error("--concurrency must be 1..64 and --workers 1..16")
    if not 0 < args.route_seconds <= 300:
        parser.error("--route-seconds must be 0..300")

    reports, load_before, load_after = each_backend(args, "thekiz-api-", "regional.db", run_backend)
    print_report(reports, args, load_before, load_after)
    if args.json:
        out = {
            "machine": machine(),
            "load_before": load_before,
            "load_after": load_after,
            "args": {k: v for k, v in vars(args).items() if k != "sizes"},
            "backends": [asdict(r) for r in reports],
        }
        args.json.write_text(json.dumps(out, indent=2, default=str) + "\n")
    failed = [(r.backend, m.route) for r in reports for m in r.measured if m.errors]
    for backend, route in failed:
        print(f"FAILED: {backend} {route}", file=sys.stderr)
    return 1 if failed or not reports else 0


if __name__ == "__main__":
    sys.exit(main())
