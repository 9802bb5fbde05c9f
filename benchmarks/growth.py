"""How cost grows: the regional dataset at 1×, 4× and 16×, on SQLite and PostgreSQL.

    .venv/bin/python benchmarks/growth.py                              # 1×, 4×, 16×, both
    .venv/bin/python benchmarks/growth.py --scales 1,4 --backends postgres --json /tmp/g.json

At scale k the dataset of ``benchmarks/dataset.py`` has k times its centres (100),
volunteers (5,000), slots (50,000) and sign-ups (150,000), over the same 90 days: as many
dates and people per centre as at 1×, k times as many centres. For each scale and backend
it builds the dataset in a fresh database (a temporary SQLite file; a private PostgreSQL
database, dropped afterwards) and measures:

- **build**: the dataset's generation time, and the database's size on disk (SQLite: the
  file after a checkpoint; PostgreSQL: ``pg_database_size``);
- **pages**: under ``gunicorn -w 2`` (production configuration, as ``regional.py``), from
  one client thread so that no request waits for another: p50 latency of ``/healthz``
  (the bare route) and of the start page, the list of centres, a volunteer's slot list
  and "fits me", a slot page and a coordinator's dashboard, each also as a multiple of the
  bare route's p50, and the CPU time per request of the workers (and of PostgreSQL's
  backends) next to the bare route's: the latency moves with other work on the machine,
  the CPU time much less;
- **feed**: in-process, the cold render (rows → bytes, nothing cached) of the family and
  the staff feed of the centre with the most slots, median of 3;
- **matching**: in a fresh process, the app's own path (``proposals.problem.build_problem``
  and ``matching.solve``) for every centre of the largest operator (12 operators at every
  scale, so that scope grows with k) over the next 28 days: reading the problem, solving,
  and the process's peak resident memory above what it used before.

Pages, feed and matching run on the backends in ``--pages-on`` only (default: both), the
matching only up to ``--matching-max-scale`` (default 4: the operator's problem at 4× took
3.5 GB and two minutes).
``--fraction 0.1`` builds a tenth of every size (a quick look). ``--max-build-minutes`` skips a scale whose build would likely take longer (estimated
from the previous scale's build time); what was skipped is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

import dataset
from _common import (
    DEFAULT_PG,
    ROOT,
    app_env,
    gunicorn,
    machine,
    postgres_database,
    postgres_reachable,
    request,
    run_load,
)
from regional import Sessions, _headers, pick_subjects, preflight
from signups import CpuMeter

BASE = dataset.Sizes()
PAGE_REQUESTS = 60
MATCH_DAYS = 28


def sizes_at(k: int, fraction: float = 1.0) -> dataset.Sizes:
    f = k * fraction
    return dataset.Sizes(
        centres=max(1, round(BASE.centres * f)),
        volunteers=round(BASE.volunteers * f),
        slots=round(BASE.slots * f),
        signups=round(BASE.signups * f),
        days_back=BASE.days_back,
        days_ahead=BASE.days_ahead,
    )


def _ms(values: list[float]) -> float:
    return round(statistics.median(values) * 1000, 1) if values else float("nan")


# --- Build ------------------------------------------------------------------------------------


def build(url: str, k: int, seed: int, fraction: float) -> dict:
    from volunteer_app.db import db

    app = dataset.app_for(url)
    with app.app_context():
        try:
            result = dataset.generate(sizes_at(k, fraction), seed, log=lambda line: None)
            with db.connection_context():
                if url.startswith("sqlite"):
                    db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                    size = Path(db.obj.database).stat().st_size
                else:
                    size = db.execute_sql("SELECT pg_database_size(current_database())").fetchone()[
                        0
                    ]
        finally:
            dataset.close_database()
    return {
        "rows": sum(result.counts.values()),
        "build_s": round(result.total_seconds, 1),
        "size_mb": round(size / 2**20, 1),
    }


# --- Pages ------------------------------------------------------------------------------------


def pages(url: str, workdir: Path, seed: int, requests: int) -> dict:
    from volunteer_app.centres.models import Centre
    from volunteer_app.db import db

    app = dataset.app_for(url)
    with app.app_context():
        try:
            with db.connection_context():
                subjects = pick_subjects(20, seed)
                slug = Centre.select(Centre.slug).order_by(Centre.id).scalar()
        finally:
            dataset.close_database()
    env = app_env(url, workdir)
    sessions = Sessions(env["SECRET_KEY"])
    uid, token = subjects.volunteers[0]
    volunteer = sessions.cookie(uid, token)
    cuid, ctoken, cslug = subjects.coordinators[0]
    coordinator = sessions.cookie(cuid, ctoken)
    slot_id = subjects.pairs[0][2]
    vuid, vtoken, _ = subjects.pairs[0]
    routes = [
        ("/healthz", "/healthz", None, b"ok"),
        ("start page", "/", None, b"<h1"),
        ("centres", "/zentren/", None, b"<h1"),
        ("a centre", f"/zentren/{slug}", None, b"<h1"),
        ("slot list", "/termine/", volunteer, b"slot-item"),
        ("fits me", "/termine/?fits_me=y", volunteer, b"<h1>"),
        ("slot page", f"/termine/{slot_id}", sessions.cookie(vuid, vtoken), b"<h1"),
        ("dashboard", f"/zentren/{cslug}/planung", coordinator, b"desk-summary"),
    ]
    out = {}
    # PostgreSQL's backends count too (SQLite runs inside the workers).
    database = urlparse(url).path.lstrip("/") if url.startswith("postgres") else None
    with gunicorn(env, 2, workdir) as port:
        for name, path, cookie, marker in routes:
            preflight(port, path, cookie, marker)
            for _ in range(5):
                request(port, "GET", path, _headers(cookie))
            with CpuMeter(port, database) as meter:
                load = run_load(
                    lambda n, path=path, cookie=cookie: (
                        request(port, "GET", path, _headers(cookie)).status == 200
                    ),
                    requests,
                    1,
                    60,
                )
            if load.errors:
                raise RuntimeError(f"{path}: {load.errors} errors")
            cpu = meter.per_request(load.count)
            out[name] = (_ms(load.latencies), cpu["app_cpu_ms"] + cpu["db_cpu_ms"])
    bare_ms, bare_cpu = out["/healthz"]
    return {
        name: {
            "p50_ms": ms,
            "x_bare": round(ms / bare_ms, 1),
            "cpu_ms": round(cpu, 2),
            "cpu_x_bare": round(cpu / bare_cpu, 1) if bare_cpu else None,
        }
        for name, (ms, cpu) in out.items()
    }


# --- Feed -------------------------------------------------------------------------------------


def cold_feeds(url: str, runs: int = 3) -> dict:
    import peewee as pw

    from volunteer_app.activities.models import Activity, Slot
    from volunteer_app.centres.models import Centre
    from volunteer_app.centres.queries import today
    from volunteer_app.db import db
    from volunteer_app.feeds import content

    app = dataset.app_for(url)
    out = {}
    try:
        with app.test_request_context(), db.connection_context():
            centre_id = (
                Activity.select(Activity.centre)
                .join(Slot, on=(Slot.activity == Activity.id))
                .group_by(Activity.centre)
                .order_by(pw.fn.COUNT(Slot.id).desc())
                .scalar()
            )
            centre = Centre.get_by_id(centre_id)
            for name, make in (
                ("family", lambda: content.family_feed(centre, [], "de", today())),
                ("staff", lambda: content.staff_feed(centre, "de", today())),
            ):
                times, events = [], 0
                for _ in range(runs):
                    started = time.perf_counter()
                    data = make().render()
                    times.append(time.perf_counter() - started)
                    events = data.count(b"BEGIN:VEVENT")
                out[name] = {"ms": _ms(times), "events": events}
    finally:
        dataset.close_database()
    return out


# --- Matching (in a fresh process, for its peak memory) ---------------------------------------


def matching(url: str) -> dict:
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--match-in-process", url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "?"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _peak_rss_mb() -> float:
    """This process's peak resident memory (``VmHWM``: unlike ``ru_maxrss`` it starts
    afresh at ``exec``, so the parent's building the dataset does not count)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB
    return float("nan")


