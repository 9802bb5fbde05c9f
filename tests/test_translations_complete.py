"""Every language's catalogue: complete for the family and volunteer pages, right plural rules.

What "the family and volunteer pages" are is declared once, in ``i18n.SURFACE``;
tests/translation_surface.py extracts their messages. docs/translations.md explains both.
"""

from __future__ import annotations

import gettext
import glob
import io
import os
import re

import pytest
from babel import Locale
from babel.messages.mofile import read_mo, write_mo

import config
from tests.translation_surface import ROOT, TRANSLATIONS, catalogue, missing, surface_messages
from volunteer_app.i18n import ENDONYMS, SURFACE

FAMILY_ONLY = ("uk", "ar", "ru", "pl", "ro", "fa_AF")
ALL = ("de", "en", *FAMILY_ONLY)
#: CLDR's order of plural categories; gettext's indexes follow it.
CLDR_ORDER = ("zero", "one", "two", "few", "many", "other")


def test_the_configured_languages_are_the_ones_with_catalogues():
    assert tuple(config.Config.LANGUAGES) == ALL
    assert set(config.Config.STAFF_LANGUAGES) <= set(ALL)
    assert set(ENDONYMS) == set(ALL)
    on_disk = {
        os.path.basename(os.path.dirname(os.path.dirname(p)))
        for p in glob.glob(os.path.join(TRANSLATIONS, "*", "LC_MESSAGES", "messages.po"))
    }
    assert on_disk == set(ALL)


def test_every_surface_pattern_names_files():
    empty = [pattern for pattern in SURFACE if not glob.glob(os.path.join(ROOT, pattern))]
    assert not empty, f"patterns in i18n.SURFACE that match no file: {empty}"
    assert len(surface_messages()) > 500


@pytest.mark.parametrize("code", FAMILY_ONLY)
def test_every_family_and_volunteer_message_is_translated(code):
    lacking = missing(code)
    shown = "\n".join(
        f"  {m if isinstance(m, str) else m[0]!r} ({', '.join(surface_messages()[m][:2])})"
        for m in lacking[:15]
    )
    assert not lacking, (
        f"{len(lacking)} message(s) on family or volunteer pages have no {code} translation; "
        f"`python -m tests.translation_surface {code}` lists them as a PO file:\n{shown}"
    )


@pytest.mark.parametrize("code", ALL)
def test_catalogue_is_valid_and_compiled(code):
    cat = catalogue(code)
    errors = [f"{m.id!r}: {'; '.join(map(str, errs))}" for m, errs in cat.check()]
    assert not errors, "\n".join(errors[:10])
    mo_path = os.path.join(TRANSLATIONS, code, "LC_MESSAGES", "messages.mo")
    assert os.path.exists(mo_path), f"{code}: run `make translations`"
    with open(mo_path, "rb") as handle:
        compiled = read_mo(handle)
    stale = [m.id for m in cat if m.id and m.string and not m.fuzzy and m.id not in compiled]
    assert not stale, f"{code}: {len(stale)} translation(s) not compiled: run `make translations`"


def _plural_index(code: str):
    cat = catalogue(code)
    buffer = io.BytesIO()
    write_mo(buffer, cat)
    buffer.seek(0)
    return cat.num_plurals, gettext.GNUTranslations(buffer).plural


@pytest.mark.parametrize("code", ALL)
def test_plural_forms_header_agrees_with_cldr(code):
    """Babel 2.18 writes Arabic's "many" and "other" swapped and one form for Persian: the
    headers are pinned by hand, and this compares them with CLDR for 0–200."""
    nplurals, index_of = _plural_index(code)
    rule = Locale.parse(code).plural_form
    category_of_index: dict[int, str] = {}
    for n in range(201):
        index, category = index_of(n), rule(n)
        assert 0 <= index < nplurals, f"{code}: n={n} gives form {index} of {nplurals}"
        seen = category_of_index.setdefault(index, category)
        assert seen == category, (
            f"{code}: form {index} is used for CLDR '{seen}' and '{category}' (n={n})"
        )
    categories = list(category_of_index.values())
    assert len(set(categories)) == len(categories) == nplurals, (
        f"{code}: {nplurals} forms in the header, CLDR uses {sorted(set(categories))} for 0–200"
    )
    in_order = [category_of_index[i] for i in range(nplurals)]
    assert in_order == sorted(in_order, key=CLDR_ORDER.index), (
        f"{code}: forms are {in_order}, CLDR's order is {CLDR_ORDER}"
    )


def test_plural_test_catches_babels_arabic_header():
    """The comparison above fails for the header Babel would write."""
    wrong = (
        "n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=0 && n%100<=2 ? 4 : 5"
    )
    index_of = gettext.c2py(wrong)
    rule = Locale.parse("ar").plural_form
    assert {index_of(n) for n in (100, 101, 102)} == {4} and rule(100) == "other"
    assert index_of(11) == 5 and rule(11) == "many"


@pytest.mark.parametrize("code", FAMILY_ONLY)
def test_review_status_is_in_the_header_and_in_the_docs(code):
    team = catalogue(code).language_team or ""
    reviewed = "not yet reviewed" not in team
    with open(os.path.join(ROOT, "docs", "translations.md"), encoding="utf-8") as handle:
        docs = handle.read()
    row = re.search(rf"^\|\s*`{code}`\s*\|.*$", docs, re.M)
    assert row, f"docs/translations.md has no row for `{code}`"
    assert ("not yet reviewed" not in row.group(0)) == reviewed, (
        f"{code}: the catalogue header says {team!r}; docs/translations.md says {row.group(0)!r}"
    )
