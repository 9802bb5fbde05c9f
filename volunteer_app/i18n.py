"""Languages: which one a request is answered in, its writing direction, and the date filters.

Family and volunteer pages speak every language in ``LANGUAGES``; staff pages only
``STAFF_LANGUAGES`` (docs/translations.md). ``FAMILY_ENDPOINTS`` names the former, and
``SURFACE`` the source files whose messages must be translated into every language
(tests/test_translations_complete.py).
"""

from __future__ import annotations

import datetime as dt
import re
from fnmatch import fnmatch
from functools import lru_cache
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import (
    DateTimePattern,
    get_date_format,
    get_datetime_format,
    get_time_format,
    match_skeleton,
    parse_pattern,
)
from flask import current_app, g, has_request_context, request, session
from flask.globals import _cv_app
from flask_babel import format_date, format_datetime, format_time, get_locale, get_translations
from jinja2 import pass_context
from markupsafe import Markup, escape

from volunteer_app.common.security import is_frameable
from volunteer_app.extensions import babel

#: Each language named in itself, for the switch on every page.
ENDONYMS = {
    "de": "Deutsch",
    "en": "English",
    "uk": "Українська",
    "ar": "العربية",
    "ru": "Русский",
    "pl": "Polski",
    "ro": "Română",
    "fa_AF": "Dari — دری",
}

#: Endpoints a family or a volunteer uses: answered in every language of ``LANGUAGES``.
#: Requests without an endpoint (a 404) count as family pages.
FAMILY_ENDPOINTS = (
    "accounts.*",
    "allowances.mine",
    "api.cancel_signup",
    "api.centre",
    "api.centres",
    "api.me",
    "api.my_hours",
    "api.my_signups",
    "api.programme",
    "api.programme_html",
    "api.sign_up",
    "allowances.my_statement",
    "centres.list_centres",
    "centres.show_centre",
    "checkin.arrive",
    "checkin.check_in",
    "checkin.poster",
    "checkin.scan",
    "checkin.tablet",
    "checkin.tablet_code",
    "checks.my_records",
    "companions.*",
    "checks.delete_my_record",
    "core.index",
    "core.set_language",
    "erasure.*",
    "feeds.*",
    "imports.accept",
    "messaging.settings",
    "messaging.opt_out",
    "privacy.*",
    "programme.*",
    "proposals.suggestions",
    "proposals.weekly_mail",
    "proposals.answer_in_app",
    "proposals.answer_invitation",
    "proposals.answer_standin",
    "proposals.answer_standin_in_app",
    "reports.my_hours",
    "reports.request_certificate",
    "reports.my_certificate",
    "reports.withdraw_certificate",
    "recognition.my_progress",
    "recognition.save_birth_year",
    "recognition.forget_birth_year",
    "recognition.my_certificate",
    "signups.*",
    "tokens.my_tokens",
    "tokens.revoke_my_token",
    "volunteers.*",
    "wishes.centre_wishes",
    "wishes.support",
)

#: Pages in easy German (Leichte Sprache): German whatever the reader chose.
GERMAN_ONLY_ENDPOINTS = ("core.easy_*",)

