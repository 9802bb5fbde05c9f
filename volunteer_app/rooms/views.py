"""Coordinators' pages of rooms: the rooms, the week views, booking and cancelling."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from volunteer_app.activities.recurrence import utc_to_berlin
from volunteer_app.centres.access import managed_centre as _managed_centre
from volunteer_app.centres.queries import today
from volunteer_app.common.errors import DomainError, NotFound
from volunteer_app.common.forms import apply_domain_error, row_id
from volunteer_app.partners.queries import partner_choices
from volunteer_app.rooms import queries, services
from volunteer_app.rooms.forms import BookingForm, CancelBookingForm, RoomForm

bp = Blueprint("rooms", __name__)
bp.add_app_template_global(queries.when_label, "booking_when")
bp.add_app_template_global(queries.week_label, "week_label")
bp.add_app_template_global(queries.day_short, "day_short")


def _date_arg(name: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def _monday() -> dt.date:
    return queries.week_start(_date_arg("woche") or today())


# --- Rooms ----------------------------------------------------------------------------------


@bp.get("/zentren/<slug>/raeume/")
@login_required
def list_rooms(slug: str):
    centre = _managed_centre(slug)
    return render_template("rooms/list.html", centre=centre, rooms=queries.rooms_of(centre))


@bp.route("/zentren/<slug>/raeume/neu", methods=["GET", "POST"])
@login_required
def create_room(slug: str):
    centre = _managed_centre(slug)
    form = RoomForm()
    if form.validate_on_submit():
        try:
            room = services.create_room(centre, form.room_data(), actor=current_user)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            flash(_("The room %(name)s has been added.", name=room.name), "success")
            return redirect(url_for(".list_rooms", slug=slug))
    return render_template("rooms/room_form.html", centre=centre, form=form, room=None)


@bp.route("/zentren/<slug>/raeume/<int:room_id>/bearbeiten", methods=["GET", "POST"])
@login_required
def edit_room(slug: str, room_id: int):
    centre = _managed_centre(slug)
    room = queries.room_in_centre(centre, room_id) or abort(404)
    form = RoomForm(obj=room)
    if form.validate_on_submit():
        try:
            services.update_room(centre, room.id, form.room_data(), actor=current_user)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            flash(_("The room has been saved."), "success")
            return redirect(url_for(".list_rooms", slug=slug))
    return render_template("rooms/room_form.html", centre=centre, form=form, room=room)


# --- Week views -----------------------------------------------------------------------------


@bp.get("/zentren/<slug>/raeume/woche")
@login_required
def centre_week(slug: str):
    centre = _managed_centre(slug)
    week = queries.week_view(centre, _monday())
    return render_template(
        "rooms/week.html", centre=centre, room=None, week=week, rooms=queries.rooms_of(centre),
        today=today(),
    )  # fmt: skip


@bp.get("/zentren/<slug>/raeume/<int:room_id>/woche")
@login_required
def room_week(slug: str, room_id: int):
    centre = _managed_centre(slug)
    rooms = queries.rooms_of(centre)
    room = next((r for r in rooms if r.id == room_id), None) or abort(404)
    week = queries.week_view(centre, _monday(), room)
    return render_template(
        "rooms/week.html", centre=centre, room=room, week=week, rooms=rooms, today=today()
    )


# --- Booking --------------------------------------------------------------------------------


def _booking_form(centre) -> BookingForm:
    day, room = _date_arg("datum"), request.args.get("raum", type=row_id)
    return BookingForm(
        rooms=queries.rooms_of(centre, active_only=True),
        partners=partner_choices(centre),
        activities=queries.activity_choices(centre),
        data={"recurrence": "once", "start_date": day, "room_id": room, "count": 10},
    )


@bp.route("/zentren/<slug>/raeume/buchen", methods=["GET", "POST"])
@login_required
def book_room(slug: str):
    centre = _managed_centre(slug)
    form, plan = _booking_form(centre), None
    if form.validate_on_submit():
        moved = form.take_suggestion(request.form.get("suggestion"))
        try:
            if request.form.get("action") == "preview" and not moved:
                plan = services.plan_booking(centre, form.booking_data())
            else:
                result = services.book_room(centre, form.booking_data(), actor=current_user)
                flash(_booked_message(result), "success")
                return redirect(_week_of(centre, result.first))
        except services.BookingConflict as exc:
            plan = exc.plan
            apply_domain_error(form, exc)
        except DomainError as exc:
            apply_domain_error(form, exc)
    return render_template("rooms/book.html", centre=centre, form=form, plan=plan)


def _week_of(centre, booking) -> str:
    day = utc_to_berlin(booking.starts_at).date()
    return url_for(".room_week", slug=centre.slug, room_id=booking.room_id, woche=day.isoformat())


def _booked_message(result) -> str:
    text = ngettext(
        "The room has been booked.", "The room has been booked for %(num)d dates.", result.created
    )
    if result.plan.skipped:
        text += " " + ngettext(
            "%(num)d date is skipped (public holiday or closing day).",
            "%(num)d dates are skipped (public holidays or closing days).",
            len(result.plan.skipped),
        )
    return text


@bp.get("/zentren/<slug>/buchungen/<int:booking_id>")
@login_required
def show_booking(slug: str, booking_id: int):
    centre = _managed_centre(slug)
    booking = queries.booking_in_centre(centre, booking_id) or abort(404)
    return render_template(
        "rooms/booking.html", centre=centre, booking=booking, form=CancelBookingForm(),
        series_left=queries.series_upcoming(booking),
    )  # fmt: skip


@bp.post("/zentren/<slug>/buchungen/<int:booking_id>/absagen")
@login_required
def cancel_booking(slug: str, booking_id: int):
    centre = _managed_centre(slug)
    booking = queries.booking_in_centre(centre, booking_id) or abort(404)
    form = CancelBookingForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        count = services.cancel_booking(centre, booking.id, form.scope.data, actor=current_user)
    except NotFound:
        abort(404)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(
            ngettext(
                "%(num)d date has been cancelled.", "%(num)d dates have been cancelled.", count
            ),
            "success",
        )
    return redirect(_week_of(centre, booking))
