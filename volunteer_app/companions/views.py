"""Families who volunteer together: who comes along on a date, the link an adult companion
gets, and the family page where a parent and their child link their accounts."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from volunteer_app.common.errors import DomainError, NotFound
from volunteer_app.common.forms import apply_domain_error
from volunteer_app.common.urls import safe_next
from volunteer_app.companions import queries, services
from volunteer_app.companions.forms import (
    ActionForm,
    AskLinkForm,
    CompanionsForm,
    ConfirmLinkForm,
)

bp = Blueprint("companions", __name__)


def _first_error(form) -> str:
    for errors in form.errors.values():
        for error in errors:
            return str(error)
    return _("Please check your input.")


def _to_slot(slot_id: int):
    return redirect(url_for("signups.show_slot", slot_id=slot_id, _anchor="companions"))


@bp.post("/termine/<int:slot_id>/begleitung")
@login_required
def update(slot_id: int):
    form = CompanionsForm()
    if not form.validate_on_submit():
        flash(_first_error(form), "error")
        return _to_slot(slot_id)
    try:
        invited = services.update_companions(
            slot_id, form.children.data or 0, form.email.data or "", actor=current_user
        )
    except NotFound:
        abort(404)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        if invited:
            flash(_("Saved. We have sent %(email)s a link to this date.", email=invited), "success")
        else:
            flash(_("Saved."), "success")
    return _to_slot(slot_id)


@bp.get("/begleitung/<token>")
def invitation(token: str):
    found = queries.invitation(token) or abort(404)
    return render_template("companions/invitation.html", invitation=found, token=token)


@bp.get("/konto/familie")
@login_required
def family():
    return _family_page()


def _family_page(ask_form=None, confirm_forms=None, status: int = 200):
    page = queries.family_page(current_user)
    confirm_forms = confirm_forms or {}
    return render_template(
        "companions/family.html",
        page=page,
        ask_form=ask_form or AskLinkForm(formdata=None),
        confirm_forms={
            link.id: confirm_forms.get(link.id) or ConfirmLinkForm(formdata=None)
            for link in page.as_child
        },
        action_form=ActionForm(formdata=None),
        link_days=current_app.config["RETENTION_LINK_DAYS"],
    ), status


@bp.post("/konto/familie/verknuepfen")
@login_required
def ask_link():
    form = AskLinkForm()
    if form.validate_on_submit():
        try:
            services.ask_link(form.email.data, actor=current_user)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            flash(
                _(
                    "Thank you. If your child has an account with this address, they now find "
                    "your request in their account and can confirm it there."
                ),
                "success",
            )
            return redirect(url_for(".family"))
    return _family_page(ask_form=form, status=400)


@bp.post("/konto/familie/<int:link_id>/bestaetigen")
@login_required
def confirm_link(link_id: int):
    form = ConfirmLinkForm()
    if form.validate_on_submit():
        try:
            services.confirm_link(link_id, form.birth_year.data, actor=current_user)
        except NotFound:
            abort(404)
        except DomainError as exc:
            if exc.field is None:
                flash(exc.message, "error")
                return redirect(url_for(".family"))
            apply_domain_error(form, exc)
        else:
            flash(_("The link is confirmed."), "success")
            return redirect(url_for(".family"))
    return _family_page(confirm_forms={link_id: form}, status=400)


@bp.post("/konto/familie/<int:link_id>/loesen")
@login_required
def unlink(link_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        services.unlink(link_id, actor=current_user)
    except NotFound:
        abort(404)
    flash(_("The link has been removed."), "success")
    return redirect(url_for(".family"))


@bp.post("/termine/<int:slot_id>/kind/<int:child_id>/anmelden")
@login_required
def sign_up_child(slot_id: int, child_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        services.sign_up_child(slot_id, child_id, actor=current_user)
    except NotFound:
        abort(404)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(_("Your child is signed up. They get the confirmation by e-mail."), "success")
    return _to_slot(slot_id)


@bp.post("/konto/familie/anmeldungen/<int:signup_id>/absagen")
@login_required
def cancel_child(signup_id: int):
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.cancel_child_signup(signup_id, actor=current_user)
    except NotFound:
        abort(404)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(_("Your child's sign-up has been cancelled. They get a confirmation."), "success")
    return redirect(safe_next(form.next.data, url_for(".family")))