#: Source files (globs from the repository root) whose messages those pages, the mails to
#: volunteers and wishers and the fixed texts of the calendar feeds show.
SURFACE = (
    "templates/base.html",
    "templates/_macros/*.html",
    "templates/errors/*.html",
    "templates/accounts/*.html",
    "templates/allowances/_sums.html",
    "templates/allowances/mine.html",
    "templates/allowances/statement.html",
    "templates/centres/_card.html",
    "templates/centres/_closure_dates.html",
    "templates/centres/_contact.html",
    "templates/centres/_head.html",
    "templates/centres/list.html",
    "templates/centres/show.html",
    "templates/checkin/_macros.html",
    "templates/checkin/arrive.html",
    "templates/checkin/code_refused.html",
    "templates/checkin/poster.html",
    "templates/checkin/tablet.html",
    "templates/checks/mine.html",
    "templates/checks/_status.html",
    "templates/companions/*.html",
    "templates/core/index.html",
    "templates/erasure/*.html",
    "templates/feeds/*.html",
    "templates/imports/accept.html",
    "templates/imports/refused.html",
    "templates/messaging/settings.html",
    "templates/messaging/opt_out.html",
    "templates/partners/_macros.html",
    "templates/partners/_public_section.html",
    "templates/privacy/*.html",
    "templates/programme/*.html",
    "templates/proposals/_head.html",
    "templates/proposals/_invitation.html",
    "templates/proposals/_macros.html",
    "templates/proposals/_standin.html",
    "templates/proposals/_suggestion.html",
    "templates/proposals/_suggestions.html",
    "templates/proposals/invitation.html",
    "templates/proposals/invitation_invalid.html",
    "templates/proposals/standin.html",
    "templates/proposals/suggestions.html",
    "templates/reports/_macros.html",
    "templates/reports/certificate.html",
    "templates/reports/my_hours.html",
    "templates/recognition/_figures.html",
    "templates/recognition/mine.html",
    "templates/recognition/zertifikat.html",
    "templates/signups/*.html",
    "templates/tokens/_macros.html",
    "templates/tokens/mine.html",
    "templates/volunteers/*.html",
    "templates/wishes/_macros.html",
    "templates/wishes/_realised_section.html",
    "templates/wishes/public.html",
    "templates/emails/*.txt",
    "templates/emails/*.html",
    "volunteer_app/accounts/*.py",
    "volunteer_app/api/auth.py",
    "volunteer_app/api/paging.py",
    "volunteer_app/api/problems.py",
    "volunteer_app/api/schemas.py",
    "volunteer_app/api/services.py",
    "volunteer_app/api/views.py",
    "volunteer_app/allowances/limits.py",
    "volunteer_app/checkin/forms.py",
    "volunteer_app/checkin/services.py",
    "volunteer_app/checkin/views.py",
    "volunteer_app/activities/queries.py",
    "volunteer_app/partners/queries.py",
    "volunteer_app/common/*.py",
    "volunteer_app/companions/*.py",
    "volunteer_app/feeds/*.py",
    "volunteer_app/imports/invitations.py",
    "volunteer_app/messaging/views.py",
    "volunteer_app/programme/*.py",
    "volunteer_app/proposals/explain.py",
    "volunteer_app/proposals/forms.py",
    "volunteer_app/proposals/services.py",
    "volunteer_app/proposals/standin.py",
    "volunteer_app/proposals/suggestions.py",
    "volunteer_app/reports/services.py",
    "volunteer_app/recognition/forms.py",
    "volunteer_app/recognition/services.py",
    "volunteer_app/recognition/views.py",
    "volunteer_app/signups/*.py",
    "volunteer_app/tokens/*.py",
    "volunteer_app/volunteers/*.py",
    "volunteer_app/wishes/forms.py",
    "volunteer_app/wishes/views.py",
    "volunteer_app/privacy/*.py",
    "volunteer_app/erasure/services.py",
    "volunteer_app/erasure/views.py",
    "volunteer_app/erasure/forms.py",
)


def web_code(code: str) -> str:
    """``fa_AF`` → ``fa-AF``, the spelling of URLs and ``<html lang>``."""
    return code.replace("_", "-")


#: Other names browsers and people use for a language of ``LANGUAGES`` (ISO 639-3 "prs" is Dari).
ALIASES = {"prs": "fa_af", "prs_af": "fa_af"}


def parse_code(value: str | None) -> str | None:
    """A language code as given in a URL or form (``fa-AF``, ``fa_af``, ``UK``), or None."""
    if not value:
        return None
    wanted = value.strip().replace("-", "_").lower()
    wanted = ALIASES.get(wanted, wanted)
    for code in current_app.config["LANGUAGES"]:
        if code.lower() == wanted:
            return code
    return None


