"""Administration (placeholder; the admin feature fills this in)."""

from flask import Blueprint

from volunteer_app.accounts.auth import role_required

bp = Blueprint("admin", __name__, url_prefix="/verwaltung")


@bp.get("/")
@role_required("admin")
def dashboard():
    return "admin"
