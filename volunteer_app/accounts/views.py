"""Account pages: register, confirm, log in and out, reset, profile and the second factor."""

from __future__ import annotations

import time

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale, get_locale, ngettext
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required

from volunteer_app.accounts import auth, queries, services, twofactor
from volunteer_app.accounts.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    EmailOnlyForm,
    LoginForm,
    PasswordConfirmForm,
    ProfileForm,
    RecoveryCodeForm,
    RegisterForm,
    ResetPasswordForm,
    TotpCodeForm,
)
from volunteer_app.common.errors import DomainError, InvalidToken
from volunteer_app.common.forms import ActionForm, apply_domain_error
from volunteer_app.common.urls import safe_next
from volunteer_app.extensions import configured_limit, limiter
from volunteer_app.volunteers.queries import needs_profile

bp = Blueprint("accounts", __name__, url_prefix="/konto")


LOGIN_LIMIT = configured_limit("RATELIMIT_LOGIN")
MAIL_LIMIT = configured_limit("RATELIMIT_ACCOUNT_MAIL")
CODE_LIMIT = configured_limit("RATELIMIT_SECOND_FACTOR")


def _user_key() -> str:
    """Second-factor attempts are limited per account too, whatever the IP address."""
    if current_user.is_authenticated:
        return "user:" + current_user.get_id().split(":", 1)[0]
    return get_remote_address()


def _pad(started: float) -> None:
    """Answers that must not tell whether an address has an account also take the same time.

    The work differs (a mail is queued or not, a failure counted or not); the answer is
    held back to a floor that covers it (``ACCOUNT_RESPONSE_FLOOR_SECONDS``).
    """
    floor = current_app.config["ACCOUNT_RESPONSE_FLOOR_SECONDS"]
    remaining = floor - (time.monotonic() - started)
    if remaining > 0:
        time.sleep(remaining)


def _next_arg() -> str:
    return request.args.get("next", "")


def _logged_in(user, next_url: str | None, message: str | None = None):
    """After the password (or a confirmation link): start a new session, then the 2nd factor."""
    done = not auth.second_factor_required(user)
    auth.start_session(user, second_factor_done=done)  # clears the session: flash afterwards
    if message:
        flash(message, "success")
    target = safe_next(next_url, url_for("core.index"))
    if done:
        if not message:
            flash(_("Hello %(name)s, you are logged in.", name=user.first_name), "success")
        return redirect(target)
    if user.has_totp:
        return redirect(url_for("accounts.totp_verify", next=target))
    return redirect(url_for("accounts.totp_setup", next=target))


def _invalid_link(exc: InvalidToken, kind: str):
    form = EmailOnlyForm(formdata=None)
    return render_template(
        "accounts/link_invalid.html", message=exc.message, kind=kind, form=form
    ), 400


# --- Log in and out ------------------------------------------------------------------------


