"""Start page, language switch and the static information pages."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, session
from flask_login import current_user

from volunteer_app import i18n
from volunteer_app.accounts import services as account_services
from volunteer_app.centres import queries as centre_queries
from volunteer_app.common import outage
from volunteer_app.common.urls import safe_next
from volunteer_app.core import easy, health, legal
from volunteer_app.db import utcnow
from volunteer_app.extensions import csrf
from volunteer_app.proposals import queries as proposals_queries
from volunteer_app.revisions.conditional import public_page
from volunteer_app.volunteers import queries as volunteer_queries
from volunteer_app.wishes.views import COOKIE_DAYS as WISH_COOKIE_DAYS

bp = Blueprint("core", __name__)


@bp.get("/")
def index():
    return render_template(
        "core/index.html",
        centres=centre_queries.centres_overview(),
        needs_volunteer_profile=volunteer_queries.needs_profile(current_user),
        suggestions_box=proposals_queries.start_box(current_user),
    )


@bp.get("/healthz")
def healthz():
    """Which part works (database, task queue, rate limits, mail outbox): 200, else 503."""
    parts, healthy = health.report()
    if healthy:
        return parts
    return parts, 503, {"Retry-After": str(outage.RETRY_AFTER_SECONDS)}


@bp.post("/language")
@csrf.exempt
def set_language():
    """The language switch. Without a login it only sets the language cookie: no CSRF token
    (a forged choice of language harms nobody), so a page whose only form is this switch
    needs no session and stays cacheable. Logged in, the account keeps the choice too, and
    then the token is checked as on every form."""
    if current_user.is_authenticated and current_app.config["WTF_CSRF_ENABLED"]:
        csrf.protect()
    lang = i18n.parse_code(request.form.get("lang"))
    if lang:
        i18n.keep_language(lang)
        if current_user.is_authenticated:
            session["lang"] = lang
            account_services.set_locale(current_user, lang)
    return redirect(safe_next(request.form.get("next")))


@bp.get("/datenschutz")
def privacy():
    """The privacy notice, generated from the controller settings and the retention periods."""
    config = current_app.config
    return render_template(
        "core/privacy.html",
        controller=legal.controller(config),
        recipients=legal.recipients(config["PRIVACY_RECIPIENTS"]),
        bases=legal.legal_bases(config),
        periods=legal.retention(config),
        supervisory_authority=config["PRIVACY_SUPERVISORY_AUTHORITY"],
        wish_cookie_days=WISH_COOKIE_DAYS,
    )


@bp.get("/impressum")
def imprint():
    """The imprint (Impressum, § 5 DDG) from the same settings."""
    return render_template("core/imprint.html", controller=legal.controller(current_app.config))


@bp.get("/barrierefreiheit")
def accessibility():
    return render_template("core/accessibility.html")


@bp.get("/leichte-sprache")
def easy_language():
    """Easy German: what a family centre is, how to find dates, subscribe, suggest, help."""
    return render_template("core/easy_language.html", centres=centre_queries.centres_overview())


@bp.get("/zentren/<slug>/leichte-sprache")
@public_page
def easy_centre(slug: str):
    """One centre in easy German: what it offers, this week's and next week's dates."""
    centre = centre_queries.centre_by_slug(slug) or abort(404)
    return render_template(
        "core/easy_centre.html", centre=centre, page=easy.centre_page(centre, now=utcnow())
    )
