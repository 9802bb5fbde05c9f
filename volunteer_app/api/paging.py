"""Cursor paging for the API's lists: keyset pagination over a peewee select.

A list is sorted by a key of NOT NULL columns that ends in a unique one (``Slot.starts_at,
Slot.id``). A page is the first ``limit`` rows whose key is greater than the cursor's, read
with one query (``limit + 1`` rows: the extra one says whether another page follows). The
cursor is the last row's key as JSON in URL-safe base64: opaque to clients, and **stable
under inserts** — a row added between two requests before the cursor is not shown, one after
it is, and no row is shown twice or skipped, unlike ``OFFSET`` paging. A cursor that does not
decode into a key of this list's shape is a 400 problem (``BadCursor``).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import peewee as pw
from flask_babel import gettext as _

from volunteer_app.api.problems import ApiProblem
from volunteer_app.db import MAX_ID

MAX_LIMIT = 100
DEFAULT_LIMIT = 25
# Far longer than any key we write; a longer cursor is refused before decoding.
MAX_CURSOR_LENGTH = 400


class BadCursor(ApiProblem):
    """The cursor is not one this list handed out."""

    def __init__(self):
        super().__init__(
            400,
            _("This cursor is not valid. Please start again from the first page."),
            kind="bad-cursor",
        )


@dataclass(frozen=True)
class KeyPart:
    """One column of a list's sort key: the column, how to read its value from a row, and
    its type (``int``, ``str`` or ``datetime``: naive UTC, as stored)."""

    column: pw.Field
    value: Callable[[Any], Any]
    kind: type

    def encode(self, value) -> Any:
        return value.isoformat() if self.kind is dt.datetime else value

    def decode(self, raw) -> Any:
        if self.kind is dt.datetime:
            if not isinstance(raw, str):
                raise BadCursor()
            try:
                value = dt.datetime.fromisoformat(raw)
            except ValueError:
                raise BadCursor() from None
            if value.tzinfo is not None or not 2000 <= value.year <= 2100:
                raise BadCursor()
            return value
        # ``bool`` is an ``int`` to Python, not to a key.
        if type(raw) is not self.kind:
            raise BadCursor()
        if self.kind is int and not 0 <= raw <= MAX_ID:
            raise BadCursor()
        # No text column holds a NUL (PostgreSQL cannot) or is this long.
        if self.kind is str and ("\x00" in raw or len(raw) > MAX_CURSOR_LENGTH):
            raise BadCursor()
        return raw


@dataclass(frozen=True)
class Page:
    items: list
    next_cursor: str | None


def encode_cursor(key: Sequence[KeyPart], row) -> str:
    values = [part.encode(part.value(row)) for part in key]
    text = json.dumps(values, separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(key: Sequence[KeyPart], cursor: str) -> list:
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise BadCursor()
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        values = json.loads(text)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise BadCursor() from None
    if not isinstance(values, list) or len(values) != len(key):
        raise BadCursor()
    return [part.decode(raw) for part, raw in zip(key, values, strict=True)]


def page_of(
    query: pw.ModelSelect, key: Sequence[KeyPart], cursor: str | None, limit: int
) -> tuple[list, str | None]:
    """One page of ``query`` in the order of ``key`` after ``cursor`` (one query): the rows
    and the cursor of the next page (None on the last)."""
    columns = [part.column for part in key]
    if cursor:
        query = query.where(_after(columns, decode_cursor(key, cursor)))
    rows = list(query.order_by(*columns).limit(limit + 1))
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor(key, rows[-1])


def _after(columns: Sequence[pw.Field], values: Sequence) -> pw.Expression:
    """``(c1, c2, …) > (v1, v2, …)`` spelt out (``c1 > v1 OR (c1 = v1 AND (c2 > v2 OR …))``),
    so that each value is converted by its own column as in any other comparison."""
    condition = columns[-1] > values[-1]
    for column, value in zip(reversed(columns[:-1]), reversed(values[:-1]), strict=True):
        condition = (column > value) | ((column == value) & condition)
    return condition
