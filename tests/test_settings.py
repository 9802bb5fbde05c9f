"""Each setting has one source and one default: config.py, documented in docs/configuration.md.

The code reads a setting as ``current_app.config["X"]`` (or ``app.config["X"]``): never with a
default of its own (``config.get("X", 14)``, which drifts from config.py's), never straight from
``os.environ`` (which the tests and ``create_app(**overrides)`` cannot change). Every setting in
config.py has a row in docs/configuration.md, and every row names a real setting.
"""

from __future__ import annotations

import ast
import os
import re
import runpy
from pathlib import Path

import pytest
from flask import Flask

import config

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "configuration.md"
CODE = ROOT / "volunteer_app"
TEMPLATES = ROOT / "templates"

# The environment is config.py's alone; these read it for another program, not for a setting.
ENVIRON_ALLOWED = {
    ("volunteer_app/db.py", "make_database"): "libpq's PGCONNECT_TIMEOUT, which libpq reads",
    ("volunteer_app/ops.py", "_pg_command"): "the environment handed to pg_dump and psql",
    ("volunteer_app/matching/__main__.py", "_solve"): "OpenBLAS's thread count while numpy loads",
}
# Read by the code but set by Flask-WTF's init_app, not by config.py.
EXTENSION_SETTINGS = {"WTF_CSRF_FIELD_NAME", "WTF_CSRF_CHECK_DEFAULT"}
# Settings without a row of their own, each explained in the page's text instead.
UNDOCUMENTED_SETTINGS = {
    "ENV_NAME": "the class's name, explained under `APP_ENV`",
    "BASE_URL_FROM_REQUEST": "not an environment variable; explained in the row of `BASE_URL`",
}

_UPPER = re.compile(r"`([A-Z][A-Z0-9_]+)`")


def _settings() -> set[str]:
    """Every upper-case attribute of the configuration classes (inherited ones included)."""
    return {name for cls in config.CONFIGS.values() for name in dir(cls) if name.isupper()}


def _known_settings() -> set[str]:
    return _settings() | set(Flask.default_config) | EXTENSION_SETTINGS


def _python_files():
    for path in sorted(CODE.rglob("*.py")):
        yield path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")


def _template_files():
    for path in sorted(TEMPLATES.rglob("*")):
        if path.is_file() and path.suffix in {".html", ".txt", ".ics", ".xml"}:
            yield path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")


def _is_config(node: ast.AST) -> bool:
    """``config``, ``app.config``, ``current_app.config``, ``self.app.config`` …"""
    return (isinstance(node, ast.Name) and node.id == "config") or (
        isinstance(node, ast.Attribute) and node.attr == "config"
    )


def _enclosing_functions(tree: ast.AST) -> dict[ast.AST, str]:
    owner = {}
    for func in ast.walk(tree):
        if isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(func):
                owner.setdefault(node, func.name)  # outermost first: ast.walk is breadth-first
    return owner


def _key(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _python_problems(path: str, source: str) -> list[str]:
    problems, known = [], _known_settings()
    tree = ast.parse(source, filename=path)
    owner = _enclosing_functions(tree)
    for node in ast.walk(tree):
        where = f"{path}:{getattr(node, 'lineno', '?')}"
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and _is_config(node.func.value)
        ):
            text = ast.get_source_segment(source, node)
            key = _key(node.args[0]) if node.args else None
            if len(node.args) > 1 or node.keywords:
                problems.append(
                    f"{where}: `{text}` gives a setting a second default; read "
                    f'config["{key or "X"}"] and keep the one default in config.py'
                )
            else:
                problems.append(f'{where}: `{text}`: read settings as config["{key or "X"}"]')
        elif (
            isinstance(node, ast.Subscript)
            and isinstance(node.ctx, ast.Load)
            and _is_config(node.value)
            and (key := _key(node.slice))
            and key.isupper()
            and key not in known
        ):
            problems.append(
                f'{where}: config["{key}"] is no setting of config.py: define it there (with '
                "its one default) and document it in docs/configuration.md"
            )
        elif _reads_environment(node) and (path, owner.get(node)) not in ENVIRON_ALLOWED:
            problems.append(
                f"{where}: reads the environment (`{ast.get_source_segment(source, node)}`); "
                'settings come from config.py: add one there and read config["X"]'
            )
    return problems


def _reads_environment(node: ast.AST) -> bool:
    """``os.environ``, ``os.getenv`` …, or ``from os import environ``."""
    if isinstance(node, ast.Attribute):
        return (
            isinstance(node.value, ast.Name)
            and node.value.id == "os"
            and node.attr in {"environ", "getenv", "putenv", "unsetenv"}
        )
    return (
        isinstance(node, ast.ImportFrom)
        and node.module == "os"
        and any(alias.name in {"environ", "getenv"} for alias in node.names)
    )


def _template_problems(path: str, source: str) -> list[str]:
    problems, known = [], _known_settings()
    for number, line in enumerate(source.splitlines(), 1):
        if "config.get(" in line:
            problems.append(f"{path}:{number}: `config.get(…)`: use config.X, defined in config.py")
        for key in re.findall(r"\bconfig(?:\.|\[[\"'])([A-Z][A-Z0-9_]*)", line):
            if key not in known:
                problems.append(f"{path}:{number}: config.{key} is no setting of config.py")
    return problems


