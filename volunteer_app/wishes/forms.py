"""Forms of wishes: suggesting (public), supporting, answering and turning into an activity."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, Length, Optional, ValidationError

from volunteer_app.common.forms import (
    AppForm,
    ChoiceField,
    IdField,
    NoControlCharacters,
    lower_text,
    text_field,
)
from volunteer_app.wishes.models import ANSWER_MAX, DESCRIPTION_MAX, TITLE_MAX


class WishForm(AppForm):
    """A family's suggestion. ``website`` is a honeypot: people never see it, bots fill it."""

    title = text_field(_l("What would you like the centre to offer?"), TITLE_MAX, required=True)
    description = text_field(_l("A few words more (optional)"), DESCRIPTION_MAX, multiline=True)
    email = EmailField(
        _l("Your e-mail address (optional)"),
        filters=[lower_text],
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


STATUS_CHOICES = [
    SelectChoice("new", _l("New: not decided yet")),
    SelectChoice("planned", _l("Planned: we are working on it")),
    SelectChoice("realised", _l("Realised as an existing activity")),
    SelectChoice("declined", _l("Not possible")),
]


APPROVAL_CHOICES = [
    SelectChoice("approve", _l("Check first: new wishes are public once a coordinator approved them (recommended)")),
    SelectChoice("publish", _l("Publish at once: new wishes are public right after they are sent")),
]  # fmt: skip


class ApprovalForm(AppForm):
    """The centre's choice: approve new wishes first, or publish them at once."""

    approval = ChoiceField(_l("New wishes"), choices=APPROVAL_CHOICES, default="approve")

    @property
    def need_approval(self) -> bool:
        return self.approval.data != "publish"


class RejectForm(AppForm):
    """Refusing a waiting wish, with a reason for the wisher (optional)."""

    reason = text_field(_l("Reason for the family (optional)"), ANSWER_MAX, multiline=True)


class AnswerForm(AppForm):
    """The centre's public answer and the wish's status."""

    status = ChoiceField(_l("Status"), choices=STATUS_CHOICES, default="new")
    activity_id = IdField(
        _l("Which activity realises the wish?"), validators=[Optional()], default=0
    )
    answer = text_field(_l("Public answer"), ANSWER_MAX, multiline=True)

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
        if data["status"] not in ("planned", "realised"):
            data["activity_id"] = None
        return data
