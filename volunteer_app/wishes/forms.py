"""Forms of wishes: suggesting (public), supporting, answering and turning into an activity."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, Length, Optional, ValidationError

from volunteer_app.accounts.forms import normalise_email
from volunteer_app.activities.forms import ChoiceField, IdField, _text
from volunteer_app.common.forms import NoControlCharacters
from volunteer_app.wishes.models import ANSWER_MAX, DESCRIPTION_MAX, TITLE_MAX


class WishForm(FlaskForm):
    """A family's suggestion. ``website`` is a honeypot: people never see it, bots fill it."""

    title = _text(_l("What would you like the centre to offer?"), TITLE_MAX, required=True)
    description = _text(_l("A few words more (optional)"), DESCRIPTION_MAX, multiline=True)
    email = EmailField(
        _l("Your e-mail address (optional)"),
        filters=[normalise_email],
        validators=[
            Optional(),
            Length(max=254, message=_l("An e-mail address has at most 254 characters.")),
            NoControlCharacters(),
            Email(_l("Please enter a valid e-mail address, like name@example.org.")),
        ],
    )
    consent = BooleanField(
        _l("Yes, the centre may store my e-mail address to answer me about this wish.")
    )
    website = StringField(_l("Leave this field empty"))

    FIELDS = ("title", "description", "email", "consent")

    def validate_consent(self, field):
        if self.email.data and not field.data:
            raise ValidationError(
                _l(
                    "Please tick the box so that we may store your address, "
                    "or leave the address empty."
                )
            )

    @property
    def is_bot(self) -> bool:
        return bool((self.website.data or "").strip())

    def wish_data(self) -> dict:
        return {name: self[name].data for name in self.FIELDS}


class SupportForm(FlaskForm):
    """No fields: the CSRF token of the one-click support button."""


class ConfirmForm(FlaskForm):
    """No fields: the CSRF token of a one-button form (delete)."""


STATUS_CHOICES = [
    SelectChoice("new", _l("New: not decided yet")),
    SelectChoice("planned", _l("Planned: we are working on it")),
    SelectChoice("realised", _l("Realised as an existing activity")),
    SelectChoice("declined", _l("Not possible")),
]


class AnswerForm(FlaskForm):
    """The centre's public answer and the wish's status."""

    status = ChoiceField(_l("Status"), choices=STATUS_CHOICES, default="new")
    activity_id = IdField(
        _l("Which activity realises the wish?"), validators=[Optional()], default=0
    )
    answer = _text(_l("Public answer"), ANSWER_MAX, multiline=True)

    FIELDS = ("status", "activity_id", "answer")

    def __init__(self, *args, activities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.activity_id.choices = [SelectChoice(0, _l("— choose an activity —"))] + [
            SelectChoice(a.id, a.title) for a in activities
        ]

    def validate_activity_id(self, field):
        if self.status.data == "realised" and not field.data:
            raise ValidationError(_l("Please choose the activity that realises the wish."))

    def answer_data(self) -> dict:
        data = {name: self[name].data for name in self.FIELDS}
        if data["status"] != "realised":
            data["activity_id"] = None
        return data
