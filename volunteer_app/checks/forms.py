"""Forms for the legally required checks: exactly the fields the law allows, nothing more."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from volunteer_app.common.forms import AppForm, DayField

DATE_MESSAGE = _l("Please enter a date, like 24.12.2026.")


def _yes_no(label, yes, no):
    return RadioField(
        label,
        choices=[SelectChoice("yes", yes), SelectChoice("no", no)],
        validators=[InputRequired(message=_l("Please choose yes or no."))],
    )


class CertificateCheckForm(AppForm):
    """An inspection of the extended certificate: no upload, no notes — on purpose."""

    certificate_date = DayField(
        _l("Date of the certificate"), validators=[InputRequired(message=DATE_MESSAGE)]
    )
    inspected_on = DayField(_l("Inspected on"), validators=[InputRequired(message=DATE_MESSAGE)])
    eligible = _yes_no(
        _l("Eligible to work with children"),
        _l("Yes, no entries that rule out the activity"),
        _l("No, not eligible"),
    )

    def check_data(self) -> dict:
        return {
            "certificate_date": self.certificate_date.data,
            "inspected_on": self.inspected_on.data,
            "eligible": self.eligible.data == "yes",
        }


class MeaslesProofForm(AppForm):
    """A dated yes/no note on measles protection (health data: nothing more)."""

    shown_on = DayField(_l("Proof shown on"), validators=[InputRequired(message=DATE_MESSAGE)])
    proof_ok = _yes_no(
        _l("Protection against measles proven"), _l("Yes, proven"), _l("No, not proven")
    )

    def proof_data(self) -> dict:
        return {"shown_on": self.shown_on.data, "proof_ok": self.proof_ok.data == "yes"}
