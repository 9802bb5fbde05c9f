"""Routes of proposals: runs for coordinators, "Passt zu dir" and invitations for volunteers."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from volunteer_app.centres.access import managed_centre as _managed_centre
from volunteer_app.centres.queries import can_manage, today
from volunteer_app.common.errors import DomainError, NotAllowed, NotFound
from volunteer_app.common.forms import ActionForm, apply_domain_error
from volunteer_app.proposals import explain, queries, services, standin
from volunteer_app.proposals.forms import (
    AnswerForm,
    AskForm,
    ConfirmForm,
    ReplaceForm,
    RunForm,
    WeeklyForm,
)

bp = Blueprint("proposals", __name__)
bp.add_app_template_global(explain.reason_words, "reason_words")
bp.add_app_template_global(explain.funnel_words, "funnel_words")
bp.add_app_template_global(explain.bottleneck, "funnel_bottleneck")


def _managed_run(run_id: int):
    run = queries.run_with_scope(run_id) or abort(404)
    if not queries.may_manage_all(current_user, queries.run_centre_ids(run)):
        abort(403)
    return run


# --- Coordinators: start a run, follow it, act on its proposals ---------------------------


@bp.route("/zentren/<slug>/vorschlaege", methods=["GET", "POST"])
@login_required
def new_run(slug: str):
    centre = _managed_centre(slug)
    operator = queries.operator_scope(current_user, centre)
    start = today() + dt.timedelta(days=1)
    form = RunForm(period_from=start, period_to=start + dt.timedelta(days=27))
    form.set_operator(operator.name if operator else None)
    if form.validate_on_submit():
        try:
            run = services.start_run(
                centre,
                operator_wide=form.scope.data == "operator",
                period_from=form.period_from.data,
                period_to=form.period_to.data,
                allow_same_day=form.allow_same_day.data,
                same_person_for_series=form.same_person_for_series.data,
                actor=current_user,
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return redirect(url_for(".show_run", run_id=run.id))
    return render_template(
        "proposals/new_run.html", centre=centre, form=form, runs=queries.recent_runs(centre)
    )


@bp.get("/vorschlaege/<int:run_id>")
@login_required
def show_run(run_id: int):
    run = _managed_run(run_id)
    done = run.status == "done"
    return render_template(
        "proposals/run.html",
        run=run,
        home=run.centre or queries.first_centre(run),
        blocks=queries.run_blocks(run) if done else [],
        confirm_form=ConfirmForm(formdata=None),
        replace_form=ReplaceForm(formdata=None),
        action_form=ActionForm(formdata=None),
    )


@bp.post("/vorschlaege/<int:run_id>/bestaetigen")
@login_required
def confirm(run_id: int):
    run = _managed_run(run_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash(_("Please choose how to confirm."), "error")
        return redirect(url_for(".show_run", run_id=run.id))
    ids = None if form.scope.data == "all" else list(form.proposal_ids.data or [])
    if ids == []:
        flash(_("Please tick at least one proposal, or confirm all."), "error")
        return redirect(url_for(".show_run", run_id=run.id))
    if ids is None and not form.confirmed.data:
        waiting = queries.open_proposals(run)
        if waiting.proposals:
            return render_template(
                "proposals/confirm_all.html", run=run, home=run.centre or queries.first_centre(run),
                direct=form.mode.data == "direct", waiting=waiting, form=form,
            )  # fmt: skip
    result = services.confirm_proposals(
        run, ids, direct=form.mode.data == "direct", actor=current_user
    )
    _flash_confirm(result)
    return redirect(url_for(".show_run", run_id=run.id))


def _flash_confirm(result: services.ConfirmResult) -> None:
    if result.invited:
        flash(
            ngettext("%(num)d invitation sent.", "%(num)d invitations sent.", result.invited),
            "success",
        )
    if result.assigned:
        flash(
            ngettext(
                "%(num)d volunteer signed up.", "%(num)d volunteers signed up.", result.assigned
            ),
            "success",
        )
    for proposal, message in result.failed:
        flash(_("%(name)s: %(message)s", name=proposal.volunteer.name, message=message), "error")
    if not (result.invited or result.assigned or result.failed):
        flash(_("There was nothing left to confirm."), "info")


@bp.post("/vorschlaege/<int:run_id>/vorschlag/<int:proposal_id>/ersetzen")
@login_required
def replace(run_id: int, proposal_id: int):
    run = _managed_run(run_id)
    queries.run_proposal(run.id, proposal_id) or abort(404)
    form = ReplaceForm()
    if not form.validate_on_submit():
        flash(_("Please choose a person."), "error")
        return redirect(url_for(".show_run", run_id=run.id))
    try:
        new = services.replace_proposal(
            run, proposal_id, form.volunteer_id.data, actor=current_user
        )
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(_("Proposal changed to %(name)s.", name=new.volunteer.name), "success")
        return redirect(url_for(".show_run", run_id=run.id, _anchor=f"slot-{new.slot_id}"))
    return redirect(url_for(".show_run", run_id=run.id))


@bp.post("/vorschlaege/<int:run_id>/vorschlag/<int:proposal_id>/entfernen")
@login_required
def remove(run_id: int, proposal_id: int):
    run = _managed_run(run_id)
    queries.run_proposal(run.id, proposal_id) or abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        services.remove_proposal(run, proposal_id, actor=current_user)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(
            _("Proposal removed. This person will not be proposed for this date again."), "success"
        )
    return redirect(url_for(".show_run", run_id=run.id))


# --- Coordinators: who could step in on one slot, asking them -----------------------------


def _managed_slot(slot_id: int):
    slot = queries.slot_with_centre(slot_id) or abort(404)
    if not can_manage(current_user, slot.activity.centre):
        abort(403)
    return slot


@bp.get("/termine/<int:slot_id>/warum-leer")
@login_required
def slot_funnel(slot_id: int):
    slot = _managed_slot(slot_id)
    return render_template(
        "proposals/funnel.html",
        slot=slot,
        page=standin.standin_page(slot),
        action_form=ActionForm(formdata=None),
    )


@bp.post("/termine/<int:slot_id>/einspringen")
@login_required
def ask_standins(slot_id: int):
    slot = _managed_slot(slot_id)
    form = AskForm()
    if not form.validate_on_submit():
        flash(_("Please choose whom to ask."), "error")
        return redirect(url_for(".slot_funnel", slot_id=slot.id))
    try:
        made = standin.ask(
            slot.id, form.how.data, volunteer_id=form.volunteer_id.data, actor=current_user
        )
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for(".slot_funnel", slot_id=slot.id))
    names = ", ".join(r.volunteer.name for r in made)
    flash(
        ngettext(
            "%(num)d person asked by e-mail: %(names)s.",
            "%(num)d people asked by e-mail: %(names)s.",
            len(made),
            names=names,
        ),
        "success",
    )
    return redirect(url_for(".slot_funnel", slot_id=slot.id, _anchor="requests-heading"))


@bp.post("/zentren/<slug>/kann-nicht/<int:notice_id>/erledigt")
@login_required
def cant_come_handled(slug: str, notice_id: int):
    centre = _managed_centre(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        standin.mark_cant_come_handled(centre, notice_id, actor=current_user)
    except NotFound:
        abort(404)
    flash(_("Marked as dealt with."), "success")
    return redirect(url_for("coordination.dashboard", slug=centre.slug))


# --- Volunteers: "Passt zu dir", invitations, weekly e-mail --------------------------------


@bp.get("/mein-engagement/passt-zu-ihnen")
@login_required
def suggestions():
    opt_in = queries.weekly_opt_in(current_user)
    return render_template(
        "proposals/suggestions.html",
        invitations=queries.open_invitations(current_user),
        standins=standin.open_requests(current_user),
        suggestions=queries.suggestions_for(current_user),
        has_profile=queries.has_profile(current_user),
        weekly_form=WeeklyForm(formdata=None, enabled=opt_in is not None),
        answer_form=AnswerForm(formdata=None),
    )


@bp.post("/mein-engagement/passt-zu-ihnen/wochenmail")
@login_required
def weekly_mail():
    form = WeeklyForm()
    if not form.validate_on_submit():
        abort(400)
    services.set_weekly_suggestions(current_user, bool(form.enabled.data))
    if form.enabled.data:
        flash(_("From now on you get suggestions by e-mail once a week."), "success")
    else:
        flash(_("You no longer get suggestions by e-mail."), "success")
    return redirect(url_for(".suggestions"))


@bp.post("/mein-engagement/einladungen/<int:proposal_id>")
@login_required
def answer_in_app(proposal_id: int):
    form = AnswerForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        answer = services.answer_invitation(
            proposal_id, form.answer.data == "accept", actor=current_user
        )
    except NotFound:
        abort(404)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(answer.message, "success" if answer.outcome != "refused" else "error")
    return redirect(url_for(".suggestions"))


@bp.post("/mein-engagement/einspringen/<int:request_id>")
@login_required
def answer_standin_in_app(request_id: int):
    form = AnswerForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        answer = standin.answer(request_id, form.answer.data == "accept", actor=current_user)
    except NotFound:
        abort(404)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(answer.message, "success" if answer.outcome != "refused" else "error")
    return redirect(url_for(".suggestions"))


@bp.route("/einspringen/<token>", methods=["GET", "POST"])
def answer_standin(token: str):
    request_ = standin.request_by_token(token)
    if request_ is None:
        return render_template("proposals/invitation_invalid.html"), 404
    form = AnswerForm()
    if form.validate_on_submit():
        try:
            answer = standin.answer(request_.id, form.answer.data == "accept")
        except NotFound:
            abort(404)
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            flash(answer.message, "success" if answer.outcome != "refused" else "error")
        return redirect(url_for(".answer_standin", token=token))
    return render_template(
        "proposals/standin.html",
        request_=request_,
        is_open=standin.is_open(request_.slot),
        form=AnswerForm(formdata=None),
    )


@bp.route("/termin-einladung/<token>", methods=["GET", "POST"])
def answer_invitation(token: str):
    proposal = queries.invitation_by_token(token)
    if proposal is None:
        return render_template("proposals/invitation_invalid.html"), 404
    form = AnswerForm()
    if form.validate_on_submit():
        try:
            answer = services.answer_invitation(proposal.id, form.answer.data == "accept")
        except (NotAllowed, NotFound):
            abort(404)
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            flash(answer.message, "success" if answer.outcome != "refused" else "error")
        return redirect(url_for(".answer_invitation", token=token))
    return render_template(
        "proposals/invitation.html", proposal=proposal, form=AnswerForm(formdata=None), token=token
    )
