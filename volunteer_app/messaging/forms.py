"""Forms of messaging: the coordinator's message and its audience."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, ValidationError

from volunteer_app.common.forms import AppForm, ChoiceField, IdField, text_field
from volunteer_app.messaging.models import BODY_MAX_LENGTH, SUBJECT_MAX_LENGTH

NONE = 0  # the "please choose" entry of each list


class MessageForm(AppForm):
    """Write to the people of a date, an activity, a category or the whole centre.

    The lists' choices come from the view (``messaging.queries.choices``); only the list of
    the chosen audience must have a choice.
    """

    audience = ChoiceField(
        _l("Who gets the message?"),
        choices=[
            SelectChoice("slot", _l("The people of one date (booked or on the waiting list)")),
            SelectChoice("activity", _l("The people booked on an activity's coming dates")),
            SelectChoice("category", _l("Everyone interested in an area (news)")),
            SelectChoice("centre", _l("Everyone at the centre (news)")),
        ],
        validators=[InputRequired(message=_l("Please choose who gets the message."))],
    )
    slot = IdField(_l("Date"), choices=[])
    activity = IdField(_l("Activity"), choices=[])
    category = IdField(_l("Area"), choices=[])
    subject = text_field(_l("Subject"), SUBJECT_MAX_LENGTH, required=True)
    body = text_field(_l("Message"), BODY_MAX_LENGTH, required=True, multiline=True)

    def set_choices(self, choices) -> None:
        def listed(pairs):
            return [SelectChoice(NONE, _l("Please choose"))] + [
                SelectChoice(value, label) for value, label in pairs
            ]

        self.slot.choices = listed(choices.slots)
        self.activity.choices = listed(choices.activities)
        self.category.choices = listed(choices.categories)

    def _needs(self, field) -> None:
        if self.audience.data == field.name and not field.data:
            raise ValidationError(_l("Please choose one of the options."))

    def validate_slot(self, field) -> None:
        self._needs(field)

    def validate_activity(self, field) -> None:
        self._needs(field)

    def validate_category(self, field) -> None:
        self._needs(field)

    @property
    def ref(self) -> int | None:
        """The chosen date, activity or category (None for the whole centre)."""
        if self.audience.data in ("slot", "activity", "category"):
            return self[self.audience.data].data or None
        return None
