"""The coordinator desk: dashboard, roster, attendance, exports, checks and audit log."""

from __future__ import annotations

import datetime as dt
import re

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, format_decimal, get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from volunteer_app.audit.queries import centre_log
from volunteer_app.centres.access import managed_centre as _managed_centre
from volunteer_app.centres.queries import can_manage, closures_between, today
from volunteer_app.checkin import services as checkin
from volunteer_app.checkin.services import AttendanceRow
from volunteer_app.checks import services as checks
from volunteer_app.checks.forms import CertificateCheckForm, MeaslesProofForm
from volunteer_app.checks.queries import certificate_status, checks_of
from volunteer_app.common.errors import DomainError, NotFound
from volunteer_app.common.forms import ActionForm, apply_domain_error
from volunteer_app.common.time import to_berlin
from volunteer_app.coordination import fragments, queries
from volunteer_app.coordination.export import roster_csv
from volunteer_app.coordination.forms import AssignForm, AttendanceForm, CapacityForm, SearchForm
from volunteer_app.db import utcnow
from volunteer_app.i18n import berlin_skeleton, berlin_time
from volunteer_app.reports import queries as reports
from volunteer_app.retention import services as retention
from volunteer_app.signups import services as signups
from volunteer_app.wishes import queries as wishes

bp = Blueprint("coordination", __name__)


# --- Loading with permission ------------------------------------------------------------


def _managed_slot(slot_id: int):
    """A slot with activity and centre: 404 if unknown, 403 if not the actor's centre."""
    slot = queries.roster_slot(slot_id) or abort(404)
    if not can_manage(current_user, slot.activity.centre):
        abort(403)
    return slot


def _page_number() -> int:
    return request.args.get("seite", 1, type=int)


# --- Display helpers (no queries) ----------------------------------------------------------


@bp.app_template_filter("slot_day")
def slot_day(value: dt.datetime) -> str:
    """A short Berlin weekday and date in the page's language ("Di., 14. Juli")."""
    return berlin_skeleton("MMMEd", value)


@bp.app_template_filter("slot_hours")
def slot_hours(slot) -> str:
    """Start and end time in Berlin ("15:00–17:00")."""
    return f"{berlin_time(slot.starts_at, 'short')}–{berlin_time(slot.ends_at, 'short')}"


@bp.app_template_filter("tel_href")
def tel_href(phone: str) -> str:
    """A ``tel:`` link: digits and a leading plus only."""
    digits = re.sub(r"[^0-9]", "", phone or "")
    return "tel:" + ("+" if (phone or "").strip().startswith("+") else "") + digits


@bp.app_template_filter("hours")
def hours(value) -> str:
    return "" if value is None else format_decimal(value, format="0.##")


# --- Dashboard ------------------------------------------------------------------------------


@bp.get("/zentren/<slug>/planung")
@login_required
def dashboard(slug: str):
    desk = queries.desk(slug) or abort(404)
    if not can_manage(current_user, desk.centre):
        abort(403)
    now = utcnow()
    day = to_berlin(now).date()
    language = str(get_locale() or "de")
    board = fragments.dashboards.get(
        (desk.centre.id, language),
        (desk.revision.token, day),
        now,
        lambda: _render_dashboard(desk.centre, now, day, language),
    )
    return render_template(
        "coordination/dashboard.html", centre=desk.centre, board=fragments.with_csrf(board)
    )


