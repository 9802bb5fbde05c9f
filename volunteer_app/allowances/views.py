"""Allowances: the coordinators' page per volunteer (record, cancel, correct, statement)
and the volunteer's own statements."""

from __future__ import annotations

from babel.numbers import format_currency as babel_currency
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from volunteer_app.allowances import queries, services
from volunteer_app.allowances.forms import CancelForm, CorrectionForm, PaymentForm
from volunteer_app.allowances.limits import GERMAN_NAMES, LAW, euros, kind_label
from volunteer_app.centres.access import managed_centre
from volunteer_app.centres.queries import managed_centre_ids, today
from volunteer_app.common.errors import DomainError
from volunteer_app.common.forms import apply_domain_error
from volunteer_app.coordination.queries import volunteer_for_checks

bp = Blueprint("allowances", __name__)

PERSON = "/zentren/<slug>/ehrenamtliche/<int:user_id>/pauschalen"


@bp.app_template_filter("euro")
def euro(cents: int) -> str:
    """Euro cents in the page's language (``960,00 €``)."""
    return services.money(cents)


@bp.app_template_filter("euro_de")
def euro_de(cents: int) -> str:
    """Euro cents on the German statement."""
    return babel_currency(euros(cents), "EUR", locale="de")


@bp.app_template_global("allowance_kind")
def allowance_kind(kind: str) -> str:
    return kind_label(kind)


def _year() -> int:
    year = request.args.get("jahr", type=int)
    this_year = today().year
    return year if year and services.earliest_year() <= year <= this_year else this_year


def _kept_year(year: int) -> int:
    """A year in a URL: one whose payments are still kept, else "not found"."""
    if not services.earliest_year() <= year <= today().year:
        abort(404)
    return year


def _centre_and_person(slug: str, user_id: int):
    centre = managed_centre(slug)
    return centre, volunteer_for_checks(user_id, actor=current_user) or abort(404)


def _person_page(centre, person, year: int, form=None, cancel_form=None):
    data = None
    if centre.operator is not None:
        data = queries.person_year(
            person.id, centre.operator, year,
            shown_centres=managed_centre_ids(current_user), this_year=today().year,
        )  # fmt: skip
    form = form or PaymentForm(formdata=None, data={"paid_on": today(), "kind": "ehrenamt"})
    return render_template(
        "allowances/person.html", centre=centre, person=person, year=year, data=data,
        form=form, cancel_form=cancel_form or CancelForm(formdata=None), law=LAW,
        earliest=services.earliest_year(),
    )  # fmt: skip


@bp.get(PERSON)
@login_required
def person(slug: str, user_id: int):
    centre, person = _centre_and_person(slug, user_id)
    return _person_page(centre, person, _year())


def _recorded_message(payment) -> str:
    totals = queries.year_cents(payment.volunteer_id, payment.operator_id, payment.paid_on.year)
    line = queries.kind_sums(totals, payment.paid_on.year)
    line = next(s for s in line if s.kind == payment.kind)
    return _(
        "The payment has been recorded. %(year)s so far: %(total)s of %(limit)s (%(kind)s).",
        year=payment.paid_on.year, total=euro(line.paid_cents), limit=euro(line.limit_cents),
        kind=kind_label(payment.kind),
    )  # fmt: skip


@bp.post(PERSON)
@login_required
def record(slug: str, user_id: int):
    centre, person = _centre_and_person(slug, user_id)
    form = PaymentForm()
    if form.validate_on_submit():
        try:
            payment = services.record_payment(
                centre, person.id, **form.payment_data(), actor=current_user
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            flash(_recorded_message(payment), "success")
            year = payment.paid_on.year
            return redirect(url_for(".person", slug=slug, user_id=person.id, jahr=year))
    year = form.paid_on.data.year if form.paid_on.data else None
    if year is None or not services.earliest_year() <= year <= today().year:
        year = _year()  # a refused day far off: show this year's figures beside the form
    return _person_page(centre, person, year, form=form)


@bp.route(PERSON + "/<int:payment_id>/korrigieren", methods=["GET", "POST"])
@login_required
def correct(slug: str, user_id: int, payment_id: int):
    centre, person = _centre_and_person(slug, user_id)
    old = queries.centre_payment(payment_id, centre.id, person.id) or abort(404)
    if old.is_cancelled:
        flash(_("This payment has been cancelled already."), "error")
        return redirect(url_for(".person", slug=slug, user_id=person.id, jahr=old.paid_on.year))
    amount = f"{euros(old.amount_cents)}".replace(".", ",")
    data = {"paid_on": old.paid_on, "kind": old.kind, "amount": amount, "note": old.note}
    form = CorrectionForm(data=data)
    if form.validate_on_submit():
        try:
            payment = services.correct_payment(
                centre, old.id, person.id, **form.payment_data(), reason=form.reason.data,
                actor=current_user,
            )  # fmt: skip
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            flash(_recorded_message(payment), "success")
            year = payment.paid_on.year
            return redirect(url_for(".person", slug=slug, user_id=person.id, jahr=year))
    return render_template(
        "allowances/correct.html", centre=centre, person=person, old=old, form=form
    )


@bp.post(PERSON + "/<int:payment_id>/stornieren")
@login_required
def cancel(slug: str, user_id: int, payment_id: int):
    centre, person = _centre_and_person(slug, user_id)
    old = queries.centre_payment(payment_id, centre.id, person.id) or abort(404)
    form = CancelForm()
    if form.validate_on_submit():
        try:
            services.cancel_payment(
                centre, old.id, person.id, reason=form.reason.data, actor=current_user
            )
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            flash(
                _("The payment has been cancelled. It stays in the list, crossed out."), "success"
            )
    else:
        flash(_("Please say why the payment is cancelled."), "error")
    return redirect(url_for(".person", slug=slug, user_id=person.id, jahr=old.paid_on.year))


@bp.get(PERSON + "/<int:year>/bescheinigung")
@login_required
def statement(slug: str, user_id: int, year: int):
    centre, person = _centre_and_person(slug, user_id)
    if centre.operator is None:
        abort(404)
    year = _kept_year(year)
    found = queries.statement(
        person.id, centre.operator, year, shown_centres=managed_centre_ids(current_user)
    ) or abort(404)
    back = url_for(".person", slug=slug, user_id=person.id, jahr=year)
    return render_template(
        "allowances/statement.html", statement=found, back=back, centre=centre, staff=True,
        law=LAW, german=GERMAN_NAMES, issued=today(),
    )  # fmt: skip


# --- The volunteer's own ---------------------------------------------------------------------


@bp.get("/mein-engagement/pauschalen")
@login_required
def mine():
    return render_template("allowances/mine.html", years=queries.own_years(current_user.id))


@bp.get("/mein-engagement/pauschalen/<int:operator_id>/<int:year>")
@login_required
def my_statement(operator_id: int, year: int):
    year = _kept_year(year)
    operator = queries.own_operator(current_user.id, operator_id) or abort(404)
    found = queries.statement(current_user.id, operator, year) or abort(404)
    return render_template(
        "allowances/statement.html", statement=found, back=url_for(".mine"), staff=False,
        law=LAW, german=GERMAN_NAMES, issued=today(),
    )  # fmt: skip
