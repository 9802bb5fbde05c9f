"""Routes of programme: the public page of one activity (the week listing is the centre page)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from volunteer_app.activities.queries import category_label
from volunteer_app.centres.queries import centre_by_slug
from volunteer_app.db import utcnow
from volunteer_app.programme import queries, weeks

bp = Blueprint("programme", __name__)


@bp.get("/zentren/<slug>/programm/<int:activity_id>")
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
