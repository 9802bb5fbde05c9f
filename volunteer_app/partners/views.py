"""Coordinators' pages of the partner directory: per centre (with internal notes) and
across an operator's centres (public columns only)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from volunteer_app.centres.access import managed_centre as _managed_centre
from volunteer_app.common.errors import DomainError, NotFound
from volunteer_app.common.forms import ActionForm, apply_domain_error
from volunteer_app.partners import queries, services
from volunteer_app.partners.forms import PartnerForm
from volunteer_app.partners.models import KINDS

bp = Blueprint("partners", __name__)
bp.add_app_template_global(queries.kind_label, "partner_kind_label")
bp.add_app_template_global(queries.language_names, "language_names")
bp.add_app_template_global(queries.kind_heading, "partner_kind_heading")


def _kind_arg() -> str | None:
    kind = request.args.get("art")
    return kind if kind in KINDS else None


@bp.get("/zentren/<slug>/partner/")
@login_required
def list_partners(slug: str):
    centre, kind = _managed_centre(slug), _kind_arg()
    partners = queries.partners_of(centre, kind)
    return render_template(
        "partners/list.html", centre=centre, kind=kind, kinds=KINDS,
        groups=queries.group_by_kind(partners), count=len(partners),
    )  # fmt: skip


@bp.get("/partner/")
@login_required
def network():
    if not current_user.is_staff:
        abort(403)
    kind = _kind_arg()
    partners = queries.network_partners(queries.network_centre_ids(current_user), kind)
    return render_template(
        "partners/network.html", kind=kind, kinds=KINDS,
        groups=queries.group_by_kind(partners), count=len(partners),
    )  # fmt: skip


@bp.route("/zentren/<slug>/partner/neu", methods=["GET", "POST"])
@login_required
def create_partner(slug: str):
    centre = _managed_centre(slug)
    form = PartnerForm()
    if form.validate_on_submit():
        try:
            partner = services.create_partner(centre, form.partner_data(), actor=current_user)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            flash(_("%(name)s has been added to the partners.", name=partner.name), "success")
            return redirect(url_for(".list_partners", slug=slug))
    return render_template("partners/form.html", centre=centre, form=form, partner=None)


@bp.route("/zentren/<slug>/partner/<int:partner_id>/bearbeiten", methods=["GET", "POST"])
@login_required
def edit_partner(slug: str, partner_id: int):
    centre = _managed_centre(slug)
    partner = queries.partner_in_centre(centre, partner_id) or abort(404)
    form = PartnerForm(obj=partner)
    if form.validate_on_submit():
        try:
            services.update_partner(centre, partner.id, form.partner_data(), actor=current_user)
        except NotFound:
            abort(404)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            flash(_("The partner has been saved."), "success")
            return redirect(url_for(".list_partners", slug=slug))
    return render_template("partners/form.html", centre=centre, form=form, partner=partner)


@bp.route("/zentren/<slug>/partner/<int:partner_id>/entfernen", methods=["GET", "POST"])
@login_required
def delete_partner(slug: str, partner_id: int):
    centre = _managed_centre(slug)
    partner = queries.partner_in_centre(centre, partner_id) or abort(404)
    form = ActionForm()
    if form.validate_on_submit():
        try:
            services.delete_partner(centre, partner.id, actor=current_user)
        except NotFound:
            abort(404)
        flash(_("%(name)s has been removed from the partners.", name=partner.name), "success")
        return redirect(url_for(".list_partners", slug=slug))
    return render_template("partners/delete.html", centre=centre, partner=partner, form=form)
