"""Regional dataset: latency and throughput of the slot list, the dashboard and sign-ups.

    .venv/bin/python benchmarks/regional.py                 # SQLite, and PostgreSQL if reachable
    .venv/bin/python benchmarks/regional.py --no-postgres --requests 300 --signups 100

For each backend it builds the regional dataset of ``benchmarks/dataset.py`` (100 centres,
5,000 volunteers, 50,000 slots, 150,000 sign-ups) in a fresh database (a temporary SQLite
file; a private PostgreSQL database on the server of ``--postgres-url``, dropped
afterwards), starts ``gunicorn -w 2`` on a free port of 127.0.0.1 with the production
configuration, and sends a bounded number of requests from a thread pool:

- ``/healthz``, the bare route, for the fixed cost of a request on the same server;
- ``/termine/``, the volunteers' slot list, as 20 different volunteers, and the same list
  filtered with "fits my profile" (``?fits_me=y``);
- ``/zentren/<slug>/planung``, the coordinators' dashboard, as coordinators of 10 centres;
- ``/termine/<id>``, a slot's page, as the volunteer who will sign up for it (its form
  gives the CSRF token);
- ``POST /termine/<id>/anmelden``, sign-ups of distinct volunteers for distinct slots with
  free seats and no clash with their other dates; each must answer 302 and leave a
  confirmed sign-up in the database.

The benchmark users are logged in with session cookies signed with the server's
``SECRET_KEY`` (the login form is rate-limited), the staff ones with the second factor
done. No mail leaves the machine: the mail backend points at 127.0.0.1 and no job
consumer runs, so the mail stays in the outbox. Any failed request makes the exit code 1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlparse

import dataset
from _common import (
    DEFAULT_PG,
    HOST,
    Load,
    RouteResult,
    app_env,
    each_backend,
    gunicorn,
    machine,
    request,
    run_load,
)

USER_AGENT = "thekiz-regional-benchmark"
LIST_VOLUNTEERS = 20
DASHBOARD_CENTRES = 10
WARMUP = 20
CSRF_RE = re.compile(rb'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass
class BackendReport:
    backend: str
    generation: dict = field(default_factory=dict)
    signups_before: dict = field(default_factory=dict)
    signups_after: dict = field(default_factory=dict)
    outbox_after: int = 0
    routes: list[RouteResult] = field(default_factory=list)


@dataclass
class Subjects:
    """Who the benchmark acts as: (user id, session token[, slug or slot id])."""

    volunteers: list[tuple[int, str]]
    coordinators: list[tuple[int, str, str]]
    pairs: list[tuple[int, str, int]]  # distinct volunteers and distinct slots


# --- Picking the benchmark's users and slots (in-process, before the server starts) -----------


def pick_subjects(n_pairs: int, seed: int) -> Subjects:
    """Needs an app context and a connection to the generated database."""
    from volunteer_app.accounts.models import User
    from volunteer_app.activities.models import Activity, Slot
    from volunteer_app.centres.models import Centre, CentreMembership
    from volunteer_app.db import utcnow
    from volunteer_app.signups.models import ACTIVE, Signup

    rng = random.Random(seed)
    now = utcnow()
    people = list(
        User.select(User.id, User.session_token)
        .where(User.role == "volunteer")
        .order_by(User.id)
        .tuples()
    )
    rng.shuffle(people)
    listers, signers = people[:LIST_VOLUNTEERS], people[LIST_VOLUNTEERS:]

    centres = list(Centre.select(Centre.id, Centre.slug).order_by(Centre.id).tuples())
    step = max(1, len(centres) // DASHBOARD_CENTRES)
    coordinators = []
    for centre_id, slug in centres[::step][:DASHBOARD_CENTRES]:
        uid, token = (
            User.select(User.id, User.session_token)
            .join(CentreMembership, on=(CentreMembership.user == User.id))
            .where(CentreMembership.centre == centre_id)
            .order_by(User.id)
            .tuples()
            .first()
        )
        coordinators.append((uid, token, slug))

    # Open slots with a free seat that need no certificate and no approval, from 3 h ahead.
    free = list(
        Slot.select(Slot.id, Slot.starts_at, Slot.ends_at)
        .join(Activity)
        .where(
            (Slot.status == "scheduled")
            & (Slot.starts_at > now + dt.timedelta(hours=3))
            & (Slot.taken < Slot.capacity)
            & (Activity.signup_mode == "open")
            & (Activity.is_child_facing == False)  # noqa: E712
        )
        .order_by(Slot.id)
        .tuples()
    )
    rng.shuffle(free)
    busy: dict[int, list[tuple]] = {}
    for volunteer, starts, ends in (
        Signup.select(Signup.volunteer, Slot.starts_at, Slot.ends_at)
        .join(Slot)
        .where(Signup.status.in_(ACTIVE) & (Slot.status == "scheduled") & (Slot.ends_at > now))
        .tuples()
    ):
        busy.setdefault(volunteer, []).append((starts, ends))
    rows = set(Signup.select(Signup.slot, Signup.volunteer).tuples())
    pairs = []
    for uid, token in signers:
        if len(pairs) >= n_pairs or not free:
            break
        for k, (slot_id, starts, ends) in enumerate(free[:200]):
            clash = any(s < ends and e > starts for s, e in busy.get(uid, ()))
            if not clash and (slot_id, uid) not in rows:
                pairs.append((uid, token, slot_id))
                free.pop(k)
                break
    if len(pairs) < n_pairs:
        raise RuntimeError(f"found only {len(pairs)} of {n_pairs} sign-up pairs")
    return Subjects(listers, coordinators, pairs)


def confirmed_pairs(pairs: list[tuple[int, str, int]]) -> int:
    """How many of the (volunteer, slot) pairs have a confirmed sign-up now."""
    from volunteer_app.signups.models import Signup

    wanted = {(slot_id, uid) for uid, _token, slot_id in pairs}
    found = 0
    slot_ids = sorted({slot_id for _uid, _token, slot_id in pairs})
    for start in range(0, len(slot_ids), 500):
        query = Signup.select(Signup.slot, Signup.volunteer).where(
            Signup.slot.in_(slot_ids[start : start + 500]) & (Signup.status == "confirmed")
        )
        found += sum(1 for pair in query.tuples() if pair in wanted)
    return found


# --- Sessions ---------------------------------------------------------------------------------


class Sessions:
    """Flask session cookies as a login would make them, signed with the server's key."""

    def __init__(self, secret_key: str):
        from flask import Flask
        from flask_login.utils import _create_identifier

        self._secret_key = secret_key
        signer = Flask("regional-benchmark")
        signer.secret_key = secret_key
        self._serializer = signer.session_interface.get_signing_serializer(signer)
        # Flask-Login's session protection compares this hash of address and user agent.
        with signer.test_request_context(
            environ_base={"REMOTE_ADDR": HOST}, headers={"User-Agent": USER_AGENT}
        ):
            self._identifier = _create_identifier()

    def cookie(self, user_id: int, session_token: str) -> str:
        from volunteer_app.common.crypto import session_id

        now = time.time()
        data = {
            "_user_id": session_id(self._secret_key, user_id, session_token),
            "_fresh": True,
            "_id": self._identifier,
            "_permanent": True,
            "login_at": now,
            "auth_at": now,
            "mfa_ok": True,  # the second factor is done (staff), or not needed (volunteers)
        }
        return "session=" + self._serializer.dumps(data)


