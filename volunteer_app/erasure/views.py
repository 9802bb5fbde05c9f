"""Routes of erasure: "delete my account" and the "keep my account" link from mails.

Signing in keeps an account whose deletion is scheduled: Flask-Login's ``user_logged_in``
signal (sent by every login, after the session was renewed) cancels the request here.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user, login_required, user_logged_in

from volunteer_app.accounts import auth
from volunteer_app.common.errors import DomainError, InvalidToken
from volunteer_app.common.forms import ActionForm, apply_domain_error
from volunteer_app.db import utcnow
from volunteer_app.erasure import queries, services
from volunteer_app.erasure.forms import DeleteAccountForm
from volunteer_app.extensions import configured_limit, limiter

bp = Blueprint("erasure", __name__, url_prefix="/konto")


# The password of "delete my account" and the token of the keep link: limited like the login.
PASSWORD_LIMIT = configured_limit("RATELIMIT_LOGIN")


@user_logged_in.connect
def _keep_on_login(sender, user, **extra) -> None:
    if queries.pending_deletion(user.id) is None:
        return
    if services.cancel_deletion(user, actor=user):
        flash(_("Welcome back! Your account will not be deleted: it stays as it was."), "success")


def _scheduled_message(due) -> str:
    if due is None:
        return _("Your account and your personal data have been deleted. Thank you for your help!")
    return _(
        "Your account will be deleted on %(date)s. Until then, you keep it by logging in again "
        "or with the link in the e-mail we have just sent you.",
        date=format_date(due, "long"),
    )


def _export_url() -> str | None:
    """The download of one's data (the privacy feature), offered before the deletion."""
    if "privacy.download" not in current_app.view_functions:
        return None
    return url_for("privacy.download")


@bp.route("/loeschen", methods=["GET", "POST"])
@limiter.limit(PASSWORD_LIMIT, methods=["POST"])
@login_required
def delete_account():
    blocked = services.blocked_message(current_user)
    form = DeleteAccountForm()
    if blocked is None and form.validate_on_submit():
        try:
            services.confirm_identity(
                current_user, password=form.password.data, code=form.code.data
            )
            due = services.request_deletion(current_user, actor=current_user)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            auth.end_session()
            flash(_scheduled_message(due if services.grace_days() else None), "success")
            return redirect(url_for("core.index"))
    return render_template(
        "erasure/delete.html",
        form=form,
        blocked=blocked,
        facts=queries.facts_of(current_user, utcnow()),
        grace_days=services.grace_days(),
        export_url=_export_url(),
    )


@bp.route("/behalten/<token>", methods=["GET", "POST"])
@limiter.limit(PASSWORD_LIMIT, methods=["POST"])
def keep_account(token: str):
    form = ActionForm()
    try:
        link = services.check_keep_link(token)
        if not form.validate_on_submit():
            return render_template("erasure/keep.html", form=form, link=link)
        link = services.keep_account(token)
    except InvalidToken as exc:
        return render_template("erasure/link_invalid.html", message=exc.message), 400
    if link.kind == "deletion":
        flash(_("Your account will not be deleted: it stays as it was."), "success")
    else:
        flash(_("Thank you! Your account stays as it is."), "success")
    target = "accounts.profile" if current_user.is_authenticated else "accounts.login"
    return redirect(url_for(target))
