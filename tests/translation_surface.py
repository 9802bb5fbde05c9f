"""The messages families and volunteers see, extracted from ``i18n.SURFACE``.

Used by tests/test_translations_complete.py, and by translators:
``python -m tests.translation_surface uk > todo.po`` writes what the Ukrainian catalogue
still lacks as a PO file (with the German text as a comment) to fill in and merge.
"""

from __future__ import annotations

import glob
import os
import sys
from functools import cache

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po, write_po

from volunteer_app.i18n import SURFACE

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRANSLATIONS = os.path.join(ROOT, "volunteer_app", "translations")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
KEYWORDS |= {"lazy_ngettext": (1, 2), "_n": (1, 2)}


def surface_files() -> list[str]:
    files = set()
    for pattern in SURFACE:
        files.update(glob.glob(os.path.join(ROOT, pattern)))
    return sorted(files)


@cache
def surface_messages() -> dict[str | tuple[str, str], list[str]]:
    """Each message id (a pair for plurals) with the files it appears in."""
    found: dict[str | tuple[str, str], list[str]] = {}
    for path in surface_files():
        method = "python" if path.endswith(".py") else "jinja2"
        options = {} if method == "python" else {"extensions": "jinja2.ext.do"}
        for _line, message, _comments, _context in extract_from_file(
            method, path, keywords=KEYWORDS, options=options
        ):
            if isinstance(message, tuple):
                message = message[:2] if message[1] else message[0]
            if not message:
                continue
            found.setdefault(message, []).append(os.path.relpath(path, ROOT))
    return found


def catalogue(code: str) -> Catalog:
    path = os.path.join(TRANSLATIONS, code, "LC_MESSAGES", "messages.po")
    with open(path, "rb") as handle:
        return read_po(handle, locale=code)


def missing(code: str) -> list[str | tuple[str, str]]:
    """Surface messages without a complete, non-fuzzy translation in ``code``'s catalogue."""
    cat = catalogue(code)
    result = []
    for msgid in surface_messages():
        key = msgid[0] if isinstance(msgid, tuple) else msgid
        entry = cat.get(key)
        strings = (entry.string if entry else None) or ""
        strings = list(strings) if isinstance(strings, tuple | list) else [strings]
        if (
            not entry
            or entry.fuzzy
            or not all(strings)
            or len(strings) < (cat.num_plurals if isinstance(msgid, tuple) else 1)
        ):
            result.append(msgid)
    return result


def todo(code: str, out) -> None:
    """Write the messages ``code`` lacks as a PO file, with German as a comment."""
    german = catalogue("de")
    cat = catalogue(code)
    todo_cat = Catalog(locale=code)
    todo_cat.mime_headers = cat.mime_headers
    for msgid in missing(code):
        key = msgid[0] if isinstance(msgid, tuple) else msgid
        de = german.get(key)
        de_text = de.string if de else ""
        if isinstance(de_text, tuple | list):
            de_text = " | ".join(de_text)
        todo_cat.add(
            msgid,
            string=("",) * cat.num_plurals if isinstance(msgid, tuple) else "",
            auto_comments=[f"de: {de_text}"],
            locations=[(path, 0) for path in surface_messages()[msgid][:2]],
        )
    write_po(out, todo_cat, width=100, include_lineno=False)


if __name__ == "__main__":
    todo(sys.argv[1], sys.stdout.buffer)
