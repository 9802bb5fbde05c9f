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
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import jinja2
import pytest
from flask import Flask, url_for
from werkzeug.serving import make_server

from config import TestingConfig
from tests.browser.helpers import CSP_RECORDER, DESKTOP, PHONE, SHOTS_DIR
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


@pytest.fixture
def live_server_factory(sqlite_template, sqlite_copy):
    """``start(**overrides) -> LiveServer`` on a fresh database; stops the previous server."""
    servers: list[LiveServer] = []

    def start(**overrides) -> LiveServer:
        if servers:
            servers[-1].stop()
        # A copy of the file migrated with volunteer_app.migrate.upgrade() (tests/conftest.py).
        settings = {"DATABASE_URL": sqlite_copy(sqlite_template), "WTF_CSRF_ENABLED": True}
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

        live = LiveServer(url=url, app=app, _stop=stop)
        servers.append(live)
        return live

    yield start
    if servers:
        servers[-1].stop()
    _close_database()


@pytest.fixture
def live_server(live_server_factory, live_server_overrides) -> LiveServer:
    return live_server_factory(**live_server_overrides)


# --- Pages -----------------------------------------------------------------------------------


@pytest.fixture
def new_page(browser, live_server, request):
    """``new_page(viewport=DESKTOP, locale="de-DE", **context_options)``: a page in a new context.

    Every context records CSP violations (see ``helpers.csp_violations``) and is closed after
    the test; a failed test leaves a screenshot of each of its pages in ``$SHOTS_DIR/failed``.
    """
    contexts = []

    def make(viewport=DESKTOP, locale="de-DE", **options):
        context = browser.new_context(
            viewport=viewport,
            locale=locale,
            timezone_id="Europe/Berlin",
            base_url=live_server.url,
            **options,
        )
        context.set_default_timeout(10_000)
        context.add_init_script(CSP_RECORDER)
        contexts.append(context)
        return context.new_page()

    yield make
    failed = getattr(request.node, "browser_test_failed", False)
    for i, context in enumerate(contexts):
        if failed:
            for j, pg in enumerate(context.pages):
                with contextlib.suppress(Exception):
                    (SHOTS_DIR / "failed").mkdir(parents=True, exist_ok=True)
                    name = re.sub(r"[^\w.-]+", "_", request.node.name)
                    pg.screenshot(path=str(SHOTS_DIR / "failed" / f"{name}-{i}{j}.png"))
        context.close()


@pytest.fixture
def page(new_page):
    """A desktop page (1280×800)."""
    return new_page()


@pytest.fixture
def phone_page(new_page):
    """A phone page (390×844, mobile, touch)."""
    return new_page(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
