"""The picture of the package in docs/architecture.md is the package on disk.

Every file and folder the picture names exists, and every package and module that exists is
named in it, so that the page a newcomer reads first does not lie. A failure says what to add
to the picture or remove from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"
PACKAGE = "volunteer_app"
# Folders whose contents the picture leaves out (CSS and catalogues, not code).
CONTENTS_LEFT_OUT = {"static", "translations"}
# The picture says once that every package has one; it is not repeated per package.
IMPLIED = {"__init__.py"}

_ITEM = re.compile(r"^[├└]── (.*)$")  # an entry directly in volunteer_app/
_INNER = re.compile(r"^(?:│   |    )(?:[├└]── |    |│   )(.*)$")  # a line inside a package's entry
_NAME = re.compile(r"^(?:[\w.-]+\.py|[\w.-]+/)$")


@dataclass
class Picture:
    outside: list[str] = field(default_factory=list)  # config.py, migrations/ … above the tree
    top: list[str] = field(default_factory=list)  # entries of volunteer_app/
    packages: dict[str, list[str]] = field(default_factory=dict)  # package → its entries


def _names(text: str) -> list[str]:
    """The leading file and folder names of a line ("a.py  b.py  c.py" or "a.py  what it does")."""
    names = []
    for token in text.split():
        if not _NAME.match(token):
            break
        names.append(token)
    return names


def picture() -> Picture:
    text = DOC.read_text(encoding="utf-8")
    assert "## The package" in text, "docs/architecture.md has no section '## The package'"
    block = text.split("## The package", 1)[1].split("```", 2)[1]
    found = Picture()
    inside, package = False, None
    for line in block.splitlines()[1:]:  # the first line is the fence's language tag
        if line.startswith(f"{PACKAGE}/"):
            inside = True
            continue
        if not inside:
            found.outside.extend(_names(line)[:1])
            continue
        item, inner = _ITEM.match(line), _INNER.match(line)
        if item:
            name = _names(item.group(1))[:1]
            found.top.extend(name)
            package = name[0].rstrip("/") if name and name[0].endswith("/") else None
            if package:
                found.packages[package] = []
        elif inner and package:
            found.packages[package].extend(_names(inner.group(1)))
        elif line.strip() and not line.startswith(("│", " ")):
            inside = False  # tests/, benchmarks/ … after the tree
            found.outside.extend(_names(line)[:1])
    return found


def _entries(folder: Path) -> set[str]:
    """What the picture should name in ``folder``: modules, and folders holding Python code."""
    out = set()
    for path in folder.iterdir():
        if path.name.startswith(".") or path.name == "__pycache__":
            continue
        if path.is_dir() and (path.name in CONTENTS_LEFT_OUT or any(path.rglob("*.py"))):
            out.add(path.name + "/")
        elif path.suffix == ".py" and path.name not in IMPLIED:
            out.add(path.name)
    return out


def _differences(where: str, listed: list[str], on_disk: set[str]) -> list[str]:
    problems = []
    for name in sorted(on_disk - set(listed)):
        problems.append(f"add `{name}` under `{where}` (it exists, the picture leaves it out)")
    for name in sorted(set(listed) - on_disk):
        problems.append(f"remove `{name}` from under `{where}` (there is no {where}{name})")
    for name in sorted({n for n in listed if listed.count(n) > 1}):
        problems.append(f"`{name}` is named more than once under `{where}`")
    return problems


def test_the_picture_is_found_and_has_every_part():
    found = picture()
    assert found.top, "no entries under volunteer_app/ in the picture of docs/architecture.md"
    assert "common/" in found.top and found.packages.get("common"), found.packages.keys()
    assert "config.py" in found.outside


def test_what_the_picture_names_above_and_below_the_tree_exists():
    missing = [name for name in picture().outside if not (ROOT / name.rstrip("/")).exists()]
    assert not missing, f"docs/architecture.md names {missing}, which do not exist: remove them"


def test_the_picture_of_the_package_matches_the_code():
    found, root = picture(), ROOT / PACKAGE
    problems = _differences(f"{PACKAGE}/", found.top, _entries(root) | {"__init__.py"})
    for package, listed in found.packages.items():
        folder = root / package
        if package in CONTENTS_LEFT_OUT or not folder.is_dir():
            continue  # a folder that does not exist is reported above
        problems += _differences(f"{PACKAGE}/{package}/", listed, _entries(folder))
    assert not problems, (
        "The picture of the package in docs/architecture.md ('## The package') differs from "
        "the code:\n  " + "\n  ".join(problems)
    )
