"""Forms of recognition (explicit field lists only)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from volunteer_app.common.forms import AppForm, ChoiceField, DayField, number_field, text_field

DATE_MESSAGE = _l("Please enter a date, like 24.12.2026.")


class BirthYearForm(AppForm):
    year = number_field(_l("Year of birth"), 1900, 2100)


class ZertifikatForm(AppForm):
    period_start = DayField(_l("From"), validators=[InputRequired(DATE_MESSAGE)])
    period_end = DayField(_l("To"), validators=[InputRequired(DATE_MESSAGE)])
    function = text_field(_l("Function"), 150, required=True)
    skills = text_field(_l("Skills acquired"), 1000, multiline=True)
    trainings = text_field(_l("Trainings attended"), 1000, multiline=True)
    signer_name = text_field(_l("Signed by (name as printed)"), 100, required=True)
    signed_on = DayField(_l("Date of signature"), validators=[InputRequired(DATE_MESSAGE)])

    def zertifikat_data(self) -> dict:
        return {name: self[name].data for name in self.data if name != "csrf_token"}


class CardForm(AppForm):
    kind = ChoiceField(
        _l("Card"),
        choices=[
            SelectChoice("ehrenamtscard", _l("Thüringer Ehrenamtscard")),
            SelectChoice("juleica", _l("Jugendleiter-Card (Juleica)")),
        ],
        validators=[InputRequired(_l("Please choose one of the options."))],
        default="ehrenamtscard",
    )
    number = text_field(_l("Card number (optional)"), 40)
    expires_on = DayField(_l("Valid until"), validators=[InputRequired(DATE_MESSAGE)])
