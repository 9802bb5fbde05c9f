"""Importing lists and exporting activities (coordinators); accepting an invitation (the
imported person, in every language)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, render_template, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required

from volunteer_app.accounts.auth import start_session
from volunteer_app.centres.access import managed_centre
from volunteer_app.centres.queries import today, user_by_email
from volunteer_app.common.errors import DomainError, InvalidToken
from volunteer_app.common.forms import ActionForm, apply_domain_error
from volunteer_app.imports import invitations, queries, services
from volunteer_app.imports.checks import FIELDS, guess_mapping
from volunteer_app.imports.export import activities_csv
from volunteer_app.imports.forms import AcceptForm, MappingForm, UploadForm

# No url_prefix: the invited person's link lives at /einladung/mitmachen/….
bp = Blueprint("imports", __name__)

# The preview lists every row with a problem up to this many, and the first good rows.
SHOWN_PROBLEMS = 1000
SHOWN_GOOD = 30


def _upload_page(centre, form, status: int = 200):
    return (
        render_template(
            "imports/upload.html",
            centre=centre,
            form=form,
            invitations=queries.open_invitations(centre),
            withdraw_form=ActionForm(formdata=None),
            max_rows=current_app.config["IMPORT_MAX_ROWS"],
            max_kb=current_app.config["IMPORT_MAX_BYTES"] // 1000,
            days=current_app.config["IMPORT_INVITATION_DAYS"],
        ),
        status,
    )


def _mapping_page(centre, upload, token: str, mapping: list[str], error: str | None = None):
    form = MappingForm(formdata=None, token=token)
    if error:
        form.form_errors.append(error)
    return render_template(
        "imports/mapping.html",
        centre=centre,
        upload=upload,
        form=form,
        mapping=mapping,
        fields=FIELDS[upload.kind],
        samples=upload.table.rows[:3],
    )


def _preview_page(centre, upload, token, mapping, checked, error: str | None = None):
    form = MappingForm(formdata=None, token=token)
    if error:
        form.form_errors.append(error)
    return render_template(
        "imports/preview.html",
        centre=centre,
        upload=upload,
        form=form,
        mapping=mapping,
        checked=checked,
        problems=[r for r in checked.rows if r.errors or r.notes][:SHOWN_PROBLEMS],
        good=[r for r in checked.good if not r.notes][:SHOWN_GOOD],
        shown_problems=SHOWN_PROBLEMS,
    )


@bp.route("/zentren/<slug>/import", methods=["GET", "POST"])
@login_required
def upload(slug: str):
    centre = managed_centre(slug)
    form = UploadForm()
    if form.validate_on_submit():
        try:
            limit = current_app.config["IMPORT_MAX_BYTES"]
            upload = services.read_upload(
                centre,
                form.kind.data,
                form.file.data.read(limit + 1),
                form.file.data.filename or "",
                form.locale.data,
            )
            token = services.seal(upload)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            mapping = guess_mapping(upload.kind, upload.table.header)
            return _mapping_page(centre, upload, token, mapping)
    return _upload_page(centre, form, 400 if form.errors or form.form_errors else 200)


def _sealed(centre, form):
    """The upload and mapping of a posted mapping form, or a redirect to start again."""
    if not form.validate_on_submit():
        flash(_("The upload is not valid. Please upload the file again."), "error")
        return None, redirect(url_for(".upload", slug=centre.slug))
    try:
        return services.unseal(form.token.data, centre), None
    except DomainError as exc:
        flash(exc.message, "error")
        return None, redirect(url_for(".upload", slug=centre.slug))


@bp.post("/zentren/<slug>/import/vorschau")
@login_required
def preview(slug: str):
    centre = managed_centre(slug)
    form = MappingForm()
    upload, back = _sealed(centre, form)
    if back:
        return back
    mapping = list(form.columns.data)
    try:
        checked = services.check_upload(centre, upload, mapping)
    except DomainError as exc:
        return _mapping_page(centre, upload, form.token.data, mapping, exc.message), 400
    return _preview_page(centre, upload, form.token.data, mapping, checked)


@bp.post("/zentren/<slug>/import/uebernehmen")
@login_required
def confirm(slug: str):
    centre = managed_centre(slug)
    form = MappingForm()
    upload, back = _sealed(centre, form)
    if back:
        return back
    mapping = list(form.columns.data)
    try:
        result = services.confirm_import(centre, form.token.data, mapping, actor=current_user)
    except DomainError as exc:
        try:
            checked = services.check_upload(centre, upload, mapping)
        except DomainError:
            flash(exc.message, "error")
            return redirect(url_for(".upload", slug=centre.slug))
        return _preview_page(centre, upload, form.token.data, mapping, checked, exc.message), 409
    if upload.kind == "volunteers":
        message = ngettext(
            "%(num)d person invited by e-mail.", "%(num)d people invited by e-mail.", result.written
        )
    else:
        message = _(
            "%(activities)d new activities and %(dates)d dates imported.",
            activities=result.activities,
            dates=result.dates,
        )
    if result.skipped:
        message += " " + ngettext(
            "%(num)d row with problems was left out.",
            "%(num)d rows with problems were left out.",
            result.skipped,
        )
    flash(message, "success")
    return redirect(url_for(".upload", slug=centre.slug))


@bp.post("/zentren/<slug>/import/einladungen/<int:invitation_id>/zurueckziehen")
@login_required
def withdraw(slug: str, invitation_id: int):
    centre = managed_centre(slug)
    if ActionForm().validate_on_submit():
        services.withdraw_invitation(centre, invitation_id, actor=current_user)
        flash(_("The invitation has been withdrawn; name and address are deleted."), "success")
    return redirect(url_for(".upload", slug=centre.slug, _anchor="invitations"))


@bp.get("/zentren/<slug>/angebote.csv")
@login_required
def export_activities(slug: str):
    centre = managed_centre(slug)
    filename = f"angebote-{centre.slug}-{today().isoformat()}.csv"
    return Response(
        activities_csv(queries.export_rows(centre)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# --- The invited person -----------------------------------------------------------------------


def _refused(text: str, code: int):
    return render_template("imports/refused.html", text=text), code


@bp.route("/einladung/mitmachen/<token>", methods=["GET", "POST"])
def accept(token: str):
    try:
        invitation = invitations.check_invitation(token)
    except InvalidToken as exc:
        return _refused(exc.message, 404)
    if current_user.is_authenticated:
        return _accept_as_user(token, invitation)
    if user_by_email(invitation.email) is not None:
        flash(str(invitations.LOG_IN_FIRST), "info")
        return redirect(url_for("accounts.login", next=url_for(".accept", token=token)))
    form = AcceptForm(name=invitation.name)
    if form.validate_on_submit():
        try:
            user = invitations.accept_with_new_account(
                token, name=form.name.data, password=form.password.data, locale=str(get_locale())
            )
        except InvalidToken as exc:
            return _refused(exc.message, 410)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            start_session(user, second_factor_done=False)
            flash(str(invitations.WELCOME), "success")
            return redirect(url_for("volunteers.edit_profile"))
    return render_template("imports/accept.html", invitation=invitation, form=form)


def _accept_as_user(token: str, invitation):
    if current_user.email.lower() != invitation.email.lower():
        return _refused(str(invitations.OTHER_ADDRESS), 403)
    form = ActionForm()
    if form.validate_on_submit():
        try:
            centre = invitations.accept_as_user(token, actor=current_user)
        except DomainError as exc:
            return _refused(exc.message, 410)
        flash(invitations.joined(centre), "success")
        return redirect(url_for("volunteers.edit_profile"))
    return render_template("imports/accept.html", invitation=invitation, form=form)