#: Where the JSON API lives (volunteer_app/api/).
API_PREFIX = "/api/"


def is_api_request() -> bool:
    """A call of the JSON API: no session, no cookies, its own errors (api/problems.py). The
    API's reference page (``api.docs``) is a page like any other."""
    return (
        has_request_context()
        and request.path.startswith(API_PREFIX)
        and request.endpoint != "api.docs"
    )


@lru_cache(maxsize=1024)
def is_family_endpoint(endpoint: str | None) -> bool:
    # Cached: asked for every template rendered (the language switch), and the endpoints
    # are the app's own, a few hundred names.
    return endpoint is None or any(fnmatch(endpoint, pattern) for pattern in FAMILY_ENDPOINTS)


@lru_cache(maxsize=1024)
def _german_only(endpoint: str) -> bool:
    return any(fnmatch(endpoint, pattern) for pattern in GERMAN_ONLY_ENDPOINTS)


def languages_here() -> tuple[str, ...]:
    """The languages the current page is written in."""
    config = current_app.config
    if has_request_context() and _german_only(request.endpoint or ""):
        return ("de",)
    if not has_request_context() or is_family_endpoint(request.endpoint):
        return config["LANGUAGES"]
    return config["STAFF_LANGUAGES"]


def select_locale() -> str:
    """``?lang=``, then the person's choice (session, then account, then the language
    cookie: ``LANG_COOKIE``), then the browser."""
    from flask_login import current_user

    config = current_app.config
    if not has_request_context():
        return config["BABEL_DEFAULT_LOCALE"]
    allowed = languages_here()
    wanted = [parse_code(request.args.get("lang"))]
    # A page other sites frame, and the JSON API, have no session: the address and the
    # browser (Accept-Language) choose.
    if not is_frameable() and not is_api_request():
        # Kept through a logout earlier in this request (its messages are in that language).
        wanted.append(g.get("keep_language"))
        wanted.append(session.get("lang"))
        if current_user and current_user.is_authenticated:
            wanted.append(current_user.locale)
        wanted.append(parse_code(request.cookies.get(LANG_COOKIE)))
    for code in wanted:
        if code in allowed:
            return code
    lowered = {c.lower() for c in allowed}
    offered = [web_code(c) for c in allowed]
    offered += [alias for alias, code in ALIASES.items() if code in lowered]
    browser = request.accept_languages.best_match(offered)
    return parse_code(browser) or config["BABEL_DEFAULT_LOCALE"]


#: The language chosen without logging in (the switch, or ``?lang=``): a cookie of its own,
#: not the session, so that a page without a form sets no session cookie and shared caches
#: may keep it (docs/deployment.md). Logged in, the account keeps the choice as well.
LANG_COOKIE = "lang"
LANG_COOKIE_DAYS = 365


def keep_language(code: str) -> None:
    """Set the language cookie to ``code`` with this request's answer."""
    g.keep_language = code


def _language_cookie(response):
    code = g.pop("keep_language", None)
    if code and request.cookies.get(LANG_COOKIE) != web_code(code):
        response.set_cookie(
            LANG_COOKIE,
            web_code(code),
            max_age=LANG_COOKIE_DAYS * 24 * 3600,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            httponly=True,
            samesite="Lax",
        )
        # An answer that sets a cookie is this browser's own.
        if "public" in response.headers.get("Cache-Control", ""):
            response.headers["Cache-Control"] = "private, no-cache"
    return response


def remember_query_language() -> None:
    """``?lang=`` on a page is kept for the pages that follow (not on calendar feeds, nor on
    a page other sites frame, which has no session): in the language cookie, and for a
    logged-in person in the session too."""
    code = parse_code(request.args.get("lang"))
    feed = request.endpoint in ("feeds.family_feed", "feeds.private_feed")
    if is_frameable() or is_api_request():
        return
    if not code or request.method != "GET" or feed:
        return
    from flask_login import current_user

    keep_language(code)
    # A session that has one anyway (logged in, or holding an older choice) keeps it too.
    if session.get("lang") != code and (current_user.is_authenticated or "lang" in session):
        session["lang"] = code


