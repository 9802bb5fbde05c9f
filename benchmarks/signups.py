"""Sign-up throughput on PostgreSQL: distinct sign-ups and a crowd on few seats, no overbooking.

    .venv/bin/python benchmarks/signups.py                          # gunicorn -w 4, 4 clients
    .venv/bin/python benchmarks/signups.py --rounds 3 --app-dir /tmp/before --app-dir .

It builds the regional dataset of ``benchmarks/dataset.py`` once in a private PostgreSQL
database (dropped at the end), then, per round and per ``--app-dir`` (a checkout: to
compare two on the same data, one after the other, alternating), starts
``gunicorn --workers N`` with the production configuration (as ``regional.py``) and
measures from ``--concurrency`` client threads:

1. ``/healthz`` for ``--bare-requests``: the bare route on the same server;
2. ``POST /termine/<id>/anmelden`` by ``--signups`` distinct volunteers on distinct slots
   with a free seat and no clash (each first opens the slot page for its CSRF token and
   session, not measured): each must answer 302 and leave a confirmed sign-up;
3. the crowd: ``--crowd-slots`` slots with free seats, ``--crowd-size`` volunteers each,
   all posting at once in random order: every POST must answer 302, and afterwards each
   slot must have exactly ``min(free seats, crowd)`` new confirmed sign-ups and the rest
   on the waiting list. "Overbooked" counts the slots where more were confirmed than
   there were seats, or where ``taken`` differs from the confirmed sign-ups.

Before each run the database gets that checkout's own revision triggers
(``volunteer_app/revisions/triggers.py``, which fire on every sign-up): the dataset is
migrated by this checkout, and another one would otherwise be measured with this one's
triggers (``--same-triggers`` keeps this checkout's for every run).

After each run the dataset's invariants must hold (``dataset.check_invariants``). The
output shows requests/s, p50/p95/p99, the sign-up rate as a share of the bare route's
and the 1-minute load average before and after each measurement. Exit code 1 on any
error or overbooking.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode, urlparse

import dataset
from _common import (
    DEFAULT_PG,
    ROOT,
    app_env,
    cpu_seconds,
    gunicorn,
    machine,
    postgres_database,
    postgres_reachable,
    request,
    run_load,
)
from regional import CSRF_RE, Sessions, _headers, confirmed_pairs, pick_subjects, session_from


def _load() -> str:
    return f"{os.getloadavg()[0]:.2f}"


class CpuMeter:
    """CPU ms per request of the app's workers and of PostgreSQL for one phase: less
    sensitive to other work on a shared machine than requests per second."""

    def __init__(self, port: int, database: str | None):
        """``database``: the PostgreSQL database's name; None for SQLite (in the workers)."""
        self.app_marker = f"127.0.0.1:{port}"
        self.db_marker = f" {database} " if database else None

    def _db(self) -> float:
        return cpu_seconds(self.db_marker) if self.db_marker else 0.0

    def __enter__(self):
        self.app0, self.db0 = cpu_seconds(self.app_marker), self._db()
        self.own0 = time.process_time()
        return self

    def __exit__(self, *exc):
        self.app = cpu_seconds(self.app_marker) - self.app0
        self.db = self._db() - self.db0
        self.client = time.process_time() - self.own0

    def per_request(self, count: int) -> dict:
        n = max(count, 1)
        return {
            "app_cpu_ms": round(self.app / n * 1000, 2),
            "db_cpu_ms": round(self.db / n * 1000, 2),
            "client_cpu_ms": round(self.client / n * 1000, 2),
        }


