"""Soak: minutes of mixed traffic against gunicorn on PostgreSQL; errors, latency, memory.

    .venv/bin/python benchmarks/soak.py                           # 10 minutes
    .venv/bin/python benchmarks/soak.py --minutes 1 --volunteers 1000 --slots 10000 \\
        --dataset-signups 30000                                   # a quick look

It builds the regional dataset of ``benchmarks/dataset.py`` in a private PostgreSQL
database next to ``--postgres-url`` (dropped at the end), starts ``gunicorn -w 2`` with the
production configuration on a free port of 127.0.0.1, and then, from ``--concurrency``
client threads, sends a mix of what people do, for ``--minutes``:

- browse: the start page, the list of centres, a centre, an activity's page for families,
  the volunteers' slot list (also "fits me"), a slot's page, "my dates";
- sign up and cancel: volunteers, each on a slot of their own far enough ahead, sign up and
  cancel in turn (the slot's page, then the form, then the page it leads to, whose message
  must be a success or the waiting list, never an error);
- feeds: a centre's family calendar (half of them revalidated with ``If-None-Match``),
  coordinators' staffing feeds and volunteers' own feeds by their private links;
- coordinator pages: the planning dashboard, a slot's roster, the centre's volunteers,
  wishes and the rooms' week.

Before and after the mix it measures the bare route ``/healthz`` alone (the fixed cost of a
request on the same server), after an unmeasured warm-up. It reports the errors (goal 0),
p50/p95/p99 per kind, throughput next to the bare route, the load average before and after,
and the resident memory (RSS) of each gunicorn worker at the start and the end, sampled
every 30 seconds in between (goal: flat). At the end the database must hold what the
volunteers were told, and the sign-up invariants must hold. Any error makes the exit code 1.

Everything talks to 127.0.0.1 only, and every process and database it creates is stopped or
dropped. No mail leaves the machine: no job consumer runs, so mail stays in the outbox.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import random
import re
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlparse

import dataset
from _common import (
    DEFAULT_PG,
    HOST,
    app_env,
    gunicorn,
    machine,
    percentile,
    postgres_database,
    postgres_reachable,
    request,
    run_load,
)
from regional import USER_AGENT, Sessions, session_from

KINDS = ("browse", "sign-up", "cancel", "feed", "coordinator")
WEIGHTS = {"browse": 40, "booking": 30, "feed": 15, "coordinator": 15}
CSRF_RE = re.compile(rb'name="csrf_token"[^>]*value="([^"]+)"')
FLASH_RE = re.compile(rb'<p class="flash flash-(\w+)">')
SAMPLE_SECONDS = 30.0


# --- Who acts, and where ------------------------------------------------------------------------


@dataclass
class Agent:
    """A volunteer with a slot of their own: signs up there and cancels, in turn."""

    user_id: int
    token: str
    slot_id: int
    cookie: str = ""
    csrf: str = ""
    signed_up: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class Plan:
    centres: list[str]  # slugs
    activities: list[tuple[str, int]]  # (centre slug, activity id) of public activities
    slots: list[int]  # slot pages to browse
    listers: list[tuple[int, str]]  # volunteers who browse: (id, session token)
    coordinators: list[tuple[int, str, str, int]]  # (id, token, slug, a slot of the centre)
    agents: list[Agent]
    staff_feeds: list[str] = field(default_factory=list)
    volunteer_feeds: list[str] = field(default_factory=list)


def plan(n_agents: int, seed: int) -> Plan:
    """Picks the people and places (needs an app context and a connection)."""
    from volunteer_app.accounts.models import User
    from volunteer_app.activities.models import Activity, Slot
    from volunteer_app.centres.models import Centre, CentreMembership
    from volunteer_app.db import utcnow
    from volunteer_app.signups.models import ACTIVE, Signup

    rng = random.Random(seed)
    now = utcnow()
    centres = list(Centre.select(Centre.id, Centre.slug).order_by(Centre.id).tuples())
    sample = rng.sample(centres, min(20, len(centres)))
    activities = list(
        Activity.select(Centre.slug, Activity.id)
        .join(Centre)
        .where(Activity.is_public == True)  # noqa: E712
        .order_by(Activity.id)
        .tuples()
    )
    upcoming = list(
        Slot.select(Slot.id)
        .where((Slot.status == "scheduled") & (Slot.starts_at > now))
        .order_by(Slot.id)
        .tuples()
    )
    people = list(
        User.select(User.id, User.session_token)
        .where(User.role == "volunteer")
        .order_by(User.id)
        .tuples()
    )
    rng.shuffle(people)
    listers, candidates = people[:20], people[20:]

    coordinators = []
    for centre_id, slug in sample[:10]:
        uid, token = (
            User.select(User.id, User.session_token)
            .join(CentreMembership, on=(CentreMembership.user == User.id))
            .where(CentreMembership.centre == centre_id)
            .order_by(User.id)
            .tuples()
            .first()
        )
        slot_id = (
            Slot.select(Slot.id)
            .join(Activity)
            .where((Activity.centre == centre_id) & (Slot.starts_at > now))
            .order_by(Slot.starts_at)
            .scalar()
        )
        coordinators.append((uid, token, slug, slot_id))

    # A slot of one's own: open, no certificate needed, seats to spare, and so far ahead that
    # cancelling is always allowed; no clash with the person's other dates.
    free = list(
        Slot.select(Slot.id, Slot.starts_at, Slot.ends_at)
        .join(Activity)
        .where(
            (Slot.status == "scheduled")
            & (Slot.starts_at > now + dt.timedelta(days=10))
            & (Slot.taken < Slot.capacity - 1)
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
        .where(Signup.status.in_(ACTIVE) & (Slot.ends_at > now))
        .tuples()
    ):
        busy.setdefault(volunteer, []).append((starts, ends))
    rows = set(Signup.select(Signup.slot, Signup.volunteer).tuples())
    agents: list[Agent] = []
    for uid, token in candidates:
        if len(agents) >= n_agents or not free:
            break
        for k, (slot_id, starts, ends) in enumerate(free[:200]):
            clash = any(s < ends and e > starts for s, e in busy.get(uid, ()))
            if not clash and (slot_id, uid) not in rows:
                agents.append(Agent(uid, token, slot_id))
                free.pop(k)
                break
    if len(agents) < n_agents:
        raise RuntimeError(f"found only {len(agents)} of {n_agents} volunteers with a free slot")
    return Plan(
        centres=[slug for _id, slug in sample],
        activities=rng.sample(activities, min(50, len(activities))),
        slots=[s for (s,) in rng.sample(upcoming, min(200, len(upcoming)))],
        listers=listers,
        coordinators=coordinators,
        agents=agents,
    )


def private_feeds(the_plan: Plan) -> None:
    """Staffing feeds of the coordinators and own feeds of the listers: their private links
    (the token is an HMAC under ``SECRET_KEY``: the app of this process must have the
    server's key)."""
    from volunteer_app.accounts.models import User
    from volunteer_app.centres.models import Centre
    from volunteer_app.feeds import services

    for uid, _token, slug, _slot in the_plan.coordinators:
        link = services.create_link("staff", Centre.get(Centre.slug == slug), actor=User[uid])
        the_plan.staff_feeds.append(f"/kalender/{services.link_token(link)}.ics")
    for uid, _token in the_plan.listers[:10]:
        link = services.create_link("volunteer", None, actor=User[uid])
        the_plan.volunteer_feeds.append(f"/kalender/{services.link_token(link)}.ics")


# --- Traffic ------------------------------------------------------------------------------------


@dataclass
class Sample:
    kind: str
    route: str
    seconds: float
    ok: bool
    status: int | str


class Traffic:
    """One thread's mix; every request is recorded with its kind and route."""

    def __init__(self, port: int, the_plan: Plan, cookies: dict[int, str], seed: int):
        self.port, self.plan, self.cookies = port, the_plan, cookies
        self.rng = random.Random(seed)
        self.samples: list[Sample] = []
        self.etags: dict[str, str] = {}
        self.record = True

    def one(self) -> None:
        what = self.rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
        getattr(self, what.replace("-", "_"))()

    # -- a request, timed
    def _send(self, kind, route, method, path, cookie=None, expect=(200,), headers=None, body=None):
        all_headers = {"User-Agent": USER_AGENT, **(headers or {})}
        if cookie:
            all_headers["Cookie"] = cookie
        started = time.perf_counter()
        try:
            response = request(self.port, method, path, all_headers, body)
            status = response.status
        except OSError as exc:
            response, status = None, type(exc).__name__
        elapsed = time.perf_counter() - started
        ok = status in expect
        self._note(Sample(kind, route, elapsed, ok, status))
        return response if ok else None

    def _note(self, sample: Sample) -> None:
        if self.record:
            self.samples.append(sample)

    def browse(self) -> None:
        p, rng = self.plan, self.rng
        uid, _token = rng.choice(p.listers)
        cookie = self.cookies[uid]
        choice = rng.randrange(8)
        if choice == 0:
            self._send("browse", "/", "GET", "/")
        elif choice == 1:
            self._send("browse", "/zentren/", "GET", "/zentren/")
        elif choice == 2:
            self._send("browse", "/zentren/<slug>", "GET", f"/zentren/{rng.choice(p.centres)}")
        elif choice == 3:
            slug, activity = rng.choice(p.activities)
            path = f"/zentren/{slug}/programm/{activity}"
            self._send("browse", "/zentren/<slug>/programm/<id>", "GET", path)
        elif choice == 4:
            self._send("browse", "/termine/", "GET", "/termine/", cookie)
        elif choice == 5:
            self._send("browse", "/termine/?fits_me=y", "GET", "/termine/?fits_me=y", cookie)
        elif choice == 6:
            path = f"/termine/{rng.choice(p.slots)}"
            self._send("browse", "/termine/<id>", "GET", path, cookie)
        else:
            self._send("browse", "/meine-termine", "GET", "/meine-termine", cookie)

    def booking(self) -> None:
        """An agent who is free right now signs up or cancels (three requests)."""
        agent = self.rng.choice(self.plan.agents)
        if not agent.lock.acquire(blocking=False):
            return self.browse()
        try:
            self._book(agent)
        finally:
            agent.lock.release()

    def _book(self, agent: Agent) -> None:
        slot_page = f"/termine/{agent.slot_id}"
        cookie = agent.cookie or self.cookies[agent.user_id]
        page = self._send("browse", "/termine/<id>", "GET", slot_page, cookie)
        if page is None:
            return
        agent.cookie = session_from(page) or cookie
        match = CSRF_RE.search(page.body)
        if match is None:
            self._note(Sample("browse", "/termine/<id> without its form", 0.0, False, 200))
            return
        kind = "cancel" if agent.signed_up else "sign-up"
        action = "abmelden" if agent.signed_up else "anmelden"
        posted = self._send(
            kind,
            f"POST /termine/<id>/{action}",
            "POST",
            f"{slot_page}/{action}",
            agent.cookie,
            expect=(302,),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            body=urlencode({"csrf_token": match.group(1).decode()}).encode(),
        )
        if posted is None:
            return
        if urlparse(posted.headers.get("Location", "")).path != slot_page:
            self._note(Sample(kind, f"{action}: redirected elsewhere", 0.0, False, 302))
            return
        agent.cookie = session_from(posted) or agent.cookie
        # The page the form leads to, and its message: success (or the waiting list).
        after = self._send("browse", "/termine/<id>", "GET", slot_page, agent.cookie)
        if after is None:
            return
        agent.cookie = session_from(after) or agent.cookie
        flashes = {m.decode() for m in FLASH_RE.findall(after.body)}
        if not flashes or not flashes <= {"success", "warning"}:
            self._note(Sample(kind, f"{action}: message {sorted(flashes)}", 0.0, False, 302))
            return
        agent.signed_up = not agent.signed_up

    def feed(self) -> None:
        p, rng = self.plan, self.rng
        choice = rng.randrange(3)
        if choice == 0:
            path = f"/zentren/{rng.choice(p.centres)}/kalender.ics"
            etag = self.etags.get(path) if rng.random() < 0.5 else None
            headers = {"If-None-Match": etag} if etag else None
            response = self._send("feed", "family feed", "GET", path, None, (200, 304), headers)
            if response is not None and response.headers.get("ETag"):
                self.etags[path] = response.headers["ETag"]
        elif choice == 1:
            self._send("feed", "staff feed", "GET", rng.choice(p.staff_feeds))
        else:
            self._send("feed", "volunteer feed", "GET", rng.choice(p.volunteer_feeds))

    def coordinator(self) -> None:
        uid, _token, slug, slot_id = self.rng.choice(self.plan.coordinators)
        cookie = self.cookies[uid]
        route, path = self.rng.choice(
            [
                ("/zentren/<slug>/planung", f"/zentren/{slug}/planung"),
                ("/termine/<id>/besetzung", f"/termine/{slot_id}/besetzung"),
                ("/zentren/<slug>/ehrenamtliche", f"/zentren/{slug}/ehrenamtliche"),
                ("/zentren/<slug>/wuensche/verwaltung", f"/zentren/{slug}/wuensche/verwaltung"),
                ("/zentren/<slug>/raeume/woche", f"/zentren/{slug}/raeume/woche"),
            ]
        )
        self._send("coordinator", route, "GET", path, cookie)


def run_mix(port, the_plan, cookies, threads: int, seconds: float, seed: int, record=True):
    """``threads`` threads send the mix until ``seconds`` have passed; returns the samples."""
    deadline = time.monotonic() + seconds
    traffic = [Traffic(port, the_plan, cookies, seed + n) for n in range(threads)]
    for t in traffic:
        t.record = record

    def loop(t: Traffic) -> None:
        while time.monotonic() < deadline:
            t.one()

    workers = [threading.Thread(target=loop, args=(t,)) for t in traffic]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return [s for t in traffic for s in t.samples]


# --- Memory -------------------------------------------------------------------------------------


def gunicorn_workers(port: int) -> list[int]:
    """The worker processes of the gunicorn master bound to ``port``."""
    bind = f"{HOST}:{port}"
    master = None
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(b"gunicorn" in part for part in cmdline) and bind.encode() in cmdline:
            ppid = _ppid(int(proc.name))
            if ppid == os.getpid():
                master = int(proc.name)
    if master is None:
        raise RuntimeError(f"no gunicorn master on {bind}")
    return sorted(
        int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _ppid(p.name) == master
    )


def _ppid(pid) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


class Sampler(threading.Thread):
    """Every ``SAMPLE_SECONDS``: seconds since start, RSS of each worker, load average."""

    def __init__(self, workers: list[int]):
        super().__init__(daemon=True)
        self.workers, self.rows, self.stop = workers, [], threading.Event()
        self.started = time.monotonic()

    def take(self) -> None:
        elapsed = round(time.monotonic() - self.started)
        self.rows.append((elapsed, [rss_mib(p) for p in self.workers], os.getloadavg()[0]))

    def run(self) -> None:
        self.take()
        while not self.stop.wait(SAMPLE_SECONDS):
            self.take()


# --- Report -------------------------------------------------------------------------------------


@dataclass
class KindResult:
    kind: str
    requests: int
    errors: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float


def summarise(samples: list[Sample], seconds: float, key) -> list[KindResult]:
    groups: dict[str, list[Sample]] = {}
    for s in samples:
        groups.setdefault(key(s), []).append(s)
    out = []
    for name, group in groups.items():
        times = sorted(s.seconds for s in group)
        out.append(
            KindResult(
                name,
                len(group),
                sum(not s.ok for s in group),
                round(len(group) / seconds, 1),
                round(percentile(times, 50) * 1000, 1),
                round(percentile(times, 95) * 1000, 1),
                round(percentile(times, 99) * 1000, 1),
                round(times[-1] * 1000, 1),
            )
        )
    order = {k: i for i, k in enumerate(KINDS)}
    return sorted(out, key=lambda r: (order.get(r.kind, 99), r.kind))


def bare(port: int, threads: int, seconds: float) -> dict:
    load = run_load(
        lambda _n: request(port, "GET", "/healthz").status == 200, 10**7, threads, seconds
    )
    return {
        "requests": load.count,
        "errors": load.errors,
        "rps": round(load.rps, 1),
        "p50_ms": load.ms(50),
        "p95_ms": load.ms(95),
    }


def check_database(database_url: str, agents: list[Agent]) -> list[str]:
    """What the volunteers were told is what the database holds; the invariants hold."""
    from volunteer_app.db import db
    from volunteer_app.signups.models import Signup

    app = dataset.app_for(database_url)
    problems = []
    with app.app_context():
        try:
            with db.connection_context():
                problems += dataset.check_invariants()
                for agent in agents:
                    status = (
                        Signup.select(Signup.status)
                        .where((Signup.slot == agent.slot_id) & (Signup.volunteer == agent.user_id))
                        .scalar()
                    )
                    told = ("confirmed", "waitlisted") if agent.signed_up else (None, "cancelled")
                    if status not in told:
                        problems.append(
                            f"volunteer {agent.user_id}, slot {agent.slot_id}: told "
                            f"{'signed up' if agent.signed_up else 'cancelled'}, stored {status}"
                        )
        finally:
            dataset.close_database()
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="of mixed traffic (default 10)")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads (default 4)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--agents", type=int, default=40, help="volunteers signing up (40)")
    parser.add_argument("--warmup", type=float, default=30.0, help="seconds, unmeasured (30)")
    parser.add_argument("--bare-seconds", type=float, default=20.0, help="of /healthz (20)")
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_PG))
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    dataset.add_size_arguments(parser, signups_flag="--dataset-signups")
    args = parser.parse_args(argv)
    args.sizes = dataset.sizes_from(parser, args)
    if not 0 < args.minutes <= 240 or not 1 <= args.concurrency <= 64:
        parser.error("--minutes must be 0..240 and --concurrency 1..64")
    if not 1 <= args.workers <= 16 or not 1 <= args.agents <= 2000:
        parser.error("--workers must be 1..16 and --agents 1..2000")
    if not 0 <= args.warmup <= 600 or not 1 <= args.bare_seconds <= 600:
        parser.error("--warmup must be 0..600 and --bare-seconds 1..600")
    if reason := postgres_reachable(args.postgres_url):
        print(f"PostgreSQL not reachable at {args.postgres_url}: {reason}", file=sys.stderr)
        return 2

    report: dict = {"machine": machine(), "args": {k: str(v) for k, v in vars(args).items()}}
    report["load_before"] = os.getloadavg()
    with (
        tempfile.TemporaryDirectory(prefix="thekiz-soak-") as tmp,
        postgres_database(args.postgres_url) as url,
    ):
        workdir = Path(tmp)
        env = app_env(url, workdir)
        # Feeds are rate-limited per address, and every client here is 127.0.0.1; no job
        # consumer runs, so the health check must not count the mail in the outbox.
        env["RATELIMIT_FEEDS"] = env["RATELIMIT_FEED_URL"] = "10000000 per minute"
        env["HEALTH_MAIL_OVERDUE_MINUTES"] = "0"
        print("building the regional dataset …", file=sys.stderr)
        app = dataset.app_for(url)
        app.config["SECRET_KEY"] = env["SECRET_KEY"]  # the private feed links' HMAC key
        with app.app_context():
            try:
                generated = dataset.generate(args.sizes, args.seed, log=lambda _line: None)
                from volunteer_app.db import db

                with db.connection_context():
                    the_plan = plan(args.agents, args.seed)
                    private_feeds(the_plan)
                    report["signups_before"] = dataset.summary()
            finally:
                dataset.close_database()
        report["dataset_rows"] = sum(generated.counts.values())
        sessions = Sessions(env["SECRET_KEY"])
        cookies = {uid: sessions.cookie(uid, token) for uid, token in the_plan.listers}
        cookies |= {a.user_id: sessions.cookie(a.user_id, a.token) for a in the_plan.agents}
        cookies |= {c[0]: sessions.cookie(c[0], c[1]) for c in the_plan.coordinators}

        with gunicorn(env, args.workers, workdir) as port:
            workers = gunicorn_workers(port)
            print(f"gunicorn workers {workers}; warm-up {args.warmup:.0f} s", file=sys.stderr)
            run_mix(port, the_plan, cookies, args.concurrency, args.warmup, args.seed, False)
            sampler = Sampler(workers)
            sampler.start()
            report["bare_start"] = bare(port, args.concurrency, args.bare_seconds)
            print(f"mixed traffic for {args.minutes} min …", file=sys.stderr)
            started = time.perf_counter()
            samples = run_mix(
                port, the_plan, cookies, args.concurrency, args.minutes * 60, args.seed + 100
            )
            wall = time.perf_counter() - started
            report["bare_end"] = bare(port, args.concurrency, args.bare_seconds)
            sampler.stop.set()
            sampler.join()
            sampler.take()
            alive = [pid for pid in workers if Path(f"/proc/{pid}").exists()]
        report["workers_replaced"] = len(workers) - len(alive)
        server_log = (workdir / "gunicorn.log").read_text(errors="replace")
        report["server_log_tail"] = server_log[-4000:] if "Traceback" in server_log else ""
        report["rss"] = [
            {"seconds": s, "rss_mib": rss, "load_1min": round(load, 2)}
            for s, rss, load in sampler.rows
        ]
        problems = check_database(url, the_plan.agents)

    report["load_after"] = os.getloadavg()
    report["mixed_seconds"] = round(wall, 1)
    report["kinds"] = [asdict(r) for r in summarise(samples, wall, lambda s: s.kind)]
    report["routes"] = [
        asdict(r) for r in summarise(samples, wall, lambda s: f"{s.kind}: {s.route}")
    ]
    report["errors"] = sum(not s.ok for s in samples)
    report["error_examples"] = [
        f"{s.kind} {s.route}: {s.status}"
        for s in itertools.islice((s for s in samples if not s.ok), 10)
    ]
    report["database_problems"] = problems
    print_report(report, args)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str) + "\n")
    failed = report["errors"] or problems or report["workers_replaced"]
    failed = failed or report["bare_start"]["errors"] or report["bare_end"]["errors"]
    return 1 if failed else 0


