"""Administration: centres, operators (Träger), coordinator invitations. Admins only."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from volunteer_app.accounts.auth import role_required
from volunteer_app.admin import queries, services
from volunteer_app.admin.forms import InvitationForm, OperatorForm
from volunteer_app.centres import queries as centre_queries
from volunteer_app.centres import services as centre_services
from volunteer_app.centres.forms import CentreSettingsForm
from volunteer_app.common.errors import DomainError, NotFound
from volunteer_app.common.forms import ActionForm, apply_domain_error
from volunteer_app.common.urls import safe_next
from volunteer_app.db import utcnow

bp = Blueprint("admin", __name__, url_prefix="/verwaltung")


@bp.before_request
@role_required("admin")
def _admins_only():
    """Every page here is for admins only: one guard for the whole blueprint, so that no
    route can be forgotten (anonymous people are sent to the login page)."""


def _centre_or_404(slug: str):
    return centre_queries.centre_by_slug(slug) or abort(404)


def _invitation_or_404(invitation_id: int):
    return queries.invitation_by_id(invitation_id) or abort(404)


def _back():
    """Back to the page the button was on (the dashboard or a centre's page)."""
    return redirect(safe_next(request.form.get("next"), url_for(".dashboard")))


@bp.get("/")
def dashboard():
    return render_template(
        "admin/dashboard.html",
        centres=queries.centres_with_coordinator_counts(),
        invitations=queries.open_invitations(),
        operators=queries.operators_with_centre_counts(),
        action_form=ActionForm(formdata=None),
        now=utcnow(),
    )


@bp.route("/traeger-anlegen", methods=["GET", "POST"])
def create_operator():
    form = OperatorForm()
    if form.validate_on_submit():
        try:
            services.create_operator(actor=current_user, name=form.name.data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            flash(_("The operator has been created."), "success")
            return redirect(url_for(".dashboard", _anchor="operators"))
    return render_template("admin/operator_form.html", form=form, operator=None)


@bp.route("/traeger/<int:operator_id>", methods=["GET", "POST"])
def edit_operator(operator_id: int):
    operator = queries.operator_by_id(operator_id) or abort(404)
    form = OperatorForm(obj=operator)
    if form.validate_on_submit():
        try:
            services.update_operator(operator, actor=current_user, name=form.name.data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            flash(_("The operator has been saved."), "success")
            return redirect(url_for(".dashboard", _anchor="operators"))
    return render_template("admin/operator_form.html", form=form, operator=operator)


@bp.route("/zentrum-anlegen", methods=["GET", "POST"])
def create_centre():
    form = CentreSettingsForm(operators=centre_queries.operators())
    if form.validate_on_submit():
        try:
            centre = centre_services.create_centre(form.centre_data(), actor=current_user)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            flash(_("The centre has been created. Now invite its coordinators."), "success")
            return redirect(url_for(".centre_detail", slug=centre.slug))
    return render_template("admin/centre_form.html", form=form)


def _render_centre(centre, invite_form):
    return render_template(
        "admin/centre_detail.html",
        centre=centre,
        coordinators=centre_queries.coordinators_of(centre),
        invitations=queries.open_invitations(centre),
        invite_form=invite_form,
        action_form=ActionForm(formdata=None),
        now=utcnow(),
    )


@bp.get("/zentren/<slug>")
def centre_detail(slug: str):
    return _render_centre(_centre_or_404(slug), InvitationForm(formdata=None))


@bp.post("/zentren/<slug>/einladen")
def invite_coordinator(slug: str):
    centre = _centre_or_404(slug)
    form = InvitationForm()
    if form.validate_on_submit():
        try:
            services.invite_coordinator(
                centre, actor=current_user, email=form.email.data, name=form.name.data
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            flash(_("The invitation has been sent to %(email)s.", email=form.email.data), "success")
            return redirect(url_for(".centre_detail", slug=slug, _anchor="invitations"))
    return _render_centre(centre, form)


@bp.post("/zentren/<slug>/koordination/<int:user_id>/entfernen")
def remove_coordinator(slug: str, user_id: int):
    centre = _centre_or_404(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        services.remove_coordinator(centre, user_id, actor=current_user)
    except NotFound:
        abort(404)
    flash(_("The coordinator has been removed from this centre."), "success")
    return redirect(url_for(".centre_detail", slug=slug))


@bp.post("/einladungen/<int:invitation_id>/erneut-senden")
def resend_invitation(invitation_id: int):
    invitation = _invitation_or_404(invitation_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        services.resend_invitation(invitation, actor=current_user)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(_("A new link has been sent to %(email)s.", email=invitation.email), "success")
    return _back()


@bp.post("/einladungen/<int:invitation_id>/zurueckziehen")
def withdraw_invitation(invitation_id: int):
    invitation = _invitation_or_404(invitation_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        services.withdraw_invitation(invitation, actor=current_user)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(
            _("The invitation to %(email)s has been withdrawn.", email=invitation.email), "success"
        )
    return _back()
