"""Choosing a language, the switch on every page, ``<html lang dir>``, lang marks, mails.

Family and volunteer pages speak every language of ``LANGUAGES``, staff pages German and
English (``i18n.FAMILY_ENDPOINTS``). The right-to-left layout itself is checked in a browser:
tests/browser/test_rtl_browser.py.
"""

from __future__ import annotations

import re

import pytest
from babel.support import Translations
from flask import render_template
from flask_babel import force_locale, gettext

from tests.factories import make_centre, make_coordinator, make_user
from tests.factories_accounts import no_timing_floor, use_fast_hashing
from tests.factories_authz import build_world
from tests.factories_centres import make_closing_day
from volunteer_app import i18n
from volunteer_app.accounts import services as account_services
from volunteer_app.accounts.models import User
from volunteer_app.admin import services as admin_services
from volunteer_app.notifications.models import OutboxMessage
from volunteer_app.wishes.models import Wish

LANGUAGES = ("de", "en", "uk", "ar", "ru", "pl", "ro", "fa_AF")
WEB = {code: code.replace("_", "-") for code in LANGUAGES}
DIR = {code: "rtl" if code in ("ar", "fa_AF") else "ltr" for code in LANGUAGES}
NAMES = {
    "de": "Deutsch",
    "en": "English",
    "uk": "Українська",
    "ar": "العربية",
    "ru": "Русский",
    "pl": "Polski",
    "ro": "Română",
    "fa_AF": "Dari — دری",
}
HTML_TAG = re.compile(r"<html\b([^>]*)>")


def on_postgres(params: dict) -> bool:
    """Choosing a language asks nothing of the database: these run on SQLite only."""
    return False


def html_attrs(body: str) -> tuple[str | None, str | None]:
    """``lang`` and ``dir`` of the page's ``<html>`` element."""
    tag = HTML_TAG.search(body)
    assert tag, "no <html> element"
    lang = re.search(r'\blang="([^"]*)"', tag.group(1))
    direction = re.search(r'\bdir="([^"]*)"', tag.group(1))
    return (lang and lang.group(1)), (direction and direction.group(1))


def page_language(response) -> tuple[str | None, str | None]:
    return html_attrs(response.get_data(as_text=True))


def switch_buttons(body: str) -> list[tuple[str, str, str, bool]]:
    """The language switch's buttons: (value, lang, name, is current)."""
    switch = re.search(r'<details class="lang-switch">(.*?)</details>', body, re.S)
    assert switch, "no language switch on the page"
    return [
        (value, lang, name.strip(), bool(current))
        for value, lang, current, name in re.findall(
            r'<button type="submit" name="lang" value="([^"]+)" lang="([^"]+)"'
            r'( aria-current="true")?>([^<]*)</button>',
            switch.group(1),
        )
    ]


@pytest.fixture(autouse=True)
def _fast(app, monkeypatch):
    no_timing_floor(app)
    use_fast_hashing(monkeypatch)


# --- Choosing ---------------------------------------------------------------------------------


def test_lang_in_the_address_chooses_the_language_and_is_kept(app, client, conn):
    for code in LANGUAGES:
        response = client.get(f"/zentren/?lang={WEB[code]}")
        assert response.status_code == 200
        assert page_language(response) == (WEB[code], DIR[code]), code
        # The next page (no ?lang=) stays in it.
        assert page_language(client.get("/")) == (WEB[code], DIR[code]), code
    # Other spellings of the same code; an unknown one changes nothing.
    assert page_language(client.get("/?lang=fa_AF")) == ("fa-AF", "rtl")
    assert page_language(client.get("/?lang=FA-af")) == ("fa-AF", "rtl")
    assert page_language(client.get("/?lang=prs")) == ("fa-AF", "rtl")
    assert page_language(client.get("/?lang=UK")) == ("uk", "ltr")
    assert page_language(client.get("/?lang=xx")) == ("uk", "ltr")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("fa-AF;q=0.9, de;q=0.5", "fa-AF"),
        ("prs-AF, de;q=0.5", "fa-AF"),  # Dari by its ISO 639-3 name
        ("fa", "fa-AF"),
        ("ar;q=0.4, uk;q=0.8", "uk"),
        ("de-DE,de;q=0.9,ar;q=1", "ar"),
        ("ro-RO", "ro"),
        ("xx, pl;q=0.1", "pl"),
        ("en-GB,en;q=0.9", "en"),
        ("fr, it;q=0.5", "de"),  # none of ours: German
        ("", "de"),
    ],
)
def test_the_browser_chooses_by_its_preferences(app, client, conn, header, expected):
    response = client.get("/zentren/", headers={"Accept-Language": header})
    assert page_language(response)[0] == expected


