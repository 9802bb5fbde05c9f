"""pytest plugin: a test fails when rendering a template issues a database query.

Templates only display: a view (or its ``queries``/``pages`` helper) loads every row a page
shows, ready-joined. A query from a template — a lazy foreign key like ``link.centre``, a
backref, a property that selects — runs once per row and hides from the view's code. This
plugin watches every render of every test, so a page test that renders such a template
fails, naming the page's template, the template and line that asked, and the SQL.

How: ``flask.templating._render``/``_stream`` (a page, including Flask's context processors)
and ``jinja2.Template.render``/``generate`` (any other template, e.g. a mail) mark the
current context as rendering while they run; ``peewee.Database.execute_sql`` notes every
statement run while that mark is set. The mark is a context variable, so a query in another
thread (a concurrency test's second client) is not blamed on this thread's render.

``recording()`` collects instead of failing, for a test of this plugin.
Registered in ``tests/conftest.py`` (``pytest_plugins``).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import os
import sys
from dataclasses import dataclass

import flask.templating
import jinja2
import peewee
import pytest

_rendering: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar(
    "query_guard_rendering", default=()
)
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclass(frozen=True)
class TemplateQuery:
    page: str  # the template being rendered (outermost)
    where: str  # the template and line whose code ran the query
    sql: str
    params: tuple

    def __str__(self) -> str:
        params = f"\n      params: {self.params!r}" if self.params else ""
        return f"  {self.page} (at {self.where}):\n      {self.sql}{params}"


_found: list[TemplateQuery] = []
_sinks: list[list[TemplateQuery]] = []  # recording() diverts here


def _name(template) -> str:
    if isinstance(template, jinja2.Template):
        return template.name or "<template from a string>"
    return str(template)


@contextlib.contextmanager
def _marked(name: str):
    token = _rendering.set((*_rendering.get(), name))
    try:
        yield
    finally:
        _rendering.reset(token)


def _origin() -> str:
    """The innermost template frame on the stack: its template name and source line."""
    frame = sys._getframe(2)
    while frame is not None:
        template = frame.f_globals.get("__jinja_template__")
        if template is not None:
            line = template.get_corresponding_lineno(frame.f_lineno)
            return f"{template.name or '<string>'}:{line}"
        frame = frame.f_back
    return "a context processor or filter (no template frame on the stack)"


def _note(sql, params) -> None:
    stack = _rendering.get()
    if not stack:
        return
    entry = TemplateQuery(stack[0], _origin(), str(sql), tuple(params or ()))
    (_sinks[-1] if _sinks else _found).append(entry)


def _guard_sql(execute_sql):
    @functools.wraps(execute_sql)
    def guarded(self, sql, params=None, *args, **kwargs):
        _note(sql, params)
        return execute_sql(self, sql, params, *args, **kwargs)

    guarded.__query_guard__ = True
    return guarded


def _guard_flask(render):
    """Flask's ``_render(app, template, context)``: context processors and the render."""

    @functools.wraps(render)
    def guarded(app, template, context):
        with _marked(_name(template)):
            return render(app, template, context)

    guarded.__query_guard__ = True
    return guarded


def _guard_flask_stream(stream):
    @functools.wraps(stream)
    def guarded(app, template, context):
        with _marked(_name(template)):
            chunks = stream(app, template, context)
        return _marked_iteration(_name(template), chunks)

    guarded.__query_guard__ = True
    return guarded


def _marked_iteration(name: str, chunks):
    iterator = iter(chunks)
    while True:
        with _marked(name):
            try:
                chunk = next(iterator)
            except StopIteration:
                return
        yield chunk


def _guard_render(render):
    @functools.wraps(render)
    def guarded(self, *args, **kwargs):
        with _marked(_name(self)):
            return render(self, *args, **kwargs)

    guarded.__query_guard__ = True
    return guarded


def _guard_generate(generate):
    @functools.wraps(generate)
    def guarded(self, *args, **kwargs):
        return _marked_iteration(_name(self), generate(self, *args, **kwargs))

    guarded.__query_guard__ = True
    return guarded


_PATCHES = (
    (peewee.Database, "execute_sql", _guard_sql),
    (flask.templating, "_render", _guard_flask),
    (flask.templating, "_stream", _guard_flask_stream),
    (jinja2.Template, "render", _guard_render),
    (jinja2.Template, "generate", _guard_generate),
)
_originals: list[tuple[object, str, object]] = []


def install() -> None:
    for owner, attr, guard in _PATCHES:
        original = getattr(owner, attr)
        if getattr(original, "__query_guard__", False):
            continue
        _originals.append((owner, attr, original))
        setattr(owner, attr, guard(original))


def uninstall() -> None:
    while _originals:
        owner, attr, original = _originals.pop()
        setattr(owner, attr, original)


@contextlib.contextmanager
def recording():
    """Collect the queries templates issue inside the block (into the yielded list) instead
    of failing the test."""
    sink: list[TemplateQuery] = []
    _sinks.append(sink)
    try:
        yield sink
    finally:
        _sinks.remove(sink)


def report(found: list[TemplateQuery]) -> str:
    return (
        f"{len(found)} database quer{'y' if len(found) == 1 else 'ies'} while rendering a "
        "template (load the rows in the view or its query helper, ready-joined):\n"
        + "\n".join(str(q) for q in found)
    )


# --- pytest hooks ------------------------------------------------------------------------


def pytest_configure(config):
    install()


def pytest_unconfigure(config):
    uninstall()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    _found.clear()
    return (yield)


def _check_phase(item, phase: str):
    """After a phase: queries during its renders fail it (or, when it failed anyway, are
    added to its report)."""
    try:
        result = yield
    except BaseException:
        if _found:
            item.add_report_section(phase, "template queries", report(_found))
            _found.clear()
        raise
    if _found:
        found = list(_found)
        _found.clear()
        pytest.fail(report(found), pytrace=False)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    return (yield from _check_phase(item, "call"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item):
    return (yield from _check_phase(item, "teardown"))
