"""The pages of ``pages.py`` in-process: CPU time per request next to ``/healthz``, and profiles.

    .venv/bin/python benchmarks/profile_pages.py                     # every page, CPU ms and ÷ bare
    .venv/bin/python benchmarks/profile_pages.py --pages "slot list,dashboard" --requests 50
    .venv/bin/python benchmarks/profile_pages.py --pages dashboard --profile 30   # cProfile, top 30
    .venv/bin/python benchmarks/profile_pages.py --app-dir /tmp/before           # another checkout
    .venv/bin/python benchmarks/profile_pages.py --instructions --requests 10   # callgrind
    .venv/bin/python benchmarks/profile_pages.py --path "/konto/|volunteer" --path "/|anonymous"

The first run builds the regional dataset (``dataset.py``) with the 300-date activity of
``pages.py`` into a SQLite file (``--db``, default ``/tmp/thekiz-profile.db``), or into an
empty PostgreSQL database (``--db postgresql://postgres@127.0.0.1:5432/NAME``), and keeps it,
with the pages' targets beside it (``.json``); later runs reuse both (``--rebuild`` makes them
again; the dataset's dates are relative to the day it was built). The app runs with the
production configuration, as under gunicorn, and is driven by Flask's test client: what is
measured is the app's own CPU time per request (``time.process_time``), without HTTP, the
client's parsing or waiting for another request, so it is steadier on a busy machine than
the throughput ``pages.py`` measures from outside. Rounds alternate the pages and
``/healthz``; each figure is the median of the rounds' means.

``--instructions`` counts instructions per request under valgrind's callgrind instead
(``--requests 10``: about a minute per page): the same on a busy machine as on a quiet one.

``--app-dir`` imports the application from another checkout (for instance ``git worktree add
/tmp/before HEAD`` and its catalogues compiled): before and after on the same database.

``--path "PATH|KIND"`` (repeatable) measures any address as a kind of user: ``volunteer``
(the 20 volunteers of the pages above, in turn), ``coordinator`` (the dashboards'
coordinators), ``admin`` (the dataset's administrator) or ``anonymous`` (the default). With
``--path`` and without ``--pages`` only the paths are measured; each is named by the string
as given. A page every logged-in request pays for, whatever its content, is the floor:
``--path "/barrierefreiheit|volunteer"`` (a fixed text in the layout).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _common import PAGES, cpu_seconds

HERE = Path(__file__).resolve().parent


def _url(db: Path | str) -> str:
    """``--db``: a SQLite file, or a PostgreSQL URL (an existing, empty database)."""
    return db if isinstance(db, str) else f"sqlite:///{db}"


def _prepare_env(db: Path | str, secret: str) -> None:
    from _common import app_env

    env = app_env(_url(db), Path(tempfile.gettempdir()))
    env["SECRET_KEY"] = secret
    env["HUEY_URL"] = "memory://"
    os.environ.update(env)


def build(db: Path | str, meta: Path, secret: str, big_slots: int, seed: int) -> dict:
    import dataset
    from pages import pick_targets
    from regional import Sessions

    from volunteer_app.db import db as database

    meta.unlink(missing_ok=True)
    if isinstance(db, Path):
        db.unlink(missing_ok=True)
    app = dataset.app_for(_url(db))
    with app.app_context():
        try:
            dataset.generate(dataset.Sizes(), seed, log=lambda line: print(line, file=sys.stderr))
            with database.connection_context():
                targets = pick_targets(Sessions(secret), big_slots, seed)
        finally:
            dataset.close_database()
    data = {"secret": secret, "built": time.strftime("%Y-%m-%d"), "pages": targets.pages}
    meta.write_text(json.dumps(data))
    return json.loads(meta.read_text())  # lists, as a later run reads them


KINDS = ("volunteer", "coordinator", "admin", "anonymous")


def _refresh_sessions(app, data: dict) -> None:
    """The targets' session cookies signed anew, as logins of now: a cookie from the day the
    dataset was built is past the idle timeout (an hour) and would get the login page."""
    serializer = app.session_interface.get_signing_serializer(app)
    now, fresh = time.time(), {}
    for targets in data["pages"].values():
        for target in targets:
            cookie = target[1]
            if not cookie:
                continue
            if cookie not in fresh:
                session = serializer.loads(cookie.split("=", 1)[1])  # any age
                session.update(login_at=now, auth_at=now)
                fresh[cookie] = "session=" + serializer.dumps(session)
            target[1] = fresh[cookie]


def _path_targets(spec: str, app, data: dict) -> list[list]:
    """``PATH|KIND`` → the (path, cookie) pairs to request, cookies as the pages' own."""
    path, _sep, kind = spec.partition("|")
    kind = kind.strip() or "anonymous"
    if kind not in KINDS or not path.startswith("/"):
        raise SystemExit(f"--path {spec!r}: PATH|KIND with KIND one of {', '.join(KINDS)}")
    if kind == "anonymous":
        return [[path, None]]
    source = {"volunteer": "slot list", "coordinator": "dashboard"}.get(kind)
    if source:
        return [[path, cookie] for _path, cookie in data["pages"][source]]
    from regional import Sessions

    from volunteer_app.accounts.models import User
    from volunteer_app.db import db as database

    with app.app_context(), database.connection_context():
        users = list(
            User.select(User.id, User.session_token)
            .where(User.role == kind)
            .order_by(User.id)
            .limit(20)
            .tuples()
        )
    sessions = Sessions(data["secret"])
    return [[path, sessions.cookie(uid, token)] for uid, token in users]


