"""Routes of recognition: the volunteer's progress, the centre's overview, the Ehrenamtscard
confirmation letter, the Ehrenamtszertifikat and the card holders."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from volunteer_app.centres.access import managed_centre
from volunteer_app.centres.queries import today
from volunteer_app.common.errors import DomainError
from volunteer_app.common.forms import ActionForm, apply_domain_error
from volunteer_app.coordination.queries import volunteer_for_checks
from volunteer_app.recognition import queries, services
from volunteer_app.recognition.forms import BirthYearForm, CardForm, ZertifikatForm

bp = Blueprint("recognition", __name__)

YEARS_OFFERED = 4


def _year() -> int:
    """The year of ``?jahr=`` (one of the last few), else this year."""
    now = today().year
    year = request.args.get("jahr", type=int)
    return year if year is not None and now - YEARS_OFFERED < year <= now else now


def _years() -> list[int]:
    return [today().year - n for n in range(YEARS_OFFERED)]


# --- The volunteer's own page -------------------------------------------------------------


def _my_page(form=None):
    year = _year()
    progress = queries.my_progress(current_user.id, year, today())
    form = form or BirthYearForm(formdata=None, data={"year": progress.birth_year})
    return render_template(
        "recognition/mine.html", progress=progress, year=year, years=_years(), form=form,
        forget_form=ActionForm(formdata=None), today=today(),
    )  # fmt: skip


@bp.get("/mein-engagement/anerkennung")
@login_required
def my_progress():
    return _my_page()


@bp.post("/mein-engagement/anerkennung/geburtsjahr")
@login_required
def save_birth_year():
    form = BirthYearForm()
    if form.validate_on_submit():
        try:
            services.set_birth_year(form.year.data, actor=current_user)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            flash(_("Your year of birth has been saved."), "success")
            return redirect(url_for(".my_progress"))
    return _my_page(form)


@bp.post("/mein-engagement/anerkennung/geburtsjahr/loeschen")
@login_required
def forget_birth_year():
    if not ActionForm().validate_on_submit():
        abort(400)
    services.forget_birth_year(actor=current_user)
    flash(_("Your year of birth has been deleted."), "success")
    return redirect(url_for(".my_progress"))


@bp.get("/mein-engagement/anerkennung/zertifikate/<int:certificate_id>")
@login_required
def my_certificate(certificate_id: int):
    cert = queries.own_certificate(current_user.id, certificate_id) or abort(404)
    return render_template(
        "recognition/zertifikat.html", cert=cert, back=url_for(".my_progress"), staff=False
    )


# --- Coordinators -------------------------------------------------------------------------


@bp.get("/zentren/<slug>/anerkennung")
@login_required
def centre_overview(slug: str):
    centre = managed_centre(slug)
    year = _year()
    return render_template(
        "recognition/centre.html", centre=centre, year=year, years=_years(),
        lines=queries.centre_overview(centre, year, today()),
        cards=queries.centre_cards(centre, today()), delete_form=ActionForm(formdata=None),
    )  # fmt: skip


def _centre_and_volunteer(slug: str, user_id: int):
    centre = managed_centre(slug)
    return centre, volunteer_for_checks(user_id, actor=current_user) or abort(404)


def _volunteer_page(centre, person, zertifikat_form=None, card_form=None):
    year = _year()
    data = {"signer_name": current_user.name, "signed_on": today(),
            "period_start": today() - dt.timedelta(days=365), "period_end": today()}  # fmt: skip
    return render_template(
        "recognition/volunteer.html", centre=centre, person=person, year=year, years=_years(),
        figures=queries.card_figures(person.id, centre, year, today()),
        certificates=queries.certificates_for(person.id, centre.id),
        zertifikat_form=zertifikat_form or ZertifikatForm(formdata=None, data=data),
        card_form=card_form or CardForm(formdata=None),
    )  # fmt: skip


@bp.get("/zentren/<slug>/anerkennung/<int:user_id>")
@login_required
def volunteer(slug: str, user_id: int):
    return _volunteer_page(*_centre_and_volunteer(slug, user_id))


@bp.get("/zentren/<slug>/anerkennung/<int:user_id>/ehrenamtscard")
@login_required
def card_letter(slug: str, user_id: int):
    centre, person = _centre_and_volunteer(slug, user_id)
    year = _year()
    return render_template(
        "recognition/card_letter.html", centre=centre, person=person, year=year,
        figures=queries.card_figures(person.id, centre, year, today()), today=today(),
    )  # fmt: skip


@bp.post("/zentren/<slug>/anerkennung/<int:user_id>/zertifikate")
@login_required
def sign_zertifikat(slug: str, user_id: int):
    centre, person = _centre_and_volunteer(slug, user_id)
    form = ZertifikatForm()
    if form.validate_on_submit():
        try:
            cert = services.sign_zertifikat(
                centre, person, **form.zertifikat_data(), actor=current_user
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            flash(_("The Ehrenamtszertifikat has been signed. It can be printed now."), "success")
            return redirect(url_for(".zertifikat", slug=slug, certificate_id=cert.id))
    return _volunteer_page(centre, person, zertifikat_form=form)


@bp.get("/zentren/<slug>/anerkennung/zertifikate/<int:certificate_id>")
@login_required
def zertifikat(slug: str, certificate_id: int):
    centre = managed_centre(slug)
    cert = queries.certificate_in_centre(centre.id, certificate_id) or abort(404)
    back = url_for(".volunteer", slug=slug, user_id=cert.volunteer_id)
    return render_template("recognition/zertifikat.html", cert=cert, back=back, staff=True)


@bp.post("/zentren/<slug>/anerkennung/<int:user_id>/ausweise")
@login_required
def record_card(slug: str, user_id: int):
    centre, person = _centre_and_volunteer(slug, user_id)
    form = CardForm()
    if form.validate_on_submit():
        try:
            services.record_card(
                centre, person, kind=form.kind.data, number=form.number.data or "",
                expires_on=form.expires_on.data, actor=current_user,
            )  # fmt: skip
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            flash(_("The card has been recorded."), "success")
            return redirect(url_for(".centre_overview", slug=slug, _anchor="cards"))
    return _volunteer_page(centre, person, card_form=form)


@bp.post("/zentren/<slug>/anerkennung/ausweise/<int:card_id>/loeschen")
@login_required
def delete_card(slug: str, card_id: int):
    centre = managed_centre(slug)
    queries.card_in_centre(centre.id, card_id) or abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        services.delete_card(centre, card_id, actor=current_user)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(_("The card record has been deleted."), "success")
    return redirect(url_for(".centre_overview", slug=slug, _anchor="cards"))
