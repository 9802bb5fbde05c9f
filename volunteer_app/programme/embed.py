"""The programme on the centre's own website (often the Kita's, run by the operator).

Three ways to it, all showing ``queries.upcoming_entries`` grouped by Berlin day in the
markup of ``templates/programme/_snippet.html``:

- the page other sites show in a frame, ``/zentren/<slug>/einbetten?lang=…`` (the only page
  any site may frame: ``common.security.FRAMEABLE_ENDPOINTS``);
- ``render_snippet()``: the same list as a plain HTML fragment for sites that cannot use
  frames (the API serves it), with classes the webmaster styles, no scripts, no styles;
- ``codes()``: the copy-ready code on the coordinator's page of the centre.

Links are absolute (they are followed from another site) and open in a new tab; each date
leads to the activity's page in the same language.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup

from volunteer_app.centres.models import Centre
from volunteer_app.common.urls import base_url, external_url
from volunteer_app.db import utcnow
from volunteer_app.i18n import ENDONYMS, direction, parse_code, web_code
from volunteer_app.programme import queries
from volunteer_app.programme.queries import ProgrammeEntry
from volunteer_app.programme.weeks import berlin_today, day_heading

# The HTML snippet's address: the API serves it with ``render_snippet`` (api.programme_html).
SNIPPET_ENDPOINT = "api.programme_html"
SNIPPET_PATH = "/api/v1/centres/{slug}/programme.html"
# The frame's height in the copy-ready code: about eight dates on a phone, scrolling inside.
FRAME_HEIGHT = 640


@dataclass(frozen=True)
class EmbedDay:
    day: dt.date
    heading: str  # "Dienstag, 20. Oktober", in the page's language
    entries: list[ProgrammeEntry]


@dataclass(frozen=True)
class EmbeddedProgramme:
    """What the frame and the snippet show, in one language."""

    centre: Centre
    days: list[EmbedDay]
    lang: str  # fa_AF
    html_lang: str  # fa-AF
    dir: str  # rtl | ltr
    today: dt.date
    programme_url: str  # the centre's page on our site
    subscribe_url: str  # the page to subscribe to the centre's family calendar

    @property
    def is_empty(self) -> bool:
        return not self.days


def language(value: str | None) -> str:
    """A language of the family pages from ``?lang=`` (``fa-AF`` and ``fa_AF`` alike), else
    German."""
    return parse_code(value) or current_app.config["BABEL_DEFAULT_LOCALE"]


def _lang_args(lang: str) -> dict:
    # German is the default and needs no parameter; any other language travels along.
    return {} if lang == current_app.config["BABEL_DEFAULT_LOCALE"] else {"lang": web_code(lang)}


def programme(centre: Centre, lang: str, *, now: dt.datetime) -> EmbeddedProgramme:
    """The centre's next dates by Berlin day, in ``lang`` (the page's language: call it
    inside ``force_locale(lang)`` or on a page in ``lang``). Two or three queries."""
    today = berlin_today(now)
    base = base_url()
    suffix = "?lang=" + web_code(lang) if _lang_args(lang) else ""
    days: list[EmbedDay] = []
    for entry in queries.upcoming_entries(centre, now=now):
        if entry.url:
            entry = dataclasses.replace(entry, url=base + entry.url + suffix)
        if not days or days[-1].day != entry.berlin_day:
            day = entry.berlin_day
            days.append(EmbedDay(day, day_heading(day, today), []))
        days[-1].entries.append(entry)
    return EmbeddedProgramme(
        centre=centre,
        days=days,
        lang=lang,
        html_lang=web_code(lang),
        dir=direction(lang),
        today=today,
        programme_url=external_url("centres.show_centre", slug=centre.slug, **_lang_args(lang)),
        subscribe_url=external_url("feeds.family_subscribe", slug=centre.slug, **_lang_args(lang)),
    )


def render_snippet(centre: Centre, lang: str, *, now: dt.datetime | None = None) -> str:
    """The centre's next dates as a self-contained HTML fragment in ``lang`` (unknown: German)
    for a website that cannot use frames: no scripts, no styles, ``lang`` and ``dir`` on its
    outer element, classes starting ``thekiz-`` to style. Call it in a request (the API's)."""
    code = language(lang)
    with force_locale(code):
        embedded = programme(centre, code, now=now or utcnow())
        return render_template("programme/_snippet.html", embed=embedded)


# --- The copy-ready code on the coordinator's page ---------------------------------------------


@dataclass(frozen=True)
class EmbedCode:
    lang: str  # the chosen language's code
    languages: list[tuple[str, str, str]]  # (code, web code, name in itself)
    page_url: str  # the frameable page
    iframe: str  # the <iframe> element to paste
    snippet_url: str  # the HTML snippet's address
    height: int = FRAME_HEIGHT  # the frame's height in the code, in pixels


def codes(centre: Centre, wanted: str | None) -> EmbedCode:
    """The code a webmaster pastes into the centre's website, for the ``wanted`` language
    (German when none or an unknown one is named). The language is always in the addresses,
    so that the visitor's browser does not choose another one."""
    lang = language(wanted)
    page_url = external_url("programme.embed", slug=centre.slug, lang=web_code(lang))
    with force_locale(lang):
        title = _("Programme of %(centre)s", centre=centre.name)
    iframe = Markup(
        '<iframe src="{}" title="{}" width="100%" height="{}" loading="lazy" '
        'style="border: 0; max-width: 42rem;"></iframe>'
    ).format(page_url, title, FRAME_HEIGHT)
    if SNIPPET_ENDPOINT in current_app.view_functions:
        snippet_url = external_url(SNIPPET_ENDPOINT, slug=centre.slug, lang=web_code(lang))
    else:
        snippet_url = base_url() + SNIPPET_PATH.format(slug=centre.slug) + "?lang=" + web_code(lang)
    languages = [(c, web_code(c), ENDONYMS[c]) for c in current_app.config["LANGUAGES"]]
    return EmbedCode(lang, languages, page_url, str(iframe), snippet_url)
