"""Translations: every string has German, the catalogue compiles, dates are Berlin time.

``make extract-messages`` refreshes the catalogues from the code; when a string is missing,
the failure prints it as a ready-to-fill PO entry.
"""

from __future__ import annotations

import datetime as dt
import gettext
import io
import os
import re
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.catalog import PYTHON_FORMAT, Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import escape, read_po
from flask import render_template_string

import config
from volunteer_app import create_app

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "volunteer_app" / "translations"
GERMAN_PO = TRANSLATIONS / "de" / "LC_MESSAGES" / "messages.po"
GERMAN_MO = TRANSLATIONS / "de" / "LC_MESSAGES" / "messages.mo"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def extracted_messages() -> Catalog:
    """What ``pybabel extract -F babel.cfg`` finds, with these keywords."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg, str(ROOT / "babel.cfg"))
    catalog = Catalog(locale="en")
    # Like ``pybabel extract --ignore-dirs='.*'``: folders such as ``_macros`` are scanned too.
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(ROOT),
        method_map,
        options_map,
        keywords=KEYWORDS,
        directory_filter=lambda path: not os.path.basename(path).startswith("."),
    ):
        if not message or (isinstance(message, tuple) and not message[0]):
            continue
        catalog.add(message, None, [(filename, lineno)], context=context)
    return catalog


def german() -> Catalog:
    with open(GERMAN_PO, "rb") as po:
        return read_po(po, locale="de", abort_invalid=True)


def placeholders(text: str) -> Counter:
    """Python-format placeholders, e.g. Counter({('name', 's'): 1}); unnamed ones keep order."""
    found = Counter()
    position = 0
    for name, _spec, kind in PYTHON_FORMAT.findall(text):
        if kind == "%":
            continue
        if name:
            found[(name, kind)] += 1
        else:
            found[(f"#{position}", kind)] += 1
            position += 1
    return found


def _po_entry(message: Message) -> str:
    where = " ".join(f"{f}:{n}" for f, n in message.locations[:3])
    if isinstance(message.id, tuple):
        singular, plural = (escape(s) for s in message.id)
        body = f'msgid {singular}\nmsgid_plural {plural}\nmsgstr[0] ""\nmsgstr[1] ""'
    else:
        body = f'msgid {escape(message.id)}\nmsgstr ""'
    return f"#: {where}\n{body}"


def test_every_string_has_a_german_translation_with_the_same_placeholders():
    source = extracted_messages()
    assert len(source) > 30, "extraction found suspiciously few strings"
    translated = german()
    missing, wrong = [], []
    for message in source:
        if not message.id:
            continue
        entry = translated.get(message.id, context=message.context)
        forms = entry.string if entry is not None and isinstance(entry.string, tuple) else None
        strings = forms if forms is not None else ((entry.string,) if entry else ("",))
        if entry is None or entry.fuzzy or not all(s and s.strip() for s in strings):
            missing.append(message)
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        if not any(PYTHON_FORMAT.search(i) for i in ids):
            continue
        expected = placeholders(ids[-1]) | placeholders(ids[0])
        if isinstance(message.id, tuple):
            # The singular form may leave out the number ("Ein Platz"); the plural keeps all.
            ok = placeholders(strings[-1]) == placeholders(ids[-1]) and all(
                not (placeholders(s) - expected) for s in strings
            )
        else:
            ok = placeholders(strings[0]) == placeholders(ids[0])
        if not ok:
            wrong.append(f"{ids[0]!r} -> {strings!r}")

    report = []
    if missing:
        report.append(
            f"{len(missing)} string(s) have no German translation in {os.path.relpath(GERMAN_PO, ROOT)}"
            " (empty, fuzzy or absent). Run `make extract-messages`, then translate:\n\n"
            + "\n\n".join(_po_entry(m) for m in missing)
        )
    if wrong:
        report.append("Placeholders differ from the English text:\n" + "\n".join(wrong))
    if report:
        pytest.fail("\n\n".join(report), pytrace=False)


def _duplicate_msgids(path: Path) -> list[str]:
    """Entries that appear twice (Babel merges them silently; msgfmt refuses the file)."""
    keys = []
    for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
        key, field = {"msgctxt": "", "msgid": ""}, None
        for line in block.splitlines():
            line = line.strip()
            word = line.split(" ", 1)[0]
            if word in key:
                field = word
                key[field] = line[len(word) :].strip()
            elif line.startswith('"') and field:
                key[field] += line
            else:
                field = None  # a comment, msgid_plural or msgstr
        msgctxt, msgid = ("".join(re.findall(r'"((?:[^"\\]|\\.)*)"', key[k])) for k in key)
        if msgid:
            keys.append((msgctxt, msgid))
    return [msgid for (ctx, msgid), n in Counter(keys).items() if n > 1]


def test_german_catalogue_compiles():
    catalog = german()
    assert catalog.locale_identifier == "de"
    assert catalog.num_plurals == 2
    assert catalog.plural_expr.replace(" ", "") in ("(n!=1)", "n!=1")
    assert not _duplicate_msgids(GERMAN_PO), "duplicate entries: " + ", ".join(
        _duplicate_msgids(GERMAN_PO)
    )
    errors = [f"{m.id!r}: {'; '.join(str(e) for e in errs)}" for m, errs in catalog.check()]
    assert not errors, "catalogue check failed:\n" + "\n".join(errors)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    translations = gettext.GNUTranslations(buffer)
    assert translations.ngettext("%(num)s place", "%(num)s places", 2) is not None


def test_installed_german_catalogue_matches_the_po_file():
    """The app reads messages.mo; it must be compiled from the current messages.po."""
    if not GERMAN_MO.exists():
        pytest.fail(f"{os.path.relpath(GERMAN_MO, ROOT)} is missing: run `make translations`")
    with open(GERMAN_MO, "rb") as mo:
        compiled = read_mo(mo)
    stale = [
        m.id
        for m in german()
        if m.id and m.string and not m.fuzzy and compiled.get(m.id, m.context) is None
    ]
    assert not stale, (
        f"{len(stale)} translation(s) are not compiled yet: run `make translations` "
        f"(e.g. {stale[:3]!r})"
    )


# --- Dates and times ----------------------------------------------------------------------------

UTC = dt.UTC
DST_STARTS = dt.datetime(2026, 3, 29, 10, 30)  # naive UTC, as stored: 12:30 in Berlin (CEST)
WINTER = dt.datetime(2026, 1, 15, 10, 30)  # 11:30 in Berlin (CET)
BEFORE_DST_ENDS = dt.datetime(2026, 10, 25, 0, 30)  # 02:30 CEST …
AFTER_DST_ENDS = dt.datetime(2026, 10, 25, 1, 30)  # … and an hour later 02:30 CET again
NEW_DAY_IN_BERLIN = dt.datetime(2026, 6, 30, 22, 30)  # already 1 July in Berlin


@pytest.fixture(scope="module")
def i18n_app():
    return create_app(config.TestingConfig, DATABASE_URL="sqlite:///:memory:")


def render(app, source: str, language: str, **values) -> str:
    with app.test_request_context("/", headers={"Accept-Language": language}):
        return render_template_string(source, **values)


@pytest.mark.parametrize(
    ("language", "value", "expected"),
    [
        ("de", DST_STARTS, "29.03.26, 12:30"),
        ("de", WINTER, "15.01.26, 11:30"),
        ("de", BEFORE_DST_ENDS, "25.10.26, 02:30"),
        ("de", AFTER_DST_ENDS, "25.10.26, 02:30"),
        ("en", DST_STARTS, "3/29/26, 12:30\u202fPM"),
        ("en", WINTER, "1/15/26, 11:30\u202fAM"),
        ("en", AFTER_DST_ENDS, "10/25/26, 2:30\u202fAM"),
    ],
)
def test_datetime_filter_shows_berlin_time_in_the_locale_format(
    i18n_app, language, value, expected
):
    assert render(i18n_app, "{{ v|datetime('short') }}", language, v=value) == expected


def test_aware_timestamps_are_converted_too(i18n_app):
    aware = DST_STARTS.replace(tzinfo=UTC)
    assert render(i18n_app, "{{ v|datetime('short') }}", "de", v=aware) == "29.03.26, 12:30"


def test_date_and_time_filters_use_the_berlin_day(i18n_app):
    assert render(i18n_app, "{{ v|date }}", "de", v=NEW_DAY_IN_BERLIN) == "01.07.2026"
    assert render(i18n_app, "{{ v|date }}", "en", v=NEW_DAY_IN_BERLIN) == "Jul 1, 2026"
    assert render(i18n_app, "{{ v|time }}", "de", v=NEW_DAY_IN_BERLIN) == "00:30"
    assert render(i18n_app, "{{ v|date('full') }}", "de", v=DST_STARTS) == (
        "Sonntag, 29. März 2026"
    )


def test_missing_timestamps_render_empty(i18n_app):
    source = "[{{ v|datetime }}|{{ v|date }}|{{ v|time }}]"
    assert render(i18n_app, source, "de", v=None) == "[||]"


def test_german_is_the_default_language(i18n_app):
    # No Accept-Language at all: German.
    with i18n_app.test_request_context("/"):
        assert render_template_string("{{ current_locale }}") == "de"
    assert render(i18n_app, "{{ current_locale }}", "fr") == "de"
    assert render(i18n_app, "{{ current_locale }}", "en-GB,en;q=0.8") == "en"
    assert re.fullmatch(r"\d\d\.\d\d\.\d{4}", render(i18n_app, "{{ v|date }}", "fr", v=WINTER))