def test_address_beats_choice_beats_account_beats_browser(app, client, conn, login_as):
    user = make_user(locale="ru")
    login_as(user)
    headers = {"Accept-Language": "pl"}
    assert page_language(client.get("/zentren/", headers=headers))[0] == "ru"
    client.post("/language", data={"lang": "ro", "next": "/"})
    assert page_language(client.get("/zentren/", headers=headers))[0] == "ro"
    assert page_language(client.get("/zentren/?lang=ar", headers=headers))[0] == "ar"


def test_staff_pages_stay_german_or_english(app, client, conn, login_as):
    centre = make_centre(slug="zentrum-s")
    coordinator = make_coordinator(centre)
    login_as(coordinator)
    client.post("/language", data={"lang": "uk", "next": "/"})
    assert User.get_by_id(coordinator.id).locale == "uk"
    # A family page in Ukrainian …
    assert page_language(client.get("/zentren/")) == ("uk", "ltr")
    # … the coordinators' pages in German, also when asked for Ukrainian or Arabic …
    for path in ("/meine-zentren", "/zentren/zentrum-s/planung", "/meine-zentren?lang=ar"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert page_language(response) == ("de", "ltr"), path
    # … or in English when the browser prefers it (or it is asked for).
    response = client.get("/meine-zentren", headers={"Accept-Language": "uk, en;q=0.5"})
    assert page_language(response) == ("en", "ltr")
    assert page_language(client.get("/meine-zentren?lang=en")) == ("en", "ltr")


# --- The switch ------------------------------------------------------------------------------


def test_switch_names_every_language_in_itself_on_family_pages(app, client, conn):
    body = client.get("/zentren/?lang=ar").get_data(as_text=True)
    buttons = switch_buttons(body)
    assert [(value, lang, name) for value, lang, name, _ in buttons] == [
        (WEB[c], WEB[c], NAMES[c]) for c in LANGUAGES
    ]
    assert [value for value, _, _, current in buttons if current] == ["ar"]
    # It works without JavaScript: a form that posts to /language and comes back here.
    assert re.search(r'<form method="post" action="/language" class="lang-menu">', body)
    assert '<input type="hidden" name="next" value="/zentren/">' in body
    # The summary names the current language in itself, and what the control is for.
    summary = re.search(r"<summary>(.*?)</summary>", body, re.S).group(1)
    assert '<span lang="ar">العربية</span>' in summary
    assert "visually-hidden" in summary


def test_switch_offers_only_german_and_english_on_staff_pages(app, client, conn, login_as):
    centre = make_centre(slug="zentrum-s")
    login_as(make_coordinator(centre))
    body = client.get("/meine-zentren").get_data(as_text=True)
    buttons = switch_buttons(body)
    assert [(value, name, current) for value, _, name, current in buttons] == [
        ("de", "Deutsch", True),
        ("en", "English", False),
    ]


def test_switch_returns_without_the_lang_parameter(app, client, conn):
    body = client.get("/zentren/?lang=uk&seite=2").get_data(as_text=True)
    assert '<input type="hidden" name="next" value="/zentren/?seite=2">' in body
    response = client.post("/language", data={"lang": "pl", "next": "/zentren/?seite=2"})
    assert response.headers["Location"].endswith("/zentren/?seite=2")
    assert page_language(client.get("/zentren/?seite=2"))[0] == "pl"


def test_choosing_while_signed_in_is_remembered_for_pages_and_mails(app, client, conn, login_as):
    user = make_user(email="dari@example.org", locale="de")
    login_as(user)
    response = client.post("/language", data={"lang": "fa-AF", "next": "/konto/"})
    assert response.status_code == 302
    assert User.get_by_id(user.id).locale == "fa_AF"
    # A new session (another device: no language cookie either) finds the account's language.
    with client.session_transaction() as sess:
        sess.pop("lang")
    client.delete_cookie("lang")
    assert page_language(client.get("/konto/")) == ("fa-AF", "rtl")
    # Mail goes out in it.
    account_services.request_password_reset("dari@example.org")
    mail = OutboxMessage.select().order_by(OutboxMessage.id.desc()).first()
    assert mail.locale == "fa_AF"
    assert html_attrs(mail.body_html) == ("fa-AF", "rtl")
    assert 'role="article"' in mail.body_html and 'lang="fa-AF" dir="rtl"' in mail.body_html
    with force_locale("fa_AF"):
        assert mail.subject == gettext("Set a new password")


def test_profile_offers_every_language_named_in_itself(app, client, conn, login_as):
    user = make_user(name="Olena", locale="uk")
    login_as(user)
    body = client.get("/konto/").get_data(as_text=True)
    select = re.search(r'<select[^>]*name="locale"[^>]*>(.*?)</select>', body, re.S).group(1)
    options = re.findall(
        r'<option lang="([^"]+)"( selected)? value="([^"]+)">([^<]+)</option>', select
    )
    assert [(lang, value, name) for lang, _, value, name in options] == [
        (WEB[c], c, NAMES[c]) for c in LANGUAGES
    ]
    assert [value for _, selected, value, _ in options if selected] == ["uk"]
    response = client.post("/konto/daten", data={"name": "Olena", "phone": "", "locale": "ar"})
    assert response.status_code == 302
    assert User.get_by_id(user.id).locale == "ar"
    assert page_language(client.get("/konto/")) == ("ar", "rtl")


# --- Mails -----------------------------------------------------------------------------------


def test_mails_are_written_in_the_recipients_language(app, conn):
    for code in LANGUAGES:
        make_user(email=f"reader-{code.lower()}@example.org", name="Lina", locale=code)
        account_services.request_password_reset(f"reader-{code.lower()}@example.org")
        mail = OutboxMessage.select().order_by(OutboxMessage.id.desc()).first()
        assert mail.locale == code
        assert html_attrs(mail.body_html) == (WEB[code], DIR[code]), code
        with force_locale(code):
            assert mail.subject == gettext("Set a new password"), code
            hello = gettext("Hello %(name)s,", name="Lina")
        assert mail.body_text.startswith(hello), code
        assert hello in mail.body_html, code


def test_mails_to_staff_are_german_whatever_language_they_chose(app, conn):
    admin = make_user(role="admin")
    coordinator = make_coordinator(make_centre(), locale="uk")
    admin_services.invite_coordinator(make_centre(), actor=admin, email=coordinator.email)
    mail = OutboxMessage.get(OutboxMessage.recipient == coordinator.email)
    assert mail.locale == "de"
    assert html_attrs(mail.body_html) == ("de", "ltr")


# --- Texts from the centre in another language -----------------------------------------------


def test_the_centres_texts_are_marked_german_on_pages_in_other_languages(app, client, conn):
    centre = make_centre(
        slug="zentrum-t",
        street="Anger 1",
        postcode="99084",
        town="Erfurt",
        description="Ein Haus für alle Familien.",
        contact_phone="0361 123 45 67",
    )
    make_closing_day(centre, days_ahead=5, reason="Teamtag")

    def marks(lang: str) -> str:
        return client.get(f"/zentren/zentrum-t?lang={lang}").get_data(as_text=True)

    german = marks("de")
    assert '<div lang="de"' not in german and 'class="reason">Teamtag' in german
    ukrainian = marks("uk")
    assert '<div lang="de">' in ukrainian  # the description: same direction, no dir needed
    assert '<span class="reason" lang="de">Teamtag</span>' in ukrainian
    assert '<address lang="de">' in ukrainian
    arabic = marks("ar")
    assert '<div lang="de" dir="ltr">' in arabic
    assert '<span class="reason" lang="de" dir="ltr">Teamtag</span>' in arabic
    # A phone number keeps its order inside right-to-left text.
    assert 'dir="ltr">0361 123 45 67</a>' in arabic


def test_a_wish_is_marked_with_the_language_it_was_written_in(app, client, conn):
    centre = make_centre(slug="zentrum-w", wishes_need_approval=False)
    response = client.post(
        "/zentren/zentrum-w/wuensche?lang=ar",
        data={"title": "دورة خياطة", "description": "", "email": "", "website": ""},
    )
    assert response.status_code in (200, 302)
    wish = Wish.get(Wish.centre == centre.id)
    assert wish.locale == "ar"
    body = client.get("/zentren/zentrum-w/wuensche?lang=de").get_data(as_text=True)
    assert '<h3 class="wish-title" lang="ar" dir="rtl">دورة خياطة</h3>' in body
    body = client.get("/zentren/zentrum-w/wuensche?lang=ar").get_data(as_text=True)
    assert '<h3 class="wish-title">دورة خياطة</h3>' in body


def test_lang_mark_and_foreign(app):
    cases = {
        ("de", "de"): ("", "x &amp; y"),
        ("uk", "de"): (' lang="de"', '<bdi lang="de">x &amp; y</bdi>'),
        ("ar", "de"): (' lang="de" dir="ltr"', '<bdi lang="de" dir="ltr">x &amp; y</bdi>'),
        ("de", "fa_AF"): (' lang="fa-AF" dir="rtl"', '<bdi lang="fa-AF" dir="rtl">x &amp; y</bdi>'),
        ("fa_AF", "ar"): (' lang="ar"', '<bdi lang="ar">x &amp; y</bdi>'),
    }
    with app.test_request_context("/"):
        for (page, text), (mark, isolated) in cases.items():
            with force_locale(page):
                assert str(i18n.lang_mark(text)) == mark, (page, text)
                assert str(i18n.foreign("x & y", text)) == isolated, (page, text)


# --- Every family and volunteer page, in every language --------------------------------------


def _family_get_routes(app) -> list[str]:
    return sorted(
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and i18n.is_family_endpoint(rule.endpoint)
    )


def _visit_plan(app, world) -> list[tuple]:
    """(endpoint, role, url, matrix entry) for each family and volunteer page: as a role the matrix lets in
    (a volunteer where it can), with the matrix's parameters."""
    from tests.test_authz_matrix import MATRIX

    plan = []
    adapter = app.url_map.bind("localhost")
    for endpoint in _family_get_routes(app):
        route = MATRIX[endpoint]
        allowed = [role for role, expect in route.get.items() if 200 in expect.status]
        role = next((r for r in ("volunteer", "anonymous", *allowed) if r in allowed), "volunteer")
        plan.append((endpoint, role, adapter.build(endpoint, route.params(world)), route))
    return plan


def _record_untranslated(monkeypatch) -> dict[str, set[str]]:
    """Every message a page asks for that the catalogue lacks, with the pages that asked."""
    missing: dict[str, set[str]] = {}
    current = {"url": ""}

    def recording(name):
        original = getattr(Translations, name)

        def lookup(self, *args):
            key = args[0] if name == "ugettext" else (args[0], 0)
            if key not in self._catalog:
                missing.setdefault(args[0], set()).add(current["url"])
            return original(self, *args)

        monkeypatch.setattr(Translations, name, lookup)

    recording("ugettext")
    recording("ungettext")
    return missing, current


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_family_and_volunteer_page_names_its_language_and_direction(
    app, client, conn, login_as, code, monkeypatch
):
    """… and shows no message its catalogue lacks (English is the source: nothing to miss)."""
    world = build_world()
    checked = []
    missing, current = _record_untranslated(monkeypatch)
    for endpoint, role, url, route in _visit_plan(app, world):
        with client.session_transaction() as sess:
            sess.clear()
        if role != "anonymous":
            login_as(world.user(role))
        if route.prepare is not None:
            route.prepare(client, world)
        current["url"] = url
        response = client.get(f"{url}{'&' if '?' in url else '?'}lang={WEB[code]}")
        if response.mimetype != "text/html" or 300 <= response.status_code < 400:
            continue  # calendar feeds, QR codes, downloads; redirects
        if endpoint == "api.programme_html":
            continue  # an HTML fragment for other sites (its language: tests/test_api.py)
        body = response.get_data(as_text=True)
        assert html_attrs(body) == (WEB[code], DIR[code]), f"{url} as {role}"
        if "<header" in body:  # the poster has no header
            assert [name for _, _, name, _ in switch_buttons(body)] == list(NAMES.values()), url
        checked.append((endpoint, response.status_code))
    ok = {endpoint for endpoint, status in checked if status == 200}
    # The walk really reached the pages (not only log-in redirects and error pages).
    for endpoint in ("core.index", "centres.show_centre", "signups.browse", "accounts.profile"):
        assert endpoint in ok, f"{endpoint} not shown: {checked}"
    assert len(ok) >= 25, checked
    if code != "en":
        shown = {msgid: sorted(urls)[:2] for msgid, urls in list(missing.items())[:10]}
        assert not missing, f"{len(missing)} message(s) without a {code} translation: {shown}"


def test_error_pages_name_their_language(app, client, conn):
    assert page_language(client.get("/gibt-es-nicht?lang=ar")) == ("ar", "rtl")
    assert page_language(client.get("/zentren/gibt-es-nicht?lang=fa-AF")) == ("fa-AF", "rtl")


def test_poster_names_its_language(app, client, conn, login_as):
    centre = make_centre(slug="zentrum-p")
    login_as(make_coordinator(centre))
    body = client.get("/zentren/zentrum-p/aushang?lang=ar").get_data(as_text=True)
    assert html_attrs(body) == ("ar", "rtl")
    assert '<p class="poster-url" dir="ltr">' in body


def test_mail_layout_follows_the_language(app):
    with app.test_request_context("/"), force_locale("ar"):
        html = render_template(
            "emails/account_reset.html",
            user=make_stub_user(),
            link="http://localhost/x",
            ttl=30,
        )
    assert html_attrs(html) == ("ar", "rtl")
    assert '<body dir="rtl"' in html


def make_stub_user():
    return User(name="Amal Test", email="amal@example.org", locale="ar")