@lru_cache(maxsize=64)
def direction(code: str) -> str:
    """``rtl`` for a language written right to left (ar, fa_AF), else ``ltr``."""
    try:
        order = Locale.parse(code.replace("-", "_")).character_order
    except (ValueError, TypeError, UnknownLocaleError):
        return "ltr"
    return "rtl" if order == "right-to-left" else "ltr"


def lang_mark(code: str | None = "de") -> Markup:
    """`` lang="de"`` for an element whose text is in ``code`` while the page is not, plus
    ``dir`` when the two are written in different directions; nothing when they agree.

    Texts the centre writes (descriptions, notes, room names, partner texts) are German,
    a wish is in the language it was written in: ``<p{{ lang_mark() }}>``,
    ``<h3{{ lang_mark(wish.locale) }}>``. Works in mails too (``force_locale``).
    """
    code = code or current_app.config["BABEL_DEFAULT_LOCALE"]
    page = page_locale()
    if code.replace("-", "_").lower() == page.lower():
        return Markup("")
    attrs = Markup(' lang="{}"').format(web_code(code))
    if direction(code) != direction(page):
        attrs += Markup(' dir="{}"').format(direction(code))
    return attrs


def foreign(text: str, code: str | None = "de") -> Markup:
    """``text`` escaped, and isolated in ``<bdi lang=… dir=…>`` when it is in another language
    than the page: for the centre's words inside a translated sentence,
    ``_("For: %(audience)s", audience=foreign(activity.audience))``."""
    attrs = lang_mark(code)
    if not attrs:
        return escape(text)
    return Markup("<bdi{}>{}</bdi>").format(attrs, text)


def here_without_lang() -> str:
    """This page's path and query without ``lang=``: where the language switch returns to
    (a ``?lang=`` left in it would override the language just chosen)."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    return request.path + ("?" + urlencode(args) if args else "")


# --- Dates and times: Flask-Babel's text, with the patterns looked up once ----------------------
#
# Flask-Babel's ``format_date`` & co. look up the locale, the time zone, the app's format
# settings and the locale's pattern on every call: on a page of 300 dates most of its time.
# These give the same text byte for byte (tests/test_i18n_dates.py compares them with
# Flask-Babel in every language, for every format the pages use, across clock changes): the
# pattern is found once per (locale, format), and for patterns without a time-zone field the
# text once per (locale, format, wall-clock value), in bounded caches. The zone is
# ``BABEL_DEFAULT_TIMEZONE``, as for Flask-Babel, and ``force_locale`` (mails) is honoured.

_NAMED = ("short", "medium", "long", "full")
_FIELD = re.compile(r"%\((\w+)\)s")
_DATE_FIELDS = frozenset("GyYuUrQqMLlwWdDFgEec")
_ZONE_FIELDS = frozenset("zZOvVXx")


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _wall(value: dt.datetime) -> dt.datetime:
    """A datetime (naive: UTC) as an aware one in the display zone."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(_zone(current_app.config["BABEL_DEFAULT_TIMEZONE"]))


def _scope(pattern: DateTimePattern) -> str:
    """``date`` (date fields only), ``wall`` (no time-zone field) or ``zone``."""
    chars = {name[0] for name in _FIELD.findall(pattern.format)}
    if chars & _ZONE_FIELDS:
        return "zone"
    return "date" if chars <= _DATE_FIELDS else "wall"


@lru_cache(maxsize=1024)
def _pattern(locale: Locale, kind: str, fmt: str) -> tuple[DateTimePattern, str]:
    """The locale's pattern of ``kind`` (date, time, skeleton, pattern) and its scope."""
    if kind == "skeleton":
        skeletons = locale.datetime_skeletons
        pattern = parse_pattern(
            skeletons[fmt if fmt in skeletons else match_skeleton(fmt, skeletons)]
        )
    elif kind in ("date", "time") and fmt in _NAMED:
        getter = get_date_format if kind == "date" else get_time_format
        pattern = parse_pattern(getter(fmt, locale=locale))
    else:
        pattern = parse_pattern(fmt)
    return pattern, _scope(pattern)


