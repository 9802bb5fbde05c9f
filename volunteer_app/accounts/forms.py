"""Account forms: one per use case, every field listed explicitly."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from volunteer_app.accounts import passwords
from volunteer_app.accounts.twofactor import normalise_code
from volunteer_app.common.forms import AppForm, NoControlCharacters, clean_text, lower_text
from volunteer_app.i18n import ENDONYMS, web_code


def language_choices() -> list[SelectChoice]:
    """Every language of ``LANGUAGES``, each named in itself (and marked up so), so that
    everyone finds theirs."""
    return [
        SelectChoice(code, ENDONYMS[code], render_kw={"lang": web_code(code)})
        for code in current_app.config["LANGUAGES"]
    ]


def _email_field(label=None):
    return EmailField(
        label or _l("E-mail address"),
        filters=[lower_text],
        validators=[
            DataRequired(_l("Please enter your e-mail address.")),
            Length(max=254, message=_l("An e-mail address has at most 254 characters.")),
            NoControlCharacters(),
            Email(_l("Please enter a valid e-mail address, like name@example.org.")),
        ],
    )


class AcceptablePassword:
    """Not in the list of common passwords and not the account's e-mail address.

    The address comes from the form's ``email`` field or, for a logged-in user or a
    reset link, from ``form.account_email`` set by the view.
    """

    def __call__(self, form, field):
        email = getattr(form, "account_email", None)
        if email is None and "email" in form:
            email = form["email"].data
        if field.data and len(field.data) <= passwords.MAX_LENGTH:
            message = passwords.problem(field.data, email)
            if message is not None and message != passwords.length_message():
                raise ValidationError(message)


def _new_password_field(label):
    return PasswordField(
        label,
        validators=[
            InputRequired(_l("Please choose a password.")),
            Length(
                min=passwords.MIN_LENGTH,
                max=passwords.MAX_LENGTH,
                message=passwords.length_message(),
            ),
            NoControlCharacters(),
            AcceptablePassword(),
        ],
    )


def _password_field(label):
    return PasswordField(
        label,
        validators=[
            InputRequired(_l("Please enter your password.")),
            Length(max=passwords.MAX_LENGTH, message=passwords.length_message()),
        ],
    )


def _name_field():
    return StringField(
        _l("Name"),
        filters=[clean_text],
        validators=[
            DataRequired(_l("Please enter your name.")),
            Length(max=100, message=_l("A name has at most 100 characters.")),
            NoControlCharacters(),
        ],
    )


class RegisterForm(AppForm):
    name = _name_field()
    email = _email_field()
    password = _new_password_field(_l("Password"))
    consent = BooleanField(
        _l(
            "I have read the privacy notice and agree that my data is processed as described there."
        ),
        validators=[DataRequired(_l("Please agree to the privacy notice to register."))],
    )


class LoginForm(AppForm):
    email = _email_field()
    password = _password_field(_l("Password"))
    next = HiddenField()


class EmailOnlyForm(AppForm):
    """Resend the confirmation link, request a password reset."""

    email = _email_field()


class ResetPasswordForm(AppForm):
    password = _new_password_field(_l("New password"))


class PasswordConfirmForm(AppForm):
    """Re-authentication before a sensitive action."""

    password = _password_field(_l("Password"))
    next = HiddenField()


class ProfileForm(AppForm):
    name = _name_field()
    phone = StringField(
        _l("Phone (optional)"),
        filters=[clean_text],
        validators=[
            Optional(),
            Length(max=40, message=_l("A phone number has at most 40 characters.")),
            NoControlCharacters(),
            Regexp(
                r"^\+?[0-9 ()/.\-]+$",
                message=_l("Please use only digits, spaces and + ( ) / - ."),
            ),
        ],
    )
    locale = SelectField(_l("Preferred language"), choices=language_choices)


class ChangePasswordForm(AppForm):
    current_password = _password_field(_l("Current password"))
    new_password = _new_password_field(_l("New password"))


class ChangeEmailForm(AppForm):
    new_email = _email_field(_l("New e-mail address"))
    email_password = _password_field(_l("Current password"))


class TotpCodeForm(AppForm):
    code = StringField(
        _l("Six-digit code"),
        filters=[normalise_code],
        validators=[
            DataRequired(_l("Please enter the code from your app.")),
            Regexp(r"^\d{6}$", message=_l("The code has six digits.")),
        ],
    )
    next = HiddenField()


class RecoveryCodeForm(AppForm):
    code = StringField(
        _l("Recovery code"),
        filters=[clean_text],
        validators=[
            DataRequired(_l("Please enter one of your recovery codes.")),
            Length(max=40, message=_l("A recovery code is shorter.")),
            NoControlCharacters(),
        ],
    )
    next = HiddenField()