def session_from(response) -> str | None:
    for header in response.headers.get_all("Set-Cookie") or ():
        if header.startswith("session="):
            return header.split(";", 1)[0]
    return None


# --- Measuring --------------------------------------------------------------------------------


def _headers(cookie: str | None = None, **extra: str) -> dict[str, str]:
    headers = {"User-Agent": USER_AGENT, **extra}
    if cookie:
        headers["Cookie"] = cookie
    return headers


def preflight(port: int, path: str, cookie: str | None, marker: bytes) -> None:
    """One request outside the measurement: the page must be the real one, not a redirect."""
    response = request(port, "GET", path, _headers(cookie))
    if response.status != 200 or marker not in response.body:
        raise RuntimeError(
            f"preflight {path}: status {response.status}, marker {marker!r} "
            f"{'found' if marker in response.body else 'missing'}"
        )


def measure_gets(port, paths_and_cookies, requests, concurrency, max_seconds) -> Load:
    """GETs cycling through ``(path, cookie)`` pairs; each must answer 200."""

    def call(n: int) -> bool:
        path, cookie = paths_and_cookies[n % len(paths_and_cookies)]
        return request(port, "GET", path, _headers(cookie)).status == 200

    for n in range(WARMUP):
        call(n)
    return run_load(call, requests, concurrency, max_seconds)


