"""What every page pays for, kept cheap without changing what it shows.

- The layout's fixed parts (common/layout.py) are rendered once per language, role and kind
  of page, and each reader still gets their own: the navigation of their role, their
  language, their CSRF token, the address of the page they are on.
- The templates' texts (i18n.translations) follow the request's language, ``force_locale``
  and ``refresh`` exactly as Flask-Babel's own functions.
- The slot page runs a fixed number of statements.
"""

from __future__ import annotations

import re
import time

import pytest
from flask import g, session
from flask_babel import force_locale, get_locale, gettext, ngettext, refresh
from flask_wtf.csrf import validate_csrf
from markupsafe import Markup

from tests.factories import make_check, make_user
from tests.factories_centres import count_queries
from tests.factories_signups import make_signup, make_slot, world

ALL = ("de", "en", "uk", "ar", "ru", "pl", "ro", "fa_AF")


def _login(app, user, lang: str | None = None):
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True
        sess["login_at"] = sess["auth_at"] = time.time()
        sess["mfa_ok"] = True
        if lang:
            sess["lang"] = lang
    return client


def _header(html: str) -> str:
    return html.split("<main", 1)[0]


def _nav(html: str) -> list[str]:
    nav = _header(html).split('class="main-nav"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r'<a[^>]* href="([^"]+)"', nav)


def _tokens(html: str) -> list[str]:
    return re.findall(r'name="csrf_token"[^>]*value="([^"]+)"', html)


def _next(html: str) -> str:
    return re.search(r'name="next" value="([^"]*)"', html).group(1)


def _offered(html: str) -> list[str]:
    return re.findall(r'<button type="submit" name="lang" value="([^"]+)"', html)


# --- The layout: the same parts for everyone alike, each person's own values ------------------


def test_each_role_gets_its_own_navigation_whoever_came_first(app, conn):
    _centre, coordinator, _activity, volunteer = world()
    admin = make_user(role="admin")
    visitor = app.test_client()
    pages = {}
    # Twice round, so that the second round is served from the kept parts.
    for _round in range(2):
        for name, client in (
            ("volunteer", _login(app, volunteer, "de")),
            ("visitor", visitor),
            ("coordinator", _login(app, coordinator, "de")),
            ("admin", _login(app, admin, "de")),
        ):
            g.pop("_login_user", None)
            response = client.get("/")
            assert response.status_code == 200
            html = response.get_data(as_text=True)
            assert pages.setdefault(name, _nav(html)) == _nav(html)
    assert pages["visitor"] == ["/zentren/", "/konto/anmelden", "/konto/registrieren"]
    assert "/meine-termine" in pages["volunteer"] and "/meine-zentren" not in pages["volunteer"]
    assert "/meine-zentren" in pages["coordinator"] and "/meine-termine" not in pages["coordinator"]
    assert "/verwaltung/" in pages["admin"] and "/verwaltung/" not in pages["coordinator"]
    for name in ("volunteer", "coordinator", "admin"):
        assert pages[name][-1] == "/konto/"  # then the logout form


def test_the_layout_is_in_the_readers_language(app, conn):
    volunteer = make_user()
    client = _login(app, volunteer)
    seen = {}
    for code in ("de", "en", "ar", "fa-AF", "de"):
        html = client.get(f"/?lang={code}").get_data(as_text=True)
        header = _header(html)
        assert f'<html lang="{code}" dir="{"rtl" if code in ("ar", "fa-AF") else "ltr"}">' in html
        assert re.search(rf'value="{code}" lang="{code}" aria-current="true"', header)
        assert header.count('aria-current="true"') == 1
        footer = html.split('<footer class="site-footer">', 1)[1]
        seen.setdefault(code, (_strip(header), _strip(footer)))
        assert seen[code] == (_strip(header), _strip(footer))
    assert "Abmelden" in seen["de"][0] and "Log out" in seen["en"][0]
    assert "Impressum" in seen["de"][1] and "Imprint" in seen["en"][1]
    assert len({header for header, _footer in seen.values()}) == 4


def _strip(html: str) -> str:
    """Without what differs from request to request (the token, the page's address)."""
    html = re.sub(r'(name="csrf_token"[^>]*value=")[^"]+', r"\1", html)
    return re.sub(r'(name="next" value=")[^"]*', r"\1", html)


def test_a_staff_page_offers_the_staff_languages_a_volunteer_page_all(app, conn):
    volunteer = make_user()
    client = _login(app, volunteer, "de")
    for _round in range(2):
        assert _offered(client.get("/").get_data(as_text=True)) == [
            code.replace("_", "-") for code in ALL
        ]
        assert _offered(client.get("/barrierefreiheit").get_data(as_text=True)) == ["de", "en"]


