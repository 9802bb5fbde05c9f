"""Forms of hours, certificates and reports (explicit field lists only)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, ValidationError

from volunteer_app.common.forms import AppForm, DayField, IdField, text_field

DATE_MESSAGE = _l("Please enter a date, like 24.12.2026.")


class CertificateRequestForm(AppForm):
    centre_id = IdField(_l("Centre"))
    period_start = DayField(_l("From"), validators=[InputRequired(DATE_MESSAGE)])
    period_end = DayField(_l("To"), validators=[InputRequired(DATE_MESSAGE)])

    def __init__(self, *args, centres=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.centre_id.choices = [SelectChoice(c.id, c.name) for c in centres]

    def validate_period_end(self, field):
        if self.period_start.data and field.data and field.data < self.period_start.data:
            raise ValidationError(_l("The last day must not be before the first day."))


class SignForm(AppForm):
    signer_name = text_field(_l("Signed by (name as printed)"), 100, required=True)
    signed_on = DayField(_l("Date of signature"), validators=[InputRequired(DATE_MESSAGE)])
