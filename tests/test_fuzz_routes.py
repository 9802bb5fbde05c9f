"""Bad input from anyone, anywhere: never a 5xx, and a refused request changes no table.

Every route of ``app.url_map`` (found at collection, so a new route is covered without anyone
adding it here) gets one test per backend. In it, Hypothesis sends each method of the route as
each role (anonymous, volunteer, coordinator of centre A, admin), in the world of the
authorization matrix, with generated bad values in the URL's parameters, the form's fields and
the query string: huge numbers (past PostgreSQL's INTEGER and SQLite's 64 bits), zero,
negative, unicode digits, spaces, very long strings, control characters (no NUL), dates and
times that do not exist, repeated fields. Every answer must be below 500; an answer that
refuses (4xx, a form shown again with errors, or a redirect with an error message) must
leave every table of ``all_models()`` as it was (``tests/write_log.py``: triggers note every
row written, exact, without a snapshot of every table around each request).

Where the values go:
- URL parameters: the rule's own (``<int:slot_id>``, ``<slug>``, …); the valid values come
  from the matrix's entry (so that one bad parameter at a time reaches the view), a route
  without one gets placeholders.
- Form fields and query parameters: **discovered**, not listed. Once per test run every page
  of a GET route is fetched (with the matrix's parameters, as the role that sees most of it)
  and every ``<form>`` on it is read: its fields are filed under the route its ``action``
  reaches (POST forms: form fields; GET forms: query parameters), and so are the query
  parameters of the page's links. Together with the fields of the matrix's valid form this
  finds the fields of one-button forms that live on another page (the roster's "assign"),
  of filter forms and of pagination, with no list to go stale: a new field is fuzzed once a
  page shows it. (Posting the field names a form class declares would need to know which
  class a view uses, and misses fields a view reads from ``request.form`` directly.)

Each (route, method) gets pinned examples first, as in ``@example``: for every role, every id
in the URL 2^63 and every field a space, then 2^63; for the role that gets past the door,
one field at a time (the others valid) a space, 2^31 and 2^63 — the input that used to
answer 500. Then Hypothesis generates ``EXAMPLES_PER_ROUTE`` more (role, method, what is
bad). Failures are collected rather than raised inside Hypothesis (shrinking would replay
requests against a database that each request may change) and reported together;
``derandomize=True`` makes the run the same on every machine. A 4xx that only the
last-resort handler for database errors produced (``common/handlers.py``) fails too: the
value should have been refused where it came in.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import logging
import os
import re
import shutil
import time
from html.parser import HTMLParser
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from config import TestingConfig
from tests import test_authz_matrix as matrix
from tests.factories_accounts import use_fast_hashing
from tests.factories_authz import DERIVED_TABLES, World, rehydrate
from tests.test_authz_matrix import MATRIX, Route, _login
from tests.write_log import WriteLog
from volunteer_app import create_app
from volunteer_app.accounts.models import User
from volunteer_app.common.errors import DomainError
from volunteer_app.common.handlers import REFUSED_BY_DATABASE
from volunteer_app.db import db, make_database

# The authorization matrix's world: built once on SQLite and copied for each test, put back
# by one script on PostgreSQL (its fixtures, reused as they are).
world_template = matrix.world_template
world = matrix.world


@pytest.fixture
def database_url(request, backend, world_template) -> str:
    """A copy of the world on SQLite (without the matrix's write triggers: each test here puts
    its own in place); PostgreSQL's ``world`` puts it into the emptied tables."""
    if backend == "sqlite":
        return request.getfixturevalue("sqlite_copy")(world_template[0])
    return request.getfixturevalue("pg_database")


ROLES = ("anonymous", "volunteer", "coordinator_a", "admin")
EXAMPLES_PER_ROUTE = 3  # generated, besides the pinned ones (which cover every route and role)

# A refusal may still count a wrong password (the account's lockout), wherever one is asked.
LOCKOUT_COLUMNS = {"failed_logins", "locked_until"}


def _rules() -> list:
    app = create_app(TestingConfig, DATABASE_URL="sqlite:///:memory:")
    return sorted(app.url_map.iter_rules(), key=lambda rule: rule.endpoint)


RULES = {rule.endpoint: rule for rule in _rules()}


# --- Bad values ------------------------------------------------------------------------------

