"""Routes of messaging: the centre desk's "Nachrichten" (write, confirm, the log) and the
volunteer's choice whether centres' news reach them (their page and the link in a mail)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from volunteer_app.centres.access import managed_centre
from volunteer_app.common.errors import DomainError
from volunteer_app.common.forms import ActionForm, apply_domain_error
from volunteer_app.db import utcnow
from volunteer_app.messaging import queries, services
from volunteer_app.messaging.forms import MessageForm

bp = Blueprint("messaging", __name__)


def _form(centre) -> MessageForm:
    form = MessageForm()
    form.set_choices(queries.choices(centre.id, utcnow()))
    return form


def _compose_page(centre, form, audience=None):
    return render_template(
        "messaging/compose.html",
        centre=centre,
        form=form,
        audience=audience,
        sent=queries.sent_messages(centre.id),
    )


@bp.route("/zentren/<slug>/nachrichten", methods=["GET", "POST"])
@login_required
def compose(slug: str):
    """Write; "Check and send" shows whom it reaches (nothing is sent yet)."""
    centre = managed_centre(slug)
    form = _form(centre)
    audience = None
    if form.validate_on_submit():
        try:
            audience = services.preview(centre, form.audience.data, form.ref, actor=current_user)
        except DomainError as exc:
            apply_domain_error(form, exc)
    return _compose_page(centre, form, audience)


@bp.post("/zentren/<slug>/nachrichten/senden")
@login_required
def send(slug: str):
    centre = managed_centre(slug)
    form = _form(centre)
    if not form.validate_on_submit():
        return _compose_page(centre, form)
    try:
        message = services.send_message(
            centre,
            form.audience.data,
            form.ref,
            subject=form.subject.data,
            body=form.body.data,
            actor=current_user,
        )
    except DomainError as exc:
        apply_domain_error(form, exc)
        return _compose_page(centre, form)
    count = message.recipient_count
    flash(
        ngettext(
            "The message goes out to %(num)d person.",
            "The message goes out to %(num)d people.",
            count,
        ),
        "success",
    )
    return redirect(url_for(".show", slug=centre.slug, message_id=message.id))


@bp.get("/zentren/<slug>/nachrichten/<int:message_id>")
@login_required
def show(slug: str, message_id: int):
    centre = managed_centre(slug)
    message = queries.message_of(centre.id, message_id) or abort(404)
    return render_template(
        "messaging/show.html",
        centre=centre,
        message=message,
        deliveries=queries.deliveries(message.id),
    )


# --- The volunteer ------------------------------------------------------------------------


@bp.route("/konto/nachrichten", methods=["GET", "POST"])
@login_required
def settings():
    """Whether the centres' news (messages to an area or a whole centre) reach me."""
    form = ActionForm()
    if form.validate_on_submit():
        if queries.is_opted_out(current_user.id):
            services.opt_in(current_user, actor=current_user)
            flash(_("You get news from centres again."), "success")
        else:
            services.opt_out(current_user, actor=current_user)
            flash(_("News from centres is turned off."), "success")
        return redirect(url_for(".settings"))
    return render_template(
        "messaging/settings.html",
        since=queries.opt_out_since(current_user.id),
        form=ActionForm(formdata=None),
    )


@bp.route("/nachrichten/abbestellen/<token>", methods=["GET", "POST"])
def opt_out(token: str):
    """The link in a news mail: one button, no log-in (the link names the person)."""
    user = services.user_of_token(token)
    if user is None:
        return render_template("messaging/opt_out.html", valid=False), 404
    form = ActionForm()
    done = False
    if form.validate_on_submit():
        services.opt_out(user, token=token)
        done = True
    return render_template(
        "messaging/opt_out.html",
        valid=True,
        done=done or queries.is_opted_out(user.id),
        form=ActionForm(formdata=None),
    )