def _render_dashboard(centre, now: dt.datetime, day: dt.date, language: str):
    """The dashboard's content, and the moment it stops being good by itself: when a slot
    of the centre starts (it leaves the approvals, joins the attendance still to record),
    or the oldest attendance still to record leaves that list. The 14 days begin before
    ``now``, so their lines hold the next start (or it is days away and the day key goes
    first)."""
    board = queries.dashboard(centre.id, day)
    attendance_due = queries.awaiting_attendance(centre.id, now)
    html = render_template(
        "coordination/_dashboard.html",
        centre=centre,
        board=board,
        attendance_due=attendance_due,
        wishes_pending=wishes.pending_count(centre.id),
        cant_come=queries.cant_come_notices(centre.id),
        closures=closures_between(centre.id, board.first_day, board.last_day, language),
        approvals=queries.awaiting_approval(centre.id, now),
        certificates_requested=reports.requested_count(centre.id),
        # Kept for everyone: the forms' token is filled in per request (with_csrf).
        csrf_token=lambda: fragments.CSRF_PLACEHOLDER,
    )
    lookback = dt.timedelta(days=queries.ATTENDANCE_LOOKBACK_DAYS)
    moments = [line.slot.starts_at for line in board.lines if line.slot.starts_at >= now]
    moments += [slot.starts_at + lookback for slot in attendance_due]
    return html, min(moments, default=None)


# --- Roster -------------------------------------------------------------------------------


@bp.get("/termine/<int:slot_id>/besetzung")
@login_required
def roster(slot_id: int):
    return _roster_page(_managed_slot(slot_id))


def _attendance_form(roster) -> AttendanceForm:
    """Every confirmed person as recorded, else "attended" for the slot's length."""
    rows = [
        {
            "signup_id": line.signup.id,
            "attendance": "no_show" if line.signup.attendance == "no_show" else "attended",
            "hours": line.signup.hours if line.signup.hours is not None else roster.default_hours,
        }
        for line in roster.confirmed
    ]
    return AttendanceForm(formdata=None, rows=rows)


def _roster_page(slot, attendance_form: AttendanceForm | None = None):
    """The roster; with ``attendance_form``, the attendance as sent, with its messages."""
    search = SearchForm(request.args)
    search.validate()
    roster = queries.roster(slot)
    if attendance_form is None and roster.is_past and not slot.is_cancelled:
        attendance_form = _attendance_form(roster)
    return render_template(
        "coordination/roster.html",
        slot=slot,
        category=queries.category_label(slot.activity.category),
        roster=roster,
        search=search,
        matches=queries.search_volunteers(search.term, actor=current_user, not_on_slot=slot.id),
        action_form=ActionForm(formdata=None),
        capacity_form=CapacityForm(formdata=None, capacity=slot.capacity),
        attendance_form=attendance_form,
        attendance_rows=attendance_form.by_signup() if attendance_form else {},
        checkins=roster.checkins,
        children=roster.children if slot.activity.companion_children else {},
    )


@bp.get("/termine/<int:slot_id>/besetzung/drucken")
@login_required
def roster_print(slot_id: int):
    slot = _managed_slot(slot_id)
    return render_template(
        "coordination/roster_print.html", slot=slot, roster=queries.roster(slot), now=utcnow()
    )


