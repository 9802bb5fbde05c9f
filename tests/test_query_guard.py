"""The query guard (tests/query_guard.py): a query while a template renders fails the test."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import jinja2
import pytest
from flask import render_template

from tests import query_guard
from tests.factories import make_user
from volunteer_app.accounts.models import User

ROOT = Path(__file__).resolve().parent.parent

PROBE = """{% extends "base.html" %}
{% block content %}<p>{{ users | length }} people</p>{% endblock %}"""


@pytest.fixture
def probe_app(app):
    """The app with a page whose template runs a lazy query, and one that does not."""
    app.jinja_env.loader = jinja2.ChoiceLoader(
        [jinja2.DictLoader({"probe.html": PROBE}), app.jinja_env.loader]
    )

    @app.get("/_test/lazy")
    def _lazy():
        return render_template("probe.html", users=User.select())  # a query, run by the template

    @app.get("/_test/loaded")
    def _loaded():
        return render_template("probe.html", users=list(User.select()))  # the view ran it

    return app


@pytest.mark.own_app
def test_a_query_run_by_a_template_is_reported_with_template_line_and_sql(probe_app, conn):
    make_user(email="a@example.org")
    client = probe_app.test_client()
    with query_guard.recording() as found:
        assert client.get("/_test/lazy").status_code == 200
    assert len(found) == 1, found
    assert found[0].page == "probe.html"
    assert found[0].where == "probe.html:2"
    assert 'FROM "user"' in found[0].sql
    report = query_guard.report(found)
    assert "probe.html (at probe.html:2)" in report and 'FROM "user"' in report

    with query_guard.recording() as found:
        response = client.get("/_test/loaded")
    assert response.status_code == 200 and "1 people" in response.get_data(as_text=True)
    assert found == []  # the view's own query is none of the guard's business


def test_the_error_page_loads_the_user_before_it_renders(app, conn):
    """A refused CSRF token ends the request before anything loaded the user; with the
    language in the session not even the locale needs them. The page still shows who is
    logged in, and rendering it queries nothing."""
    app.config["WTF_CSRF_ENABLED"] = True
    user = make_user(email="volunteer@example.org")
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True
        sess["login_at"] = sess["auth_at"] = time.time()
        sess["mfa_ok"] = True
        sess["lang"] = "en"
    with query_guard.recording() as found:
        response = client.post("/language", data={"lang": "de"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "The form has expired" in page
    assert "Log out" in page  # the layout knows the user
    assert found == []


GUARDED_TEST = """
import jinja2
import peewee

database = peewee.SqliteDatabase(":memory:")


def count():
    return database.execute_sql("SELECT 42").fetchone()[0]


def test_queries_while_rendering():
    template = jinja2.Environment().from_string("{{ count() }}")
    template.name = "mail/probe.txt"
    assert template.render(count=count) == "42"


def test_queries_before_rendering():
    answer = count()
    assert jinja2.Environment().from_string("{{ answer }}").render(answer=answer) == "42"
"""


def test_the_plugin_fails_a_test_whose_template_queries(tmp_path):
    (tmp_path / "test_probe.py").write_text(textwrap.dedent(GUARDED_TEST))
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.query_guard",
         "-c", str(tmp_path / "pytest.ini"), "--rootdir", str(tmp_path), str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "1 failed, 1 passed" in out, out
    assert "test_probe.py::test_queries_while_rendering" in out, out
    assert "mail/probe.txt (at mail/probe.txt:1)" in out, out
    assert "SELECT 42" in out, out
