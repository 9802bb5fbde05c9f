"""Centre pages: public overview and detail, the coordinators' area, accepting invitations."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required

from volunteer_app.accounts.auth import role_required, start_session
from volunteer_app.centres import queries, services
from volunteer_app.centres.access import managed_centre as _managed_centre
from volunteer_app.centres.forms import (
    AcceptInvitationForm,
    CentreForm,
    CentreSettingsForm,
    ClosingDayForm,
    RemoveClosingDayForm,
)
from volunteer_app.common.errors import DomainError, InvalidToken, NotFound
from volunteer_app.common.forms import ActionForm, apply_domain_error
from volunteer_app.db import utcnow
from volunteer_app.partners import queries as partners_queries
from volunteer_app.programme import embed
from volunteer_app.programme import queries as programme_queries
from volunteer_app.programme.forms import ProgrammeArgs
from volunteer_app.programme.weeks import berlin_today
from volunteer_app.revisions.conditional import public_page
from volunteer_app.wishes import queries as wishes_queries

# No url_prefix: the invitation link lives at /einladung/…, beside /zentren/….
bp = Blueprint("centres", __name__)


def _centre_form(centre, **kwargs):
    if current_user.is_admin:
        return CentreSettingsForm(obj=centre, operators=queries.operators(), **kwargs)
    return CentreForm(obj=centre, **kwargs)


def _render_edit(centre, form, day_form):
    closing_days = queries.upcoming_closing_days(centre, queries.today())
    return render_template(
        "centres/edit.html",
        centre=centre,
        form=form,
        day_form=day_form,
        closures=queries.closure_ranges(closing_days),
        remove_form=RemoveClosingDayForm(formdata=None),
        embed_code=embed.codes(centre, request.args.get("sprache")),
    )


@bp.get("/zentren/")
def list_centres():
    now = utcnow()
    page = programme_queries.centres_with_programme(now, request.args.get("seite", 1, type=int))
    return render_template(
        "centres/list.html", centres=page.items, page=page, today=berlin_today(now)
    )


@bp.get("/zentren/<slug>")
@public_page
def show_centre(slug: str):
    """The centre's public page: the families' programme week by week, then the centre."""
    centre = queries.centre_by_slug(slug) or abort(404)
    args = ProgrammeArgs.from_args(request.args)
    now = utcnow()
    closing_days = queries.upcoming_closing_days(centre, berlin_today(now))
    programme = programme_queries.centre_programme(
        centre,
        requested=args.start,
        category_ids=args.category_ids,
        now=now,
        closing_days=closing_days,
    )
    return render_template(
        "centres/show.html",
        centre=centre,
        programme=programme,
        closures=queries.closure_ranges(closing_days),
        public_partners=partners_queries.public_partners_of(centre),
        realised_wishes=wishes_queries.realised_wishes(centre.id),
        can_edit=queries.can_manage(current_user, centre),
    )


@bp.get("/meine-zentren")
@role_required("coordinator", "admin")
def my_centres():
    return render_template("centres/my_centres.html", centres=queries.managed_centres(current_user))


@bp.route("/zentren/<slug>/bearbeiten", methods=["GET", "POST"])
@login_required
def edit_centre(slug: str):
    centre = _managed_centre(slug)
    form = _centre_form(centre)
    if form.validate_on_submit():
        try:
            centre = services.update_centre(centre, form.centre_data(), actor=current_user)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            flash(_("The centre has been saved."), "success")
            return redirect(url_for(".edit_centre", slug=centre.slug))
    return _render_edit(centre, form, ClosingDayForm(formdata=None))


@bp.post("/zentren/<slug>/schliesstage")
@login_required
def add_closing_day(slug: str):
    """A closing day or range: saved at once when it cancels nothing, else a preview of what
    it cancels first, whose confirmation comes back here (``confirm=1``)."""
    centre = _managed_centre(slug)
    day_form = ClosingDayForm()
    if day_form.validate_on_submit():
        try:
            if not day_form.confirmed:
                plan = services.plan_closure(centre, actor=current_user, **day_form.closure_data())
                if not plan.impact.is_empty:
                    day_form.cancel_bookings.data = True
                    return render_template(
                        "centres/closure_preview.html", centre=centre, form=day_form, plan=plan
                    )
            result = services.add_closure(
                centre,
                actor=current_user,
                cancel=day_form.confirmed,
                cancel_bookings=day_form.confirmed and day_form.cancel_bookings.data,
                **day_form.closure_data(),
            )
        except DomainError as exc:
            apply_domain_error(day_form, exc)
        else:
            flash(_closure_message(result), "success")
            return redirect(url_for(".edit_centre", slug=slug, _anchor="closing-days"))
    return _render_edit(centre, _centre_form(centre, formdata=None), day_form)


def _closure_message(result) -> str:
    text = ngettext(
        "%(num)d closing day has been added.",
        "%(num)d closing days have been added.",
        result.days,
    )
    if result.slots:
        text += " " + ngettext(
            "%(num)d date has been cancelled.",
            "%(num)d dates have been cancelled.",
            result.slots,
        )
    if result.told:
        text += " " + ngettext(
            "%(num)d person signed up has been told.",
            "%(num)d people signed up have been told.",
            result.told,
        )
    if result.bookings:
        text += " " + ngettext(
            "%(num)d room booking has been cancelled.",
            "%(num)d room bookings have been cancelled.",
            result.bookings,
        )
    return text


@bp.post("/zentren/<slug>/schliesstage/<int:day_id>/entfernen")
@login_required
def remove_closing_day(slug: str, day_id: int):
    centre = _managed_centre(slug)
    form = RemoveClosingDayForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        removed = services.remove_closing_day(
            centre, day_id, actor=current_user, scope=form.scope.data or "day"
        )
    except NotFound:
        abort(404)
    except DomainError:
        abort(400)
    flash(
        ngettext(
            "%(num)d closing day has been removed.",
            "%(num)d closing days have been removed.",
            removed,
        ),
        "success",
    )
    return redirect(url_for(".edit_centre", slug=slug, _anchor="closing-days"))


# --- Accepting an invitation --------------------------------------------------------------


def _invitation_refused(text: str, code: int = 410):
    return render_template("centres/invitation_refused.html", text=text), code


@bp.route("/einladung/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    invitation = queries.invitation_by_token(token)
    try:
        services.check_invitation(invitation)
    except InvalidToken as exc:
        return _invitation_refused(exc.message, 404 if invitation is None else 410)
    account = queries.user_by_email(invitation.email)
    if account is None:
        return _accept_with_new_account(token, invitation)
    if not current_user.is_authenticated:
        flash(_("Please log in with the account the invitation was sent to."), "info")
        return redirect(url_for("accounts.login", next=request.path))
    if current_user.id != account.id:
        return _invitation_refused(
            _(
                "This invitation was sent to a different e-mail address. Please log out and "
                "log in with the account it was sent to."
            ),
            403,
        )
    return _accept_as_current_user(token, invitation)


def _accept_with_new_account(token: str, invitation):
    form = AcceptInvitationForm(name=invitation.name)
    form.account_email = invitation.email
    if form.validate_on_submit():
        try:
            user = services.accept_invitation_new_account(
                token, name=form.name.data, password=form.password.data, locale=str(get_locale())
            )
        except InvalidToken as exc:
            return _invitation_refused(exc.message)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            start_session(user, second_factor_done=False)
            flash(_("Welcome! Please set up the second factor for your account now."), "success")
            return redirect(url_for("accounts.totp_setup"))
    return render_template("centres/accept_invitation.html", invitation=invitation, form=form)


def _accept_as_current_user(token: str, invitation):
    form = ActionForm()
    if form.validate_on_submit():
        promoted = current_user.role == "volunteer"
        try:
            centre = services.accept_invitation(token, actor=current_user)
        except DomainError as exc:
            return _invitation_refused(exc.message)
        if promoted:
            # New rights, new session; the second factor is asked for (or set up) next.
            start_session(queries.user_by_email(invitation.email), second_factor_done=False)
        flash(_("You now coordinate %(centre)s.", centre=centre.name), "success")
        return redirect(url_for(".my_centres"))
    return render_template("centres/accept_invitation.html", invitation=invitation, form=form)
