"""Browser fixtures: Debian's Chromium (never a downloaded build) against a live server.

- ``browser``: one headless Chromium per test session.
- ``live_server``: the app on 127.0.0.1 with a fresh migrated SQLite file and CSRF on;
  ``live_server.run(fn)`` / ``with live_server.db():`` create rows (e.g. with
  ``tests/factories.py``); ``live_server.url_for("core.index")`` builds absolute URLs.
  Change the app's settings for a module or test by overriding the
  ``live_server_overrides`` fixture (for example ``MAIL_BACKEND``/``MAIL_PORT`` pointing
  at an SMTP sink), or restart with other settings by ``live_server_factory(**overrides)``
  (one server at a time: the app's database binding is process-wide, so starting one stops
  the one before).
- ``page`` (desktop, 1280×800) and ``phone_page`` (390×844, touch): a new browser context
  each, German (``de-DE``), Europe/Berlin, relative URLs resolve against the live server.
  ``new_page(viewport=…, locale=…)`` makes more (e.g. a second person in the same test).

Helpers (``visit``, ``check_a11y``, ``assert_fits_viewport``, ``screenshot``) are in
``tests/browser/helpers.py``.

Without Chromium or Playwright the tests skip; with ``REQUIRE_BROWSER=1`` they fail.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import jinja2
import pytest
from flask import Flask, url_for
from werkzeug.serving import make_server

from config import TestingConfig
from tests.browser.helpers import CSP_RECORDER, DESKTOP, PHONE, SHOTS_DIR, axe_loader
from volunteer_app import create_app
from volunteer_app.db import db

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HERE = os.path.dirname(os.path.abspath(__file__))


def _unavailable(reason: str):
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if str(item.path).startswith(HERE + os.sep):
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    # Lets the page fixtures save a screenshot of a failed test.
    report = yield
    if report.when == "call":
        item.browser_test_failed = report.failed
    return report


# --- Browser ---------------------------------------------------------------------------------


# One Playwright and one Chromium per process, even when a test module outside this folder
# imports these fixtures (pytest then registers them twice, and a second sync Playwright
# cannot start while the first runs).
_shared: dict = {"users": 0}


def _start_browser():
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed (pip install -r requirements-test.txt)")
    if not (os.path.isfile(CHROMIUM_PATH) and os.access(CHROMIUM_PATH, os.X_OK)):
        _unavailable(f"Chromium not found at {CHROMIUM_PATH} (apt-get install chromium)")
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM_PATH, headless=True, args=CHROMIUM_ARGS
        )
    except PlaywrightError as exc:
        playwright.stop()
        _unavailable(f"Chromium did not start: {exc}")
    _shared.update(playwright=playwright, chromium=chromium)


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium, shared by the whole test session."""
    if "chromium" not in _shared:
        _start_browser()
    _shared["users"] += 1
    yield _shared["chromium"]
    _shared["users"] -= 1
    if _shared["users"] == 0:
        _shared.pop("chromium").close()
        _shared.pop("playwright").stop()


# --- Live server -----------------------------------------------------------------------------


