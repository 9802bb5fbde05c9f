"""Every string of the accounts feature has a German translation in a PO part file."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PARTS = ROOT / "volunteer_app" / "translations" / "parts"
OURS = PARTS / "accounts.de.po"
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _sources():
    yield from (("python", p) for p in (ROOT / "volunteer_app" / "accounts").glob("*.py"))
    yield from (("jinja2", p) for p in (ROOT / "templates" / "accounts").glob("*.html"))
    yield from (("jinja2", p) for p in (ROOT / "templates" / "emails").glob("account_*"))


def _msgids() -> dict[str, str]:
    found = {}
    for method, path in _sources():
        for _lineno, message, _comments, _context in extract_from_file(
            method, str(path), keywords=KEYWORDS
        ):
            key = message if isinstance(message, str) else message[0]
            found[key] = path.name
    return found


def _catalog(path: Path):
    with path.open("rb") as f:
        return read_po(f, locale="de")


def _key(message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def test_every_accounts_string_has_a_german_translation():
    translated = {}
    for part in PARTS.glob("*.de.po"):
        for message in _catalog(part):
            if message.id and message.string:
                translated[_key(message)] = message
    missing = {msgid: where for msgid, where in _msgids().items() if msgid not in translated}
    assert not missing
    assert len(_msgids()) > 100  # the extraction really ran


def test_accounts_part_is_complete_and_keeps_placeholders():
    catalog = _catalog(OURS)
    messages = [m for m in catalog if m.id]
    assert messages
    for message in messages:
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        assert all(strings), message.id
        wanted = set(PLACEHOLDER.findall(ids[0]))
        for string in strings:
            assert set(PLACEHOLDER.findall(string)) == wanted, message.id


def test_accounts_part_does_not_repeat_other_parts():
    ours = {_key(m) for m in _catalog(OURS) if m.id}
    for part in PARTS.glob("*.de.po"):
        if part != OURS:
            assert not ours & {_key(m) for m in _catalog(part) if m.id}, part.name