@lru_cache(maxsize=64)
def _datetime_frame(locale: Locale, fmt: str) -> str:
    """How a named datetime format joins the date ``{1}`` and the time ``{0}`` (as Babel)."""
    return get_datetime_format(fmt, locale=locale).replace("'", "")


@lru_cache(maxsize=16384)
def _applied(pattern: DateTimePattern, value, locale: Locale) -> str:
    """``pattern`` applied to a date or to a naive wall-clock datetime or time."""
    return pattern.apply(value, locale)


def _format(kind: str, fmt: str, wall, locale: Locale, reference: dt.date | None = None) -> str:
    """``wall``: a date, or an aware datetime or time in the display zone."""
    pattern, scope = _pattern(locale, kind, fmt)
    if scope == "zone":
        return pattern.apply(wall, locale, reference_date=reference)
    if scope == "date" and isinstance(wall, dt.datetime):
        return _applied(pattern, wall.date(), locale)
    if isinstance(wall, dt.datetime | dt.time):
        wall = wall.replace(tzinfo=None)
    return _applied(pattern, wall, locale)


def berlin_date(value, fmt: str = "medium") -> str:
    """``flask_babel.format_date(value, fmt)``: a datetime's day in the display zone."""
    if not isinstance(value, dt.date) or fmt is None:
        return format_date(value, fmt)
    if isinstance(value, dt.datetime):
        value = _wall(value).date()
    return _format("date", fmt, value, get_locale())


def berlin_time(value, fmt: str = "short") -> str:
    """``flask_babel.format_time(value, fmt)`` (a datetime; anything else goes to Flask-Babel)."""
    if not isinstance(value, dt.datetime) or fmt is None:
        return format_time(value, fmt)
    return _format("time", fmt, _wall(value).timetz(), get_locale(), value.date())


def berlin_datetime(value, fmt: str = "medium") -> str:
    """``flask_babel.format_datetime(value, fmt)`` (a datetime; anything else: Flask-Babel)."""
    if not isinstance(value, dt.datetime) or fmt is None:
        return format_datetime(value, fmt)
    locale = get_locale()
    wall = _wall(value)
    if fmt not in _NAMED:
        return _format("pattern", fmt, wall, locale)
    time_text = _format("time", fmt, wall.timetz(), locale, wall.date())
    date_text = _format("date", fmt, wall.date(), locale)
    return _datetime_frame(locale, fmt).replace("{0}", time_text).replace("{1}", date_text)


def berlin_skeleton(skeleton: str, value) -> str:
    """``babel.dates.format_skeleton(skeleton, value, locale=get_locale())`` with a datetime
    (naive: UTC) shown in the display zone and a date as it is ("MMMEd": "Di., 14. Juli")."""
    if isinstance(value, dt.datetime):
        value = _wall(value)
    else:
        value = dt.datetime.combine(value, dt.time(), dt.UTC)
    return _format("skeleton", skeleton, value, get_locale())


# --- Texts in templates: the catalogue looked up once per request and language -------------------
#
# Flask-Babel's ``gettext`` for templates finds its context in ``g``, the domain and the locale
# anew for every text (three LocalProxy look-ups and the locale's name each time), and Jinja's
# i18n extension reaches it through three ``Context.call``s: on a page of forty texts, a tenth
# of its time. ``translations()`` remembers the catalogue beside Flask-Babel's own locale and
# domain (in its per-request state) and finds it again when either changes (``force_locale``,
# ``refresh``); the template functions do what Jinja's "newstyle" ones do (autoescaped,
# always %-formatted, ``num`` for plurals), with one call each.


