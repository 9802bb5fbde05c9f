"""Public centre pages (placeholder until the centres feature lands)."""

from flask import Blueprint, abort, render_template

from volunteer_app.centres import queries

bp = Blueprint("centres", __name__, url_prefix="/zentren")


@bp.get("/")
def list_centres():
    return render_template("centres/list.html", centres=queries.centres_overview())


@bp.get("/<slug>")
def show_centre(slug: str):
    centre = queries.centre_by_slug(slug) or abort(404)
    return render_template("centres/show.html", centre=centre)