def test_every_page_gets_its_own_address_and_every_session_its_own_token(app, conn):
    first, second = make_user(), make_user()
    app.config["WTF_CSRF_ENABLED"] = True
    clients = [_login(app, first, "de"), _login(app, second, "de")]
    tokens = []
    for client in clients:
        for path in ("/", "/?seite=2&x=%3Cb%3E", "/barrierefreiheit"):
            g.pop("_login_user", None)
            html = client.get(path).get_data(as_text=True)
            assert _next(html) == path.replace("&", "&amp;")
            found = set(_tokens(html))
            assert len(found) == 1  # the logout form and the language switch: the same
            tokens.append(found.pop())
            with client.session_transaction() as sess:
                raw = sess["csrf_token"]
            with app.test_request_context():
                session["csrf_token"] = raw
                validate_csrf(tokens[-1])  # raises if the token is not this session's
    assert len({token.split(".")[0] for token in tokens[:3]}) == 1
    assert tokens[0].split(".")[0] != tokens[3].split(".")[0]
    # The language switch carries the page's address, escaped as before.
    html = clients[0].get("/?q=%22%3E%3Cscript%3E").get_data(as_text=True)
    assert 'name="next" value="/?q=%22%3E%3Cscript%3E"' in html


def test_a_visitors_page_has_no_token_and_sets_no_cookie(app, conn):
    client = app.test_client()
    for _round in range(2):
        response = client.get("/")
        html = response.get_data(as_text=True)
        assert _tokens(html) == []
        assert response.headers.get("Set-Cookie") is None
        assert "\x00" not in html


def test_a_part_is_rendered_once_per_language_and_role(app, conn):
    calls = []
    app.jinja_env.globals["count_render"] = lambda: calls.append(1) or ""
    try:
        template = app.jinja_env.from_string(
            '{% call layout_part("probe") %}{{ count_render() }}{{ _("Log out") }}'
            '<i>{{ late("here_without_lang") }}</i>{% endcall %}'
        )
        shown = []
        for path in (
            "/?a=1",
            "/?a=2&lang=en",
            "/?a=3",
            "/?lang=en",
        ):
            with app.test_request_context(path):
                app.preprocess_request()
                shown.append(template.render())
        assert shown == [
            "Abmelden<i>/?a=1</i>",
            "Log out<i>/?a=2</i>",
            "Abmelden<i>/?a=3</i>",
            "Log out<i>/</i>",
        ]
        assert len(calls) == 2  # once in German, once in English
    finally:
        del app.jinja_env.globals["count_render"]


# --- The templates' texts -----------------------------------------------------------------------


def test_template_texts_follow_the_language_like_flask_babel(app, conn):
    template = app.jinja_env.from_string(
        '{{ _("Log out") }}|{{ ngettext("%(num)s place is still free.", '
        '"%(num)s places are still free.", n) }}|{{ _("Sign up %(name)s", name=who) }}'
    )

    def expected() -> str:
        """The same texts from Flask-Babel's own functions, escaped as Jinja does."""
        return "|".join(
            [
                gettext("Log out"),
                ngettext("%(num)s place is still free.", "%(num)s places are still free.", 2),
                Markup(gettext("Sign up %(name)s")) % {"name": "<b>"},  # noqa: S704 (as Jinja)
            ]
        )

    for code in ALL:
        other = "uk" if code != "uk" else "ar"
        with app.test_request_context("/"):
            session["lang"] = code
            app.preprocess_request()
            assert str(get_locale()) == code
            page = template.render(n=2, who="<b>")
            assert page == expected()
            assert "&lt;b&gt;" in page and "<b>" not in page
            with force_locale(other):  # a mail in another language, inside the request
                assert template.render(n=2, who="<b>") == expected() != page
            assert template.render(n=2, who="<b>") == page
            session["lang"] = other  # the language chosen anew (Flask-Babel's refresh())
            refresh()
            assert str(get_locale()) == other
            assert template.render(n=2, who="<b>") == expected() != page


# --- The slot page ------------------------------------------------------------------------------


@pytest.mark.dates
@pytest.mark.parametrize(
    ("case", "statements"),
    [
        ("open", 3),  # the person, the slot with activity, category, centre, their sign-up
        ("signed up", 3),
        ("waitlisted", 4),  # and the place on the waitlist
        ("child-facing", 4),  # and the person's certificate at this centre
        ("in English", 4),  # and the activity's English title and description
    ],
)
def test_the_slot_page_runs_a_fixed_number_of_statements(app, conn, case, statements):
    centre, _coordinator, activity, volunteer = world(is_child_facing=case == "child-facing")
    slot = make_slot(activity, hours_ahead=72, capacity=1 if case == "waitlisted" else 2)
    if case == "signed up":
        make_signup(slot, volunteer, status="confirmed")
    if case == "waitlisted":
        make_signup(slot, make_user(), status="confirmed")
        make_signup(slot, volunteer, status="waitlisted")
    if case == "child-facing":
        make_check(volunteer, centre)
    client = _login(app, volunteer, "en" if case == "in English" else "de")
    g.pop("_login_user", None)
    with count_queries() as counter:
        response = client.get(f"/termine/{slot.id}")
    assert response.status_code == 200
    assert len(counter.queries) == statements, "\n".join(map(str, counter.queries))
    html = response.get_data(as_text=True)
    assert activity.title in html
    if case == "child-facing":  # the certificate was found: signing up is offered
        assert f'action="/termine/{slot.id}/anmelden"' in html