def translations():
    """``flask_babel.get_translations()``, remembered while the locale and domain stay."""
    app_ctx = _cv_app.get(None)
    if app_ctx is None:
        return get_translations()
    state = getattr(app_ctx.g, "_flask_babel", None)
    if state is not None:
        memo = getattr(state, "thekiz_translations", None)
        if (
            memo is not None
            and memo[0] is getattr(state, "babel_locale", None)
            and memo[1] is getattr(state, "babel_domain", None)
        ):
            return memo[2]
    found = get_translations()  # sets the state's locale and domain
    state = app_ctx.g._flask_babel
    state.thekiz_translations = (state.babel_locale, state.babel_domain, found)
    return found


def _formatted(context, text: str, variables: dict) -> str:
    if context.eval_ctx.autoescape:
        # The catalogue's text is trusted, as by Jinja's own gettext: the values are escaped.
        text = Markup(text)  # noqa: S704
    return text % variables


@lru_cache(maxsize=64)
def _code(locale: Locale) -> str:
    return str(locale)


def page_locale() -> str:
    """``str(flask_babel.get_locale())``: the code of the language this request is answered in
    (``de``, ``fa_AF``), read from Flask-Babel's state once it has chosen."""
    app_ctx = _cv_app.get(None)
    state = getattr(app_ctx.g, "_flask_babel", None) if app_ctx is not None else None
    locale = getattr(state, "babel_locale", None)
    return _code(locale if locale is not None else get_locale())


@pass_context
def _template_gettext(context, string: str, **variables) -> str:
    return _formatted(context, translations().ugettext(string), variables)


@pass_context
def _template_ngettext(context, singular: str, plural: str, num: int, **variables) -> str:
    variables.setdefault("num", num)
    return _formatted(context, translations().ungettext(singular, plural, num), variables)


@pass_context
def _template_pgettext(context, string_ctx: str, string: str, **variables) -> str:
    variables.setdefault("context", string_ctx)
    return _formatted(context, translations().upgettext(string_ctx, string), variables)


@pass_context
def _template_npgettext(
    context, string_ctx: str, singular: str, plural: str, num: int, **variables
) -> str:
    variables.setdefault("context", string_ctx)
    variables.setdefault("num", num)
    text = translations().unpgettext(string_ctx, singular, plural, num)
    return _formatted(context, text, variables)


def init_app(app) -> None:
    babel.init_app(
        app,
        locale_selector=select_locale,
        timezone_selector=lambda: app.config["BABEL_DEFAULT_TIMEZONE"],
    )
    app.before_request(remember_query_language)
    app.after_request(_language_cookie)
    # In place of Flask-Babel's (installed by ``babel.init_app``): the same texts, found faster.
    app.jinja_env.globals.update(
        _=_template_gettext,
        gettext=_template_gettext,
        ngettext=_template_ngettext,
        pgettext=_template_pgettext,
        npgettext=_template_npgettext,
    )
    app.jinja_env.filters["datetime"] = lambda v, fmt="medium": berlin_datetime(v, fmt) if v else ""
    app.jinja_env.filters["date"] = lambda v, fmt="medium": berlin_date(v, fmt) if v else ""
    # A time is one unit: "3:30 م" must not break between the number and its suffix.
    app.jinja_env.filters["time"] = lambda v, fmt="short": (
        berlin_time(v, fmt).replace(" ", "\u00a0") if v else ""
    )

    app.jinja_env.globals.update(
        lang_mark=lang_mark,
        foreign=foreign,
        text_direction=direction,
        here_without_lang=here_without_lang,
    )

    @app.context_processor
    def _locale():
        return _locale_context(page_locale(), tuple(languages_here()))


@lru_cache(maxsize=64)
def _locale_context(code: str, offered: tuple[str, ...]) -> dict:
    """What every template knows of the page's language (the same for every page in it)."""
    return {
        "current_locale": code,
        "current_language_name": ENDONYMS.get(code, code),
        "html_lang": web_code(code),
        "text_dir": direction(code),
        "languages": tuple((c, web_code(c), ENDONYMS[c]) for c in offered),
    }
