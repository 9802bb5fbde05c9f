"""Calendar feeds and public pages: cold render of a 2,000-event feed, and the 304 paths
next to /healthz.

    .venv/bin/python benchmarks/feeds.py                    # SQLite, and PostgreSQL if reachable
    .venv/bin/python benchmarks/feeds.py --requests 2000 --no-postgres

For each backend: a fresh database (temporary SQLite file / private PostgreSQL database),
``flask db upgrade``, one centre with 2,000 public slots (each with a confirmed sign-up) and a
coordinator's staff link. Then
1. in-process, the cold render (rows -> bytes, nothing cached) of the family and the staff feed,
   the median of 5 runs;
2. ``gunicorn -w 2`` on 127.0.0.1 with the production configuration: one cold HTTP request of
   each feed (cache emptied), then a bounded load of ``/healthz``, the family feed answered
   with 304, the cached feed (200), the centre's public page answered with 304 and rendered
   (200, anonymous), and ``/healthz`` again — same server, same run. Each 304 path is printed
   as a share of the bare route's throughput (the mean of the two ``/healthz`` runs).
The load average is printed before and after. Rate limits of the feed URLs are raised for
the run (``RATELIMIT_FEEDS``/``RATELIMIT_FEED_URL``), but they are still counted.

``--app-dir`` (repeatable) serves another checkout on the same data (``git worktree add
/tmp/before HEAD``, its catalogues compiled), and measures its in-process CPU in a process
of its own; with ``--rounds`` the checkouts take turns, so before and after see the same
machine. The data and the cold render come from this checkout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
# ``--cpu-only`` runs in a process of its own for another checkout (``--app-dir``).
sys.path.insert(0, os.environ.get("FEEDS_APP_DIR") or str(Path(__file__).resolve().parent.parent))

from _common import (
    DEFAULT_PG,
    HOST,
    ROOT,
    RouteResult,
    app_env,
    flask,
    get,
    gunicorn,
    machine,
    postgres_database,
    postgres_reachable,
    request,
    run_load,
)

EVENTS = 2000


def _overrides(env: dict[str, str]) -> dict[str, str]:
    # config.py reads the environment once, at import: the second backend needs its own values.
    return {k: env[k] for k in ("DATABASE_URL", "SECRET_KEY", "BASE_URL")}


def seed(env: dict[str, str]) -> tuple[str, str]:
    """The centre with 2,000 slots; returns (family feed path, staff feed path)."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        from config import config_from_env
        from volunteer_app import create_app
        from volunteer_app.accounts.models import User
        from volunteer_app.activities.models import Activity, Category, Slot
        from volunteer_app.activities.recurrence import berlin_to_utc
        from volunteer_app.centres.models import Centre, CentreMembership
        from volunteer_app.centres.queries import today
        from volunteer_app.db import db, utcnow
        from volunteer_app.feeds import services
        from volunteer_app.signups.models import Signup

        app = create_app(config_from_env(), **_overrides(env))
        with app.app_context(), db.connection_context(), db.atomic():
            centre = Centre.create(name="Benchmark-Zentrum", slug="bench", town="Erfurt")
            coordinator = User.create(
                email="coord@bench.invalid",
                name="Clara Bench",
                password_hash="x",  # noqa: S106 (nobody logs in)
                role="coordinator",
                session_token=secrets.token_hex(16),
                email_confirmed_at=utcnow(),
            )
            volunteer = User.create(
                email="vera@bench.invalid",
                name="Vera Bench",
                password_hash="x",  # noqa: S106 (nobody logs in)
                session_token=secrets.token_hex(16),
                email_confirmed_at=utcnow(),
            )
            CentreMembership.create(user=coordinator, centre=centre)
            activity = Activity.create(
                centre=centre,
                title="Offener Treff",
                category=Category.get(Category.key == "reading"),
                place="Saal",
                volunteers_needed=2,
            )
            start = berlin_to_utc(today() - dt.timedelta(days=50), dt.time(8))
            Slot.insert_many(
                [
                    {
                        "activity": activity.id,
                        "starts_at": start + dt.timedelta(hours=4 * i),
                        "ends_at": start + dt.timedelta(hours=4 * i + 2),
                        "capacity": 2,
                        "taken": 1,
                    }
                    for i in range(EVENTS)
                ]
            ).execute()
            Signup.insert_many(
                [
                    {"slot": s.id, "volunteer": volunteer.id, "status": "confirmed"}
                    for s in Slot.select(Slot.id)
                ]
            ).execute()
            token = services.link_token(services.create_link("staff", centre, actor=coordinator))
        return "/zentren/bench/kalender.ics", f"/kalender/{token}.ics"
    finally:
        os.environ.clear()
        os.environ.update(saved)


