"""Loading the centre of a coordinator's page, the same way on every such page."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from volunteer_app.centres.models import Centre
from volunteer_app.centres.queries import can_manage, centre_by_slug


def managed_centre(slug: str) -> Centre:
    """The centre of a coordinator's page: 404 if unknown, 403 if the current user may not
    manage it (its own coordinators and admins may)."""
    centre = centre_by_slug(slug) or abort(404)
    if not can_manage(current_user, centre):
        abort(403)
    return centre
