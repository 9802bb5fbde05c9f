"""Routes of programme: the public page of one activity (the week listing is the centre page),
and the programme framed on the centre's own website."""

from __future__ import annotations

from flask import Blueprint, abort, make_response, render_template, request
from flask_babel import get_locale

from volunteer_app.activities.queries import category_label
from volunteer_app.centres.queries import centre_by_slug
from volunteer_app.db import utcnow
from volunteer_app.programme import embed, jsonld, queries, weeks
from volunteer_app.revisions.conditional import public_page

bp = Blueprint("programme", __name__)
# schema.org Events of the centre page and the activity page (templates/programme/_jsonld.html).
bp.add_app_template_global(jsonld.page_events, "schema_events")


@bp.get("/zentren/<slug>/programm/<int:activity_id>")
@public_page
def show_activity(slug: str, activity_id: int):
    centre = centre_by_slug(slug) or abort(404)
    activity = queries.public_activity(centre, activity_id) or abort(404)
    now = utcnow()
    return render_template(
        "programme/activity.html",
        centre=centre,
        activity=activity,
        shown=queries.activity_text(activity),
        category_label=category_label(activity.category),
        dates=queries.activity_dates(activity, now=now),
        today=weeks.berlin_today(now),
    )


@bp.get("/zentren/<slug>/einbetten", endpoint="embed")
def embedded_programme(slug: str):
    """The centre's next dates for a frame on its own website: no navigation, the language
    from ``?lang=`` (else the browser's), the same for everyone (no session: any site may
    frame it, see ``common.security.FRAMEABLE_ENDPOINTS``), so caches may keep it a minute."""
    centre = centre_by_slug(slug) or abort(404)
    lang = str(get_locale())
    response = make_response(
        render_template("programme/embed.html", embed=embed.programme(centre, lang, now=utcnow()))
    )
    response.headers["Cache-Control"] = "public, max-age=60"
    if "lang" not in request.args:
        response.vary.add("Accept-Language")
    return response
