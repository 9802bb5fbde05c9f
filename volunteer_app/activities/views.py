"""Coordinators' pages: categories, activities, schedules, and changing or cancelling slots."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from volunteer_app.activities import queries, schedules, services, slots, texts
from volunteer_app.activities.forms import (
    ActivityForm,
    CategoryForm,
    ScheduleForm,
    SlotCancelForm,
    SlotForm,
)
from volunteer_app.activities.recurrence import utc_to_berlin
from volunteer_app.centres.access import managed_centre as _managed_centre
from volunteer_app.centres.queries import can_manage
from volunteer_app.common.errors import DomainError, NotFound
from volunteer_app.common.forms import ActionForm, apply_domain_error
from volunteer_app.coordination.queries import paginate

# No url_prefix: centre pages live under /zentren/<slug>/…, slot pages under /termine/….
bp = Blueprint("activities", __name__)
# The translated name of a category, for every page that shows one (no query).
bp.add_app_template_global(queries.category_label, "category_label")
# An activity's title and description in the page's language, from texts the view loaded
# with ``texts.texts_for`` (no query).
bp.add_app_template_global(texts.pick, "activity_text")
bp.add_app_template_global(texts.language_name, "language_name")

#: The activity's page lists its upcoming dates this many at a time ("Later dates").
SLOTS_PER_PAGE = 50


def _managed_activity(slug: str, activity_id: int):
    centre = _managed_centre(slug)
    return queries.activity_in_centre(centre, activity_id) or abort(404)


def _managed_slot(slot_id: int):
    slot = queries.slot_for_manager(slot_id) or abort(404)
    if not can_manage(current_user, slot.activity.centre):
        abort(403)
    return slot


def _activity_form(centre, **kwargs) -> ActivityForm:
    return ActivityForm(
        categories=queries.categories_for(centre.id),
        staff=queries.staff_choices(centre, current_user),
        **kwargs,
    )


def _pager_args(*taken: str) -> dict[str, str]:
    """This address's query arguments for the page links (filters stay as they are), except
    the ``taken`` ones (the page number, the route's own) and url_for's own names."""
    return {
        k: v
        for k, v in request.args.items()
        if k not in taken and k != "endpoint" and not k.startswith("_")
    }


def _to_activity(activity):
    return redirect(url_for(".show_activity", slug=activity.centre.slug, activity_id=activity.id))


# --- Categories -----------------------------------------------------------------------------


@bp.route("/zentren/<slug>/kategorien", methods=["GET", "POST"])
@login_required
def categories(slug: str):
    centre = _managed_centre(slug)
    form = CategoryForm()
    if form.validate_on_submit():
        try:
            services.add_category(centre, form.name.data, actor=current_user)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            flash(_("The category has been added."), "success")
            return redirect(url_for(".categories", slug=slug))
    return render_template(
        "activities/categories.html",
        centre=centre,
        form=form,
        categories=queries.category_usage(centre.id),
        confirm_form=ActionForm(formdata=None),
    )


@bp.post("/zentren/<slug>/kategorien/<int:category_id>/entfernen")
@login_required
def delete_category(slug: str, category_id: int):
    centre = _managed_centre(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        services.delete_category(centre, category_id, actor=current_user)
    except NotFound:
        abort(404)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(_("The category has been removed."), "success")
    return redirect(url_for(".categories", slug=slug))


# --- Activities -----------------------------------------------------------------------------


@bp.get("/zentren/<slug>/angebote/")
@login_required
def list_activities(slug: str):
    centre = _managed_centre(slug)
    return render_template(
        "activities/list.html", centre=centre, activities=queries.activities_of(centre)
    )


@bp.route("/zentren/<slug>/angebote/neu", methods=["GET", "POST"])
@login_required
def create_activity(slug: str):
    centre = _managed_centre(slug)
    form = _activity_form(centre, data={"responsible_id": current_user.id})
    if form.validate_on_submit():
        try:
            activity = services.create_activity(centre, form.activity_data(), actor=current_user)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            flash(_("The activity has been created. Now add its dates."), "success")
            return redirect(url_for(".add_schedule", slug=slug, activity_id=activity.id))
    return render_template("activities/form.html", centre=centre, form=form, activity=None)


@bp.get("/zentren/<slug>/angebote/<int:activity_id>")
@login_required
def show_activity(slug: str, activity_id: int):
    activity = _managed_activity(slug, activity_id)
    number = request.args.get("seite", 1, type=int)
    dates = paginate(queries.upcoming_slots(activity), number, SLOTS_PER_PAGE)
    if dates.number > 1 and not dates.items:  # past the last page (dates went by): the first
        return redirect(url_for(".show_activity", slug=slug, activity_id=activity_id))
    return render_template(
        "activities/show.html",
        centre=activity.centre,
        activity=activity,
        schedules=queries.schedules_for_page(activity, schedules.horizon()),
        dates=dates,
        pager_args=_pager_args("seite", "slug", "activity_id"),
        horizon_days=schedules.horizon_days(),
        other_texts=texts.texts_of(activity.id),
    )


@bp.route("/zentren/<slug>/angebote/<int:activity_id>/bearbeiten", methods=["GET", "POST"])
@login_required
def edit_activity(slug: str, activity_id: int):
    activity = _managed_activity(slug, activity_id)
    form = _activity_form(
        activity.centre, obj=activity, data=texts.form_data(texts.texts_of(activity.id))
    )
    if form.validate_on_submit():
        try:
            change = services.update_activity(activity, form.activity_data(), actor=current_user)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            flash(_("The activity has been saved."), "success")
            if change.kept:
                flash(_kept_message(len(change.kept)), "warning")
            return _to_activity(activity)
    return render_template(
        "activities/form.html", centre=activity.centre, form=form, activity=activity
    )


def _kept_message(count: int) -> str:
    return ngettext(
        "%(num)d upcoming date keeps its number of volunteers: more volunteers are "
        "confirmed for it than the new number.",
        "%(num)d upcoming dates keep their number of volunteers: more volunteers are "
        "confirmed for them than the new number.",
        count,
    )


@bp.route("/zentren/<slug>/angebote/<int:activity_id>/termine/neu", methods=["GET", "POST"])
@login_required
def add_schedule(slug: str, activity_id: int):
    activity = _managed_activity(slug, activity_id)
    form, plan = ScheduleForm(), None
    if form.validate_on_submit():
        try:
            if request.form.get("action") == "preview":
                plan = schedules.plan_schedule(activity, form.schedule_data())
            else:
                result = schedules.add_schedule(activity, form.schedule_data(), actor=current_user)
                flash(_planned_message(result), "success")
                return _to_activity(activity)
        except DomainError as exc:
            apply_domain_error(form, exc)
    return render_template(
        "activities/schedule_form.html", centre=activity.centre, activity=activity, form=form,
        plan=plan, horizon_days=schedules.horizon_days(),
    )  # fmt: skip


def _planned_message(result) -> str:
    text = ngettext(
        "The schedule has been saved; %(num)d date is planned so far.",
        "The schedule has been saved; %(num)d dates are planned so far.",
        result.created,
    )
    if result.plan.skipped:
        text += " " + ngettext(
            "%(num)d date is skipped (public holiday or closing day).",
            "%(num)d dates are skipped (public holidays or closing days).",
            len(result.plan.skipped),
        )
    return text


# --- Slots ----------------------------------------------------------------------------------


def _slot_form_data(slot) -> dict:
    start, end = utc_to_berlin(slot.starts_at), utc_to_berlin(slot.ends_at)
    return {
        "date": start.date(),
        "start_time": start.time(),
        "end_time": end.time(),
        "capacity": slot.capacity,
    }


def _render_slot_edit(slot, slot_form, following_form, status=200):
    return render_template(
        "activities/slot_edit.html", slot=slot, activity=slot.activity,
        centre=slot.activity.centre, slot_form=slot_form, following_form=following_form,
    ), status  # fmt: skip


def _following_form(slot, **kwargs):
    if slot.series_id is None or slot.series.recurrence == "once":
        return None
    return ScheduleForm(data=slots.following_defaults(slot), prefix="following", **kwargs)


@bp.route("/termine/<int:slot_id>/bearbeiten", methods=["GET", "POST"])
@login_required
def edit_slot(slot_id: int):
    slot = _managed_slot(slot_id)
    form = SlotForm(data=_slot_form_data(slot))
    if form.validate_on_submit():
        try:
            change = slots.edit_slot(slot, form.slot_data(), actor=current_user)
        except slots.ClosedDayWarning as exc:
            form.closed_ok.data = exc.day.isoformat()  # saving again moves it there
            apply_domain_error(form, exc)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            flash(_slot_saved_message(change), "success")
            return _to_activity(slot.activity)
    return _render_slot_edit(slot, form, _following_form(slot, formdata=None))


def _slot_saved_message(change) -> str:
    if not change.moved:
        return _("The slot has been saved.")
    return ngettext(
        "The slot has been moved; %(num)d person signed up has been told.",
        "The slot has been moved; %(num)d people signed up have been told.",
        change.told,
    )


@bp.route("/termine/<int:slot_id>/folgende-bearbeiten", methods=["GET", "POST"])
@login_required
def edit_following(slot_id: int):
    slot = _managed_slot(slot_id)
    form = _following_form(slot) or abort(404)
    if form.validate_on_submit():
        try:
            change = slots.edit_following(slot, form.schedule_data(), actor=current_user)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            flash(_following_message(change), "success")
            if change.kept:
                flash(_not_moved_message(len(change.kept)), "warning")
            return _to_activity(slot.activity)
    return _render_slot_edit(slot, SlotForm(formdata=None, data=_slot_form_data(slot)), form)


def _following_message(change) -> str:
    return ngettext(
        "This and all following dates have been changed; %(num)d person signed up has been told.",
        "This and all following dates have been changed; %(num)d people signed up have been told.",
        change.told,
    )


def _not_moved_message(count: int) -> str:
    return ngettext(
        "%(num)d date with sign-ups has no place in the new schedule and keeps its time. "
        "Please move or cancel it on its own.",
        "%(num)d dates with sign-ups have no place in the new schedule and keep their time. "
        "Please move or cancel them on their own.",
        count,
    )


@bp.route("/termine/<int:slot_id>/absagen", methods=["GET", "POST"])
@login_required
def cancel_slot(slot_id: int):
    slot = _managed_slot(slot_id)
    form = SlotCancelForm()
    if form.validate_on_submit():
        try:
            slots.cancel_slot(slot, actor=current_user, reason=form.reason.data or "")
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            flash(_("The slot has been cancelled. Everyone signed up is told."), "success")
        return _to_activity(slot.activity)
    return render_template(
        "activities/slot_cancel.html", slot=slot, activity=slot.activity,
        centre=slot.activity.centre, form=form,
    )  # fmt: skip
