"""Routes of reports: a volunteer's hours and certificates, their sign-off, centre reports."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from babel import dates as babel_dates
from babel import numbers as babel_numbers
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from volunteer_app.centres.access import managed_centre as _managed_centre
from volunteer_app.centres.queries import today
from volunteer_app.common.errors import Conflict, DomainError
from volunteer_app.common.forms import ActionForm, apply_domain_error
from volunteer_app.common.time import to_berlin
from volunteer_app.db import utcnow
from volunteer_app.reports import export, plan, queries, services
from volunteer_app.reports.forms import CertificateRequestForm, SignForm

bp = Blueprint("reports", __name__)
# Hours and counts in the reader's locale ("12,5" in German), no trailing zeros.
bp.add_app_template_filter(lambda value: format_decimal(value or 0, format="0.##"), "report_number")


@bp.app_template_filter("cert_date")
def cert_date(value, style: str = "long") -> str:
    """A date on the certificate, always German (the document is German, like the letter)."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime):
        value = to_berlin(value).date()
    return babel_dates.format_date(
        value, "d. MMMM y" if style == "long" else "dd.MM.y", locale="de"
    )


@bp.app_template_filter("cert_number")
def cert_number(value) -> str:
    return babel_numbers.format_decimal(Decimal(str(value or 0)), format="0.##", locale="de")


YEARS_OFFERED = 4