def test_settings_are_read_from_config_py_with_its_one_default():
    problems = []
    for path, source in _python_files():
        problems += _python_problems(path, source)
    for path, source in _template_files():
        problems += _template_problems(path, source)
    assert not problems, "Settings read past config.py:\n  " + "\n  ".join(problems)


def test_each_exception_is_still_needed():
    used = set()
    for path, source in _python_files():
        tree = ast.parse(source)
        owner = _enclosing_functions(tree)
        used |= {(path, owner.get(node)) for node in ast.walk(tree) if _reads_environment(node)}
    stale = sorted(set(ENVIRON_ALLOWED) - used)
    assert not stale, f"no longer read the environment, drop them from ENVIRON_ALLOWED: {stale}"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('x = current_app.config.get("SLOT_HORIZON_DAYS", 90)', "second default"),
        ("x = app.config.get(key, default)", "second default"),
        ('x = config.get("HSTS")', 'read settings as config["HSTS"]'),
        ('x = current_app.config["NO_SUCH_SETTING"]', "no setting of config.py"),
        ('import os\nx = os.environ.get("RATELIMIT_FEEDS")', "reads the environment"),
        ("from os import getenv", "reads the environment"),
    ],
)
def test_the_check_finds_each_kind_of_mistake(source, expected):
    problems = _python_problems("volunteer_app/example.py", source)
    assert len(problems) == 1 and expected in problems[0], problems


def test_the_check_accepts_the_right_way():
    source = 'x = current_app.config["SLOT_HORIZON_DAYS"]\ncurrent_app.config["X_NEW"] = 1'
    assert _python_problems("volunteer_app/example.py", source) == []
    assert _template_problems("t.html", "{{ config.TOKEN_TTL_MINUTES }}") == []
    assert _template_problems("t.html", "{{ config.TOKEN_TTL }}") != []


# --- docs/configuration.md ------------------------------------------------------------------


def _settings_rows() -> list[list[str]]:
    """The rows of the tables under '## Settings' whose header starts with 'Setting'."""
    rows, in_table = [], False
    section = DOC.read_text(encoding="utf-8").split("## Settings", 1)[1].split("\n## ", 1)[0]
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not line.startswith("|"):
            in_table = False
        elif cells[0] == "Setting":
            in_table = True
        elif in_table and not set(cells[0]) <= {"-", ":"}:
            rows.append(cells)
    return rows


def _environment_read_by_config_py() -> set[str]:
    """The variables config.py reads, recorded while it runs with an empty environment."""

    class Recorder(dict):
        def __init__(self):
            super().__init__()
            self.read = set()

        def get(self, key, default=None):
            self.read.add(key)
            return default

        def __getitem__(self, key):
            self.read.add(key)
            raise KeyError(key)

        def __contains__(self, key):
            self.read.add(key)
            return False

    recorder = Recorder()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "environ", recorder)
        runpy.run_path(str(ROOT / "config.py"))
    return recorder.read


def _documented_environment(rows) -> set[str]:
    """Column 2; ``…_CERTIFICATE`` after `PRIVACY_LEGAL_BASIS_ACCOUNT` stands for
    PRIVACY_LEGAL_BASIS_CERTIFICATE (the previous name with its last part replaced)."""
    names = set()
    for cells in rows:
        previous = None
        for name in re.findall(r"`(…?_?[A-Z][A-Z0-9_]*)`", cells[1]):
            if name.startswith("…") and previous:
                name = previous.rsplit("_", 1)[0] + name[1:]
            names.add(name)
            previous = name
    return names


def test_every_setting_of_config_py_has_a_row_in_the_documentation():
    documented = {name for cells in _settings_rows() for name in _UPPER.findall(cells[0])}
    missing = sorted(_settings() - documented - set(UNDOCUMENTED_SETTINGS))
    assert not missing, (
        f"docs/configuration.md has no row for {missing}: add one to the fitting table under "
        "'## Settings' (setting, environment variable, default, meaning)"
    )
    text = DOC.read_text(encoding="utf-8")
    for name in UNDOCUMENTED_SETTINGS:
        assert name in _settings(), f"{name} is no setting any more: drop it from the exceptions"
        assert f"`{name}`" in text, f"docs/configuration.md no longer explains `{name}`"


def test_every_setting_the_documentation_names_exists():
    settings, rows = _settings(), _settings_rows()
    named = {name for cells in rows for name in _UPPER.findall(cells[0])}
    assert not sorted(named - settings), (
        f"docs/configuration.md documents {sorted(named - settings)}, which config.py does not "
        "define: remove the row, or add the setting to config.py"
    )
    read = _environment_read_by_config_py()
    claimed = _documented_environment(rows)
    assert not sorted(claimed - read), (
        f"docs/configuration.md names the environment variables {sorted(claimed - read)}, "
        "which config.py does not read: correct the 'Environment variable' column"
    )


def test_every_environment_variable_config_py_reads_is_documented():
    text = DOC.read_text(encoding="utf-8")
    documented = set(_UPPER.findall(text)) | _documented_environment(_settings_rows())
    missing = sorted(_environment_read_by_config_py() - documented)
    assert not missing, (
        f"config.py reads {missing} from the environment, which docs/configuration.md does "
        "not name: add them to the setting's row ('Environment variable')"
    )
