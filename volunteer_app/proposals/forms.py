"""Forms of proposals: start a run, confirm/replace proposals, answer, weekly e-mail."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, RadioField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, InputRequired

from volunteer_app.common.forms import AppForm, DayField, RowIdField, row_id


class RunForm(AppForm):
    """A period and options; the scope only when the coordinator may plan operator-wide."""

    scope = RadioField(
        _l("For"),
        choices=[SelectChoice("centre", _l("this centre")), SelectChoice("operator", "")],
        default="centre",
        validators=[InputRequired(message=_l("Please choose what to plan for."))],
    )
    period_from = DayField(
        _l("From"), validators=[InputRequired(message=_l("Please enter a date, like 24.12.2026."))]
    )
    period_to = DayField(
        _l("Until"), validators=[InputRequired(message=_l("Please enter a date, like 24.12.2026."))]
    )
    allow_same_day = BooleanField(
        _l("Allow several dates a day for one person (never overlapping)")
    )
    same_person_for_series = BooleanField(_l("Same person for every date of a series"))

    def set_operator(self, operator_name: str | None) -> None:
        if operator_name:
            self.scope.choices = [
                SelectChoice("centre", _l("this centre")),
                SelectChoice(
                    "operator",
                    _l("all centres of %(operator)s", operator=operator_name),
                ),
            ]
        else:
            self.scope.choices = [SelectChoice("centre", _l("this centre"))]


class ConfirmForm(AppForm):
    """Checked proposals (or all, with the "all" button) as invitations or direct sign-ups."""

    proposal_ids = SelectMultipleField(coerce=row_id, validate_choice=False)
    mode = RadioField(
        _l("How"),
        choices=[
            SelectChoice("invite", _l("Invite: the volunteer accepts or declines")),
            SelectChoice("direct", _l("Sign up directly (the volunteer is told)")),
        ],
        default="invite",
        validators=[InputRequired(message=_l("Please choose how to confirm."))],
    )
    scope = StringField(validators=[AnyOf(["selected", "all"])], default="selected")
    # "All" first shows how many people would be mailed; the page's button sets this.
    confirmed = BooleanField()


class ReplaceForm(AppForm):
    volunteer_id = RowIdField(
        _l("Instead"), validators=[DataRequired(message=_l("Please choose a person."))]
    )


class AnswerForm(AppForm):
    answer = StringField(
        validators=[InputRequired(), AnyOf(["accept", "decline"])],
    )


class WeeklyForm(AppForm):
    enabled = BooleanField(_l("Send me suggestions by e-mail once a week"))


class AskForm(AppForm):
    """Ask stand-ins for a slot: the best one, three or all candidates, or one person."""

    how = StringField(validators=[InputRequired(), AnyOf(["one", "three", "all", "person"])])
    volunteer_id = RowIdField()
