"""Forms for centres: details, closing days and accepting an invitation."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
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
from volunteer_app.centres.models import CENTRE_FIELDS
from volunteer_app.common.forms import (
    AppForm,
    DayField,
    NoControlCharacters,
    clean_multiline,
    clean_text,
    lower_text,
)

# [0-9], not \d: \d would let Arabic-Indic and other Unicode digits through.
POSTCODE_PATTERN = r"^(?!00)[0-9]{5}$"
PHONE_PATTERN = r"^(?=(?:[^0-9]*[0-9]){3})\+?[0-9 ()/.\-]+$"
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


class CentreForm(AppForm):
    """What a centre's coordinators may change."""

    name = StringField(
        _l("Name of the centre"),
        filters=[clean_text],
        validators=[DataRequired(), Length(max=150), NoControlCharacters()],
    )
    street = StringField(
        _l("Street and number"),
        filters=[clean_text],
        validators=[Optional(), Length(max=150), NoControlCharacters()],
    )
    postcode = StringField(
        _l("Postcode"),
        filters=[clean_text],
        validators=[
            Optional(),
            Regexp(POSTCODE_PATTERN, message=_l("Please enter a postcode with five digits.")),
        ],
    )
    town = StringField(
        _l("Town"),
        filters=[clean_text],
        validators=[DataRequired(), Length(max=100), NoControlCharacters()],
    )
    description = TextAreaField(
        _l("Short description"),
        filters=[clean_multiline],
        validators=[Optional(), Length(max=1000), NoControlCharacters()],
    )
    contact_email = EmailField(
        _l("Contact e-mail address"),
        filters=[lower_text],
        validators=[Optional(), Length(max=254), Email()],
    )
    contact_phone = TelField(
        _l("Contact phone number"),
        filters=[clean_text],
        validators=[
            Optional(),
            Length(max=40),
            Regexp(
                PHONE_PATTERN,
                message=_l("Please enter a phone number with digits, spaces, + / - ( ) only."),
            ),
        ],
    )

    def centre_data(self) -> dict:
        return {name: self[name].data or "" for name in CENTRE_FIELDS}


class CentreSettingsForm(CentreForm):
    """What only an admin may change besides: the operator and the web address."""

    operator_id = SelectField(_l("Operator"), coerce=int)
    slug = StringField(
        _l("Web address"),
        filters=[lower_text],
        validators=[
            Optional(),
            Length(max=80),
            Regexp(
                SLUG_PATTERN,
                message=_l("Use lower-case letters, digits and single hyphens only."),
            ),
        ],
    )

    def __init__(self, *args, operators=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.operator_id.choices = [(0, _l("– no operator –"))] + [
            (o.id, o.name) for o in operators
        ]
        if self.operator_id.data is None:  # a centre without operator
            self.operator_id.data = 0

    def centre_data(self) -> dict:
        return {
            **super().centre_data(),
            "operator_id": self.operator_id.data or None,
            "slug": self.slug.data or "",
        }


class ClosingDayForm(AppForm):
    """A closure: one day, or a range from ``day`` to ``until``. Sent again from the preview
    with ``confirm`` set, which cancels the dates and (if ticked) room bookings on those days."""

    day = DayField(
        _l("First day"),
        validators=[InputRequired(message=_l("Please enter a date, like 24.12.2026."))],
    )
    until = DayField(_l("Last day (optional)"), validators=[Optional()])
    reason = StringField(
        _l("Reason (optional)"),
        filters=[clean_text],
        validators=[Optional(), Length(max=150), NoControlCharacters()],
    )
    cancel_bookings = BooleanField(_l("Cancel these room bookings too"), default=True)
    confirm = HiddenField()

    @property
    def confirmed(self) -> bool:
        return self.confirm.data == "1"

    def closure_data(self) -> dict:
        return {
            "first": self.day.data,
            "last": self.until.data,
            "reason": self.reason.data or "",
        }


class RemoveClosingDayForm(AppForm):
    """Removing one closing day, or (``scope=range``) the whole closure it belongs to."""

    scope = HiddenField(default="day")


class PasswordRules:
    """The accounts' rules for a new password (length, common passwords, not the address);
    the view sets ``form.account_email`` to the invited address."""

    def __call__(self, form, field):
        problem = passwords.problem(field.data or "", getattr(form, "account_email", None))
        if problem is not None:
            raise ValidationError(problem)


class AcceptInvitationForm(AppForm):
    """A new coordinator's account: name, password and the privacy consent."""

    name = StringField(
        _l("Your name"),
        filters=[clean_text],
        validators=[DataRequired(), Length(max=100), NoControlCharacters()],
    )
    password = PasswordField(
        _l("Password"),
        validators=[
            InputRequired(message=_l("Please choose a password.")),
            NoControlCharacters(),
            PasswordRules(),
        ],
    )
    privacy = BooleanField(
        _l("I have read the privacy notice and agree to it."),
        validators=[DataRequired(message=_l("Please agree to the privacy notice."))],
    )