HUGE = str(2**63)  # one past SQLite's INTEGER and far past PostgreSQL's (2^31 - 1)
PINNED_VALUES = [
    "",
    " ",
    "0",
    "-1",
    "-0",
    "+1",
    "007",
    "1.5",
    "1e309",
    "NaN",
    "-inf",
    "0x1F",
    str(2**31 - 1),
    str(2**31),
    str(2**53 + 1),
    str(2**63 - 1),
    HUGE,
    str(2**64),
    "9" * 40,
    "9" * 5000,  # past Python's int() limit for strings
    "١٢٣",  # Arabic-Indic digits: str.isdigit() says yes
    "½",
    " 1 ",
    "None",
    "null",
    "[]",
    "%00",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "../../etc/passwd",
    "\u202eevil",
    "a\u2028b",
    "line\r\nBcc: x@example.org",
    "😀" * 3,
    "ä" * 300,
    "x" * 10_000,
    "2026-02-30",
    "0000-01-01",
    "9999-12-31",
    "99999-01-01",
    "31.12.9999",
    "24:00",
    "23:60",
    "-01:00",
]
# Everything printable or not, except NUL and lone surrogates (which no browser can send).
_CHARACTERS = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
CONTROL = "".join(chr(c) for c in [*range(1, 32), 127, *range(0x80, 0xA0)])

bad_value = st.one_of(
    st.sampled_from(PINNED_VALUES),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.text(_CHARACTERS, max_size=30),
    st.text(st.sampled_from(CONTROL + " \u2028\u202e"), min_size=1, max_size=5),
)
DROP = object()  # a field left out
field_value = st.one_of(bad_value, st.just(DROP), st.lists(bad_value, min_size=2, max_size=3))


# --- The route's shape -----------------------------------------------------------------------

