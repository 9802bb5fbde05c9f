"""Forms of erasure: every field listed explicitly."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length, Optional, Regexp

from volunteer_app.accounts import passwords
from volunteer_app.accounts.twofactor import normalise_code
from volunteer_app.common.forms import AppForm


class DeleteAccountForm(AppForm):
    """The password, and for anyone with a second factor the code from the app."""

    password = PasswordField(
        _l("Password"),
        validators=[
            InputRequired(_l("Please enter your password.")),
            Length(max=passwords.MAX_LENGTH, message=passwords.length_message()),
        ],
    )
    code = StringField(
        _l("Six-digit code from your app"),
        filters=[normalise_code],
        validators=[Optional(), Regexp(r"^\d{6}$", message=_l("The code has six digits."))],
    )
