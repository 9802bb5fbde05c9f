"""``next`` redirects go only to local paths (no open redirect)."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from volunteer_app.common.urls import safe_next

BASE = "https://ehrenamt.example/konto/"


def browser_resolve(target: str) -> str:
    """Resolve a Location like a browser (WHATWG URL): tabs and newlines are dropped,
    a backslash counts as a slash."""
    cleaned = target.replace("\t", "").replace("\n", "").replace("\r", "").replace("\\", "/")
    return urljoin(BASE, cleaned)


@pytest.mark.parametrize(
    "target",
    [
        "/",
        "/zentren/",
        "/zentren/sonnenschein?tab=termine#kalender",
        "/konto/?next=https://evil.example",  # a query may mention anything
        "/datenschutz:jetzt",  # a colon in a path is no scheme
        "/Grüße",
    ],
)
def test_local_paths_are_kept(target):
    assert safe_next(target) == target


def test_surrounding_whitespace_is_trimmed():
    assert safe_next("  /zentren/ \n") == "/zentren/"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "http://evil.example",
        "HTTPS://evil.example",
        "//evil.example",
        "///evil.example",
        " //evil.example",
        "\u00a0//evil.example",  # a no-break space is trimmed, then it is protocol-relative
        "/\\evil.example",
        "\\\\evil.example",
        "/\\/evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r\n/evil.example",
        "/\x00/evil.example",
        "/\x7f",
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "mailto:someone@evil.example",
        "evil.example",
        "zentren/",  # relative paths depend on where the form was
        "../konto",
        "//[",  # not even a valid host
        "/ok\r\nSet-Cookie: session=evil",
    ],
)
def test_foreign_or_tricky_targets_fall_back_to_the_default(target):
    assert safe_next(target) == "/"
    assert safe_next(target, default="/konto/") == "/konto/"


@pytest.mark.parametrize("target", [None, "", "   ", "\n"])
def test_empty_target_gives_the_default(target):
    assert safe_next(target) == "/"
    assert safe_next(target, default="/zentren/") == "/zentren/"


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
def test_any_result_stays_on_this_site(target):
    result = safe_next(target)
    assert result.startswith("/")
    assert urlsplit(browser_resolve(result)).netloc == "ehrenamt.example"


@given(st.text(alphabet="/\\:.\t\n @%evil", max_size=20))
def test_slash_and_backslash_mixtures_stay_on_this_site(target):
    result = safe_next(target)
    assert urlsplit(browser_resolve(result)).netloc == "ehrenamt.example"


def test_language_switch_refuses_a_foreign_next(client):
    response = client.post("/language", data={"lang": "en", "next": "//evil.example/"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_language_switch_returns_to_a_local_next(client):
    response = client.post("/language", data={"lang": "en", "next": "/zentren/?seite=2"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/zentren/?seite=2"