def match_in_process(url: str) -> dict:
    import datetime as dt

    import peewee as pw

    from volunteer_app import matching as engine
    from volunteer_app.centres.models import Centre
    from volunteer_app.common.time import to_berlin
    from volunteer_app.db import db, utcnow
    from volunteer_app.proposals.problem import build_problem

    app = dataset.app_for(url)
    with app.app_context(), db.connection_context():
        operator = (
            Centre.select(Centre.operator)
            .group_by(Centre.operator)
            .order_by(pw.fn.COUNT(Centre.id).desc())
            .scalar()
        )
        centre_ids = [c.id for c in Centre.select(Centre.id).where(Centre.operator == operator)]
        first = to_berlin(utcnow()).date() + dt.timedelta(days=1)
        engine.solve(engine.Problem(volunteers=(), slots=()))  # imports (numpy, OR-Tools)
        before = _peak_rss_mb()
        started = time.perf_counter()
        built = build_problem(centre_ids, first, first + dt.timedelta(days=MATCH_DAYS - 1))
        read = time.perf_counter() - started
        started = time.perf_counter()
        solution = engine.solve(built.problem)
        solved = time.perf_counter() - started
    return {
        "centres": len(centre_ids),
        "volunteers": len(built.problem.volunteers),
        "slots": len(built.problem.slots),
        "pairs": len(solution.pairs),
        "engine": solution.engine,
        "status": solution.status,
        "read_s": round(read, 2),
        "solve_s": round(solved, 2),
        "peak_rss_mb": round(_peak_rss_mb(), 0),
        "extra_rss_mb": round(_peak_rss_mb() - before, 0),
    }


