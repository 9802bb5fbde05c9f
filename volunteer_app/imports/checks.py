"""Checking an imported table row by row, before anything is written: which column holds
which field (guessed from the headers, in German or English), and every problem of every
row in words. Pure: a table and what the database already knows in, checked rows out."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from volunteer_app.imports.files import Table

KINDS = ("volunteers", "activities")

# field -> label, per kind; the order is the order of the mapping page's choices.
FIELDS = {
    "volunteers": {
        "name": _l("Name"),
        "first_name": _l("First name"),
        "last_name": _l("Last name"),
        "email": _l("E-mail"),
    },
    "activities": {
        "title": _l("Title"),
        "category": _l("Category"),
        "place": _l("Place"),
        "description": _l("Description"),
        "date": _l("Date"),
        "start": _l("Start"),
        "end": _l("End"),
        "capacity": _l("Volunteers needed"),
    },
}

# Headers (folded: lower case, letters and digits only) that name a field.
HEADERS = {
    "volunteers": {
        "name": {"name", "vollername", "namevorname", "fullname", "person", "ehrenamtliche"},
        "first_name": {"vorname", "firstname", "givenname", "rufname"},
        "last_name": {"nachname", "familienname", "lastname", "surname", "familyname"},
        "email": {"email", "emailadresse", "mail", "emailaddress", "epost", "mailadresse"},
    },
    "activities": {
        "title": {"titel", "title", "angebot", "aktivität", "activity", "name", "bezeichnung"},
        "category": {"kategorie", "category", "bereich", "art"},
        "place": {"ort", "place", "location", "raum", "veranstaltungsort", "where", "wo"},
        "description": {"beschreibung", "description", "details", "text", "info"},
        "date": {"datum", "date", "tag", "day", "termin"},
        "start": {"beginn", "start", "von", "from", "startzeit", "uhrzeit", "anfang", "time"},
        "end": {"ende", "end", "bis", "to", "endzeit", "until"},
        "capacity": {
            "plätze",
            "places",
            "capacity",
            "kapazität",
            "helfer",
            "anzahl",
            "volunteers",
            "volunteersneeded",
            "ehrenamtlichegebraucht",
            "benötigt",
        },
    },
}

LIMITS = {
    "name": 100,
    "email": 254,
    "title": 120,
    "category": 60,
    "place": 150,
    "description": 2000,
}
MAX_CAPACITY = 50
FIRST_DATE_MAX_DAYS = 2 * 366
# A cell that a spreadsheet would run as a formula (CSV injection, OWASP): "=", "@", or a
# sign before a name or bracket ("+cmd|", "-SUM("); "-> bring scissors" and "+49 361" stay.
FORMULA_START = re.compile(r"^(?:[=@\t\r]|[+\-](?:[^\W\d_]|[(=@\"']))")
# The quote our own CSV export puts before such a start (coordination.export.safe_cell).
EXPORT_QUOTE = re.compile(r"^'(?=[=+\-@])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
_DATE_DE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{2}|\d{4})$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?$")
_TIME = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?(?::00)?(?:\s*uhr)?$", re.IGNORECASE)


def fold(header: str) -> str:
    """A header as compared: lower case, letters and digits only (``E-Mail-Adresse`` →
    ``emailadresse``)."""
    return "".join(ch for ch in header.casefold() if ch.isalnum())


def guess_mapping(kind: str, header: list[str]) -> list[str]:
    """For each column, the field its header names, or "" (each field at most once)."""
    taken: set[str] = set()
    mapping = []
    for title in header:
        folded = fold(title)
        found = ""
        for name, words in HEADERS[kind].items():
            if name not in taken and folded in words:
                found = name
                break
        if found:
            taken.add(found)
        mapping.append(found)
    return mapping


def mapping_problem(kind: str, mapping: list[str]) -> str | None:
    """What is wrong with a mapping (a field twice, a required one missing), or None."""
    chosen = [m for m in mapping if m]
    if any(m not in FIELDS[kind] for m in chosen):
        return _("Please choose one of the offered fields.")
    doubled = sorted({m for m in chosen if chosen.count(m) > 1})
    if doubled:
        return _(
            "Each field may be chosen for one column only: %(fields)s.",
            fields=", ".join(str(FIELDS[kind][m]) for m in doubled),
        )
    need = ("email",) if kind == "volunteers" else ("title", "category")
    missing = [str(FIELDS[kind][m]) for m in need if m not in chosen]
    if kind == "volunteers" and not ({"name", "first_name", "last_name"} & set(chosen)):
        missing.insert(0, str(FIELDS[kind]["name"]))
    if missing:
        return _("Please choose a column for: %(fields)s.", fields=", ".join(missing))
    return None


@dataclass
class Row:
    """One row of the file: its number as a spreadsheet shows it, the values it will be
    imported with, and what is wrong (``errors``: not imported) or worth knowing (``notes``)."""

    number: int
    values: dict = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class Checked:
    kind: str
    rows: list[Row]

    @property
    def good(self) -> list[Row]:
        return [r for r in self.rows if r.ok]

    @property
    def bad(self) -> list[Row]:
        return [r for r in self.rows if not r.ok]

    @property
    def noted(self) -> list[Row]:
        return [r for r in self.rows if r.ok and r.notes]


@dataclass(frozen=True)
class Known:
    """What the database knows that the checks compare with (read by ``queries.known``)."""

    accounts: frozenset = frozenset()  # e-mail addresses with an account (lower case)
    invited: dict = field(default_factory=dict)  # address -> date invited to this centre
    categories: dict = field(default_factory=dict)  # folded label -> category id
    activities: dict = field(default_factory=dict)  # folded title -> (id, title)
    closed: frozenset = frozenset()  # the centre's closing days
    today: dt.date | None = None


def _text(row: Row, raw: str, name: str, *, label) -> str:
    """A cell as stored: control characters removed, a formula start neutralised (noted),
    too long an error."""
    value = _CONTROL.sub("", unicodedata.normalize("NFC", raw)).strip()
    value = EXPORT_QUOTE.sub("", value)
    if FORMULA_START.match(value):
        value = value.lstrip("=@+-\t\r ").strip()
        row.notes.append(
            _(
                "%(field)s looked like a spreadsheet formula; its first character was removed.",
                field=label,
            )
        )
    limit = LIMITS.get(name)
    if limit and len(value) > limit:
        row.errors.append(
            _("%(field)s is too long (at most %(max)d characters).", field=label, max=limit)
        )
    return value


def _cells(kind: str, table_row: list[str], mapping: list[str], row: Row) -> dict:
    values = {}
    for raw, name in zip(table_row, mapping, strict=False):
        if name:
            values[name] = _text(row, raw, name, label=FIELDS[kind][name])
    return values


def check_table(kind: str, table: Table, mapping: list[str], known: Known) -> Checked:
    """Every row of ``table`` checked under ``mapping``."""
    check = _check_volunteer if kind == "volunteers" else _check_activity
    seen: dict = {}
    rows = []
    for index, cells in enumerate(table.rows):
        row = Row(number=index + 2)  # row 1 is the header
        values = _cells(kind, cells, mapping, row)
        check(row, values, known, seen)
        rows.append(row)
    return Checked(kind, rows)


def _check_volunteer(row: Row, values: dict, known: Known, seen: dict) -> None:
    name = values.get("name") or " ".join(
        part for part in (values.get("first_name"), values.get("last_name")) if part
    )
    if not name:
        row.errors.append(_("The name is missing."))
    elif len(name) > LIMITS["name"]:
        row.errors.append(_("The name is too long (at most %(max)d characters).", max=100))
    email = (values.get("email") or "").strip()
    if not email:
        row.errors.append(_("The e-mail address is missing."))
    else:
        try:
            email = validate_email(email, check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            row.errors.append(_("“%(email)s” is not a valid e-mail address.", email=email))
            email = ""
    if email:
        if email in seen:
            row.errors.append(_("The same address as row %(row)d.", row=seen[email]))
        else:
            seen[email] = row.number
        if email in known.accounts:
            row.errors.append(
                _(
                    "This address already has an account: not invited. The person can "
                    "choose your centre in their profile."
                )
            )
        elif email in known.invited:
            row.errors.append(_("Already invited to this centre."))
    row.values = {"name": name, "email": email}


def parse_date(text: str) -> dt.date | None:
    """``24.12.2026``, ``24.12.26``, ``2026-12-24`` (and Excel's dates, written so)."""
    match = _DATE_DE.match(text)
    try:
        if match:
            day, month, year = (int(g) for g in match.groups())
            return dt.date(year + 2000 if year < 100 else year, month, day)
        match = _DATE_ISO.match(text)
        if match:
            return dt.date(*(int(g) for g in match.groups()))
    except ValueError:
        return None
    return None


def parse_time(text: str) -> dt.time | None:
    """``10:00``, ``10.30``, ``10``, ``10:00:00``, ``10 Uhr``."""
    match = _TIME.match(text)
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if hour > 23 or minute > 59:
        return None
    return dt.time(hour, minute)


def _check_activity(row: Row, values: dict, known: Known, seen: dict) -> None:
    title = values.get("title", "")
    category = values.get("category", "")
    if not title:
        row.errors.append(_("The title is missing."))
    existing = known.activities.get(title.casefold()) if title else None
    category_id = known.categories.get(fold(category)) if category else None
    if not category:
        row.errors.append(_("The category is missing."))
    elif category_id is None:
        row.errors.append(
            _(
                "There is no category “%(name)s”. Please create it under Categories first.",
                name=category,
            )
        )
    if not existing and title and not values.get("place"):
        row.errors.append(_("The place is missing."))
    day = start = end = None
    raw_day, raw_start, raw_end = (values.get(k, "") for k in ("date", "start", "end"))
    if raw_day or raw_start or raw_end:
        day = parse_date(raw_day) if raw_day else None
        if day is None:
            row.errors.append(
                _("“%(value)s” is not a date like 24.12.2026.", value=raw_day)
                if raw_day
                else _("The date is missing.")
            )
        elif known.today and day < known.today:
            row.errors.append(_("The date %(date)s has passed.", date=raw_day))
        elif known.today and day > known.today + dt.timedelta(days=FIRST_DATE_MAX_DAYS):
            row.errors.append(_("Please choose a date within the next two years."))
        elif day in known.closed:
            row.errors.append(_("The centre is closed on %(date)s.", date=raw_day))
        for raw, label in ((raw_start, _("Start")), (raw_end, _("End"))):
            if not raw:
                row.errors.append(_("%(field)s is missing.", field=label))
            elif parse_time(raw) is None:
                row.errors.append(
                    _("%(field)s: “%(value)s” is not a time like 10:00.", field=label, value=raw)
                )
        start = parse_time(raw_start) if raw_start else None
        end = parse_time(raw_end) if raw_end else None
        if start and end and end <= start:
            row.errors.append(_("The end must be after the start."))
    capacity = None
    if values.get("capacity"):
        text = values["capacity"]
        capacity = int(text) if text.isdigit() else None
        if capacity is None or not 1 <= capacity <= MAX_CAPACITY:
            row.errors.append(
                _(
                    "Volunteers needed: “%(value)s” is not a number from 1 to %(max)d.",
                    value=text,
                    max=MAX_CAPACITY,
                )
            )
    if title:
        key = (title.casefold(), day, start)
        if key in seen:
            row.errors.append(_("The same as row %(row)d.", row=seen[key][0]))
        else:
            first = seen.get(title.casefold())
            if first and category_id is not None and first[1] != category_id:
                row.errors.append(
                    _("Row %(row)d has the same title with another category.", row=first[0])
                )
            seen[key] = (row.number, category_id)
            seen.setdefault(title.casefold(), (row.number, category_id))
        if existing and day is None:
            row.errors.append(_("This activity exists already."))
        elif existing:
            row.notes.append(
                _("The date is added to the existing activity “%(title)s”.", title=existing[1])
            )
    row.values = {
        "title": existing[1] if existing else title,
        "activity_id": existing[0] if existing else None,
        "category_id": category_id,
        "category": category,
        "place": values.get("place", ""),
        "description": values.get("description", ""),
        "date": day,
        "start": start,
        "end": end,
        "capacity": capacity,
    }
