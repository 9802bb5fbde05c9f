"""Suggesting and supporting wishes are limited per browser as well as per address: parents
behind one centre's Wi-Fi (one address) do not lock each other out, while one browser is
limited on its own — by its session, or its wish cookie when it has no session."""

from __future__ import annotations

import re

import pytest

from tests.factories import make_centre
from tests.factories_wishes import make_wish
from volunteer_app.common.security import new_token
from volunteer_app.wishes.models import Wish
from volunteer_app.wishes.views import COOKIE

URL = "/zentren/sonnenblume/wuensche"
_n = iter(range(10_000))


@pytest.fixture
def centre(conn):
    return make_centre(name="ThEKiZ Sonnenblume", slug="sonnenblume")


@pytest.fixture
def limits(app):
    """Tight per-browser limits and generous per-address ones (a shared Wi-Fi)."""
    app.config.update(
        RATELIMIT_WISHES="100 per hour",
        RATELIMIT_WISHES_BROWSER="2 per hour",
        RATELIMIT_WISH_SUPPORT="100 per minute",
        RATELIMIT_WISH_SUPPORT_BROWSER="2 per minute",
    )
    return app


def _browser(app, with_cookie=True):
    """A browser behind the centre's one address (the test client's 127.0.0.1), with the
    wish cookie a earlier visit left."""
    client = app.test_client()
    if with_cookie:
        client.set_cookie(COOKIE, new_token()[0])
    return client


def _suggest(client, **extra):
    return client.post(URL, data={"title": f"Wunsch {next(_n)}", **extra}).status_code


def _support(client, wish, **extra):
    return client.post(f"{URL}/{wish.id}/unterstuetzen", data=extra).status_code


def test_two_browsers_behind_one_address_suggest_independently(limits, centre):
    first, second = _browser(limits), _browser(limits)
    assert [_suggest(first) for _ in range(3)] == [302, 302, 429]
    # Same address, another browser: its own allowance.
    assert [_suggest(second) for _ in range(3)] == [302, 302, 429]
    assert Wish.select().count() == 4


def test_two_browsers_behind_one_address_support_independently(limits, centre):
    wishes = [make_wish(centre) for _ in range(3)]
    first, second = _browser(limits), _browser(limits)
    assert [_support(first, w) for w in wishes] == [302, 302, 429]
    assert [_support(second, w) for w in wishes] == [302, 302, 429]
    assert [Wish.get_by_id(w.id).support_count for w in wishes] == [2, 2, 0]


def test_the_address_limit_still_holds_for_many_browsers(limits, centre):
    limits.config["RATELIMIT_WISHES"] = "3 per hour"
    codes = [_suggest(_browser(limits)) for _ in range(4)]
    assert codes == [302, 302, 302, 429]
    other = _browser(limits).post(
        URL, data={"title": "Von woanders"}, environ_base={"REMOTE_ADDR": "192.0.2.7"}
    )
    assert other.status_code == 302


def _with_csrf(app, monkeypatch):
    """A first visit with CSRF on, as in production: the page gives the browser a session
    (its signed cookie holds the CSRF token); returns the client and the token."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    client = app.test_client()
    html = client.get(URL).get_data(as_text=True)
    return client, re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_a_first_visit_is_limited_by_its_session(limits, centre, monkeypatch):
    """No wish cookie yet: the session counts, and both families get their own allowance."""
    first, token_1 = _with_csrf(limits, monkeypatch)
    second, token_2 = _with_csrf(limits, monkeypatch)
    assert first.get_cookie(COOKIE) is None
    assert [_suggest(first, csrf_token=token_1) for _ in range(3)] == [302, 302, 429]
    assert [_suggest(second, csrf_token=token_2) for _ in range(3)] == [302, 302, 429]


def test_dropping_the_wish_cookie_does_not_reset_the_limit(limits, centre, monkeypatch):
    wishes = [make_wish(centre) for _ in range(3)]
    client, token = _with_csrf(limits, monkeypatch)
    assert _support(client, wishes[0], csrf_token=token) == 302
    assert _support(client, wishes[1], csrf_token=token) == 302
    client.delete_cookie(COOKIE)
    assert _support(client, wishes[2], csrf_token=token) == 429
    assert Wish.get_by_id(wishes[2].id).support_count == 0


def test_the_defaults_are_generous_per_address_and_tight_per_browser():
    import config

    # Per address: a centre's Wi-Fi with dozens of families; per browser: one family.
    assert config.Config.RATELIMIT_WISHES == "60 per hour"
    assert config.Config.RATELIMIT_WISHES_BROWSER == "10 per hour"
    assert config.Config.RATELIMIT_WISH_SUPPORT == "120 per minute;1000 per hour"
    assert config.Config.RATELIMIT_WISH_SUPPORT_BROWSER == "10 per minute;60 per hour"