_ARG = re.compile(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>")


@dataclasses.dataclass(frozen=True)
class Case:
    """One request: who sends it, how, and what is bad in it."""

    role: str
    method: str
    url: tuple = ()  # (parameter, value)
    form: tuple = ()  # (field, value or DROP or [values])
    query: tuple = ()  # (parameter, value)

    def __str__(self) -> str:
        def show(pairs):
            return {k: ("<left out>" if v is DROP else _short(v)) for k, v in pairs}

        parts = [f"{self.method} as {self.role}"]
        for name in ("url", "form", "query"):
            if getattr(self, name):
                parts.append(f"{name}={show(getattr(self, name))}")
        return " ".join(parts)


def _short(value, keep: int = 40):
    if isinstance(value, list):
        return [_short(v) for v in value]
    return value if len(value) <= keep else f"{value[:keep]!r}…({len(value)} chars)"


def _placeholder(converter: str | None, args: str | None) -> str:
    """A well-formed value for a parameter the matrix gives none for (a new route)."""
    if converter == "int":
        return "1"
    if converter == "any" and args:
        return args.split(",")[0].strip().strip("'\"")
    return "x"


def _path_args(rule) -> dict[str, tuple[str | None, str | None]]:
    return {name: (conv, args) for conv, args, name in _ARG.findall(rule.rule)}


def _build(rule, values: dict) -> str:
    return _ARG.sub(lambda m: quote(str(values[m.group(3)]), safe=""), rule.rule)


# --- Discovering the fields: read every form and link the pages show -----------------------


class _FormReader(HTMLParser):
    """Every form of a page as (action, method, field names), and the page's links with a
    query string. Fields outside their form (``form="id"``) and buttons that post elsewhere
    (``formaction``) count too."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, str, set[str]]] = []
        self.links: list[str] = []
        self._by_id: dict[str, tuple[str, str, set[str]]] = {}
        self._outside: list[tuple[str, str]] = []  # (form id, field name)
        self._open: tuple[str, str, set[str]] | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._open = (a.get("action", ""), (a.get("method") or "get").upper(), set())
            self.forms.append(self._open)
            self._by_id[a.get("id", "")] = self._open
        elif tag in ("input", "select", "textarea", "button") and a.get("name"):
            if a["name"] == "csrf_token":
                return
            if a.get("form"):
                self._outside.append((a["form"], a["name"]))
            elif self._open is not None:
                self._open[2].add(a["name"])
        if tag in ("input", "button") and a.get("formaction") and self._open is not None:
            method = (a.get("formmethod") or self._open[1]).upper()
            self.forms.append((a["formaction"], method, self._open[2]))
        elif tag == "a" and "?" in a.get("href", ""):
            self.links.append(a["href"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._open = None

    def close(self):
        super().close()
        for form_id, name in self._outside:
            if form_id in self._by_id:
                self._by_id[form_id][2].add(name)


@dataclasses.dataclass
class Fields:
    form: set[str] = dataclasses.field(default_factory=set)  # POST fields
    query: set[str] = dataclasses.field(default_factory=set)  # query parameters


def _file_under(adapter, found: dict[str, Fields], page: str, target: str, method: str, names):
    url = urlsplit(urljoin(page, target))
    try:
        endpoint, _args = adapter.match(url.path, method=method)
    except (HTTPException, RequestRedirect):
        return
    fields = found.setdefault(endpoint, Fields())
    fields.query |= {k for k, _v in parse_qsl(url.query, keep_blank_values=True)}
    (fields.form if method == "POST" else fields.query).update(names)


def _deep_role(route: Route | None, method: str) -> str:
    """The role whose request gets past the door to the form (the most privileged one the
    matrix allows; the admin for a route it does not know yet)."""
    expectations = getattr(route, method.lower(), None) if route else None
    allowed = [r for r in ROLES if expectations and not expectations[r].refused]
    return allowed[-1] if allowed else "admin"


def _log_in(client, user) -> None:
    """As conftest's ``login_as``, for a client of the discovery's own app."""
    with client.session_transaction() as sess:
        sess.update(_user_id=user.get_id(), _fresh=True, mfa_ok=True)
        sess["login_at"] = sess["auth_at"] = time.time()


def _discover(app, world: World) -> dict[str, Fields]:
    adapter = app.url_map.bind("localhost")
    pages = {}  # endpoint: URL (a matrix entry's parameters may make rows: once each)
    for endpoint, rule in RULES.items():
        route = MATRIX.get(endpoint)
        if "GET" in rule.methods and endpoint != "static" and (route or not rule.arguments):
            pages[endpoint] = adapter.build(endpoint, route.params(world) if route else {})
    found: dict[str, Fields] = {}
    clients = {}
    for endpoint, page in pages.items():
        # Each page once, as the role that sees the most of it (its forms, too).
        role = _deep_role(MATRIX.get(endpoint), "GET")
        if role not in clients:
            clients[role] = app.test_client()
            if role != "anonymous":
                _log_in(clients[role], world.user(role))
        client = clients[role]
        route = MATRIX.get(endpoint)
        if route and route.prepare:
            route.prepare(client, world)
        response = client.get(page)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        reader = _FormReader()
        reader.feed(response.get_data(as_text=True))
        reader.close()
        for action, method, names in reader.forms:
            _file_under(adapter, found, page, action, method, names)
        for href in reader.links:
            _file_under(adapter, found, page, href, "GET", ())
    return found


def _discover_in_copy(world_template, folder) -> dict[str, Fields]:
    path = folder / "discover.db"
    shutil.copy(world_template[0], path)
    url = f"sqlite:///{path}"
    with pytest.MonkeyPatch.context() as monkeypatch:
        use_fast_hashing(monkeypatch)
        app = create_app(TestingConfig, DATABASE_URL=url)
        with app.app_context():
            database = make_database(url)
            db.initialize(database)
            with db.connection_context():
                found = _discover(app, rehydrate(world_template[1]))
            database.close()
    return found


def _to_json(found: dict[str, Fields]) -> str:
    return json.dumps({e: [sorted(f.form), sorted(f.query)] for e, f in found.items()})


def _from_json(text: str) -> dict[str, Fields]:
    return {e: Fields(set(form), set(query)) for e, (form, query) in json.loads(text).items()}


@pytest.fixture(scope="session")
def discovered(world_template, tmp_path_factory) -> dict[str, Fields]:
    """The fields of every route's forms, read from the pages of a copy of the world.

    The pages are the app's, the same for both backends and every xdist worker: read once
    per test run. The first worker to get here reads them and leaves the result (as JSON) in
    the run's temporary folder, which all workers share, under a lock the others wait on
    (pytest-xdist's documented pattern for session data); they read it from there."""
    folder = tmp_path_factory.mktemp("fuzz")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:  # no xdist: nobody to share with
        return _discover_in_copy(world_template, folder)
    shared = tmp_path_factory.getbasetemp().parent / "fuzz-discovered.json"
    with open(f"{shared}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if shared.is_file():
            return _from_json(shared.read_text())
        found = _discover_in_copy(world_template, folder)
        partial = shared.with_suffix(f".{worker}")
        partial.write_text(_to_json(found))
        partial.replace(shared)
    return found


# --- Generating requests -----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Shape:
    """What can be bad in a route's requests."""

    methods: tuple[str, ...]
    url: tuple[str, ...]
    int_url: tuple[str, ...]
    form: tuple[str, ...]
    query: tuple[str, ...]


def _shape(rule, fields: Fields, valid_form: dict) -> Shape:
    args = _path_args(rule)
    return Shape(
        methods=tuple(sorted(set(rule.methods) - {"HEAD", "OPTIONS"})),
        url=tuple(sorted(args)),
        int_url=tuple(sorted(n for n, (conv, _a) in args.items() if conv == "int")),
        form=tuple(sorted(fields.form | set(valid_form))),
        query=tuple(sorted(fields.query)),
    )


@st.composite
def cases(draw, shape: Shape) -> Case:
    role = draw(st.sampled_from(ROLES))
    method = draw(st.sampled_from(shape.methods))
    targets = ["url"] if shape.url else []
    if method == "POST" and shape.form:
        targets.append("form")
    targets.append("query")  # every route has a query string, even if it reads none
    target = draw(st.sampled_from(targets))
    if target == "url":
        names = draw(st.lists(st.sampled_from(shape.url), min_size=1, unique=True))
        return Case(role, method, url=tuple((n, draw(bad_value)) for n in names))
    if target == "form":
        names = draw(st.lists(st.sampled_from(shape.form), min_size=1, unique=True))
        return Case(role, method, form=tuple((n, draw(field_value)) for n in names))
    names = [*shape.query, "seite", "next"]
    chosen = draw(st.lists(st.sampled_from(names), min_size=1, max_size=4, unique=True))
    return Case(role, method, query=tuple((n, draw(bad_value)) for n in chosen))


def pinned(shape: Shape, route: Route | None) -> list[Case]:
    """The input that used to answer 500: for every role every id in the URL 2^63, every
    field a space, then 2^63; for the role that gets past the door one field at a time (the
    others valid) a space, 2^31 (past PostgreSQL's INTEGER) and 2^63."""
    found = []
    for method in shape.methods:
        deep = _deep_role(route, method)
        for role in ROLES:
            if shape.int_url:
                found.append(Case(role, method, url=tuple((n, HUGE) for n in shape.int_url)))
            if method == "POST" and shape.form:
                for value in (" ", HUGE):
                    found.append(Case(role, method, form=tuple((n, value) for n in shape.form)))
            if method == "GET" and shape.query:
                found.append(Case(role, method, query=tuple((n, HUGE) for n in shape.query)))
        names, where = (shape.form, "form") if method == "POST" else (shape.query, "query")
        for name in names:
            for value in (" ", str(2**31), HUGE):
                found.append(Case(deep, method, **{where: ((name, value),)}))
    return found


# --- Sending one and judging the answer --------------------------------------------------------

_ERROR_MARKS = ('class="error"', 'class="form-errors"', "flash-error")


def _refused(client, method: str, response) -> bool:
    """4xx, a form shown again with its errors, or a redirect that flashes an error."""
    if 400 <= response.status_code < 500:
        return True
    if method == "POST" and response.status_code == 200:
        body = response.get_data(as_text=True)
        return any(mark in body for mark in _ERROR_MARKS)
    if response.status_code in (302, 303):
        with client.session_transaction() as sess:
            flashes = sess.get("_flashes", [])
        return any(category == "error" for category, _m in flashes)
    return False


def _write_log() -> WriteLog:
    """What a refused request may not do: write a row of any table (the revisions that the
    database's triggers keep aside), leaving out a wrong password's count on the account."""
    return WriteLog(db, skip=DERIVED_TABLES, ignore_columns={"User": LOCKOUT_COLUMNS})


class _Records(logging.Handler):
    """The app's log lines of the handler that turns a database's refusal into a 4xx."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        if record.getMessage() == REFUSED_BY_DATABASE:
            self.records.append(record)


@pytest.fixture
def safety_net(app):
    """What the last-resort handler for database errors logged during the test."""
    records = _Records()
    app.logger.addHandler(records)
    yield records.records
    app.logger.removeHandler(records)


class Fuzzer:
    """Sends the cases of one route and collects what went wrong."""

    def __init__(
        self, client, login_as, world: World, endpoint: str, safety_net: list, writes: WriteLog
    ):
        self.client, self.login_as, self.world, self.writes = client, login_as, world, writes
        self.safety_net: list[logging.LogRecord] = safety_net
        route = self.route = MATRIX.get(endpoint)  # None: a route the matrix does not know yet
        self.endpoint, self.rule = endpoint, RULES[endpoint]
        params = route.params(world) if route else {}
        self.valid_url = {
            name: params.get(name, _placeholder(conv, args))
            for name, (conv, args) in _path_args(self.rule).items()
        }
        self.valid_form = route.form(world) if route else {}
        self.prepared: set[str] = set()
        self.failures: list[str] = []
        self.sent = 0

    def act_as(self, role: str) -> None:
        with self.client.session_transaction() as sess:
            sess.clear()
        if role != "anonymous":
            # Fresh from the database: an earlier request may have ended its sessions.
            user = User.get_or_none(User.id == self.world.user(role).id)
            if user is None:
                return
            setattr(self.world, role, user)
            _login(self.login_as, self.world, role)
        if self.route and self.route.prepare and role not in self.prepared:
            self.prepared.add(role)
            with contextlib.suppress(DomainError):  # already so (e.g. signed up)
                self.route.prepare(self.client, self.world)

    def request(self, case: Case) -> tuple[str, dict | None]:
        url = _build(self.rule, {**self.valid_url, **dict(case.url)})
        if case.query:
            url += "?" + urlencode(list(case.query))
        if case.method != "POST":
            return url, None
        data = dict(self.valid_form)
        for name, value in case.form:
            if value is DROP:
                data.pop(name, None)
            else:
                data[name] = value
        return url, data

    def send(self, case: Case) -> None:
        self.act_as(case.role)
        url, data = self.request(case)
        self.sent += 1
        self.writes.forget()  # what logging in and preparing wrote
        try:
            response = self.client.open(url, method=case.method, data=data)
        except Exception as exc:  # what a server would answer with 500
            self.failures.append(f"{case}: raised {type(exc).__name__}: {_short(str(exc), 100)}")
            return
        if response.status_code >= 500:
            self.failures.append(f"{case}: {response.status_code}")
            return
        if self.safety_net:
            # Not a 500, but only thanks to the last resort: the value should have been
            # refused where it came in (the URL converter, row_id, the form's checks).
            error = self.safety_net.pop().exc_info[1]
            self.failures.append(
                f"{case}: {response.status_code} only from the database's refusal: "
                f"{type(error).__name__}: {_short(str(error), 100)}"
            )
            self.safety_net.clear()
        if _refused(self.client, case.method, response):
            changed = self.writes.changed()
            if changed:
                self.failures.append(
                    f"{case}: refused with {response.status_code} but changed {changed}"
                )


@pytest.mark.parametrize("endpoint", sorted(RULES))
def test_bad_input_gets_a_clear_answer(
    app, client, login_as, world, discovered, safety_net, endpoint
):
    writes = _write_log()
    fuzzer = Fuzzer(client, login_as, world, endpoint, safety_net, writes)
    shape = _shape(fuzzer.rule, discovered.get(endpoint, Fields()), fuzzer.valid_form)

    def run(case: Case) -> None:
        fuzzer.send(case)

    run = given(case=cases(shape))(run)
    for case in reversed(pinned(shape, fuzzer.route)):
        run = example(case=case)(run)
    run = settings(
        max_examples=EXAMPLES_PER_ROUTE,
        deadline=None,
        derandomize=True,
        database=None,
        phases=(Phase.explicit, Phase.generate),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )(run)
    with writes:
        run()

    if fuzzer.failures:
        pytest.fail(
            f"{len(fuzzer.failures)} of {fuzzer.sent} requests to {fuzzer.rule.rule} failed:\n"
            + "\n".join(dict.fromkeys(fuzzer.failures)),
            pytrace=False,
        )
