"""Languages: which one a request is answered in, its writing direction, and the date filters.

Family and volunteer pages speak every language in ``LANGUAGES``; staff pages only
``STAFF_LANGUAGES`` (docs/translations.md). ``FAMILY_ENDPOINTS`` names the former, and
``SURFACE`` the source files whose messages must be translated into every language
(tests/test_translations_complete.py).
"""

from __future__ import annotations

from fnmatch import fnmatch
from functools import lru_cache
from urllib.parse import urlencode

from babel import Locale, UnknownLocaleError
from flask import current_app, has_request_context, request, session
from flask_babel import format_date, format_datetime, format_time, get_locale
from markupsafe import Markup, escape

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
    "templates/volunteers/*.html",
    "templates/wishes/_macros.html",
    "templates/wishes/_realised_section.html",
    "templates/wishes/public.html",
    "templates/emails/*.txt",
    "templates/emails/*.html",
    "volunteer_app/accounts/*.py",
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


def is_family_endpoint(endpoint: str | None) -> bool:
    return endpoint is None or any(fnmatch(endpoint, pattern) for pattern in FAMILY_ENDPOINTS)


def languages_here() -> tuple[str, ...]:
    """The languages the current page is written in."""
    config = current_app.config
    if has_request_context() and any(
        fnmatch(request.endpoint or "", pattern) for pattern in GERMAN_ONLY_ENDPOINTS
    ):
        return ("de",)
    if not has_request_context() or is_family_endpoint(request.endpoint):
        return config["LANGUAGES"]
    return config["STAFF_LANGUAGES"]


def select_locale() -> str:
    """``?lang=``, then the person's choice (session, then account), then the browser."""
    from flask_login import current_user

    config = current_app.config
    if not has_request_context():
        return config["BABEL_DEFAULT_LOCALE"]
    allowed = languages_here()
    wanted = [parse_code(request.args.get("lang")), session.get("lang")]
    if current_user and current_user.is_authenticated:
        wanted.append(current_user.locale)
    for code in wanted:
        if code in allowed:
            return code
    lowered = {c.lower() for c in allowed}
    offered = [web_code(c) for c in allowed]
    offered += [alias for alias, code in ALIASES.items() if code in lowered]
    browser = request.accept_languages.best_match(offered)
    return parse_code(browser) or config["BABEL_DEFAULT_LOCALE"]


def remember_query_language() -> None:
    """``?lang=`` on a page is kept for the pages that follow (not on calendar feeds)."""
    code = parse_code(request.args.get("lang"))
    feed = request.endpoint in ("feeds.family_feed", "feeds.private_feed")
    if code and request.method == "GET" and not feed and session.get("lang") != code:
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
    page = str(get_locale())
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


def init_app(app) -> None:
    babel.init_app(
        app,
        locale_selector=select_locale,
        timezone_selector=lambda: app.config["BABEL_DEFAULT_TIMEZONE"],
    )
    app.before_request(remember_query_language)
    app.jinja_env.filters["datetime"] = lambda v, fmt="medium": format_datetime(v, fmt) if v else ""
    app.jinja_env.filters["date"] = lambda v, fmt="medium": format_date(v, fmt) if v else ""
    # A time is one unit: "3:30 م" must not break between the number and its suffix.
    app.jinja_env.filters["time"] = lambda v, fmt="short": (
        format_time(v, fmt).replace(" ", "\u00a0") if v else ""
    )

    app.jinja_env.globals.update(
        lang_mark=lang_mark,
        foreign=foreign,
        text_direction=direction,
        here_without_lang=here_without_lang,
    )

    @app.context_processor
    def _locale():
        code = str(get_locale())
        return {
            "current_locale": code,
            "current_language_name": ENDONYMS.get(code, code),
            "html_lang": web_code(code),
            "text_dir": direction(code),
            "languages": [(c, web_code(c), ENDONYMS[c]) for c in languages_here()],
        }