@bp.route("/anmelden", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.profile"))
    form = LoginForm(next=_next_arg())
    if form.validate_on_submit():
        started = time.monotonic()
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except services.LoginFailed as exc:
            _pad(started)
            apply_domain_error(form, exc)
        except services.EmailNotConfirmed as exc:
            resend = EmailOnlyForm(formdata=None, email=form.email.data)
            return render_template(
                "accounts/login.html", form=form, unconfirmed=exc.message, resend_form=resend
            )
        else:
            return _logged_in(user, form.next.data)
    return render_template("accounts/login.html", form=form)


@bp.post("/abmelden")
def logout():
    auth.end_session()
    flash(_("You are logged out. See you soon!"), "success")
    return redirect(url_for("core.index"))


@bp.route("/passwort-bestaetigen", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"])
@login_required
def reauthenticate():
    form = PasswordConfirmForm(next=_next_arg())
    if form.validate_on_submit():
        try:
            services.confirm_password(current_user, form.password.data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            auth.mark_reauthenticated()
            return redirect(safe_next(form.next.data, url_for("accounts.profile")))
    return render_template("accounts/reauthenticate.html", form=form)


# --- Registration and links by mail --------------------------------------------------------


@bp.route("/registrieren", methods=["GET", "POST"])
@limiter.limit(MAIL_LIMIT, methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.profile"))
    form = RegisterForm()
    if form.validate_on_submit():
        started = time.monotonic()
        try:
            services.register_volunteer(
                name=form.name.data,
                email=form.email.data,
                password=form.password.data,
                locale=str(get_locale()),
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            _pad(started)
            return redirect(url_for("accounts.check_mail", what="register"))
    return render_template("accounts/register.html", form=form)


@bp.get("/post-unterwegs")
def check_mail():
    what = request.args.get("what")
    if what not in ("register", "resend", "reset"):
        what = "register"
    return render_template("accounts/check_mail.html", what=what)


@bp.route("/bestaetigen/<token>", methods=["GET", "POST"])
def confirm_email(token: str):
    form = ActionForm()
    try:
        services.check_link(token, "confirm")
        if not form.validate_on_submit():
            return render_template("accounts/confirm_email.html", form=form)
        user = services.confirm_email(token)
    except InvalidToken as exc:
        return _invalid_link(exc, "confirm")
    message = _("Thank you! Your e-mail address is confirmed.")
    return _logged_in(user, url_for("accounts.profile"), message)


@bp.route("/bestaetigung-anfordern", methods=["GET", "POST"])
@limiter.limit(MAIL_LIMIT, methods=["POST"])
def resend_confirmation():
    form = EmailOnlyForm()
    if form.validate_on_submit():
        started = time.monotonic()
        services.resend_confirmation(form.email.data)
        _pad(started)
        return redirect(url_for("accounts.check_mail", what="resend"))
    return render_template("accounts/resend_confirmation.html", form=form)


@bp.route("/passwort-vergessen", methods=["GET", "POST"])
@limiter.limit(MAIL_LIMIT, methods=["POST"])
def reset_request():
    form = EmailOnlyForm()
    if form.validate_on_submit():
        started = time.monotonic()
        services.request_password_reset(form.email.data)
        _pad(started)
        return redirect(url_for("accounts.check_mail", what="reset"))
    return render_template("accounts/reset_request.html", form=form)


@bp.route("/passwort-neu/<token>", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"])
def reset_password(token: str):
    form = ResetPasswordForm()
    try:
        form.account_email = services.check_link(token, "reset").user.email
        if form.validate_on_submit():
            services.reset_password(token, form.password.data)
            auth.end_session()
            flash(_("Your password is changed. Please log in with it."), "success")
            return redirect(url_for("accounts.login"))
    except InvalidToken as exc:
        return _invalid_link(exc, "reset")
    except DomainError as exc:
        apply_domain_error(form, exc)
    return render_template("accounts/reset_password.html", form=form)


# --- Profile -------------------------------------------------------------------------------


def _profile_page(**forms):
    user = current_user
    forms.setdefault("profile_form", ProfileForm(formdata=None, obj=user))
    forms.setdefault("password_form", ChangePasswordForm(formdata=None))
    forms.setdefault("email_form", ChangeEmailForm(formdata=None))
    return render_template(
        "accounts/profile.html",
        consents=queries.consents_of(user),
        codes_left=queries.recovery_codes_left(user) if user.has_totp else None,
        button_form=ActionForm(formdata=None),
        needs_volunteer_profile=needs_profile(user),
        **forms,
    )


@bp.get("/")
@login_required
def profile():
    return _profile_page()


@bp.post("/daten")
@login_required
def update_profile():
    form = ProfileForm()
    if form.validate_on_submit():
        try:
            services.update_profile(
                current_user, name=form.name.data, phone=form.phone.data, locale=form.locale.data
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            session["lang"] = form.locale.data
            with force_locale(form.locale.data):
                flash(_("Your details are saved."), "success")
            return redirect(url_for("accounts.profile"))
    return _profile_page(profile_form=form)


@bp.post("/passwort")
@limiter.limit(LOGIN_LIMIT)
@login_required
def change_password():
    form = ChangePasswordForm()
    form.account_email = current_user.email
    if form.validate_on_submit():
        try:
            user = services.change_password(
                current_user,
                current_password=form.current_password.data,
                new_password=form.new_password.data,
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            auth.refresh_login(user)
            flash(_("Your password is changed. Your other devices are logged out."), "success")
            return redirect(url_for("accounts.profile"))
    return _profile_page(password_form=form)


@bp.post("/e-mail")
@limiter.limit(MAIL_LIMIT)
@login_required
def change_email():
    form = ChangeEmailForm()
    if form.validate_on_submit():
        try:
            services.request_email_change(
                current_user,
                current_password=form.email_password.data,
                new_email=form.new_email.data,
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            flash(
                _(
                    "We sent a link to %(email)s. Your address changes when you open it.",
                    email=form.new_email.data,
                ),
                "success",
            )
            return redirect(url_for("accounts.profile"))
    return _profile_page(email_form=form)


@bp.route("/e-mail-bestaetigen/<token>", methods=["GET", "POST"])
def confirm_email_change(token: str):
    form = ActionForm()
    try:
        link = services.check_link(token, "email_change")
        if not form.validate_on_submit():
            return render_template("accounts/confirm_email_change.html", form=form, link=link)
        user = services.confirm_email_change(token)
    except InvalidToken as exc:
        return _invalid_link(exc, "email_change")
    except DomainError as exc:
        return render_template("accounts/link_invalid.html", message=exc.message, kind=""), 409
    flash(_("Your e-mail address is now %(email)s.", email=user.email), "success")
    if current_user.is_authenticated:
        return redirect(url_for("accounts.profile"))
    return redirect(url_for("accounts.login"))


@bp.post("/ueberall-abmelden")
@login_required
def logout_everywhere():
    services.logout_everywhere(current_user)
    auth.end_session()
    flash(_("You are logged out on all devices."), "success")
    return redirect(url_for("accounts.login"))


# --- Second factor -------------------------------------------------------------------------


def _show_codes(codes: list[str], next_url: str | None):
    target = safe_next(next_url, url_for("accounts.profile"))
    return render_template("accounts/recovery_codes.html", codes=codes, target=target)


@bp.route("/zwei-faktor/einrichten", methods=["GET", "POST"])
@login_required
def totp_setup():
    if current_user.has_totp:
        if not auth.mfa_satisfied():
            return redirect(url_for("accounts.totp_verify", next=_next_arg()))
        flash(_("Two-factor authentication is already switched on."), "info")
        return redirect(url_for("accounts.profile"))
    secret = session.setdefault("totp_pending", twofactor.new_secret())
    form = TotpCodeForm(next=_next_arg())
    if form.validate_on_submit():
        try:
            codes = services.enable_totp(current_user, secret=secret, code=form.code.data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            session.pop("totp_pending", None)
            auth.mark_second_factor_done()
            return _show_codes(codes, form.next.data)
    uri = twofactor.provisioning_uri(secret, current_user.email)
    return render_template(
        "accounts/totp_setup.html",
        form=form,
        qr=twofactor.qr_data_uri(uri),
        secret=twofactor.grouped_secret(secret),
    )


@bp.route("/zwei-faktor", methods=["GET", "POST"])
@limiter.limit(CODE_LIMIT, methods=["POST"])
@limiter.limit(CODE_LIMIT, methods=["POST"], key_func=_user_key)
@login_required
def totp_verify():
    form = TotpCodeForm(next=_next_arg())
    target = safe_next(form.next.data, url_for("core.index"))
    if not current_user.has_totp:
        return redirect(url_for("accounts.totp_setup", next=target))
    if auth.mfa_satisfied():
        return redirect(target)
    if form.validate_on_submit():
        try:
            services.verify_totp(current_user, form.code.data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            auth.mark_second_factor_done()
            return redirect(target)
    return render_template("accounts/totp_verify.html", form=form)


@bp.route("/wiederherstellung", methods=["GET", "POST"])
@limiter.limit(CODE_LIMIT, methods=["POST"])
@limiter.limit(CODE_LIMIT, methods=["POST"], key_func=_user_key)
@login_required
def recovery_login():
    form = RecoveryCodeForm(next=_next_arg())
    target = safe_next(form.next.data, url_for("core.index"))
    if not current_user.has_totp or auth.mfa_satisfied():
        return redirect(target)
    if form.validate_on_submit():
        try:
            left = services.use_recovery_code(current_user, form.code.data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            auth.mark_second_factor_done()
            flash(_recovery_codes_left_message(left), "warning" if left <= 3 else "success")
            return redirect(target)
    return render_template("accounts/recovery_login.html", form=form)


def _recovery_codes_left_message(left: int) -> str:
    text = ngettext(
        "You used a recovery code. You have %(num)d code left.",
        "You used a recovery code. You have %(num)d codes left.",
        left,
    )
    if left <= 3:
        text += " " + _("Please create new recovery codes in your account.")
    return text


@bp.route("/zwei-faktor/wiederherstellungscodes", methods=["GET", "POST"])
@login_required
@auth.fresh_login_required
def recovery_codes():
    if not current_user.has_totp:
        return redirect(url_for("accounts.profile"))
    form = ActionForm()
    if form.validate_on_submit():
        try:
            return _show_codes(services.regenerate_recovery_codes(current_user), None)
        except DomainError as exc:
            flash(exc.message, "error")
    left = queries.recovery_codes_left(current_user)
    return render_template("accounts/recovery_codes_new.html", form=form, left=left)


@bp.route("/zwei-faktor/ausschalten", methods=["GET", "POST"])
@login_required
@auth.fresh_login_required
def totp_disable():
    if not current_user.has_totp:
        return redirect(url_for("accounts.profile"))
    form = ActionForm()
    if form.validate_on_submit():
        try:
            services.disable_totp(current_user)
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            flash(_("Two-factor authentication is switched off."), "success")
        return redirect(url_for("accounts.profile"))
    return render_template("accounts/totp_disable.html", form=form)
