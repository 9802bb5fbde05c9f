"""Routes of privacy: "Meine Daten" (the download), "Meine Einwilligungen" (withdraw one by one)
and agreeing again to a new version of the privacy notice after signing in."""

from __future__ import annotations

import io

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user, login_required, user_logged_in

from volunteer_app.accounts import auth
from volunteer_app.common.errors import DomainError
from volunteer_app.common.forms import ActionForm, apply_domain_error
from volunteer_app.common.time import to_berlin
from volunteer_app.common.urls import safe_next
from volunteer_app.db import utcnow
from volunteer_app.erasure import services as erasure
from volunteer_app.privacy import queries, services
from volunteer_app.privacy.forms import RenewConsentForm, WithdrawPrivacyForm

bp = Blueprint("privacy", __name__, url_prefix="/konto")

# Set at sign-in when the person has no valid consent to the privacy notice in force.
CONSENT_DUE = "privacy_consent_due"
# What a person asked to agree again may still open: the notice itself, signing out, the
# language, the second factor, their data, and deleting their account instead.
OPEN_ENDPOINTS = {
    "static",
    "accounts.logout",
    "accounts.reauthenticate",
    "accounts.totp_verify",
    "accounts.totp_setup",
    "accounts.recovery_login",
    "core.set_language",
    "core.privacy",
    "core.imprint",
}
SLUGS = {"wochenmail": "weekly_suggestions", "erinnerungen": "reminders"}


@bp.record_once
def _watch_logins(state) -> None:
    user_logged_in.connect(_check_consent_at_login, state.app)


def _check_consent_at_login(sender, user, **extra) -> None:
    if queries.privacy_consent_due(user.id):
        session[CONSENT_DUE] = True
    else:
        session.pop(CONSENT_DUE, None)


@bp.before_app_request
def _ask_for_consent():
    """After signing in: agree to the privacy notice in force before anything else."""
    if not session.get(CONSENT_DUE) or not current_user.is_authenticated:
        return None
    if request.endpoint in OPEN_ENDPOINTS or request.blueprint in ("privacy", "erasure"):
        return None
    if not auth.mfa_satisfied() and auth.second_factor_required(current_user):
        return None  # the second-factor gate comes first
    target = request.full_path if request.method == "GET" else None
    return redirect(url_for("privacy.renew_consent", next=target))


# --- Meine Daten ---------------------------------------------------------------------------


@bp.get("/meine-daten")
@login_required
def my_data():
    return render_template("privacy/my_data.html", mail_days=queries.MAIL_DAYS)


@bp.get("/meine-daten/herunterladen")
@login_required
def download():
    if not auth.is_fresh(current_app.config["FRESH_LOGIN_MINUTES"]):
        # After the password, back to the page with the button: a download leaves no page.
        flash(_("Please enter your password again to continue."), "info")
        return redirect(url_for("accounts.reauthenticate", next=url_for("privacy.my_data")))
    file = services.build_download(current_user, actor=current_user)
    response = send_file(
        io.BytesIO(file.content),
        mimetype="application/zip",
        as_attachment=True,
        download_name=file.filename,
        etag=False,
        conditional=False,
        last_modified=None,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# --- Meine Einwilligungen ------------------------------------------------------------------


@bp.get("/einwilligungen")
@login_required
def consents():
    page = queries.consent_page(current_user)
    return render_template("privacy/consents.html", page=page, form=ActionForm(formdata=None))


def _withdraw(kind: str, ref: int | None, item):
    """Confirm, then withdraw one setting (shared by the routes below)."""
    if item is None:
        abort(404)
    form = ActionForm()
    if form.validate_on_submit():
        try:
            services.withdraw_setting(current_user, kind, actor=current_user, ref=ref)
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            flash(_("Withdrawn. This is now switched off."), "success")
        return redirect(url_for("privacy.consents"))
    return render_template("privacy/withdraw.html", item=item, form=form)


def _active_item(kind: str, ref: int | None = None):
    items = queries.consent_page(current_user).items
    return next((i for i in items if i.kind == kind and i.ref == ref and i.active), None)


@bp.route("/einwilligungen/<slug>/widerrufen", methods=["GET", "POST"])
@login_required
def withdraw_setting(slug: str):
    kind = SLUGS.get(slug)
    if kind is None:
        abort(404)
    return _withdraw(kind, None, _active_item(kind))


@bp.route("/einwilligungen/wunsch/<int:wish_id>/widerrufen", methods=["GET", "POST"])
@login_required
def withdraw_wish_answer(wish_id: int):
    return _withdraw("wish_answer", wish_id, _active_item("wish_answer", wish_id))


@bp.route("/einwilligungen/datenschutz/widerrufen", methods=["GET", "POST"])
@login_required
def withdraw_privacy():
    form = WithdrawPrivacyForm()
    if not current_user.has_totp:
        del form.code
    blocked = erasure.blocked_message(current_user)
    if blocked is None and form.validate_on_submit():
        try:
            when = services.withdraw_privacy_consent(
                current_user,
                actor=current_user,
                password=form.password.data,
                code=form.code.data if "code" in form else None,
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return _signed_out_for_deletion(when)
    return render_template(
        "privacy/withdraw_privacy.html",
        form=form,
        blocked=blocked,
        days=erasure.grace_days(),
        renewal=bool(session.get(CONSENT_DUE)),
    )


def _signed_out_for_deletion(when):
    auth.end_session()
    if when is None or when <= utcnow():
        flash(_("Your account is deleted. Thank you for your time with us."), "success")
    else:
        flash(
            _(
                "Your account will be deleted on %(date)s. If you sign in before then, it stays.",
                date=format_date(to_berlin(when).date(), "long"),
            ),
            "success",
        )
    return redirect(url_for("core.index"))


# --- A new privacy notice ------------------------------------------------------------------


@bp.route("/datenschutz-zustimmung", methods=["GET", "POST"])
@login_required
def renew_consent():
    form = RenewConsentForm(next=request.args.get("next", ""))
    target = safe_next(form.next.data, url_for("core.index"))
    if not queries.privacy_consent_due(current_user.id):
        session.pop(CONSENT_DUE, None)
        return redirect(target)
    if form.validate_on_submit():
        services.give_privacy_consent(current_user, actor=current_user)
        session.pop(CONSENT_DUE, None)
        flash(_("Thank you. You agreed to the privacy notice."), "success")
        return redirect(target)
    version = current_app.config["PRIVACY_NOTICE_VERSION"]
    previous = queries.privacy_consents(current_user.id)
    return render_template("privacy/renew.html", form=form, version=version, previous=previous[:1])
