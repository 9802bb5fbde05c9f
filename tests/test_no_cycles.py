"""No cycles: among the modules of ``volunteer_app``, between the models and their registry,
between the task queue and the features' tasks.

The imports are read with ``ast`` (nothing is imported). Only imports that run when a module
is loaded count: those at module level, also inside module-level ``if``/``try``/``with``
blocks and class bodies. Imports inside functions are deliberate lazy imports and are allowed,
as are imports under ``if TYPE_CHECKING:``, which never run. Two modules stay below every
feature even lazily: ``db.py`` (the features' models import it; ``models.py`` collects them)
and nothing imports ``jobs.py`` (the consumer's entry point; services queue a task through
their feature's ``tasks.py``).
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

PACKAGE = "volunteer_app"
JOBS = "volunteer_app.jobs"
ROOT = Path(__file__).resolve().parent.parent / PACKAGE


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _load_time_imports(body: list[ast.stmt]):
    """The import statements that run when the module is loaded."""
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue  # runs only when called: lazy imports are allowed
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _load_time_imports(node.orelse)
        else:  # class bodies and module-level if/try/with/for blocks run at load time
            for field in ("body", "orelse", "finalbody"):
                yield from _load_time_imports(getattr(node, field, []))
            for part in (*getattr(node, "handlers", []), *getattr(node, "cases", [])):
                yield from _load_time_imports(part.body)


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool, modules) -> set:
    """The ``volunteer_app`` modules an import statement loads."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:  # relative: resolve against the importing module's package
            package = module.split(".") if is_package else module.split(".")[:-1]
            package = package[: len(package) - (node.level - 1)]
            base = ".".join([*package, base] if base else package)
        # ``from pkg import name`` loads the submodule pkg.name if there is one, else pkg.
        names = [
            f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
            for alias in node.names
        ]
    found = set()
    for name in names:
        while name and name not in modules:  # ``import a.b.c`` where c is an attribute
            name = name.rpartition(".")[0]
        if name.startswith(PACKAGE) and name in modules:
            found.add(name)
    return found


def import_graph(lazy: bool = False) -> dict[str, set[str]]:
    """Module -> the ``volunteer_app`` modules it imports when it is loaded (``lazy``: also
    those it imports inside functions)."""
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        edges = set()
        imports = (
            [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)]
            if lazy
            else _load_time_imports(tree.body)
        )
        for node in imports:
            edges |= _targets(node, name, is_package, modules)
        edges.discard(name)
        graph[name] = edges
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component with more than one module (Tarjan)."""
    index, low, stack, on_stack, components = {}, {}, [], set(), []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(component)

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return [_cycle_in(component, graph) for component in components]


def _cycle_in(component: set[str], graph: dict[str, set[str]]) -> list[str]:
    """A shortest cycle through the component's first module, as a path back to it."""
    start = min(component)
    paths, seen = [[start]], {start}
    while paths:
        path = paths.pop(0)
        for nxt in sorted(graph[path[-1]] & component):
            if nxt == start:
                return [*path, start]
            if nxt not in seen:
                seen.add(nxt)
                paths.append([*path, nxt])
    raise AssertionError(f"no cycle in {component}")  # pragma: no cover


def test_no_import_cycles():
    cycles = find_cycles(import_graph())
    assert not cycles, "Import cycles among volunteer_app modules:\n" + "\n".join(
        " -> ".join(cycle) for cycle in cycles
    )