def measure_signups(port, pairs, cookies, args) -> tuple[Load, Load, list[int]]:
    """The slot pages (CSRF token and session per volunteer), then the sign-ups.

    Returns both loads and the indexes of the pairs whose POST was sent.
    """
    prepared: dict[int, tuple[str, str]] = {}
    posted: list[int] = []

    def slot_page(n: int) -> bool:
        uid, _token, slot_id = pairs[n]
        response = request(port, "GET", f"/termine/{slot_id}", _headers(cookies[uid]))
        match = CSRF_RE.search(response.body)
        cookie = session_from(response)
        if response.status != 200 or not match or not cookie:
            return False
        prepared[n] = (cookie, match.group(1).decode())
        return True

    def sign_up(n: int) -> bool:
        if n not in prepared:
            return False
        slot_id = pairs[n][2]
        cookie, csrf = prepared[n]
        posted.append(n)
        response = request(
            port,
            "POST",
            f"/termine/{slot_id}/anmelden",
            _headers(cookie, **{"Content-Type": "application/x-www-form-urlencoded"}),
            urlencode({"csrf_token": csrf}).encode(),
        )
        location = urlparse(response.headers.get("Location", "")).path
        return response.status == 302 and location == f"/termine/{slot_id}"

    # Warm-up with the first pairs (their sign-ups are checked in the database too).
    warm = max(0, len(pairs) - args.signups)
    for n in range(warm):
        if not (slot_page(n) and sign_up(n)):
            raise RuntimeError(f"warm-up sign-up {pairs[n][2]} failed")
    rest = len(pairs) - warm
    pages = run_load(lambda n: slot_page(n + warm), rest, args.concurrency, args.route_seconds)
    ready = len([n for n in prepared if n >= warm])
    posts = run_load(lambda n: sign_up(n + warm), ready, args.concurrency, args.route_seconds)
    return pages, posts, posted


def result(backend: str, route: str, path: str, load: Load) -> RouteResult:
    return RouteResult.from_load(backend, route, path, load)


def run_backend(backend: str, database_url: str, workdir: Path, args) -> BackendReport:
    from volunteer_app.db import db

    report = BackendReport(backend)
    print(f"[{backend}] generating the regional dataset …", file=sys.stderr)
    app = dataset.app_for(database_url)
    with app.app_context():
        try:
            generated = dataset.generate(
                args.sizes,
                args.seed,
                log=lambda line: print(f"[{backend}] {line}", file=sys.stderr),
            )
            report.generation = {
                "rows": generated.counts,
                "planning_seconds": round(generated.planned_seconds, 1),
                "insert_seconds": round(generated.insert_seconds, 1),
                "total_seconds": round(generated.total_seconds, 1),
            }
            with db.connection_context():
                for name in args.drop_index:  # to measure "before an index was added"
                    db.execute_sql(f'DROP INDEX "{name}"')
                    print(f"[{backend}] dropped index {name}", file=sys.stderr)
                report.signups_before = dataset.summary()
                subjects = pick_subjects(args.signups + WARMUP, args.seed)
        finally:
            dataset.close_database()

    env = app_env(database_url, workdir)
    sessions = Sessions(env["SECRET_KEY"])
    cookies = {uid: sessions.cookie(uid, token) for uid, token, _slot in subjects.pairs}
    lists = [(uid, sessions.cookie(uid, token)) for uid, token in subjects.volunteers]
    boards = [
        (f"/zentren/{slug}/planung", sessions.cookie(uid, token))
        for uid, token, slug in subjects.coordinators
    ]
    with gunicorn(env, args.workers, workdir) as port:
        preflight(port, "/termine/", lists[0][1], b"slot-item")
        preflight(port, "/termine/?fits_me=y", lists[0][1], b"<h1>")
        preflight(port, boards[0][0], boards[0][1], b"desk-summary")
        gets = [
            ("bare route", "/healthz", [("/healthz", None)]),
            ("slot list", "/termine/", [("/termine/", c) for _u, c in lists]),
            (
                "slot list, fits me",
                "/termine/?fits_me=y",
                [("/termine/?fits_me=y", c) for _u, c in lists],
            ),
            ("dashboard", "/zentren/<slug>/planung", boards),
        ]
        for route, label, targets in gets:
            load = measure_gets(port, targets, args.requests, args.concurrency, args.route_seconds)
            report.routes.append(result(backend, route, label, load))
            print(
                f"[{backend}] {label}: {load.count} requests in {load.wall:.1f} s", file=sys.stderr
            )
        pages, posts, posted = measure_signups(port, subjects.pairs, cookies, args)
    report.routes.append(result(backend, "slot page", "/termine/<id>", pages))
    signups = result(backend, "sign-up", "POST /termine/<id>/anmelden", posts)

    # Every sign-up sent must have left a confirmed row, and the invariants must still hold.
    app = dataset.app_for(database_url)
    with app.app_context():
        try:
            with db.connection_context():
                sent = [subjects.pairs[n] for n in posted]
                missing = len(sent) - confirmed_pairs(sent)
                problems = dataset.check_invariants()
                report.signups_after = dataset.summary()
                report.outbox_after = db.execute_sql(
                    "SELECT COUNT(*) FROM outbox_message"
                ).fetchone()[0]
        finally:
            dataset.close_database()
    if missing:
        print(f"[{backend}] {missing} sign-ups answered but not confirmed", file=sys.stderr)
        signups.errors += missing
    if problems:
        print(f"[{backend}] invariants broken:", *problems, sep="\n  ", file=sys.stderr)
        signups.errors += len(problems)
    report.routes.append(signups)
    return report