@dataclass
class LiveServer:
    """A running app: ``url`` (no trailing slash) and ``app``."""

    url: str
    app: Flask
    _stop: Callable[[], None] = field(repr=False)
    _database: object = field(default=None, repr=False)

    @contextlib.contextmanager
    def db(self) -> Iterator:
        """App context plus a database connection, for factories and checks."""
        with self.app.app_context(), db.connection_context():
            yield db

    def run(self, fn: Callable, *args, **kwargs):
        """``fn(*args, **kwargs)`` inside ``db()``; returns its result."""
        with self.db():
            return fn(*args, **kwargs)

    def log_in(self, page, user, *, mfa_ok: bool = True) -> None:
        """Log ``user`` in for ``page``'s browser context by a signed session cookie, as a
        finished login (password and, with ``mfa_ok``, second factor) would leave it."""
        now = time.time()
        with self.app.app_context():  # the id is an HMAC under the app's SECRET_KEY
            user_id = user.get_id()
        data = {
            "_user_id": user_id,
            "_fresh": True,
            "login_at": now,
            "auth_at": now,
            "mfa_ok": mfa_ok,
        }
        value = self.app.session_interface.get_signing_serializer(self.app).dumps(data)
        cookie = {"name": self.app.config["SESSION_COOKIE_NAME"], "value": value, "url": self.url}
        page.context.add_cookies([cookie])

    def url_for(self, endpoint: str, **values) -> str:
        with self.app.test_request_context():
            return self.url + url_for(endpoint, **values)

    def stop(self) -> None:
        self._stop()

    def use(self) -> LiveServer:
        """Point the process-wide database binding (and the rate limits) back at this server:
        a server kept for a module shares the process with the per-test servers of that
        module's other tests, each of which binds the database to its own file."""
        from volunteer_app.extensions import limiter

        db.initialize(self._database)
        limiter.reset()
        return self


def _close_database() -> None:
    obj = db.obj
    if obj is None:
        return
    if hasattr(obj, "close_all"):
        obj.close_all()
    elif not obj.is_closed():
        obj.close()


class _MemoryBytecodeCache(jinja2.BytecodeCache):
    """Compiled templates kept for the session: each test's server is a new app with a new
    Jinja environment, which would compile every template it renders again (~6 % of a flow's
    time). Jinja checks each entry against the template's source, so a changed template is
    compiled anew."""

    def __init__(self):
        self.entries: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        code = self.entries.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket) -> None:
        self.entries[bucket.key] = bucket.bytecode_to_string()


_TEMPLATE_CODE = _MemoryBytecodeCache()


@pytest.fixture
def live_server_overrides() -> dict:
    """Extra app settings for ``live_server``; override this fixture to change them."""
    return {}


def _start_live_server(database_url: str, overrides: dict) -> LiveServer:
    settings = {"DATABASE_URL": database_url, "WTF_CSRF_ENABLED": True}
    settings.update(overrides)
    app = create_app(TestingConfig, **settings)
    app.jinja_env.bytecode_cache = _TEMPLATE_CODE
    from volunteer_app.extensions import limiter

    limiter.reset()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    if "BASE_URL" not in overrides:
        app.config["BASE_URL"] = url  # links in mails point at this server
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name="live-server",
        daemon=True,
    )
    thread.start()

    def stop():
        if thread.is_alive():
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)

    return LiveServer(url=url, app=app, _stop=stop, _database=db.obj)


@pytest.fixture
def live_server_factory(sqlite_template, sqlite_copy):
    """``start(**overrides) -> LiveServer`` on a fresh database; stops the previous server."""
    servers: list[LiveServer] = []

    def start(**overrides) -> LiveServer:
        if servers:
            servers[-1].stop()
        # A copy of the file migrated with volunteer_app.migrate.upgrade() (tests/conftest.py).
        live = _start_live_server(sqlite_copy(sqlite_template), overrides)
        servers.append(live)
        return live

    yield start
    if servers:
        servers[-1].stop()
    _close_database()


@pytest.fixture(scope="module")
def module_live_server_factory(sqlite_template):
    """``start(**overrides) -> LiveServer`` for a whole module: one server (and database,
    seeded once) that the module's tests which only read share, instead of a server and
    seeding per test. A test using it calls ``live.use()`` first (the database binding is
    process-wide; another test of the module may have started a server of its own since).
    Its copy of the template lives in a folder of its own: ``sqlite_copy`` deletes the files
    of the tests before in its folder."""
    shm = "/dev/shm"  # noqa: S108 (in memory where there is one, as tests/conftest.py does)
    folder = tempfile.mkdtemp(
        prefix="thekiz-browser-", dir=shm if os.access(shm, os.W_OK) else None
    )
    servers: list[LiveServer] = []

    def start(**overrides) -> LiveServer:
        path = os.path.join(folder, f"{len(servers)}.db")
        shutil.copy(sqlite_template, path)
        live = _start_live_server(f"sqlite:///{path}", overrides)
        servers.append(live)
        return live

    yield start
    for live in servers:
        live.stop()
        live.use()
        _close_database()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def live_server(live_server_factory, live_server_overrides) -> LiveServer:
    return live_server_factory(**live_server_overrides)