def test_the_graph_sees_the_imports_it_must():
    """The parser finds real edges (absolute, relative, ``from pkg import module``)."""
    graph = import_graph()
    assert "volunteer_app.db" in graph["volunteer_app.signups.services"]
    assert "volunteer_app.matching.solve" in graph["volunteer_app.matching"]  # from .solve
    assert len(graph) > 100


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import volunteer_app.b\n", {"volunteer_app.b"}),
        ("from volunteer_app import b\n", {"volunteer_app.b"}),
        ("from . import b\n", {"volunteer_app.b"}),
        ("from .b import thing\n", {"volunteer_app.b"}),
        ("from volunteer_app import create_app\n", {"volunteer_app"}),
        ("def f():\n    from volunteer_app import b\n", set()),
        ("if TYPE_CHECKING:\n    from volunteer_app import b\n", set()),
        (
            "try:\n    from volunteer_app import b\nexcept ImportError:\n    pass\n",
            {"volunteer_app.b"},
        ),
        ("class C:\n    from volunteer_app import b\n", {"volunteer_app.b"}),
    ],
)
def test_which_imports_count(source, expected):
    modules = {"volunteer_app": None, "volunteer_app.a": None, "volunteer_app.b": None}
    found = set()
    for node in _load_time_imports(ast.parse(source).body):
        found |= _targets(node, "volunteer_app.a", False, modules)
    assert found == expected


def test_a_cycle_is_named():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert find_cycles(graph) == [["a", "b", "c", "a"]]


def test_db_imports_no_feature_even_lazily():
    """``db.py`` is the binding every model imports: it must not import them back."""
    assert import_graph(lazy=True)["volunteer_app.db"] == set()


def test_nothing_imports_the_consumer_entry_point():
    """``jobs.py`` imports every feature's tasks; a module importing it closes a cycle."""
    importers = sorted(name for name, edges in import_graph(lazy=True).items() if JOBS in edges)
    assert importers == []


def test_the_task_queue_binding_knows_no_feature():
    """``taskqueue.py`` is imported by every ``tasks.py``: at load time it needs only the
    database binding and the clock (the app factory is imported when the consumer needs it)."""
    assert import_graph()["volunteer_app.taskqueue"] <= {
        "volunteer_app.db",
        "volunteer_app.common.time",
    }


# --- The model registry ----------------------------------------------------------------------


def _defined_models() -> set:
    """Every model class defined in a ``volunteer_app`` models module."""
    from volunteer_app.db import BaseModel

    for name in _modules():
        if name.endswith(".models") and name != "volunteer_app.models":
            importlib.import_module(name)
    found, todo = set(), [BaseModel]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith(f"{PACKAGE}."):
                found.add(sub)
    return found


def test_every_model_is_registered_once_in_foreign_key_order():
    from volunteer_app.models import all_models

    models = all_models()
    assert len(models) == len(set(models))
    missing = {m.__name__ for m in _defined_models()} - {m.__name__ for m in models}
    assert not missing, f"add the feature's MODELS to volunteer_app/models.py: {missing}"
    position = {model: i for i, model in enumerate(models)}
    for model in models:
        for fk in model._meta.refs:
            if fk.rel_model is not model:
                assert position[fk.rel_model] < position[model], (model, fk.rel_model)


# --- The tasks -------------------------------------------------------------------------------

# The identifiers under which production queues hold these tasks: they must keep resolving.
TASKS = (
    "send_mail",
    "send_mail_periodically",
    "send_reminders_periodically",
    "send_digest_daily",
    "extend_slots_daily",
    "match_run",
    "send_suggestions_weekly",
    "retention_daily",
)


def test_the_consumer_imports_every_features_tasks():
    from volunteer_app import jobs

    tasks_modules = {name for name in _modules() if name.endswith(".tasks")}
    assert {module.__name__ for module in jobs.TASK_MODULES} == tasks_modules


def test_every_task_is_registered_under_its_old_identifier():
    from huey.api import TaskWrapper

    from volunteer_app import jobs

    registry = jobs.huey._registry
    for name in TASKS:
        assert f"volunteer_app.jobs.{name}" in registry._registry, name
    wrappers = [
        value
        for module in jobs.TASK_MODULES
        for value in vars(module).values()
        if isinstance(value, TaskWrapper)
    ]
    assert {w.name for w in wrappers} >= set(TASKS)
    for wrapper in wrappers:
        task = wrapper.s()
        message = registry.create_message(task)  # what the queue stores
        assert message.name == f"volunteer_app.jobs.{wrapper.name}"
        assert type(registry.create_task(message)) is wrapper.task_class