def print_report(report: dict, args) -> None:
    total = sum(k["requests"] for k in report["kinds"])
    mixed_rps = total / report["mixed_seconds"]
    bare_rps = report["bare_start"]["rps"]
    print(
        f"\nSoak: {report['mixed_seconds'] / 60:.1f} min of mixed traffic, gunicorn "
        f"{args.workers} sync workers, APP_ENV=production, PostgreSQL, {args.concurrency} "
        f"client threads, on {HOST}; dataset {report['dataset_rows']} rows"
    )
    print(f"Machine: {report['machine']} (client and server share it)")
    before = " ".join(f"{x:.2f}" for x in report["load_before"])
    after = " ".join(f"{x:.2f}" for x in report["load_after"])
    print(f"Load average (1/5/15 min) before: {before}, after: {after}\n")
    header = (
        f"{'kind':12} {'requests':>8} {'errors':>6} {'req/s':>7} {'p50 ms':>7} "
        f"{'p95 ms':>7} {'p99 ms':>7} {'max ms':>8}"
    )
    print(header)
    print("-" * len(header))
    for k in report["kinds"]:
        print(
            f"{k['kind']:12} {k['requests']:>8} {k['errors']:>6} {k['rps']:>7.1f} "
            f"{k['p50_ms']:>7.1f} {k['p95_ms']:>7.1f} {k['p99_ms']:>7.1f} {k['max_ms']:>8.1f}"
        )
    print(
        f"{'all':12} {total:>8} {report['errors']:>6} {mixed_rps:>7.1f}"
        f"   ({mixed_rps / bare_rps:.1%} of the bare route's throughput)"
    )
    for name in ("bare_start", "bare_end"):
        b = report[name]
        print(
            f"/healthz alone, {name.split('_')[1]:5}: {b['requests']} requests, {b['errors']} "
            f"errors, {b['rps']} req/s, p50 {b['p50_ms']} ms, p95 {b['p95_ms']} ms"
        )
    rss = report["rss"]
    start, end = rss[0]["rss_mib"], rss[-1]["rss_mib"]
    print(f"\nWorkers' RSS (MiB) at the start: {start}, at the end: {end}")
    print("  " + "; ".join(f"{r['seconds']} s: {r['rss_mib']}" for r in rss))
    print(f"Workers replaced during the run: {report['workers_replaced']}")
    if report["error_examples"]:
        print("Errors, e.g.:", *report["error_examples"], sep="\n  ")
    if report["server_log_tail"]:
        print("The server logged errors; the end of its log:\n" + report["server_log_tail"])
    if report["database_problems"]:
        print("Database problems:", *report["database_problems"], sep="\n  ")
    else:
        print("Database: every volunteer's sign-up is as they were told; invariants hold.")


if __name__ == "__main__":
    sys.exit(main())
