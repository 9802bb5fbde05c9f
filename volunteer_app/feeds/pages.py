"""What the feed pages show: links (https and webcal), chosen categories, my private links.

Helpers of the views, so that the views stay thin and the templates only display.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, url_for
from markupsafe import Markup

from volunteer_app.activities.queries import category_label, category_rank
from volunteer_app.activities.texts import current_language
from volunteer_app.centres.models import Centre
from volunteer_app.common.forms import row_id
from volunteer_app.common.urls import external_url
from volunteer_app.feeds import qr, queries, services
from volunteer_app.feeds.forms import ReminderForm, alarm_label
from volunteer_app.feeds.models import FeedToken
from volunteer_app.i18n import ENDONYMS, parse_code, web_code

# The calendar's language: ``?lang=uk`` (which also sets a page's language). ``?sprache=``
# names it too: in family feed links made before ``lang`` (``?sprache=en``), and as the
# subscribe page's choice, which leaves the language of that page alone.
FEED_LANGUAGE_ARG = "lang"
CHOICE_ARG = "sprache"
CATEGORY_ARG = "kategorie"


@dataclass(frozen=True)
class Links:
    https: str
    webcal: str
    google: str  # Google Calendar's "add by URL" page with the https link filled in


def links_for(https: str) -> Links:
    from urllib.parse import quote

    webcal = "webcal://" + https.split("://", 1)[1]
    google = "https://calendar.google.com/calendar/r?cid=" + quote(webcal, safe="")
    return Links(https=https, webcal=webcal, google=google)


def _default_language() -> str:
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def feed_language(
    args, default: str | None = None, names: tuple[str, ...] = (FEED_LANGUAGE_ARG, CHOICE_ARG)
) -> str | None:
    """The language of a family feed: ``?lang=uk`` (``fa-AF`` and ``fa_AF`` alike), else
    ``?sprache=``; ``default`` (German) when neither is given; None when it is unknown.
    The subscribe page reads only ``sprache`` (its ``lang`` is the page's language, which
    the page ignores when unknown, as every page does)."""
    for name in names:
        if name in args:
            return parse_code(args.get(name))
    return default or _default_language()


def category_ids(args) -> tuple[int, ...] | None:
    """The ids of ``?kategorie=<id>`` sorted, without duplicates, before any query; None when
    one of them is not a number (or there are too many)."""
    raw = args.getlist(CATEGORY_ARG)
    if len(raw) > 50:
        return None
    try:
        return tuple(sorted({row_id(v) for v in raw}))
    except ValueError:
        return None


def chosen_categories(centre_id: int, args) -> list | None:
    """The categories named by ``?kategorie=<id>`` (repeatable, duplicates ignored), sorted as
    everywhere; None when one of them is not a number or not a category of this centre."""
    raw = args.getlist(CATEGORY_ARG)
    if not raw:
        return []
    if len(raw) > 50:
        return None
    try:
        wanted = {row_id(v) for v in raw}
    except ValueError:
        return None
    usable = {c.id: c for c in queries.usable_categories(centre_id)}
    if not wanted <= usable.keys():
        return None
    return sorted((usable[i] for i in wanted), key=category_rank)


def offered_categories(centre_id: int, chosen: list) -> list:
    """Checkboxes of the subscribe page: categories of public activities, and chosen ones."""
    used = queries.public_category_ids(centre_id) | {c.id for c in chosen}
    return sorted(
        (c for c in queries.usable_categories(centre_id) if c.id in used), key=category_rank
    )


def _family_args(centre: Centre, category_ids, lang: str | None) -> dict:
    args = {"slug": centre.slug}
    if category_ids:
        args[CATEGORY_ARG] = sorted(category_ids)
    if lang and lang != _default_language():
        args[FEED_LANGUAGE_ARG] = web_code(lang)
    return args


def family_feed_url(centre: Centre, category_ids=(), lang: str | None = None) -> str:
    """The family feed's address in ``lang`` (the page's language by default; German
    needs no parameter, so that the address stays the one subscribed before)."""
    lang = lang or current_language()
    return external_url("feeds.family_feed", **_family_args(centre, category_ids, lang))


def family_links(centre: Centre, chosen: list, lang: str) -> Links:
    return links_for(family_feed_url(centre, [c.id for c in chosen], lang))


def category_names(categories: list) -> str:
    return ", ".join(category_label(c) for c in categories)


def _page_args(centre: Centre, chosen: list, lang: str | None) -> dict:
    # The subscribe page follows its reader's language; a calendar language chosen on it
    # travels as ``sprache`` (the QR code opens the page on a phone with the same choice).
    args = _family_args(centre, [c.id for c in chosen], None)
    if lang:
        args[CHOICE_ARG] = web_code(lang)
    return args


def subscribe_url(centre: Centre, chosen: list, lang: str | None = None) -> str:
    """The subscribe page's address; with ``lang`` it offers the calendar in that language."""
    return external_url("feeds.family_subscribe", **_page_args(centre, chosen, lang))


