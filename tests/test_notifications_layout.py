"""The shared HTML mail layout: structure, accessibility, languages, translations."""

from __future__ import annotations

import pathlib
import re

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from flask import render_template
from flask_babel import force_locale

from tests import factories_notifications

# Fixtures (assigned, not imported by name, so that test arguments do not shadow an import).
mail_templates = factories_notifications.mail_templates


ROOT = pathlib.Path(__file__).resolve().parent.parent
LAYOUT = ROOT / "templates" / "emails" / "_layout.html"
GERMAN_PO = ROOT / "volunteer_app" / "translations" / "de" / "LC_MESSAGES" / "messages.po"

CONTEXT = {
    "title": "Ihr Einsatz beim Gartentag",
    "name": "Anna",
    "body": "Wir treffen uns um 10 Uhr.",
    "link": "http://localhost/termine/7?a=1&b=2",
}


def _render(locale: str, **extra) -> str:
    with force_locale(locale):
        return render_template("emails/test_notice.html", **{**CONTEXT, **extra})


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.usefixtures("mail_templates")
def test_layout_wraps_content_accessibly(app):
    html = _render("de")
    assert html.lstrip().startswith("<!doctype html>")
    assert '<html lang="de" dir="ltr">' in html
    assert "<title>Ihr Einsatz beim Gartentag</title>" in html
    assert html.count("<h1") == 1
    assert '<h1 style="' in html and "Hallo Anna," in html
    # Layout tables are marked as such, so screen readers do not announce a grid.
    tables = re.findall(r"<table[^>]*>", html)
    assert tables and all('role="presentation"' in t for t in tables)
    assert 'role="article"' in html
    # Inline styles only: mail clients drop <style> blocks, classes and scripts.
    assert "<style" not in html and "class=" not in html and "<script" not in html
    # The button and its copyable fallback carry the escaped link.
    assert html.count('href="http://localhost/termine/7?a=1&amp;b=2"') == 2
    # The preheader is hidden from view and from screen readers.
    assert re.search(r'<div style="display:none[^"]*" aria-hidden="true">Wir treffen', html)
    # Links built from BASE_URL (mails are rendered outside a request).
    assert 'href="http://localhost/"' in html
    assert not re.search(r'<a [^>]*href=""', html)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.usefixtures("mail_templates")
def test_layout_in_english(app):
    html = _render("en")
    assert '<html lang="en" dir="ltr">' in html
    assert "Please do not reply to it." in html
    assert "Questions? Please contact your centre directly." in html
    assert "If the button does not work, copy this address into your browser:" in html


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.usefixtures("mail_templates")
def test_layout_escapes_user_content(app):
    html = _render("de", name="<script>alert(1)</script>", title="A & B <i>")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<title>A &amp; B &lt;i&gt;</title>" in html


def _layout_msgids() -> set[str]:
    found = extract_from_file("jinja2.ext:babel_extract", str(LAYOUT))
    return {msgid for _, msgid, _, _ in found}


def test_every_layout_string_has_a_german_translation():
    with GERMAN_PO.open("rb") as fh:
        catalog = read_po(fh)
    german = {m.id: m.string for m in catalog if m.id}
    needed = _layout_msgids() | {"Message"}  # "Message": queue_mail's fallback subject
    assert len(needed) >= 5
    missing = sorted(m for m in needed if not german.get(m))
    assert missing == []
    assert german["Questions? Please contact your centre directly."].startswith("Fragen?")