def cold_render(env: dict[str, str], runs: int = 5) -> dict[str, float]:
    """Median ms of rendering each feed from the rows (no cache involved)."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        from config import config_from_env
        from volunteer_app import create_app
        from volunteer_app.centres.models import Centre
        from volunteer_app.centres.queries import today
        from volunteer_app.db import db
        from volunteer_app.feeds import content

        app = create_app(config_from_env(), **_overrides(env))
        result = {}
        with app.test_request_context(), db.connection_context():
            centre = Centre.get(Centre.slug == "bench")
            for name, make in (
                ("family", lambda: content.family_feed(centre, [], "de", today())),
                ("staff", lambda: content.staff_feed(centre, "de", today())),
            ):
                times, cpu = [], []
                for _ in range(runs):
                    feed = make()
                    started, started_cpu = time.perf_counter(), time.process_time()
                    data = feed.render()
                    times.append((time.perf_counter() - started) * 1000)
                    cpu.append((time.process_time() - started_cpu) * 1000)
                assert data.count(b"BEGIN:VEVENT") == EVENTS
                result[name] = statistics.median(times)
                result[name + "_cpu"] = statistics.median(cpu)
                result[name + "_kb"] = len(data) / 1024
        return result
    finally:
        os.environ.clear()
        os.environ.update(saved)


def cpu_per_request(env: dict[str, str], rounds: int = 7, n: int = 200) -> dict[str, float]:
    """In-process CPU milliseconds per request (median of ``rounds``, the routes taking
    turns): ``/healthz``, the family feed's 304 and the centre page's 304. Steadier than
    throughput on a shared machine, where other work moves req/s by tens of percent."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        from config import config_from_env
        from volunteer_app import create_app

        client = create_app(config_from_env(), **_overrides(env)).test_client()
        feed, page = "/zentren/bench/kalender.ics", "/zentren/bench"
        feed_etag = client.get(feed).headers["ETag"]
        page_etag = client.get(page).headers["ETag"]
        calls = {
            "healthz": lambda: client.get("/healthz"),
            "feed 304": lambda: client.get(feed, headers={"If-None-Match": feed_etag}),
            "page 304": lambda: client.get(page, headers={"If-None-Match": page_etag}),
        }
        times: dict[str, list[float]] = {name: [] for name in calls}
        for _ in range(rounds):
            for name, call in calls.items():
                for _ in range(20):
                    call()
                started = time.process_time()
                for _ in range(n):
                    call()
                times[name].append((time.process_time() - started) / n * 1000)
        return {name: statistics.median(values) for name, values in times.items()}
    finally:
        os.environ.clear()
        os.environ.update(saved)


def clear_cache(env):
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        from config import config_from_env
        from volunteer_app import create_app
        from volunteer_app.db import db
        from volunteer_app.feeds.models import FeedCache

        with (
            create_app(config_from_env(), **_overrides(env)).app_context(),
            db.connection_context(),
        ):
            FeedCache.delete().execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)


def cpu_in(app_dir: Path, env: dict[str, str]) -> dict[str, float]:
    """``cpu_per_request`` of another checkout, in a process of its own."""
    if app_dir == ROOT:
        return cpu_per_request(env)
    child_env = {**env, "FEEDS_APP_DIR": str(app_dir)}
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--cpu-only"],
        cwd=app_dir,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"--cpu-only in {app_dir} failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_backend(backend: str, database_url: str, workdir: Path, args) -> list[tuple]:
    """Per round and checkout: (checkout, results, figures)."""
    env = app_env(database_url, workdir)
    env["RATELIMIT_FEEDS"] = env["RATELIMIT_FEED_URL"] = "10000000 per minute"
    flask(["db", "upgrade"], env)
    family, staff = seed(env)
    cold = cold_render(env)
    runs = []
    for _round in range(args.rounds):
        for app_dir in args.app_dir:
            figures = dict(cold, load_before=os.getloadavg()[0])
            figures["cpu"] = cpu_in(app_dir, env)
            results = serve(backend, env, workdir, args, app_dir, family, staff, figures)
            figures["load_after"] = os.getloadavg()[0]
            runs.append((app_dir, results, figures))
    return runs


