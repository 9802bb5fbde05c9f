"""What the feed pages show: links (https and webcal), chosen categories, my private links.

Helpers of the views, so that the views stay thin and the templates only display.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, url_for
from markupsafe import Markup

from volunteer_app.activities.queries import category_label, category_rank
from volunteer_app.centres.models import Centre
from volunteer_app.common.forms import row_id
from volunteer_app.common.urls import external_url
from volunteer_app.feeds import qr, queries, services
from volunteer_app.feeds.forms import ReminderForm, alarm_label
from volunteer_app.feeds.models import FeedToken

FEED_LANGUAGE_ARG = "sprache"
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


def feed_language(args) -> str | None:
    """The language of a family feed: ``?sprache=en``; German when not given; None if unknown."""
    value = args.get(FEED_LANGUAGE_ARG)
    if value is None:
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    return value if value in current_app.config["LANGUAGES"] else None


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


def family_links(centre: Centre, chosen: list, lang: str) -> Links:
    return links_for(external_url("feeds.family_feed", **_family_args(centre, chosen, lang)))


def category_names(categories: list) -> str:
    return ", ".join(category_label(c) for c in categories)


def _family_args(centre: Centre, chosen: list, lang: str) -> dict:
    args = {"slug": centre.slug}
    if chosen:
        args[CATEGORY_ARG] = sorted(c.id for c in chosen)
    if lang != current_app.config["BABEL_DEFAULT_LOCALE"]:
        args[FEED_LANGUAGE_ARG] = lang
    return args


def subscribe_url(centre: Centre, chosen: list, lang: str) -> str:
    args = _family_args(centre, chosen, lang)
    args.pop(FEED_LANGUAGE_ARG, None)  # the page follows the reader's language
    return external_url("feeds.family_subscribe", **args)


def family_page(centre: Centre, chosen: list, lang: str) -> dict:
    """Everything the family subscribe page shows (2 queries)."""
    args = _family_args(centre, chosen, lang)
    args.pop(FEED_LANGUAGE_ARG, None)
    return {
        "centre": centre,
        "categories": offered_categories(centre.id, chosen),
        "chosen_ids": {c.id for c in chosen},
        "chosen_names": category_names(chosen),
        "links": family_links(centre, chosen, lang),
        "qr_url": url_for("feeds.family_qr", **args),
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