@dataclass(frozen=True)
class FeedLanguage:
    code: str  # fa_AF
    lang: str  # fa-AF, for lang attributes and addresses
    name: str  # the language named in itself


def feed_languages() -> list[FeedLanguage]:
    """Every language a family feed is written in, each named in itself."""
    return [FeedLanguage(c, web_code(c), ENDONYMS[c]) for c in current_app.config["LANGUAGES"]]


def family_page(centre: Centre, chosen: list, lang: str, explicit: bool = False) -> dict:
    """Everything the family subscribe page shows (2 queries). ``lang`` is the calendar's
    language: the one chosen on the page (``explicit``), else the page's own."""
    return {
        "centre": centre,
        "categories": offered_categories(centre.id, chosen),
        "chosen_ids": {c.id for c in chosen},
        "chosen_names": category_names(chosen),
        "links": family_links(centre, chosen, lang),
        "qr_url": url_for("feeds.family_qr", **_page_args(centre, chosen, explicit and lang)),
        "feed_language": next(f for f in feed_languages() if f.code == lang),
        "feed_languages": feed_languages(),
    }


# --- my calendars --------------------------------------------------------------------------


@dataclass
class PrivateLink:
    kind: str
    centre: Centre | None
    row: FeedToken | None
    links: Links | None
    qr_svg: Markup | None
    anchor: str


def anchor(kind: str, centre: Centre | None) -> str:
    return "volunteer" if kind == "volunteer" else f"staff-{centre.slug}"


def _private(kind: str, centre: Centre | None, row: FeedToken | None, label: str) -> PrivateLink:
    links = qr_svg = None
    if row is not None:
        token = services.link_token(row)
        links = links_for(external_url("feeds.private_feed", token=token))
        qr_svg = qr.svg(links.webcal, 5, label=label)
    return PrivateLink(kind, centre, row, links, qr_svg, anchor(kind, centre))


def my_calendars(user) -> dict:
    """The volunteer feed and the staff feed of every centre the user coordinates (3 queries)."""
    from flask_babel import gettext as _

    rows = queries.active_links(user.id)
    personal = next((r for r in rows if r.kind == "volunteer"), None)
    by_centre = {r.centre_id: r for r in rows if r.kind == "staff"}
    staff = [
        _private(
            "staff",
            c,
            by_centre.get(c.id),
            _("QR code of your staffing calendar of %(centre)s", centre=c.name),
        )
        for c in queries.staff_centres(user)
    ]
    volunteer = _private("volunteer", None, personal, _("QR code of your volunteering calendar"))
    alarm = personal.alarm_minutes if personal else None
    return {
        "volunteer": volunteer,
        "staff": staff,
        "alarm_text": alarm_label(alarm) if alarm is not None else None,
    }


def reminder_form(user) -> ReminderForm:
    row = next((r for r in queries.active_links(user.id) if r.kind == "volunteer"), None)
    form = ReminderForm(formdata=None)
    if row is not None and row.alarm_minutes is not None:
        form.alarm.data = str(row.alarm_minutes)
    else:
        form.alarm.data = "none"
    return form


def own_link(user, link_id: int) -> FeedToken | None:
    """One of the user's active links, with its centre."""
    return next((r for r in queries.active_links(user.id) if r.id == link_id), None)


def centre_of_form(form) -> Centre | None:
    """The centre a staff link is asked for (None for the volunteer feed); 404 if unknown."""
    from flask import abort

    if form.kind.data != "staff":
        return None
    if not form.centre_id.data:
        abort(400)
    return Centre.get_or_none(Centre.id == form.centre_id.data) or abort(404)
