"""Routes of feeds: the calendar files, the pages to subscribe, the poster, my private links."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from volunteer_app.centres.queries import today
from volunteer_app.common.errors import DomainError, NotAllowed, NotFound
from volunteer_app.common.forms import ActionForm
from volunteer_app.extensions import configured_limit, limiter
from volunteer_app.feeds import cache, content, logfilter, pages, qr, queries, services
from volunteer_app.feeds.forms import CreateLinkForm, ReminderForm

bp = Blueprint("feeds", __name__)
bp.record_once(lambda state: logfilter.install(state.app))
# The family feed's address in the page's language, for the pages that announce it.
bp.add_app_template_global(pages.family_feed_url, "family_feed_url")


# Per address over all feed URLs (token guessing), and per address and URL (a client in a loop).
FEEDS_LIMIT = configured_limit("RATELIMIT_FEEDS")
FEED_URL_LIMIT = configured_limit("RATELIMIT_FEED_URL")


# The endpoints whose conditional requests the limits do not count when they match.
_FEEDS = frozenset({"feeds.family_feed", "feeds.private_feed"})
_FEED_REQUEST = "thekiz.feed_request"
_FEED_LOOKUP = "thekiz.feed_lookup"


def _per_url() -> str:
    from flask_limiter.util import get_remote_address

    return f"{get_remote_address()}|{request.path}"


@bp.before_request
def _feed_request() -> None:
    # After the app's own hooks (the database's included), before the view and its limits.
    # Kept on the request itself: ``g`` lives as long as the app context, which may span
    # several requests (the tests' shared context, a CLI command).
    request.environ[_FEED_REQUEST] = request.endpoint in _FEEDS


@limiter.request_filter
def _not_modified() -> bool:
    """Whether this request to a feed will be answered with 304: then no rate limit counts
    it, and the limiter does no work for it at all.

    Only a conditional request (``If-None-Match``/``If-Modified-Since``) can be; it is a
    304 only when it matches the current ETag (or date) of a feed that exists, so it tells
    nothing to someone guessing keys: an unknown key, a miss and every 200 still count.
    What is worked out here (one indexed lookup for a family feed, two for a private
    link) is kept for the view, which does not read it again. The limiter asks every
    request, first before the app's hooks have run: this answers only once the feeds'
    own hook has (``_feed_request``)."""
    if not request.environ.get(_FEED_REQUEST):
        return False
    if not request.if_none_match and request.if_modified_since is None:
        return False
    return _lookup().not_modified is not None


@dataclass
class _Lookup:
    """What a feed request found before anything is rendered or a body read: the feed's
    cache entry's head and, when the request matches it, the 304 (else None)."""

    not_modified: Response | None = None
    head: object = None  # family feed: queries.FamilyHead; private link: the cache entry's head
    feed: content.Feed | None = None  # private link
    day: dt.date | None = None  # family feed: the first day of its window
    revision: str = ""  # family feed: its revision
    missing: bool = False  # no such feed: 404


def _lookup() -> _Lookup:
    """The request's lookup, once per request (the rate limits ask before the view)."""
    found = request.environ.get(_FEED_LOOKUP)
    if found is None:
        args = request.view_args or {}
        if request.endpoint == "feeds.family_feed":
            found = _family_lookup(args["slug"])
        else:
            found = _private_lookup(args["token"])
        request.environ[_FEED_LOOKUP] = found
    return found


def _family_lookup(slug: str) -> _Lookup:
    # One query tells whether the cached revision is current (never a slot row).
    lang = pages.feed_language(request.args)
    ids = pages.category_ids(request.args) if lang else None
    head = queries.family_head(slug, ids, lang) if ids is not None else None
    if head is None:
        return _Lookup(missing=True)
    day = today()
    revision = queries.family_revision(
        head.centre_id, ids, queries.bounds(day), lang, head.revision
    )
    answer = cache.answer_from_head(
        head.cached, revision, private=False, filename=content.family_filename(slug), body=False
    )
    return _Lookup(answer, head, day=day, revision=revision)


def _private_lookup(token: str) -> _Lookup:
    try:
        feed = services.feed_for_token(token, today())
    except NotFound:
        return _Lookup(missing=True)
    head = cache.head_of(feed)
    return _Lookup(cache.answer_if_cached(feed, head, body=False), head, feed)


@bp.get("/zentren/<slug>/kalender.ics")
@limiter.shared_limit(FEEDS_LIMIT, scope="feeds")
@limiter.limit(FEED_URL_LIMIT, key_func=_per_url)
def family_feed(slug: str):
    # Only when the cache does not hold the current revision are the centre and the
    # categories read and the feed rendered.
    found = _lookup()
    if found.missing:
        abort(404)
    filename = content.family_filename(slug)
    answer = found.not_modified or cache.answer_from_head(
        found.head.cached, found.revision, private=False, filename=filename
    )
    if answer is not None:
        return answer
    centre, chosen, lang = _family(slug)
    feed = content.family_feed(centre, chosen, lang, found.day, found.head.revision)
    return cache.response(feed, head=found.head.cached)