# --- Main -------------------------------------------------------------------------------------


def run_scale(backend: str, url: str, k: int, workdir: Path, args) -> dict:
    row: dict = {"backend": backend, "scale": k, "load_before": f"{os.getloadavg()[0]:.2f}"}
    print(f"[{backend} {k}×] building …", file=sys.stderr, flush=True)
    row.update(build(url, k, args.seed, args.fraction))
    print(f"[{backend} {k}×] {row['rows']} rows in {row['build_s']} s", file=sys.stderr)
    if backend in args.pages_on:
        row["pages"] = pages(url, workdir, args.seed, args.requests)
        print(f"[{backend} {k}×] pages done", file=sys.stderr, flush=True)
        row["feeds"] = cold_feeds(url)
        if k <= args.matching_max_scale:
            row["matching"] = matching(url)
        else:
            row["matching"] = {
                "skipped": f"scale above --matching-max-scale {args.matching_max_scale}"
            }
    row["load_after"] = f"{os.getloadavg()[0]:.2f}"
    print(json.dumps(row), flush=True)
    return row


def print_table(rows: list[dict]) -> None:
    print(f"\n{machine()}")
    page_names = []
    for row in rows:
        for name in row.get("pages", {}):
            if name not in page_names:
                page_names.append(name)
    print("backend  scale  rows  build s  size MB  load  " + "  ".join(page_names))
    for row in rows:
        pages = row.get("pages", {})
        cells = [
            f"{pages[n]['p50_ms']} ms ({pages[n]['x_bare']}×) cpu {pages[n]['cpu_ms']} ms "
            f"({pages[n]['cpu_x_bare']}×)"
            if n in pages
            else "-"
            for n in page_names
        ]
        print(
            f"{row['backend']:8} {row['scale']:>3}×  {row['rows']}  {row['build_s']}  "
            f"{row['size_mb']}  {row['load_before']}→{row['load_after']}  " + "  ".join(cells)
        )
        if "feeds" in row:
            f = row["feeds"]
            print(
                f"    feed cold: family {f['family']['ms']} ms ({f['family']['events']} events), "
                f"staff {f['staff']['ms']} ms ({f['staff']['events']} events)"
            )
        if "matching" in row:
            print(f"    matching: {row['matching']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="1,4,16", help="comma-separated (default 1,4,16)")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--pages-on", default="sqlite,postgres", help="backends to measure on")
    parser.add_argument("--requests", type=int, default=PAGE_REQUESTS, help="GETs per page")
    parser.add_argument("--max-build-minutes", type=float, default=60.0)
    parser.add_argument(
        "--matching-max-scale",
        type=int,
        default=4,
        help="run the matching only up to this scale (default 4: at 4× it needs ~3.5 GB)",
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--fraction", type=float, default=1.0, help="of the 1× sizes (0.1: a quick look)"
    )
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_PG))
    parser.add_argument("--json", type=Path, help="also write the rows to this file")
    parser.add_argument("--match-in-process", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    # Stopped with SIGTERM: still drop the private database and stop gunicorn.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    if args.match_in_process:
        print(json.dumps(match_in_process(args.match_in_process)))
        return 0
    scales = [int(s) for s in args.scales.split(",")]
    backends = [b for b in args.backends.split(",") if b]
    args.pages_on = set(args.pages_on.split(","))
    if not all(1 <= k <= 64 for k in scales) or not set(backends) <= {"sqlite", "postgres"}:
        parser.error("--scales 1..64, --backends sqlite,postgres")
    if not 0.01 <= args.fraction <= 4:
        parser.error("--fraction must be 0.01..4")
    if not 1 <= args.requests <= 2000:
        parser.error("--requests must be 1..2000")
    if "postgres" in backends and (reason := postgres_reachable(args.postgres_url)):
        print(f"PostgreSQL skipped: not reachable ({reason})", file=sys.stderr)
        backends.remove("postgres")

    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="thekiz-growth-") as tmp:
        for backend in backends:
            last: tuple[int, float] | None = None
            for k in scales:
                if last and last[1] / last[0] * k > args.max_build_minutes * 60:
                    print(
                        f"[{backend} {k}×] skipped: the build would take about "
                        f"{last[1] / last[0] * k / 60:.0f} minutes (--max-build-minutes)",
                        file=sys.stderr,
                    )
                    continue
                workdir = Path(tmp) / f"{backend}-{k}"
                workdir.mkdir()
                if backend == "sqlite":
                    url = f"sqlite:///{workdir / 'growth.db'}"
                    row = run_scale(backend, url, k, workdir, args)
                else:
                    with postgres_database(args.postgres_url) as url:
                        row = run_scale(backend, url, k, workdir, args)
                rows.append(row)
                last = (k, row["build_s"])
                if args.json:
                    args.json.write_text(json.dumps({"machine": machine(), "rows": rows}, indent=1))
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
