"""Reading an uploaded list into a table of text cells: CSV (``;``, ``,`` or tab; UTF-8 with
or without BOM, else Windows-1252) or Excel (.xlsx, openpyxl). Pure: bytes in, rows out.

Every cell becomes a stripped string, so that the checks (``checks.py``) see the same thing
whatever the file was; Excel's dates and times are written as ISO text.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

# The first bytes of every .xlsx (a ZIP archive).
ZIP_MAGIC = b"PK\x03\x04"
DELIMITERS = (";", ",", "\t")
MAX_CELL = 10_000  # longer cells are cut (every field's own limit is far below)


class FileProblem(Exception):
    """The file cannot be read; ``message`` says why in the reader's language."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = str(message)


@dataclass(frozen=True)
class Table:
    """The file's header (first row) and the rows below it, all text."""

    header: list[str]
    rows: list[list[str]]


def read_table(data: bytes, filename: str = "", *, max_rows: int) -> Table:
    """The table in ``data``; ``FileProblem`` if it is empty, unreadable or has more than
    ``max_rows`` rows below the header."""
    if not data.strip():
        raise FileProblem(_l("The file is empty."))
    if data.startswith(ZIP_MAGIC) or filename.lower().endswith((".xlsx", ".xlsm")):
        rows = _xlsx_rows(data, max_rows)
    elif filename.lower().endswith(".xls") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileProblem(
            _l("Old Excel files (.xls) cannot be read. Please save the list as .xlsx or CSV.")
        )
    else:
        rows = _csv_rows(_decode(data), max_rows)
    rows = [row for row in rows if any(cell for cell in row)]
    if not rows:
        raise FileProblem(_l("The file is empty."))
    header, body = rows[0], rows[1:]
    if not body:
        raise FileProblem(_l("The file has a header row but no rows below it."))
    if len(body) > max_rows:
        raise FileProblem(
            _l("The file has more than %(max)d rows. Please split it into parts.", max=max_rows)
        )
    width = max(len(row) for row in rows)
    header = header + [""] * (width - len(header))
    body = [row + [""] * (width - len(row)) for row in body]
    return Table(header=header, rows=body)


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # Excel's "CSV" on German Windows; cp1252 maps nearly every byte, so it never fails
        # on real lists (the five unmapped bytes are replaced).
        return data.decode("cp1252", errors="replace")


def _delimiter(text: str) -> str:
    """The delimiter of the first line: the one of ``; , tab`` it has most of."""
    first = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
    counts = {d: first.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ";"


def _csv_rows(text: str, max_rows: int) -> list[list[str]]:
    if "\x00" in text:
        raise FileProblem(_l("This does not look like a CSV or Excel file."))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    rows = []
    try:
        for row in reader:
            rows.append([_clean(cell) for cell in row])
            if len(rows) > max_rows + 1:
                break
    except csv.Error as exc:
        raise FileProblem(_l("This does not look like a CSV or Excel file.")) from exc
    return rows


def _xlsx_rows(data: bytes, max_rows: int) -> list[list[str]]:
    from openpyxl import load_workbook  # only where an Excel file is read

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise FileProblem(
            _l("This Excel file cannot be read. Please save it again as .xlsx.")
        ) from exc
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            raise FileProblem(_l("The file is empty."))
        rows = []
        for values in sheet.iter_rows(values_only=True):
            rows.append([_cell_text(v) for v in values])
            if len(rows) > max_rows + 1:
                break
        return rows
    finally:
        book.close()


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _clean(str(value))


def _clean(cell: str) -> str:
    return cell.strip()[:MAX_CELL]
