"""The person's own check records: what each centre noted, until when, and deleting on request.

The coordinators' pages for recording and deleting checks are on the coordinator desk
(``coordination.views``).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from volunteer_app.centres.models import Centre
from volunteer_app.common.errors import DomainError
from volunteer_app.common.forms import ActionForm
from volunteer_app.db import utcnow
from volunteer_app.retention import services as retention
from volunteer_app.retention.queries import CheckPeriods, own_records

bp = Blueprint("checks", __name__)


def deleted_message(kind: str) -> str:
    """The flash after a record was deleted."""
    if kind == "certificate":
        return _("The certificate record has been deleted.")
    return _("The measles note has been deleted.")


@bp.get("/konto/pruefvermerke")
@login_required
def my_records():
    return render_template(
        "checks/mine.html",
        lines=own_records(current_user.id, utcnow()),
        periods=CheckPeriods.configured(),
        form=ActionForm(formdata=None),
    )


@bp.post("/konto/pruefvermerke/<int:centre_id>/" + retention.RECORD_PATH + "/loeschen")
@login_required
def delete_my_record(centre_id: int, record: str):
    centre = Centre.get_or_none(Centre.id == centre_id) or abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    kind = retention.RECORD_SLUGS[record]
    try:
        retention.delete_check_record(centre, current_user.id, kind, actor=current_user)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(deleted_message(kind), "success")
    return redirect(url_for(".my_records"))
