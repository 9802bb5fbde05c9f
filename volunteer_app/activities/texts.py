"""Activity texts in other languages: the title and short description an activity's
coordinators wrote in a family's language (``ActivityText``), loaded for many activities in
one query, and the choice of what a page or a feed shows.

German is the original and stays on ``Activity``. A page (or feed) in another language shows
that language's text where one exists and the German one otherwise; a German text on a page
in another language is marked ``lang="de"`` so that screen readers pronounce it right. A
translated title without a description takes the German description (marked as such).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from flask import current_app, has_request_context
from flask_babel import get_locale
from markupsafe import Markup

from volunteer_app.activities.models import Activity, ActivityText
from volunteer_app.i18n import ENDONYMS, direction, web_code

ORIGINAL = "de"
# The languages a coordinator can add, in the order the form offers them: the families'
# languages first, English last. Equal to LANGUAGES without German (tests/test_activity_texts.py).
TEXT_LANGUAGES = ("uk", "ar", "ru", "pl", "ro", "fa_AF", "en")
TITLE_MAX = 120  # as Activity.title
DESCRIPTION_MAX = 600  # a short description; the German one may be longer


def language_name(code: str) -> str:
    """The language named in itself ("Українська"), as the language switch names it."""
    return ENDONYMS.get(code, code)


def current_language() -> str:
    """The language of the page being rendered (German outside a request)."""
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    return str(get_locale() or ORIGINAL)


def lang_attrs(code: str) -> Markup:
    """`` lang="de"`` for an element holding text in ``code`` on a page in another language,
    plus ``dir`` when the two run in different directions (German in an Arabic page);
    nothing when ``code`` is empty or the page's own language. As ``i18n.lang_mark``."""
    page = current_language()
    if not code or code == page:
        return Markup("")
    attrs = Markup(' lang="{}"').format(web_code(code))
    if direction(code) != direction(page):
        attrs += Markup(' dir="{}"').format(direction(code))
    return attrs


@dataclass(frozen=True)
class Shown:
    """What a page shows of an activity in its language. ``lang`` and ``description_lang``
    are the language codes of the texts when they differ from the page's language (the German
    fallback on a page in another language), else ""."""

    title: str
    description: str
    lang: str = ""
    description_lang: str = ""

    @property
    def title_attrs(self) -> Markup:
        """`` lang="de"`` (and ``dir``) for the element holding a German title, else nothing."""
        return lang_attrs(self.lang)

    @property
    def description_attrs(self) -> Markup:
        return lang_attrs(self.description_lang)


def texts_for(activity_ids: Iterable[int], language: str) -> dict[int, ActivityText]:
    """The texts in ``language`` of these activities by activity id (one query; none for
    German, a language without texts or no activities)."""
    ids = sorted(set(activity_ids))
    if language not in TEXT_LANGUAGES or not ids:
        return {}
    rows = ActivityText.select().where(
        ActivityText.activity.in_(ids) & (ActivityText.language == language)
    )
    return {row.activity_id: row for row in rows}


def page_texts(activity_ids: Iterable[int]) -> dict[int, ActivityText]:
    """``texts_for`` in the language of the page being rendered."""
    return texts_for(activity_ids, current_language())


def texts_of(activity_id: int) -> list[ActivityText]:
    """Every text of one activity, in the order of ``TEXT_LANGUAGES`` (one query)."""
    rows = ActivityText.select().where(ActivityText.activity == activity_id)
    order = {code: n for n, code in enumerate(TEXT_LANGUAGES)}
    return sorted(rows, key=lambda row: order.get(row.language, len(order)))


def pick(
    activity: Activity,
    texts: Mapping[int, ActivityText] | ActivityText | None = None,
    language: str | None = None,
) -> Shown:
    """Title and description of ``activity`` for a reader of ``language`` (the page's by
    default): its text in that language where there is one, else the German original.
    ``texts`` is what ``texts_for`` returned (or the one text); no query."""
    language = language or current_language()
    text = texts.get(activity.id) if isinstance(texts, Mapping) else texts
    if text is not None and text.language != language:
        text = None
    mark = "" if language == ORIGINAL else ORIGINAL
    # A query may leave the description out when the page shows none.
    original = getattr(activity, "description", "") or ""
    if text is not None and text.title:
        title, lang = text.title, ""
    else:
        title, lang = activity.title, mark
    if text is not None and text.description:
        description, description_lang = text.description, ""
    else:
        description, description_lang = original, mark if original else ""
    return Shown(title, description, lang, description_lang)


def form_data(texts: Iterable[ActivityText]) -> dict[str, str]:
    """The activity form's fields of the other languages filled from an activity's texts."""
    data = {}
    for text in texts:
        data[f"title_{text.language}"] = text.title
        data[f"description_{text.language}"] = text.description
    return data
