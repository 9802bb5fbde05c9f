"""Pages next to the bare route: each page's throughput and p50 as a ratio to ``/healthz``.

    .venv/bin/python benchmarks/pages.py                      # SQLite, and PostgreSQL if reachable
    .venv/bin/python benchmarks/pages.py --no-postgres --requests 300
    .venv/bin/python benchmarks/pages.py --pages "programme 300,activity 300"

For each backend it builds the regional dataset of ``benchmarks/dataset.py`` in a fresh
database (as ``regional.py``), adds to one centre a public activity with ``--big-slots``
(300) dates in the programme's first three weeks, starts ``gunicorn -w 2`` with the
production configuration and measures, page by page, the page and ``/healthz`` on the same
server in alternating rounds (so that both see the same machine):

- ``slot list`` (``/termine/``) and ``fits me`` (``?fits_me=y``) as 20 volunteers;
- ``dashboard`` (``/zentren/<slug>/planung``) as coordinators of 10 centres;
- ``roster`` (``/termine/<id>/besetzung``) of a coming slot with sign-ups at those centres;
- ``slot page`` (``/termine/<id>``) as 20 volunteers;
- ``programme`` (``/zentren/<slug>``, the centre's public page) of 10 centres, anonymous;
- ``programme 300``: the public page of the centre with the 300 dates;
- ``activity 300``: the coordinators' page of that activity (its upcoming dates).

Each line gives the page's requests/s and p50 and the same of ``/healthz`` measured in the
rounds around it, and the two ratios: ``req/s ÷ bare`` (goal ≥ 0.3 at regional scale) and
``p50 ÷ bare`` (goal ≤ 20 for the two 300-date pages). The load average before and after
is printed: the machine is shared, so compare ratios, not absolute figures. Any failed
request makes the exit code 1.

``--baseline DIR`` serves the same database from a second checkout too (for instance the
commit before a change, ``git worktree add /tmp/before HEAD~1``, with its catalogues
compiled) and measures both servers in the same alternating rounds, so that before and
after are compared on the same machine at the same moment: its lines say ``(baseline)``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import re
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import dataset
from _common import (
    DEFAULT_PG,
    HOST,
    PAGES,
    ROOT,
    Load,
    app_env,
    each_backend,
    gunicorn,
    machine,
    percentile,
    request,
    run_load,
)
from regional import USER_AGENT, Sessions

BIG_TITLE = "Offener Familientreff (Benchmark, viele Termine)"
#: Pages whose throughput should be at least this share of the bare route's.
REGIONAL_GOAL = 0.3
#: The 300-date pages' p50 should be at most this multiple of the bare route's.
BIG_GOAL = 20.0
WARMUP = 10
MARKERS = {
    "slot list": b"slot-item",
    "fits me": b"<h1>",
    "dashboard": b"desk-summary",
    "roster": b"<h1>",
    "slot page": b"csrf_token",
    "programme": b'class="week',
    "programme 300": b'class="week',
    "activity 300": b"slots-heading",
}


@dataclass
class PageResult:
    backend: str
    page: str
    path: str
    requests: int
    errors: int
    rps: float
    p50_ms: float
    p95_ms: float
    bare_requests: int
    bare_rps: float
    bare_p50_ms: float
    bytes: int

    @property
    def rps_ratio(self) -> float:
        return self.rps / self.bare_rps if self.bare_rps else 0.0

    @property
    def p50_ratio(self) -> float:
        return self.p50_ms / self.bare_p50_ms if self.bare_p50_ms else float("inf")


@dataclass
class BackendReport:
    backend: str
    generation_seconds: float = 0.0
    big: dict = field(default_factory=dict)
    pages: list[PageResult] = field(default_factory=list)


# --- The 300-date activity --------------------------------------------------------------------


def add_big_activity(centre_id: int, count: int, now: dt.datetime) -> int:
    """A public activity of the centre with ``count`` dates from tomorrow (Berlin) to the end
    of the third programme week, every half hour from 07:00, every 37th cancelled.
    Needs an app context and a connection; returns the activity's id."""
    from volunteer_app.activities.models import Activity, Category, Slot
    from volunteer_app.centres.models import CentreMembership
    from volunteer_app.common.time import berlin_to_utc
    from volunteer_app.db import db
    from volunteer_app.programme.weeks import berlin_today, week_start

    today = berlin_today(now)
    first = today + dt.timedelta(days=1)
    last = week_start(today) + dt.timedelta(days=20)
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    per_day = -(-count // len(days))
    category = Category.select().where(Category.key.is_null(False)).order_by(Category.id).first()
    responsible = (
        CentreMembership.select(CentreMembership.user)
        .where(CentreMembership.centre == centre_id)
        .order_by(CentreMembership.id)
        .scalar()
    )
    with db.atomic():
        activity = Activity.create(
            centre=centre_id,
            title=BIG_TITLE,
            category=category,
            place="Gruppenraum",
            responsible=responsible,
            audience="Familien mit Kindern",
            volunteers_needed=2,
        )
        rows = []
        for n in range(count):
            minute = 7 * 60 + (n % per_day) * 30
            starts = berlin_to_utc(
                dt.datetime.combine(days[n // per_day], dt.time(minute // 60, minute % 60))
            )
            cancelled = n % 37 == 5
            rows.append(
                {
                    "activity": activity.id,
                    "starts_at": starts,
                    "ends_at": starts + dt.timedelta(minutes=25),
                    "capacity": 2,
                    "taken": 0,
                    "status": "cancelled" if cancelled else "scheduled",
                    "cancelled_at": now if cancelled else None,
                    "cancel_reason": "Erkrankung" if cancelled else "",
                }
            )
        for start in range(0, len(rows), 500):
            Slot.insert_many(rows[start : start + 500]).execute()
    return activity.id


# --- Who and what is measured -------------------------------------------------------------------


@dataclass
class Targets:
    """Per page: the (path, cookie) pairs the requests cycle through."""

    pages: dict[str, list[tuple[str, str | None]]]


def pick_targets(sessions: Sessions, big_slots: int, seed: int) -> Targets:
    """Needs an app context and a connection to the generated database."""
    import random

    from volunteer_app.accounts.models import User
    from volunteer_app.activities.models import Activity, Slot
    from volunteer_app.centres.models import Centre, CentreMembership
    from volunteer_app.db import utcnow

    rng = random.Random(seed)
    now = utcnow()

    def cookie(uid: int, token: str) -> str:
        return sessions.cookie(uid, token)

    def coordinator_of(centre_id: int) -> tuple[int, str]:
        return (
            User.select(User.id, User.session_token)
            .join(CentreMembership, on=(CentreMembership.user == User.id))
            .where(CentreMembership.centre == centre_id)
            .order_by(User.id)
            .tuples()
            .first()
        )

    volunteers = list(
        User.select(User.id, User.session_token)
        .where(User.role == "volunteer")
        .order_by(User.id)
        .tuples()
    )
    rng.shuffle(volunteers)
    volunteers = volunteers[:20]
    centres = list(Centre.select(Centre.id, Centre.slug).order_by(Centre.id).tuples())
    step = max(1, (len(centres) - 1) // 10)
    big_centre, sampled = centres[0], centres[1::step][:10]
    big = add_big_activity(big_centre[0], big_slots, now)

    boards, rosters, programmes = [], [], []
    for centre_id, slug in sampled:
        staff = cookie(*coordinator_of(centre_id))
        boards.append((f"/zentren/{slug}/planung", staff))
        slot_id = (
            Slot.select(Slot.id)
            .join(Activity)
            .where(
                (Activity.centre == centre_id)
                & (Slot.starts_at > now)
                & (Slot.taken > 0)
                & (Activity.title != BIG_TITLE)
            )
            .order_by(Slot.starts_at, Slot.id)
            .scalar()
        )
        if slot_id:
            rosters.append((f"/termine/{slot_id}/besetzung", staff))
        programmes.append((f"/zentren/{slug}", None))
    coming = list(
        Slot.select(Slot.id)
        .join(Activity)
        .where((Slot.starts_at > now) & (Slot.status == "scheduled") & (Activity.id != big))
        .order_by(Slot.starts_at, Slot.id)
        .limit(400)
        .tuples()
    )
    slot_pages = [
        (f"/termine/{rng.choice(coming)[0]}", cookie(uid, token)) for uid, token in volunteers
    ]
    lists = [cookie(uid, token) for uid, token in volunteers]
    big_slug = big_centre[1]
    return Targets(
        {
            "slot list": [("/termine/", c) for c in lists],
            "fits me": [("/termine/?fits_me=y", c) for c in lists],
            "dashboard": boards,
            "roster": rosters,
            "slot page": slot_pages,
            "programme": programmes,
            "programme 300": [(f"/zentren/{big_slug}", None)],
            "activity 300": [
                (f"/zentren/{big_slug}/angebote/{big}", cookie(*coordinator_of(big_centre[0])))
            ],
        }
    )


# --- Measuring --------------------------------------------------------------------------------


def _headers(cookie: str | None) -> dict[str, str]:
    headers = {"User-Agent": USER_AGENT}
    if cookie:
        headers["Cookie"] = cookie
    return headers


def _get(port: int, target: tuple[str, str | None]) -> bool:
    path, cookie = target
    return request(port, "GET", path, _headers(cookie)).status == 200


def _combine(loads: list[Load]) -> tuple[int, int, float, list[float]]:
    count = sum(load.count for load in loads)
    errors = sum(load.errors for load in loads)
    wall = sum(load.wall for load in loads)
    latencies = sorted(x for load in loads for x in load.latencies)
    return count, errors, wall, latencies


def measure_page(backend, servers, page, targets, args) -> list[PageResult]:
    """The page and ``/healthz`` in ``--rounds`` alternating rounds on each server
    (``servers``: label suffix and port), the servers taking turns within each round."""
    path, cookie = targets[0]
    sizes = {}
    for suffix, port in servers:
        first = request(port, "GET", path, _headers(cookie))
        if first.status != 200 or MARKERS[page] not in first.body:
            raise RuntimeError(f"preflight {page} {path}{suffix}: status {first.status}")
        sizes[suffix] = len(first.body)
        for n in range(WARMUP):
            _get(port, targets[n % len(targets)])
            _get(port, ("/healthz", None))
    per_round = max(1, args.requests // args.rounds)
    cap = args.route_seconds / args.rounds
    loads = {suffix: ([], []) for suffix, _port in servers}
    for _round in range(args.rounds):
        for suffix, port in servers:
            pages, bares = loads[suffix]
            bares.append(
                run_load(
                    lambda _n, port=port: _get(port, ("/healthz", None)),
                    per_round,
                    args.concurrency,
                    cap,
                )
            )
            pages.append(
                run_load(
                    lambda n, port=port: _get(port, targets[n % len(targets)]),
                    per_round,
                    args.concurrency,
                    cap,
                )
            )
    results = []
    for suffix, _port in servers:
        pages, bares = loads[suffix]
        count, errors, wall, latencies = _combine(pages)
        b_count, b_errors, b_wall, b_latencies = _combine(bares)
        results.append(
            PageResult(
                backend=backend + suffix,
                page=page,
                path=re.sub(r"/\d+", "/<id>", re.sub(r"/zentren/[^/?]+", "/zentren/<slug>", path)),
                requests=count,
                errors=errors + b_errors,
                rps=round(count / wall, 1) if wall else 0.0,
                p50_ms=round(percentile(latencies, 50) * 1000, 2),
                p95_ms=round(percentile(latencies, 95) * 1000, 2),
                bare_requests=b_count,
                bare_rps=round(b_count / b_wall, 1) if b_wall else 0.0,
                bare_p50_ms=round(percentile(b_latencies, 50) * 1000, 2),
                bytes=sizes[suffix],
            )
        )
    return results


def run_backend(backend: str, database_url: str, workdir: Path, args) -> BackendReport:
    from volunteer_app.db import db

    report = BackendReport(backend)
    print(f"[{backend}] generating the regional dataset …", file=sys.stderr)
    env = app_env(database_url, workdir)
    sessions = Sessions(env["SECRET_KEY"])
    app = dataset.app_for(database_url)
    with app.app_context():
        try:
            generated = dataset.generate(
                args.sizes,
                args.seed,
                log=lambda line: print(f"[{backend}] {line}", file=sys.stderr),
            )
            report.generation_seconds = round(generated.total_seconds, 1)
            with db.connection_context():
                targets = pick_targets(sessions, args.big_slots, args.seed)
        finally:
            dataset.close_database()
    report.big = {"slots": args.big_slots}
    with contextlib.ExitStack() as stack:
        servers = [("", stack.enter_context(gunicorn(env, args.workers, workdir)))]
        if args.baseline:
            (workdir / "baseline").mkdir()
            baseline = gunicorn(env, args.workers, workdir / "baseline", app_dir=args.baseline)
            servers.append((" (baseline)", stack.enter_context(baseline)))
        for page in args.pages:
            if not targets.pages[page]:
                print(f"[{backend}] {page}: nothing to measure", file=sys.stderr)
                continue
            for result in measure_page(backend, servers, page, targets.pages[page], args):
                report.pages.append(result)
                print(
                    f"[{result.backend}] {page}: {result.rps} req/s ({result.rps_ratio:.2f} "
                    f"of bare), p50 {result.p50_ms} ms ({result.p50_ratio:.1f}× bare)",
                    file=sys.stderr,
                )
    return report


# --- Output -----------------------------------------------------------------------------------


def verdict(result: PageResult) -> str:
    if result.page in ("programme 300", "activity 300"):
        return "ok" if result.p50_ratio <= BIG_GOAL else f"> {BIG_GOAL:g}×"
    return "ok" if result.rps_ratio >= REGIONAL_GOAL else f"< {REGIONAL_GOAL:g}"


def print_report(reports: list[BackendReport], args, load_before, load_after) -> None:
    print(
        f"\nPages next to /healthz: gunicorn {args.workers} sync workers, APP_ENV=production, "
        f"{args.concurrency} client threads, {args.requests} requests per page and as many to "
        f"/healthz in {args.rounds} alternating rounds, {args.big_slots}-date activity, on {HOST}"
    )
    print(f"Machine: {machine()} (client and server share it)")
    print(f"Load average (1/5/15 min) before: {load_before}, after: {load_after}")
    header = (
        f"{'backend':20} {'page':14} {'path':34} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'bare/s':>7} {'bare p50':>8} {'÷ bare/s':>8} {'p50 ×':>6} {'kB':>5} {'errors':>6} goal"
    )
    print("\n" + header)
    print("-" * len(header))
    for report in reports:
        for r in report.pages:
            print(
                f"{r.backend:20} {r.page:14} {r.path[:34]:34} {r.rps:>7.1f} {r.p50_ms:>7.1f} "
                f"{r.p95_ms:>7.1f} {r.bare_rps:>7.1f} {r.bare_p50_ms:>8.2f} {r.rps_ratio:>8.2f} "
                f"{r.p50_ratio:>6.1f} {r.bytes / 1000:>5.0f} {r.errors:>6} {verdict(r)}"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=400, help="requests per page (default 400)")
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds (default 4)")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads (default 4)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument(
        "--route-seconds", type=float, default=40.0, help="time cap per page (default 40)"
    )
    parser.add_argument(
        "--big-slots", type=int, default=300, help="dates of the big activity (default 300)"
    )
    parser.add_argument(
        "--pages", default=",".join(PAGES), help=f"comma-separated, of: {', '.join(PAGES)}"
    )
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_PG))
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="DIR",
        help="also serve the pages from this checkout and measure both in the same rounds",
    )
    dataset.add_size_arguments(parser, signups_flag="--dataset-signups")
    args = parser.parse_args(argv)
    args.sizes = dataset.sizes_from(parser, args)
    args.pages = [p.strip() for p in args.pages.split(",") if p.strip()]
    if unknown := [p for p in args.pages if p not in PAGES]:
        parser.error(f"unknown pages: {', '.join(unknown)}")
    if not 1 <= args.requests <= 20_000 or not 1 <= args.rounds <= 50:
        parser.error("--requests must be 1..20000 and --rounds 1..50")
    if not 1 <= args.concurrency <= 64 or not 1 <= args.workers <= 16:
        parser.error("--concurrency must be 1..64 and --workers 1..16")
    if not 0 < args.route_seconds <= 600 or not 1 <= args.big_slots <= 2000:
        parser.error("--route-seconds must be 0..600 and --big-slots 1..2000")
    if args.baseline and not (args.baseline / "wsgi.py").is_file():
        parser.error("--baseline must be a checkout of the app (with wsgi.py)")
    if args.baseline and args.baseline.resolve() == ROOT:
        parser.error("--baseline is this checkout")

    started = time.monotonic()
    reports, load_before, load_after = each_backend(args, "thekiz-pages-", "pages.db", run_backend)
    print_report(reports, args, load_before, load_after)
    print(f"\n{time.monotonic() - started:.0f} s in all")
    if args.json:
        out = {
            "machine": machine(),
            "load_before": load_before,
            "load_after": load_after,
            "args": {k: v for k, v in vars(args).items() if k != "sizes"},
            "backends": [
                {
                    **asdict(r),
                    "pages": [
                        {**asdict(p), "rps_ratio": p.rps_ratio, "p50_ratio": p.p50_ratio}
                        for p in r.pages
                    ],
                }
                for r in reports
            ],
        }
        args.json.write_text(json.dumps(out, indent=2, default=str) + "\n")
    failed = [p for r in reports for p in r.pages if p.errors]
    for p in failed:
        print(f"FAILED: {p.backend} {p.page}: {p.errors} errors", file=sys.stderr)
    return 1 if failed or not reports else 0


if __name__ == "__main__":
    sys.exit(main())
