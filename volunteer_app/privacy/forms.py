"""Forms of privacy: agree to the privacy notice again, withdraw the consent to it."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Regexp

from volunteer_app.accounts import passwords
from volunteer_app.accounts.twofactor import normalise_code
from volunteer_app.common.forms import AppForm


class RenewConsentForm(AppForm):
    """Agree to a new version of the privacy notice after signing in."""

    agree = BooleanField(
        _l(
            "I have read the privacy notice and agree that my data is processed as described there."
        ),
        validators=[DataRequired(_l("Please tick the box to agree to the privacy notice."))],
    )
    next = HiddenField()


class WithdrawPrivacyForm(AppForm):
    """Withdraw the privacy consent (the account is deleted): confirmed like a deletion.

    The view removes ``code`` for people without a second factor.
    """

    password = PasswordField(
        _l("Your password"),
        validators=[
            InputRequired(_l("Please enter your password.")),
            Length(max=passwords.MAX_LENGTH, message=passwords.length_message()),
        ],
    )
    code = StringField(
        _l("Six-digit code from your authenticator app"),
        filters=[normalise_code],
        validators=[
            DataRequired(_l("Please enter the code from your app.")),
            Regexp(r"^\d{6}$", message=_l("The code has six digits.")),
        ],
    )