def pick_crowds(slots: int, size: int, seed: int) -> list[tuple[int, int, list[tuple]]]:
    """``slots`` open slots with free seats, each with ``size`` volunteers who have no row
    for it and no clash with it (every volunteer in one crowd only): (slot, free, people)."""
    from volunteer_app.accounts.models import User
    from volunteer_app.activities.models import Activity, Slot
    from volunteer_app.db import utcnow
    from volunteer_app.signups.models import ACTIVE, Signup

    rng = random.Random(seed)
    now = utcnow()
    candidates = list(
        Slot.select(Slot.id, Slot.starts_at, Slot.ends_at, Slot.capacity - Slot.taken)
        .join(Activity)
        .where(
            (Slot.status == "scheduled")
            & (Slot.starts_at > now + dt.timedelta(hours=3))
            & (Slot.taken < Slot.capacity)
            & (Activity.signup_mode == "open")
            & (Activity.is_child_facing == False)  # noqa: E712
        )
        .tuples()
    )
    rng.shuffle(candidates)
    people = list(User.select(User.id, User.session_token).where(User.role == "volunteer").tuples())
    rng.shuffle(people)
    busy: dict[int, list[tuple]] = {}
    for volunteer, starts, ends in (
        Signup.select(Signup.volunteer, Slot.starts_at, Slot.ends_at)
        .join(Slot)
        .where(Signup.status.in_(ACTIVE) & (Slot.ends_at > now))
        .tuples()
    ):
        busy.setdefault(volunteer, []).append((starts, ends))
    rows = set(Signup.select(Signup.slot, Signup.volunteer).tuples())
    crowds, used = [], set()
    for slot_id, starts, ends, free in candidates:
        if len(crowds) >= slots:
            break
        crowd = []
        for uid, token in people:
            if uid in used or (slot_id, uid) in rows:
                continue
            if any(s < ends and e > starts for s, e in busy.get(uid, ())):
                continue
            crowd.append((uid, token))
            if len(crowd) == size:
                break
        if len(crowd) == size:
            used.update(uid for uid, _t in crowd)
            crowds.append((slot_id, free, crowd))
    if len(crowds) < slots:
        raise RuntimeError(f"found only {len(crowds)} of {slots} crowds")
    return crowds


def prepare(port: int, targets: list[tuple[str, int]], concurrency: int) -> dict[int, tuple]:
    """Open each target's slot page (not measured): its session cookie and CSRF token."""
    prepared: dict[int, tuple[str, str]] = {}

    def page(n: int) -> bool:
        cookie, slot_id = targets[n]
        response = request(port, "GET", f"/termine/{slot_id}", _headers(cookie))
        match = CSRF_RE.search(response.body)
        session = session_from(response)
        if response.status != 200 or not match or not session:
            return False
        prepared[n] = (session, match.group(1).decode())
        return True

    load = run_load(page, len(targets), concurrency, 600)
    if load.errors:
        raise RuntimeError(f"{load.errors} slot pages failed")
    return prepared


def post_all(port: int, targets, prepared, concurrency: int, seconds: float):
    def sign_up(n: int) -> bool:
        session, csrf = prepared[n]
        slot_id = targets[n][1]
        response = request(
            port,
            "POST",
            f"/termine/{slot_id}/anmelden",
            _headers(session, **{"Content-Type": "application/x-www-form-urlencoded"}),
            urlencode({"csrf_token": csrf}).encode(),
        )
        location = urlparse(response.headers.get("Location", "")).path
        return response.status == 302 and location == f"/termine/{slot_id}"

    return run_load(sign_up, len(targets), concurrency, seconds)


def figures(load) -> dict:
    return {
        "requests": load.count,
        "errors": load.errors,
        "rps": round(load.rps, 1),
        "p50_ms": load.ms(50),
        "p95_ms": load.ms(95),
        "p99_ms": load.ms(99),
    }


# Run in a checkout (its directory first on sys.path): every revision trigger goes, whichever
# code made it, and that checkout's own are installed.
_OWN_TRIGGERS = """
import sys
from playhouse.db_url import connect
from volunteer_app.revisions import triggers
database = connect(sys.argv[1])
with database.atomic():
    for name, table in database.execute_sql(
        "SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "WHERE NOT t.tgisinternal AND left(t.tgname, 4) = 'rev_'"
    ).fetchall():
        database.execute_sql(f'DROP TRIGGER "{name}" ON "{table}"')
    triggers.install(database)
database.close()
"""


def own_triggers(url: str, app_dir: Path) -> None:
    """The revision triggers of ``app_dir``'s code on the database (they fire on every
    sign-up, and the checkouts compared may define them differently)."""
    proc = subprocess.run(
        [sys.executable, "-c", _OWN_TRIGGERS, url],
        cwd=app_dir,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"installing the triggers of {app_dir} failed:\n{proc.stderr[-2000:]}")


