"""CSRF on every state change, and no state change on GET."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import threading
import time

import pytest

from tests.factories import make_centre, make_coordinator, make_operator, make_user
from tests.write_log import WriteLog
from volunteer_app.accounts.models import LoginToken, User
from volunteer_app.centres.models import ClosingDay, Invitation
from volunteer_app.common.security import new_token
from volunteer_app.db import db, is_sqlite, utcnow
from volunteer_app.feeds.models import FeedCache
from volunteer_app.models import all_models

HTTPS = "https://localhost"
STATE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Endpoints named after an action that changes something. Such an endpoint may answer GET
# only to show a confirmation page whose button POSTs (a link in a mail, say); the crawl
# below proves that its GET changes nothing.
ACTION_VERBS = (
    "accept", "add", "approve", "book", "cancel", "confirm", "create", "decline", "delete",
    "disable", "enable", "invite", "join", "leave", "logout", "mark", "promote", "reject",
    "remove", "resend", "reset", "revoke", "send", "set", "sign", "subscribe", "unsubscribe",
    "update", "withdraw",
)  # fmt: skip


@pytest.fixture
def csrf_on(app):
    app.config["WTF_CSRF_ENABLED"] = True
    return app


def _token_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def _logged_in_client(app, user):
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True
        sess["login_at"] = sess["auth_at"] = time.time()
        sess["mfa_ok"] = True
    return client


def _html_lang(response) -> str:
    return re.search(r'<html lang="(\w+)"', response.get_data(as_text=True)).group(1)


# --- The language switch as the example state change ---------------------------------------


def test_post_without_token_is_refused_and_changes_nothing(csrf_on, conn):
    user = make_user(locale="de")
    client = _logged_in_client(csrf_on, user)
    response = client.post("/language", data={"lang": "en", "next": "/"})
    assert response.status_code == 400
    assert 'class="error-code"' in response.get_data(as_text=True)  # the error page
    assert User.get_by_id(user.id).locale == "de"
    with client.session_transaction() as sess:
        assert "lang" not in sess
    assert _html_lang(client.get("/")) == "de"


def test_post_with_wrong_token_is_refused(csrf_on, conn):
    user = make_user(locale="de")
    client = _logged_in_client(csrf_on, user)
    client.get("/")  # the session now has a token, but not this one
    response = client.post("/language", data={"lang": "en", "csrf_token": "x" * 40})
    assert response.status_code == 400
    assert User.get_by_id(user.id).locale == "de"


def test_token_of_another_session_is_refused(csrf_on, conn):
    other = csrf_on.test_client()
    stolen = _token_from(other.get("/konto/anmelden").get_data(as_text=True))
    user = make_user(locale="de")
    client = _logged_in_client(csrf_on, user)
    client.get("/")
    response = client.post("/language", data={"lang": "en", "csrf_token": stolen})
    assert response.status_code == 400
    assert User.get_by_id(user.id).locale == "de"


def test_post_with_valid_token_over_https_succeeds(csrf_on, conn):
    user = make_user(locale="de")
    client = _logged_in_client(csrf_on, user)
    token = _token_from(client.get("/zentren/", base_url=HTTPS).get_data(as_text=True))
    response = client.post(
        "/language",
        base_url=HTTPS,
        data={"lang": "en", "next": "/zentren/", "csrf_token": token},
        headers={"Referer": HTTPS + "/zentren/"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/zentren/"
    assert User.get_by_id(user.id).locale == "en"
    assert _html_lang(client.get("/zentren/", base_url=HTTPS)) == "en"


@pytest.mark.parametrize(
    "referer",
    [None, "https://evil.example/", "http://localhost/", "https://localhost.evil.example/"],
)
def test_https_post_needs_a_same_origin_referer(csrf_on, conn, referer):
    # Why the Referrer-Policy is "same-origin" and never "no-referrer". (Logged in: without a
    # login the language switch needs no token at all.)
    client = _logged_in_client(csrf_on, make_user(locale="de"))
    token = _token_from(client.get("/", base_url=HTTPS).get_data(as_text=True))
    headers = {"Referer": referer} if referer else {}
    response = client.post(
        "/language", base_url=HTTPS, data={"lang": "en", "csrf_token": token}, headers=headers
    )
    assert response.status_code == 400
    with client.session_transaction() as sess:
        assert "lang" not in sess


# --- Every state-changing route -------------------------------------------------------------


def _world():
    """One row of everything the routes take ids or tokens of (ids are 1 in a fresh database)."""
    operator = make_operator()
    centre = make_centre(operator=operator)
    admin = make_user(role="admin")
    coordinator = make_coordinator(centre)
    volunteer = make_user()
    newcomer = make_user(email_confirmed_at=None)
    ClosingDay.create(centre=centre, day=dt.date(2030, 12, 24), reason="Heiligabend")
    later = utcnow() + dt.timedelta(minutes=30)
    tokens = []
    for purpose, owner, extra in (
        ("confirm", newcomer, {}),
        ("reset", volunteer, {}),
        ("email_change", volunteer, {"new_email": "neu@example.org"}),
    ):
        token, token_hash = new_token()
        LoginToken.create(
            user=owner, purpose=purpose, token_hash=token_hash, expires_at=later, **extra
        )
        tokens.append(token)
    for email in ("neu-koordination@example.org", volunteer.email):
        token, token_hash = new_token()
        Invitation.create(
            email=email, centre=centre, invited_by=admin, token_hash=token_hash, expires_at=later
        )
        tokens.append(token)
    values = {
        "slug": [centre.slug],
        "token": tokens,
        "filename": ["app.css"],
        "user_id": [coordinator.id, volunteer.id],
        "operator_id": [operator.id],
        "centre_id": [centre.id],
    }
    users = {"volunteer": volunteer, "coordinator": coordinator, "admin": admin}
    return values, users


def _urls(app, rule, values) -> list[str]:
    """Every URL of ``rule`` built from the known values (ids default to 1)."""
    adapter = app.url_map.bind("localhost")
    choices = []
    for arg in sorted(rule.arguments):
        converter = rule._converters[arg]
        if type(converter).__name__ in ("IntegerConverter", "NumberConverter", "IdConverter"):
            default = [1]
        elif type(converter).__name__ == "AnyConverter":  # <any(a, b):kind>: each choice
            default = sorted(converter.items)
        else:
            default = ["x"]
        choices.append(values.get(arg, default))
    urls = []
    for combo in itertools.product(*choices):
        url = adapter.build(rule.endpoint, dict(zip(sorted(rule.arguments), combo, strict=True)))
        method = "GET" if "GET" in rule.methods else next(iter(rule.methods & STATE_METHODS))
        endpoint, _args = adapter.match(url, method=method)
        assert endpoint == rule.endpoint, f"{url} reaches {endpoint}, not {rule.endpoint}"
        urls.append(url)
    return urls


# Caches may be filled by a GET: they hold nothing that was not there before.
CACHE_TABLES = {"FeedCache"}


def _snapshot() -> dict:
    return {
        model.__name__: list(model.select().order_by(model._meta.primary_key).tuples())
        for model in all_models()
        if model.__name__ not in CACHE_TABLES
    }


def _changes(before: dict, after: dict) -> list[str]:
    return [name for name in before if before[name] != after[name]]


# Without a login the language switch only sets a language cookie: it needs no token, so that
# pages whose only form it is need no session (core.set_language); logged in, it does.
NO_TOKEN_WITHOUT_LOGIN = {"/language"}


def test_every_state_changing_route_requires_a_csrf_token(csrf_on, conn):
    values, users = _world()
    clients = {
        "anonymous": csrf_on.test_client(),
        "admin": _logged_in_client(csrf_on, users["admin"]),
    }
    checked, problems = 0, []
    before = _snapshot()
    for rule in csrf_on.url_map.iter_rules():
        for method in sorted(rule.methods & STATE_METHODS):
            for url in _urls(csrf_on, rule, values):
                for who, client in clients.items():
                    if who == "anonymous" and url in NO_TOKEN_WITHOUT_LOGIN:
                        continue
                    response = client.open(url, method=method, data={"x": "1"})
                    checked += 1
                    # The JSON API ignores cookies, so it needs no CSRF token: without a
                    # bearer token its writes are refused with 401 (docs/api.md).
                    if response.status_code != (401 if url.startswith("/api/") else 400):
                        problems.append(f"{method} {url} as {who}: {response.status_code}")
    assert not problems, "state changes accepted without a CSRF token:\n" + "\n".join(problems)
    assert _changes(before, _snapshot()) == []
    assert checked >= 2  # at least the language switch


def test_action_endpoints_never_answer_get_alone(app):
    offenders = []
    for rule in app.url_map.iter_rules():
        view = rule.endpoint.rsplit(".", 1)[-1]
        if "GET" in rule.methods and view.startswith(ACTION_VERBS) and "POST" not in rule.methods:
            offenders.append(f"{rule.rule} -> {rule.endpoint}")
    assert not offenders, (
        "endpoints named after an action must act on POST (GET may only show the "
        "confirmation page): " + ", ".join(offenders)
    )


def test_action_verbs_rule_recognises_actions():
    # The verb list must catch what it is meant for (and leave pages alone).
    for name in ("logout", "cancel_signup", "delete_account", "accept_invitation", "remove_day"):
        assert name.startswith(ACTION_VERBS), name
    for name in ("index", "profile", "list_centres", "show_centre", "healthz", "privacy"):
        assert not name.startswith(ACTION_VERBS), name


def _gets_that_write(app, rules, values, users) -> tuple[int, list[str]]:
    """GET every URL of ``rules`` as everyone; how many requests, and which changed a table."""
    clients = {"anonymous": app.test_client()}
    clients.update({role: _logged_in_client(app, user) for role, user in users.items()})
    requested, problems = 0, []
    with WriteLog(db, skip=CACHE_TABLES) as writes:
        for rule in rules:
            if "GET" not in rule.methods:
                continue
            for url in _urls(app, rule, values):
                for who, client in clients.items():
                    response = client.get(url)
                    requested += 1
                    assert response.status_code < 500, f"GET {url} as {who}"
                    changed = writes.changed()
                    if changed:
                        problems.append(f"GET {url} as {who} changed {', '.join(changed)}")
    return requested, problems


def test_no_get_changes_the_database(app, conn):
    """GET every route, as everyone, with real ids and unused single-use links: nothing changes.

    Mail scanners and browsers prefetch links; a GET that used up a link, booked a place or
    queued a mail would do so behind the person's back.
    """
    values, users = _world()
    before = _snapshot()
    requested, problems = _gets_that_write(app, app.url_map.iter_rules(), values, users)
    assert not problems, "\n".join(problems)
    assert requested >= 4 * 6  # every public page at least, for everyone
    assert _changes(before, _snapshot()) == []  # and the detector's own table left no trace


# Routes that do what no GET may do, to prove that the crawl above notices it.
def _add_broken_routes(app) -> None:
    days = itertools.count(1)

    def insert():
        day = dt.date(2031, 1, 1) + dt.timedelta(days=next(days))
        ClosingDay.create(centre=1, day=day, reason="per GET")
        return "ok"

    def update():
        User.update(name="Per GET").where(User.id == 1).execute()
        return "ok"

    def delete():
        LoginToken.delete().where(LoginToken.id == 1).execute()
        return "ok"

    def raw_sql():
        later = (
            "expires_at + interval '1 day'" if not is_sqlite() else "datetime(expires_at, '+1 day')"
        )
        db.execute_sql(f"UPDATE {Invitation._meta.table_name} SET expires_at = {later}")  # noqa: S608
        return "ok"

    def in_another_thread():
        thread = threading.Thread(target=lambda: db.connection_context()(insert)())
        thread.start()
        thread.join()
        return "ok"

    def same_value():  # changes nothing
        User.update(email=User.email).where(User.id == 1).execute()
        return "ok"

    def rolled_back():  # changes nothing
        with db.atomic() as transaction:
            User.update(name="Nie gespeichert").where(User.id == 1).execute()
            transaction.rollback()
        return "ok"

    def cache():  # a cache may be filled by a GET
        now = utcnow()
        FeedCache.create(
            key=f"test-{next(days)}", revision="r", etag="e", body=b"x", last_modified=now,
            rendered_at=now,
        )  # fmt: skip
        return "ok"

    for name, view in (
        ("insert", insert), ("update", update), ("delete", delete), ("raw_sql", raw_sql),
        ("in_another_thread", in_another_thread), ("same_value", same_value),
        ("rolled_back", rolled_back), ("cache", cache),
    ):  # fmt: skip
        app.add_url_rule(f"/test-get/{name}", endpoint=f"test_get_{name}", view_func=view)


@pytest.mark.own_app
def test_the_crawl_notices_a_get_that_writes(app, conn):
    """The detector of ``test_no_get_changes_the_database`` (``tests/write_log.py``, also the
    route fuzzer's) on routes that break the rule:
    an INSERT, an UPDATE, a DELETE, raw SQL and a write in another thread are each reported
    with the table they changed, for each person whose GET changed it; the same value written
    again, a rolled-back write and a cache row are not."""
    _add_broken_routes(app)
    values, users = _world()
    rules = [r for r in app.url_map.iter_rules() if r.rule.startswith("/test-get/")]
    before = _snapshot()
    requested, problems = _gets_that_write(app, rules, values, users)
    assert requested == 8 * 4
    everyone = ("anonymous", *users)
    # A closing day is public: the revision triggers move the centre's revision with it.
    day = "ClosingDay, ContentRevision"
    assert problems == [
        *(f"GET /test-get/insert as {who} changed {day}" for who in everyone),
        # The first changes the row; the others write the same value again, or find no row.
        "GET /test-get/update as anonymous changed User",
        "GET /test-get/delete as anonymous changed LoginToken",
        *(f"GET /test-get/raw_sql as {who} changed Invitation" for who in everyone),
        *(f"GET /test-get/in_another_thread as {who} changed {day}" for who in everyone),
    ]
    # The snapshot of every table (the detector before this one) sees the same tables.
    changed = ["ClosingDay", "ContentRevision", "Invitation", "LoginToken", "User"]
    assert sorted(_changes(before, _snapshot())) == changed