def _day(name: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def _period() -> tuple[dt.date, dt.date, bool]:
    """The period of the page from ``?jahr=`` or ``?von=&bis=`` (default: this year so far);
    the flag says whether the arguments had to be replaced."""
    now = today()
    first, last = _day("von"), _day("bis")
    year = request.args.get("jahr", "")
    if year.isdigit() and 2000 <= int(year) <= now.year:
        return dt.date(int(year), 1, 1), dt.date(int(year), 12, 31), False
    if first and last:
        try:
            return (*services.check_period(first, last), False)
        except DomainError:
            pass
    bad = bool(request.args.get("von") or request.args.get("bis") or year)
    return dt.date(now.year, 1, 1), now, bad


def _years() -> list[int]:
    return [today().year - n for n in range(YEARS_OFFERED)]


# --- A volunteer's hours and certificates ---------------------------------------------------


def _render_hours(form, first, last, bad=False):
    if bad:
        flash(_("The period was not valid, so this year is shown."), "warning")
    return render_template(
        "reports/my_hours.html", hours=queries.volunteer_hours(current_user.id, first, last),
        first=first, last=last, years=_years(), form=form,
        certificates=queries.certificates_of(current_user.id), confirm_form=ActionForm(formdata=None),
    )  # fmt: skip


@bp.get("/mein-engagement/stunden")
@login_required
def my_hours():
    first, last, bad = _period()
    centres = queries.centres_with_hours(current_user.id)
    data = {"period_start": first, "period_end": min(last, today())}
    form = CertificateRequestForm(formdata=None, data=data, centres=centres)
    return _render_hours(form, first, last, bad)


@bp.post("/mein-engagement/nachweise")
@login_required
def request_certificate():
    centres = queries.centres_with_hours(current_user.id)
    form = CertificateRequestForm(centres=centres)
    if form.validate_on_submit():
        centre = next(c for c in centres if c.id == form.centre_id.data)
        try:
            services.request_certificate(
                centre, form.period_start.data, form.period_end.data, actor=current_user
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            flash(
                _("Your request has been sent. A coordinator of the centre signs it off."),
                "success",
            )
            year = form.period_start.data.year
            return redirect(url_for(".my_hours", jahr=year, _anchor="certificates"))
    return _render_hours(form, dt.date(today().year, 1, 1), today())


def _own_certificate(certificate_id: int):
    return queries.own_certificate(current_user.id, certificate_id) or abort(404)


@bp.get("/mein-engagement/nachweise/<int:certificate_id>")
@login_required
def my_certificate(certificate_id: int):
    cert = _own_certificate(certificate_id)
    return render_template(
        "reports/certificate.html", cert=cert, person=current_user, centre=cert.centre,
        back=url_for(".my_hours", _anchor="certificates"),
    )  # fmt: skip


@bp.post("/mein-engagement/nachweise/<int:certificate_id>/zurueckziehen")
@login_required
def withdraw_certificate(certificate_id: int):
    cert = _own_certificate(certificate_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        services.withdraw_certificate(cert, actor=current_user)
    except Conflict as exc:
        flash(exc.message, "error")
    else:
        flash(_("Your request has been withdrawn."), "success")
    return redirect(url_for(".my_hours", _anchor="certificates"))


# --- Coordinators: sign-off -----------------------------------------------------------------


@bp.get("/zentren/<slug>/nachweise")
@login_required
def centre_certificates(slug: str):
    centre = _managed_centre(slug)
    return render_template(
        "reports/centre_certificates.html", centre=centre,
        certificates=queries.centre_certificates(centre.id),
    )  # fmt: skip


@bp.route("/zentren/<slug>/nachweise/<int:certificate_id>", methods=["GET", "POST"])
@login_required
def sign_certificate(slug: str, certificate_id: int):
    centre = _managed_centre(slug)
    cert = queries.certificate_in_centre(centre, certificate_id) or abort(404)
    form = SignForm(data={"signer_name": current_user.name, "signed_on": today()})
    if not cert.is_signed and form.validate_on_submit():
        try:
            services.sign_certificate(
                cert, form.signer_name.data, form.signed_on.data, actor=current_user
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            flash(_("The certificate has been signed. It can be printed now."), "success")
            return redirect(url_for(".sign_certificate", slug=slug, certificate_id=cert.id))
    lines = [] if cert.is_signed else queries.certificate_lines(
        cert.volunteer_id, centre.id, cert.period_start, cert.period_end
    )  # fmt: skip
    return render_template(
        "reports/certificate.html", cert=cert, person=cert.volunteer, centre=centre, form=form,
        lines=lines, back=url_for(".centre_certificates", slug=slug),
    )  # fmt: skip


# --- The written plan (Helferplan) -----------------------------------------------------------

PLAN_YEARS = 10  # how far back and ahead a week may be asked for


def _plan_week() -> tuple[dt.date, bool]:
    """The Monday of ``?woche=`` (any day of the week; default: this week); the flag says
    whether the argument had to be replaced."""
    now, given = today(), request.args.get("woche", "")
    day = _day("woche")
    if day is None or abs(day.year - now.year) > PLAN_YEARS:
        return plan.week_start(now), bool(given)
    return plan.week_start(day), False


@bp.get("/zentren/<slug>/helferplan")
@login_required
def helferplan(slug: str):
    centre = _managed_centre(slug)
    monday, bad = _plan_week()
    if bad:
        flash(_("The week was not valid, so this week is shown."), "warning")
    return render_template(
        "reports/helferplan.html", centre=centre, today=today(), printed_at=utcnow(),
        plan=queries.helferplan(centre, monday, str(get_locale())),
    )  # fmt: skip


# --- Reports --------------------------------------------------------------------------------


def _report_page(report, scope: dict, csv_endpoint: str, bad: bool):
    if bad:
        flash(_("The period was not valid, so this year is shown."), "warning")
    return render_template(
        "reports/report.html", report=report, scope=scope, years=_years(), csv_endpoint=csv_endpoint
    )


def _csv(report, name: str) -> Response:
    filename = f"bericht-{name}-{report.first.isoformat()}-{report.last.isoformat()}.csv"
    return Response(
        export.report_csv(report),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/zentren/<slug>/bericht")
@login_required
def centre_report(slug: str):
    centre = _managed_centre(slug)
    first, last, bad = _period()
    report = queries.build_report([centre], first, last)
    return _report_page(report, {"slug": slug, "centre": centre}, "reports.centre_report_csv", bad)


@bp.get("/zentren/<slug>/bericht.csv")
@login_required
def centre_report_csv(slug: str):
    centre = _managed_centre(slug)
    first, last, _bad = _period()
    return _csv(queries.build_report([centre], first, last), centre.slug)


def _operator_centres(operator_id: int):
    operator = queries.operator_by_id(operator_id) or abort(404)
    if not current_user.is_staff:
        abort(403)
    centres = queries.operator_centres(operator, current_user)
    if not centres and not current_user.is_admin:
        abort(403)
    return operator, centres


@bp.get("/traeger/<int:operator_id>/bericht")
@login_required
def operator_report(operator_id: int):
    operator, centres = _operator_centres(operator_id)
    first, last, bad = _period()
    report = queries.build_report(centres, first, last)
    scope = {"operator_id": operator.id, "operator": operator}
    return _report_page(report, scope, "reports.operator_report_csv", bad)


@bp.get("/traeger/<int:operator_id>/bericht.csv")
@login_required
def operator_report_csv(operator_id: int):
    operator, centres = _operator_centres(operator_id)
    first, last, _bad = _period()
    return _csv(queries.build_report(centres, first, last), f"traeger-{operator.id}")