# --- Pages -----------------------------------------------------------------------------------


def _new_context(browser, base_url: str, viewport=DESKTOP, locale="de-DE", **options):
    context = browser.new_context(
        viewport=viewport,
        locale=locale,
        timezone_id="Europe/Berlin",
        base_url=base_url,
        **options,
    )
    context.set_default_timeout(10_000)
    context.add_init_script(CSP_RECORDER)
    context.add_init_script(axe_loader())
    return context


def _save_failed_shots(request, contexts) -> None:
    """A failed test leaves a screenshot of each of its pages in ``$SHOTS_DIR/failed``."""
    if not getattr(request.node, "browser_test_failed", False):
        return
    for i, context in enumerate(contexts):
        for j, pg in enumerate(context.pages):
            with contextlib.suppress(Exception):
                (SHOTS_DIR / "failed").mkdir(parents=True, exist_ok=True)
                name = re.sub(r"[^\w.-]+", "_", request.node.name)
                pg.screenshot(path=str(SHOTS_DIR / "failed" / f"{name}-{i}{j}.png"))


@pytest.fixture
def new_page(browser, request):
    """``new_page(viewport=DESKTOP, locale="de-DE", **context_options)``: a page in a new context.

    Relative URLs resolve against ``live_server`` (started only when a page needs it), or
    against ``base_url=`` when given (a module's shared server, say). Every context records
    CSP violations (see ``helpers.csp_violations``), has axe-core loaded in each top-level
    page document (``helpers.axe_loader``) and is closed after the test; a failed test leaves a
    screenshot of each of its pages in ``$SHOTS_DIR/failed``.
    """
    contexts = []

    def make(viewport=DESKTOP, locale="de-DE", **options):
        if "base_url" not in options:
            options["base_url"] = request.getfixturevalue("live_server").url
        context = _new_context(browser, viewport=viewport, locale=locale, **options)
        contexts.append(context)
        return context.new_page()

    yield make
    _save_failed_shots(request, contexts)
    for context in contexts:
        context.close()


@pytest.fixture(scope="module")
def module_pages(browser):
    """``module_pages(key, base_url, viewport=DESKTOP, **context_options)``: a page kept for
    the module's tests that ask for the same ``key``, instead of a new context per test.
    Each test gets it with its cookies cleared and on ``about:blank`` (a new document: no
    script state, focus or axe result carries over); state the app keeps elsewhere (its
    database) is the test's concern. Use ``reuse_page`` for a test's copy."""
    kept: dict = {}

    def get(key, base_url, viewport=DESKTOP, locale="de-DE", **options):
        if key not in kept or kept[key].is_closed():
            context = _new_context(browser, base_url, viewport=viewport, locale=locale, **options)
            kept[key] = context.new_page()
        return kept[key]

    yield get
    for pg in kept.values():
        with contextlib.suppress(Exception):
            pg.context.close()


@pytest.fixture
def reuse_page(module_pages, request):
    """``reuse_page(key, base_url, ...)``: the module's kept page (``module_pages``), reset
    for this test: cookies cleared, on ``about:blank``. Not for tests that change what a new
    document would not reset (``emulate_media``, permissions, storage). A failed test leaves
    a screenshot of it in ``$SHOTS_DIR/failed``."""
    used = []

    def get(key, base_url, **options):
        pg = module_pages(key, base_url, **options)
        pg.context.clear_cookies()
        pg.goto("about:blank")
        used.append(pg.context)
        return pg

    yield get
    _save_failed_shots(request, used)


@pytest.fixture
def page(new_page):
    """A desktop page (1280×800)."""
    return new_page()


@pytest.fixture
def phone_page(new_page):
    """A phone page (390×844, mobile, touch)."""
    return new_page(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