_UNDER_CALLGRIND = "PROFILE_PAGES_UNDER_CALLGRIND"


def _count_instructions(argv: list[str], pages: list[str], args) -> int:
    """Run this script again under callgrind and print the instructions per request of each
    page, and ÷ the bare route's. Instructions, unlike seconds, do not move with the load of
    a shared machine; the dataset must exist already (a run without --instructions builds it)."""
    import shutil
    import subprocess

    if not shutil.which("valgrind"):
        raise SystemExit("--instructions needs valgrind (Debian: apt-get install valgrind)")
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "callgrind.out"
        command = [
            "valgrind",
            "--tool=callgrind",
            "--collect-atstart=no",
            "--toggle-collect=builtin_breakpoint",
            "--dump-after=builtin_breakpoint",
            f"--callgrind-out-file={out}",
            sys.executable,
            str(Path(__file__).resolve()),
            *[a for a in argv if a != "--instructions"],
        ]
        env = {**os.environ, _UNDER_CALLGRIND: "1"}
        subprocess.run(command, env=env, check=True, capture_output=True)
        dumps = sorted(Path(folder).glob("callgrind.out.*"), key=lambda p: int(p.suffix[1:]))
        totals = []
        for dump in dumps:
            for line in dump.read_text().splitlines():
                if line.startswith("totals:"):
                    totals.append(int(line.split()[1]) / args.requests)
                    break
    if len(totals) != len(pages):
        raise SystemExit(f"expected {len(pages)} counts from callgrind, got {len(totals)}")
    width = max(16, *(len(page) for page in pages))
    print(f"app: {args.app_dir or HERE.parent}  database: {args.db}  (instructions, callgrind)")
    print(f"{'page':<{width}} {'instr/request':>14} {'÷ bare':>8}")
    for page, count in zip(pages, totals, strict=True):
        print(f"{page:<{width}} {count:14,.0f} {count / totals[0]:8.2f}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--db",
        default=str(Path(tempfile.gettempdir()) / "thekiz-profile.db"),
        help="a SQLite file, or the URL of an empty PostgreSQL database (postgresql://…)",
    )
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--pages", default=None, help="names from pages.py (default: all)")
    parser.add_argument(
        "--path",
        action="append",
        default=[],
        metavar="PATH|KIND",
        help="measure PATH as KIND: volunteer, coordinator, admin or anonymous (repeatable)",
    )
    parser.add_argument("--requests", type=int, default=30, help="requests per page and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", type=int, default=0, help="cProfile the pages: top N lines")
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="count instructions per request under valgrind's callgrind instead of CPU time",
    )
    parser.add_argument("--sort", default="cumulative", help="cProfile sort key")
    parser.add_argument("--app-dir", type=Path, help="import the application from this checkout")
    parser.add_argument("--big-slots", type=int, default=300)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    postgres = args.db.startswith("postgres")
    args.db = args.db if postgres else Path(args.db)
    if args.pages is None:
        args.pages = "" if args.path else ",".join(PAGES)
    pages = [p.strip() for p in args.pages.split(",") if p.strip()]
    unknown = set(pages) - set(PAGES)
    if unknown:
        parser.error(f"unknown pages: {', '.join(sorted(unknown))}")

    app_dir = (args.app_dir or HERE.parent).resolve()
    sys.path[:0] = [str(HERE), str(app_dir)]
    os.chdir(app_dir)
    if postgres:
        name = args.db.rstrip("/").rsplit("/", 1)[-1]
        meta = Path(tempfile.gettempdir()) / f"thekiz-profile-{name}.json"
    else:
        meta = args.db.with_suffix(".json")
    # The configuration is read when config.py is first imported: the key must be set before.
    if args.rebuild or not meta.exists() or not (postgres or args.db.exists()):
        secret = secrets.token_urlsafe(48)
        _prepare_env(args.db, secret)
        data = build(args.db, meta, secret, args.big_slots, args.seed)
    else:
        data = json.loads(meta.read_text())
        _prepare_env(args.db, data["secret"])

    from config import ProductionConfig
    from volunteer_app import create_app

    app = create_app(ProductionConfig)
    if not Path(app.root_path).resolve().is_relative_to(app_dir):
        raise SystemExit(f"the app was imported from {app.root_path}, not from {app_dir}")
    client = app.test_client(use_cookies=False)  # the Cookie header as given
    from regional import USER_AGENT

    _refresh_sessions(app, data)
    # After the app is imported: regional.py puts this checkout first on sys.path, and the
    # cookies are signed with the app's own code.
    for spec in args.path:
        data["pages"][spec] = _path_targets(spec, app, data)
        pages.append(spec)

    # On PostgreSQL the server's CPU counts as well: its backends serving this database.
    def server_cpu() -> float:
        return cpu_seconds(f" {name} ") if postgres else 0.0

    def run(page: str, count: int) -> tuple[float, float]:
        """The app's and the database server's CPU ms per request."""
        targets = data["pages"][page] if page != "bare" else [["/healthz", None]]
        start, server_start = time.process_time(), server_cpu()
        for i in range(count):
            path, cookie = targets[i % len(targets)]
            headers = {"User-Agent": USER_AGENT}
            if cookie:
                headers["Cookie"] = cookie
            response = client.get(path, headers=headers, environ_base={"REMOTE_ADDR": "127.0.0.1"})
            if response.status_code != 200:
                raise SystemExit(
                    f"{page}: {path} answered {response.status_code} {response.location}"
                )
        app_ms = (time.process_time() - start) / count * 1000
        return app_ms, (server_cpu() - server_start) / count * 1000

    if os.environ.get(_UNDER_CALLGRIND):
        for page in ["bare", *pages]:  # warm up: caches, templates, the first connection
            run(page, 25)
        # Only what runs inside breakpoint() is counted (--toggle-collect), one dump each.
        for page in ["bare", *pages]:
            sys.breakpointhook = lambda page=page: run(page, args.requests)
            breakpoint()
        return 0
    if args.instructions:
        return _count_instructions(
            argv if argv is not None else sys.argv[1:], ["bare", *pages], args
        )
    for page in ["bare", *pages]:  # warm up: caches, templates, the first connection
        run(page, 5)
    if args.profile:
        import cProfile
        import pstats

        for page in pages:
            profiler = cProfile.Profile(time.process_time)  # CPU, not waiting
            profiler.enable()
            run(page, args.requests)
            profiler.disable()
            print(f"\n===== {page} ({args.requests} requests) =====")
            pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.profile)
            if os.environ.get("PROFILE_CALLERS"):
                pstats.Stats(profiler).print_callers(os.environ["PROFILE_CALLERS"])
            if os.environ.get("PROFILE_CALLEES"):
                pstats.Stats(profiler).print_callees(os.environ["PROFILE_CALLEES"])
        return 0
    results: dict[str, list[tuple[float, float]]] = {page: [] for page in ["bare", *pages]}
    for _ in range(args.rounds):
        for page in pages:
            results["bare"].append(run("bare", args.requests))
            results[page].append(run(page, args.requests))
    loadavg = Path("/proc/loadavg")
    load = loadavg.read_text().split()[:3] if loadavg.exists() else []
    print(f"app: {app_dir}  database: {args.db} (built {data['built']})  load: {' '.join(load)}")
    width = max(16, *(len(page) for page in results))
    # PostgreSQL: the app's CPU, the server's (its backends' clock ticks: 10 ms steps, so
    # --requests of 100 or more) and their sum ÷ bare's sum; SQLite: the app's.
    medians = {
        page: (statistics.median(a for a, _ in values), statistics.median(s for _, s in values))
        for page, values in results.items()
    }
    bare = sum(medians["bare"])
    print(f"{'page':<{width}} {'CPU ms':>8} {'PG ms':>8} {'÷ bare':>8}")
    for page, (app_ms, pg_ms) in medians.items():
        pg = f"{pg_ms:8.2f}" if postgres else f"{'':8}"
        print(f"{page:<{width}} {app_ms:8.2f} {pg} {(app_ms + pg_ms) / bare:8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