@bp.get("/kalender/<token>.ics")
@limiter.shared_limit(FEEDS_LIMIT, scope="feeds")
@limiter.limit(FEED_URL_LIMIT, key_func=_per_url)
def private_feed(token: str):
    found = _lookup()
    if found.missing:
        abort(404)
    return found.not_modified or cache.response(found.feed, head=found.head)


def _family(slug: str, default_language: str | None = None, *language_args: str):
    """Centre, chosen categories and feed language from the URL (German, or
    ``default_language``, when none is named); anything unknown is a 404."""
    centre = queries.centre_by_slug(slug) or abort(404)
    chosen = pages.chosen_categories(centre.id, request.args)
    if chosen is None:
        abort(404)
    names = language_args or (pages.FEED_LANGUAGE_ARG, pages.CHOICE_ARG)
    return centre, chosen, pages.feed_language(request.args, default_language, names) or abort(404)


@bp.get("/zentren/<slug>/kalender")
def family_subscribe(slug: str):
    centre, chosen, lang = _family(slug, str(get_locale()), pages.CHOICE_ARG)
    explicit = pages.CHOICE_ARG in request.args
    return render_template(
        "feeds/family_subscribe.html", **pages.family_page(centre, chosen, lang, explicit)
    )


@bp.get("/zentren/<slug>/kalender/qr.svg")
def family_qr(slug: str):
    """The QR code of the subscribe page (with the same choice): on the phone, that page
    offers the right button for each calendar app."""
    centre, chosen, lang = _family(slug, None, pages.CHOICE_ARG)
    chosen_lang = lang if pages.CHOICE_ARG in request.args else None
    svg = qr.svg(pages.subscribe_url(centre, chosen, chosen_lang), label=centre.name)
    resp = Response(svg, mimetype="image/svg+xml")
    resp.headers["Cache-Control"] = "public, max-age=86400"
    return resp


@bp.get("/zentren/<slug>/aushang")
def poster(slug: str):
    centre = queries.centre_by_slug(slug) or abort(404)
    page_url = pages.subscribe_url(centre, [])
    label = _("QR code: calendar of %(centre)s", centre=centre.name)
    return render_template(
        "feeds/poster.html",
        centre=centre,
        page_url=page_url,
        qr_svg=qr.svg(page_url, 10, label=label),
    )


# --- my private links ----------------------------------------------------------------------


@bp.get("/konto/kalender")
@login_required
def my_calendars():
    return render_template(
        "feeds/my_calendars.html",
        **pages.my_calendars(current_user),
        create_form=CreateLinkForm(formdata=None),
        reminder_form=pages.reminder_form(current_user),
    )


@bp.post("/konto/kalender/neu")
@login_required
def create_link():
    form = CreateLinkForm()
    centre = pages.centre_of_form(form) if form.validate_on_submit() else abort(400)
    try:
        services.create_link(form.kind.data, centre, actor=current_user)
    except NotAllowed:
        abort(403)
    flash(_("Your calendar link is ready. Subscribe to it with the steps below."), "success")
    return redirect(url_for("feeds.my_calendars") + "#" + pages.anchor(form.kind.data, centre))


def _confirm(link_id: int, action: str, service, done_message: str):
    link = pages.own_link(current_user, link_id) or abort(404)
    form = ActionForm()
    if form.validate_on_submit():
        try:
            service(link.id, actor=current_user)
        except DomainError as exc:
            flash(exc.message, "error")
            return redirect(url_for("feeds.my_calendars"))
        flash(done_message, "success")
        return redirect(url_for("feeds.my_calendars"))
    return render_template("feeds/confirm.html", link=link, action=action, form=form)


@bp.route("/konto/kalender/<int:link_id>/erneuern", methods=["GET", "POST"])
@login_required
def rotate_link(link_id: int):
    message = _("Done: here is your new link. Subscribe to it again; the old one stopped working.")
    return _confirm(link_id, "rotate", services.rotate_link, message)


@bp.route("/konto/kalender/<int:link_id>/abschalten", methods=["GET", "POST"])
@login_required
def revoke_link(link_id: int):
    message = _("The link is switched off. Calendars subscribed to it will be emptied.")
    return _confirm(link_id, "revoke", services.revoke_link, message)


@bp.post("/konto/kalender/erinnerung")
@login_required
def set_reminder():
    form = ReminderForm()
    if not form.validate_on_submit():
        flash(_("Please choose one of the offered reminder times."), "error")
        return redirect(url_for("feeds.my_calendars"))
    try:
        services.set_reminder(form.minutes(), actor=current_user)
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for("feeds.my_calendars"))
    flash(_("Saved. Your calendar app picks up the change at its next refresh."), "success")
    return redirect(url_for("feeds.my_calendars") + "#volunteer")