def one_run(url: str, app_dir: Path, workdir: Path, args, seed: int) -> dict:
    from volunteer_app.db import db

    def picked(pick):
        app = dataset.app_for(url)
        with app.app_context():
            try:
                with db.connection_context():
                    return pick()
            finally:
                dataset.close_database()

    pairs = picked(lambda: pick_subjects(args.signups, seed).pairs)
    env = app_env(url, workdir)
    sessions = Sessions(env["SECRET_KEY"])
    distinct = [(sessions.cookie(uid, token), slot_id) for uid, token, slot_id in pairs]
    out: dict = {"app_dir": str(app_dir)}
    if not args.same_triggers:
        own_triggers(url, app_dir)
    with gunicorn(env, args.workers, workdir, app_dir=app_dir) as port:
        for _ in range(20):
            request(port, "GET", "/healthz")
        out["load_before"] = _load()
        database = urlparse(url).path.lstrip("/")
        with CpuMeter(port, database) as meter:
            bare = run_load(
                lambda n: request(port, "GET", "/healthz").status == 200,
                args.bare_requests,
                args.concurrency,
                args.seconds,
            )
        out["bare"] = figures(bare) | meter.per_request(bare.count)
        prepared = prepare(port, distinct, args.concurrency)
        out["load_before_signups"] = _load()
        with CpuMeter(port, database) as meter:
            posts = post_all(port, distinct, prepared, args.concurrency, args.seconds)
        out["signups"] = figures(posts) | meter.per_request(posts.count)
        out["load_after_signups"] = _load()
        # The crowds are picked now, from what the distinct sign-ups left free.
        crowds = picked(lambda: pick_crowds(args.crowd_slots, args.crowd_size, seed + 1))
        crowd = [
            (sessions.cookie(uid, token), slot_id)
            for slot_id, _free, people in crowds
            for uid, token in people
        ]
        random.Random(seed).shuffle(crowd)
        prepared = prepare(port, crowd, args.concurrency)
        with CpuMeter(port, database) as meter:
            rush = post_all(port, crowd, prepared, args.concurrency, args.seconds)
        out["crowd"] = figures(rush) | meter.per_request(rush.count)
        out["load_after"] = _load()
    out["ratio"] = round(posts.rps / bare.rps, 3) if bare.rps else None

    # The database afterwards: every distinct sign-up confirmed, crowds never overbooked.
    from volunteer_app.activities.models import Slot
    from volunteer_app.signups.models import Signup

    app = dataset.app_for(url)
    with app.app_context():
        try:
            with db.connection_context():
                out["distinct_not_confirmed"] = posts.count - confirmed_pairs(pairs[: posts.count])
                overbooked = wrong = 0
                for slot_id, free, people in crowds:
                    ids = [uid for uid, _t in people]
                    statuses = [
                        s
                        for (s,) in Signup.select(Signup.status)
                        .where((Signup.slot == slot_id) & Signup.volunteer.in_(ids))
                        .tuples()
                    ]
                    confirmed = statuses.count("confirmed")
                    slot = Slot.get_by_id(slot_id)
                    if confirmed > free or slot.taken > slot.capacity:
                        overbooked += 1
                    elif rush.count == len(crowd) and (
                        confirmed != min(free, len(ids))
                        or statuses.count("waitlisted") != len(ids) - confirmed
                    ):
                        wrong += 1
                out["crowd_overbooked"] = overbooked
                out["crowd_wrong_outcome"] = wrong
                out["invariants"] = dataset.check_invariants()
        finally:
            dataset.close_database()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--signups", type=int, default=1000, help="distinct sign-ups per run")
    parser.add_argument("--crowd-slots", type=int, default=50, help="slots the crowds rush")
    parser.add_argument("--crowd-size", type=int, default=6, help="volunteers per crowd slot")
    parser.add_argument("--bare-requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=4, help="client threads (default 4)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--rounds", type=int, default=1, help="runs per --app-dir (default 1)")
    parser.add_argument("--seconds", type=float, default=60.0, help="time cap per phase")
    parser.add_argument(
        "--app-dir",
        action="append",
        type=Path,
        default=[],
        help="a checkout to serve (repeatable: alternated on the same data); default this one",
    )
    parser.add_argument(
        "--same-triggers",
        action="store_true",
        help="keep this checkout's revision triggers for every --app-dir (default: each its own)",
    )
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_PG))
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    dataset.add_size_arguments(parser, signups_flag="--dataset-signups")
    args = parser.parse_args(argv)
    # Stopped with SIGTERM: still drop the private database and stop gunicorn.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    args.sizes = dataset.sizes_from(parser, args)
    if not 1 <= args.signups <= 5000 or not 1 <= args.crowd_slots * args.crowd_size <= 5000:
        parser.error("--signups and the crowd must be 1..5000")
    if not 1 <= args.concurrency <= 64 or not 1 <= args.workers <= 16 or not 1 <= args.rounds <= 10:
        parser.error("--concurrency 1..64, --workers 1..16, --rounds 1..10")
    dirs = [d.resolve() for d in args.app_dir] or [ROOT]
    for d in dirs:
        if not (d / "wsgi.py").is_file():
            parser.error(f"{d} has no wsgi.py")
    if reason := postgres_reachable(args.postgres_url):
        print(f"PostgreSQL not reachable: {reason}", file=sys.stderr)
        return 1

    runs = []
    with tempfile.TemporaryDirectory(prefix="thekiz-signups-") as tmp:
        workdir = Path(tmp)
        with postgres_database(args.postgres_url) as url:
            app = dataset.app_for(url)
            with app.app_context():
                try:
                    dataset.generate(args.sizes, args.seed, log=lambda line: None)
                finally:
                    dataset.close_database()
            for round_no in range(args.rounds):
                for k, app_dir in enumerate(dirs):
                    seed = args.seed + 100 * round_no + k
                    run = one_run(url, app_dir, workdir, args, seed)
                    run["round"] = round_no + 1
                    runs.append(run)
                    print_run(run)

    print(f"\n{machine()}; gunicorn -w {args.workers}, {args.concurrency} client threads")
    failed = [
        r
        for r in runs
        if r["signups"]["errors"]
        or r["crowd"]["errors"]
        or r["distinct_not_confirmed"]
        or r["crowd_overbooked"]
        or r["crowd_wrong_outcome"]
        or r["invariants"]
    ]
    if args.json:
        args.json.write_text(
            json.dumps({"machine": machine(), "args": vars(args), "runs": runs}, default=str)
        )
    return 1 if failed else 0