@bp.get("/termine/<int:slot_id>/besetzung.csv")
@login_required
def roster_export(slot_id: int):
    slot = _managed_slot(slot_id)
    filename = f"besetzung-{to_berlin(slot.starts_at):%Y-%m-%d}-{slot.id}.csv"
    return Response(
        roster_csv(queries.roster(slot)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _back_to_roster(slot_id: int, anchor: str | None = None):
    return redirect(url_for(".roster", slot_id=slot_id, _anchor=anchor))


def _flash_form_errors(form) -> None:
    for errors in form.errors.values():
        for error in errors:
            flash(str(error), "error")


@bp.post("/termine/<int:slot_id>/besetzung/zuweisen")
@login_required
def assign(slot_id: int):
    slot = _managed_slot(slot_id)
    form = AssignForm()
    if not form.validate_on_submit():
        abort(400)
    person = queries.volunteer_for_checks(form.volunteer_id.data, actor=current_user)
    person = person or abort(404)
    try:
        signups.assign(slot.id, person.id, actor=current_user)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(_("%(name)s is now confirmed for this slot.", name=person.name), "success")
    return _back_to_roster(slot.id)


def _signup_action(slot_id: int, signup_id: int, action, message: str):
    """Load the sign-up of this slot, run one sign-up service, flash, back to the roster."""
    slot = _managed_slot(slot_id)
    signup = queries.signup_on_slot(signup_id, slot.id) or abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        action(signup.id, actor=current_user)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(message % {"name": signup.volunteer.name}, "success")
    return _back_to_roster(slot.id)


@bp.post("/termine/<int:slot_id>/besetzung/<int:signup_id>/entfernen")
@login_required
def unassign(slot_id: int, signup_id: int):
    return _signup_action(
        slot_id, signup_id, signups.unassign, _("%(name)s has been taken off this slot.")
    )


@bp.post("/termine/<int:slot_id>/besetzung/<int:signup_id>/bestaetigen")
@login_required
def approve(slot_id: int, signup_id: int):
    return _signup_action(
        slot_id, signup_id, signups.approve, _("The sign-up of %(name)s has been approved.")
    )


@bp.post("/termine/<int:slot_id>/besetzung/<int:signup_id>/ablehnen")
@login_required
def decline(slot_id: int, signup_id: int):
    return _signup_action(
        slot_id, signup_id, signups.decline, _("The sign-up of %(name)s has been declined.")
    )


@bp.post("/termine/<int:slot_id>/besetzung/<int:signup_id>/nachruecken")
@login_required
def promote(slot_id: int, signup_id: int):
    return _signup_action(
        slot_id, signup_id, signups.promote, _("%(name)s has moved up from the waiting list.")
    )


@bp.post("/termine/<int:slot_id>/besetzung/anwesenheit")
@login_required
def attendance(slot_id: int):
    """Attendance of all of the slot's confirmed people in one step: nothing is saved while
    a row is wrong, and the roster comes back with the message at that row."""
    slot = _managed_slot(slot_id)
    form = AttendanceForm()
    if form.validate_on_submit():
        rows = [
            AttendanceRow(row.signup_id.data, row.attendance.data, row.hours.data)
            for row in (entry.form for entry in form.rows)
        ]
        try:
            saved = checkin.record_slot_attendance(slot.id, rows, actor=current_user)
        except NotFound:
            abort(404)
        except checkin.RowRefused as exc:
            row = form.by_signup()[exc.signup_id]
            field = getattr(row, exc.field or "attendance", row.attendance)
            field.errors = [*field.errors, exc.message]
        except DomainError as exc:
            flash(exc.message, "error")
            return _back_to_roster(slot.id, "confirmed")
        else:
            flash(*_attendance_saved(saved))
            return _back_to_roster(slot.id, "confirmed")
    if form.rows.entries:
        flash(_("Nothing has been saved. Please correct the marked entries."), "error")
    return _roster_page(slot, attendance_form=form)


def _attendance_saved(saved: list) -> tuple[str, str]:
    if not saved:
        return _("Nothing has changed."), "info"
    if len(saved) == 1:
        return _("Attendance of %(name)s has been saved.", name=saved[0].volunteer.name), "success"
    return (
        ngettext(
            "Attendance of %(num)d person has been saved.",
            "Attendance of %(num)d people has been saved.",
            len(saved),
        ),
        "success",
    )


@bp.post("/termine/<int:slot_id>/besetzung/plaetze")
@login_required
def change_capacity(slot_id: int):
    slot = _managed_slot(slot_id)
    form = CapacityForm()
    if not form.validate_on_submit():
        _flash_form_errors(form)
        return _back_to_roster(slot.id)
    try:
        signups.change_capacity(slot.id, form.capacity.data, actor=current_user)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(_("The number of volunteers needed has been saved."), "success")
    return _back_to_roster(slot.id)


# --- Volunteers and their checks ----------------------------------------------------------


@bp.get("/zentren/<slug>/ehrenamtliche")
@login_required
def volunteers(slug: str):
    centre = _managed_centre(slug)
    search = SearchForm(request.args)
    search.validate()
    page = queries.centre_volunteers(
        centre.id, today(), actor=current_user, term=search.term, page=_page_number()
    )
    known = {line.person.id for line in page.items}
    found = queries.search_volunteers(search.term, actor=current_user)
    others = [p for p in found if p.id not in known]
    return render_template(
        "checks/volunteers.html", centre=centre, page=page, search=search, others=others
    )


def _checks_page(centre, person, certificate_form=None, measles_form=None):
    check, measles = checks_of(person.id, centre.id)
    return render_template(
        "checks/volunteer.html",
        centre=centre,
        person=person,
        check=check,
        status=certificate_status(check, today()),
        measles=measles,
        certificate_form=certificate_form or CertificateCheckForm(formdata=None),
        measles_form=measles_form or MeaslesProofForm(formdata=None),
        max_age_months=checks.certificate_max_age_months(),
        delete_form=ActionForm(formdata=None),
    )


def _centre_and_volunteer(slug: str, user_id: int):
    centre = _managed_centre(slug)
    return centre, queries.volunteer_for_checks(user_id, actor=current_user) or abort(404)


@bp.get("/zentren/<slug>/ehrenamtliche/<int:user_id>")
@login_required
def volunteer_checks(slug: str, user_id: int):
    return _checks_page(*_centre_and_volunteer(slug, user_id))


@bp.post("/zentren/<slug>/ehrenamtliche/<int:user_id>/fuehrungszeugnis")
@login_required
def record_certificate(slug: str, user_id: int):
    centre, person = _centre_and_volunteer(slug, user_id)
    form = CertificateCheckForm()
    if form.validate_on_submit():
        try:
            checks.record_certificate_check(
                centre, person.id, **form.check_data(), actor=current_user
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            flash(_("The certificate inspection has been recorded."), "success")
            return redirect(url_for(".volunteer_checks", slug=centre.slug, user_id=person.id))
    return _checks_page(centre, person, certificate_form=form)


@bp.post("/zentren/<slug>/ehrenamtliche/<int:user_id>/masernschutz")
@login_required
def record_measles(slug: str, user_id: int):
    centre, person = _centre_and_volunteer(slug, user_id)
    form = MeaslesProofForm()
    if form.validate_on_submit():
        try:
            checks.record_measles_proof(centre, person.id, **form.proof_data(), actor=current_user)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            flash(_("The measles protection note has been recorded."), "success")
            return redirect(url_for(".volunteer_checks", slug=centre.slug, user_id=person.id))
    return _checks_page(centre, person, measles_form=form)


@bp.post("/zentren/<slug>/ehrenamtliche/<int:user_id>/" + retention.RECORD_PATH + "/loeschen")
@login_required
def delete_check(slug: str, user_id: int, record: str):
    centre, person = _centre_and_volunteer(slug, user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    kind = retention.RECORD_SLUGS[record]
    try:
        retention.delete_check_record(centre, person.id, kind, actor=current_user)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        done = {
            "certificate": _("The certificate record has been deleted."),
            "measles": _("The measles note has been deleted."),
        }
        flash(done[kind], "success")
    return redirect(url_for(".volunteer_checks", slug=centre.slug, user_id=person.id))


@bp.get("/zentren/<slug>/ehrenamtliche/<int:user_id>/bestaetigung")
@login_required
def certificate_letter(slug: str, user_id: int):
    centre, person = _centre_and_volunteer(slug, user_id)
    # The authorities need the letter in German, whatever language the page is shown in.
    with force_locale("de"):
        letter = render_template("checks/_letter.html", centre=centre, person=person, today=today())
    # The letter is our own template's autoescaped output, so it is safe to embed.
    letter = Markup(letter)  # noqa: S704
    return render_template("checks/letter.html", centre=centre, person=person, letter=letter)


# --- Audit log ------------------------------------------------------------------------------


@bp.get("/zentren/<slug>/protokoll")
@login_required
def audit_log(slug: str):
    centre = _managed_centre(slug)
    page = centre_log(centre.id, _page_number())
    return render_template("coordination/audit_log.html", centre=centre, page=page)