def serve(backend, env, workdir, args, app_dir, family, staff, figures) -> list:
    results = []
    with gunicorn(env, args.workers, workdir, app_dir=app_dir) as port:
        for name, path in (("family", family), ("staff", staff)):
            clear_cache(env)
            started = time.perf_counter()
            first = request(port, "GET", path)
            figures[f"{name}_cold_http"] = (time.perf_counter() - started) * 1000
            assert first.status == 200 and first.body.count(b"BEGIN:VEVENT") == EVENTS
        etag = request(port, "GET", family).headers["ETag"]
        page = "/zentren/bench"
        page_first = request(port, "GET", page)
        assert page_first.status == 200 and "Set-Cookie" not in page_first.headers
        page_etag = page_first.headers["ETag"]

        def not_modified(_n):
            return request(port, "GET", family, {"If-None-Match": etag}).status == 304

        def cached(_n):
            return get(port, family)[0] == 200

        def page_not_modified(_n):
            return request(port, "GET", page, {"If-None-Match": page_etag}).status == 304

        def page_rendered(_n):
            return get(port, page)[0] == 200

        def health(_n):
            return get(port, "/healthz")[0] == 200

        for route, path, call in (
            ("health check", "/healthz", health),
            ("feed 304", family + " (If-None-Match)", not_modified),
            ("feed 200 cached", family, cached),
            ("page 304", page + " (If-None-Match)", page_not_modified),
            ("page 200", page, page_rendered),
            ("health check", "/healthz", health),
        ):
            for _ in range(20):
                call(0)
            load = run_load(call, args.requests, args.concurrency, args.route_seconds)
            results.append(RouteResult.from_load(backend, route, path, load))
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--route-seconds", type=float, default=60.0)
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_PG))
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument(
        "--app-dir",
        action="append",
        type=Path,
        default=[],
        help="a checkout to serve (repeatable: they take turns on the same data); default this one",
    )
    parser.add_argument("--rounds", type=int, default=1, help="turns per --app-dir (default 1)")
    parser.add_argument("--cpu-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.cpu_only:  # a child of cpu_in(): the environment holds the database and key
        print(json.dumps(cpu_per_request(dict(os.environ))))
        return 0
    args.app_dir = [d.resolve() for d in args.app_dir] or [ROOT]
    for d in args.app_dir:
        if not (d / "wsgi.py").is_file():
            parser.error(f"{d} has no wsgi.py")
    if not 1 <= args.rounds <= 10:
        parser.error("--rounds must be 1..10")
    load_before = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory(prefix="thekiz-feeds-") as tmp:
        workdir = Path(tmp)
        backends = [("sqlite", f"sqlite:///{workdir / 'bench.db'}")]
        for backend, url in backends:
            rows.extend((backend, *run) for run in run_backend(backend, url, workdir, args))
        if not args.no_postgres and not postgres_reachable(args.postgres_url):
            with postgres_database(args.postgres_url) as url:
                rows.extend(
                    ("postgres", *run) for run in run_backend("postgres", url, workdir, args)
                )
    load_after = os.getloadavg()
    print(
        f"\nFeeds benchmark: {EVENTS} events, gunicorn -w {args.workers}, {args.concurrency} client threads, on {HOST}"
    )
    print(
        f"Machine: {machine()}; load average (1, 5, 15 min) before: "
        f"{' '.join(f'{v:.2f}' for v in load_before)}, after: "
        f"{' '.join(f'{v:.2f}' for v in load_after)}\n"
    )
    for backend, app_dir, results, figures in rows:
        print(
            f"[{backend}] {app_dir} (load {figures['load_before']:.2f} → "
            f"{figures['load_after']:.2f}) cold render (median of 5, in-process, this checkout): "
            f"family {figures['family']:.0f} ms "
            f"wall / {figures['family_cpu']:.0f} ms CPU ({figures['family_kb']:.0f} KiB), staff "
            f"{figures['staff']:.0f} ms wall / {figures['staff_cpu']:.0f} ms CPU; first HTTP request "
            f"(render + store): family {figures['family_cold_http']:.0f} ms, staff {figures['staff_cold_http']:.0f} ms"
        )
        for r in results:
            print(
                f"  {r.route:16} {r.requests:>6} req {r.errors:>3} err {r.rps:>8.1f} req/s "
                f"p50 {r.p50_ms:>6.1f} ms p95 {r.p95_ms:>6.1f} ms"
            )
        bare = statistics.mean(r.rps for r in results if r.route == "health check")
        shares = ", ".join(
            f"{r.route} {r.rps / bare:.2f}" for r in results if r.route.endswith("304")
        )
        print(f"  share of /healthz's throughput ({bare:.0f} req/s): {shares}")
        cpu = figures["cpu"]
        print(
            "  in-process CPU per request (median of 7 x 200): "
            + ", ".join(f"{name} {ms:.3f} ms" for name, ms in cpu.items())
            + "; /healthz's share: "
            + ", ".join(
                f"{name} {cpu['healthz'] / ms:.2f}" for name, ms in cpu.items() if name != "healthz"
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