def _cpu(f: dict) -> str:
    return (
        f"CPU per request: app {f['app_cpu_ms']} ms, PostgreSQL {f['db_cpu_ms']} ms, "
        f"client {f['client_cpu_ms']} ms"
    )


def print_run(run: dict) -> None:
    bare, ups, crowd = run["bare"], run["signups"], run["crowd"]
    print(
        f"round {run['round']} {run['app_dir']}: load {run['load_before']} → {run['load_after']}\n"
        f"  /healthz   {bare['rps']:7.1f}/s  p50 {bare['p50_ms']} ms  errors {bare['errors']}  "
        f"{_cpu(bare)}\n"
        f"  sign-ups   {ups['rps']:7.1f}/s  p50 {ups['p50_ms']} p95 {ups['p95_ms']} "
        f"p99 {ups['p99_ms']} ms  errors {ups['errors']}  "
        f"({ups['requests']} sent, {run['distinct_not_confirmed']} not confirmed; "
        f"{run['ratio']} of /healthz; load {run['load_before_signups']} → "
        f"{run['load_after_signups']})\n             {_cpu(ups)}\n"
        f"  crowd      {crowd['rps']:7.1f}/s  p50 {crowd['p50_ms']} p95 {crowd['p95_ms']} ms  "
        f"errors {crowd['errors']}  overbooked {run['crowd_overbooked']}  "
        f"wrong outcome {run['crowd_wrong_outcome']}\n             {_cpu(crowd)}\n"
        f"  invariants {'hold' if not run['invariants'] else run['invariants']}",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