# --- Output -----------------------------------------------------------------------------------


def print_report(reports: list[BackendReport], args, load_before, load_after) -> None:
    print(
        f"\nRegional dataset: gunicorn {args.workers} sync workers, APP_ENV=production, "
        f"{args.concurrency} client threads, up to {args.requests} GETs per route and "
        f"{args.signups} sign-ups, on {HOST}"
    )
    print(f"Machine: {machine()} (client and server share it)")
    print(f"Load average (1/5/15 min) before: {load_before}, after: {load_after}")
    for report in reports:
        gen = report.generation
        print(
            f"\n[{report.backend}] dataset: {sum(gen['rows'].values())} rows in "
            f"{gen['total_seconds']} s (planning {gen['planning_seconds']} s, inserting "
            f"{gen['insert_seconds']} s); sign-ups before {report.signups_before}, after "
            f"{report.signups_after}; {report.outbox_after} mails in the outbox"
        )
    header = (
        f"{'backend':9} {'route':19} {'path':28} {'requests':>8} {'errors':>6} "
        f"{'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}"
    )
    print("\n" + header)
    print("-" * len(header))
    for report in reports:
        for r in report.routes:
            print(
                f"{r.backend:9} {r.route:19} {r.path[:28]:28} {r.requests:>8} {r.errors:>6} "
                f"{r.rps:>7.1f} {r.p50_ms:>7.1f} {r.p95_ms:>7.1f} {r.p99_ms:>7.1f}"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1000, help="GETs per route (default 1000)")
    parser.add_argument("--signups", type=int, default=400, help="sign-ups sent (default 400)")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads (default 4)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument(
        "--route-seconds", type=float, default=30.0, help="time cap per route (default 30)"
    )
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_PG))
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument(
        "--drop-index",
        action="append",
        default=[],
        metavar="NAME",
        help="drop this index after building the dataset (to compare without it); repeatable",
    )
    dataset.add_size_arguments(parser, signups_flag="--dataset-signups")
    args = parser.parse_args(argv)
    args.sizes = dataset.sizes_from(parser, args)
    if any(not re.fullmatch(r"[a-z0-9_]{1,63}", name) for name in args.drop_index):
        parser.error("--drop-index takes an index name (lower-case letters, digits, _)")
    if not 1 <= args.requests <= 20_000 or not 1 <= args.signups <= 5_000:
        parser.error("--requests must be 1..20000 and --signups 1..5000")
    if not 1 <= args.concurrency <= 64 or not 1 <= args.workers <= 16:
        parser.error("--concurrency must be 1..64 and --workers 1..16")
    if not 0 < args.route_seconds <= 300:
        parser.error("--route-seconds must be 0..300")

    reports, load_before, load_after = each_backend(
        args, "thekiz-regional-", "regional.db", run_backend
    )
    print_report(reports, args, load_before, load_after)
    if args.json:
        out = {
            "machine": machine(),
            "load_before": load_before,
            "load_after": load_after,
            "args": vars(args),
            "backends": [asdict(r) for r in reports],
        }
        args.json.write_text(json.dumps(out, indent=2, default=str) + "\n")
    failed = [r for report in reports for r in report.routes if r.errors]
    for r in failed:
        print(f"FAILED: {r.backend} {r.route}: {r.errors} errors", file=sys.stderr)
    return 1 if failed or not reports else 0


if __name__ == "__main__":
    sys.exit(main())
