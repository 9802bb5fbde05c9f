"""Forms of the coordinator desk: search, assign, attendance, capacity."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from wtforms import DecimalField, FieldList, FormField, RadioField, SearchField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from volunteer_app.common.forms import (
    AppForm,
    NoControlCharacters,
    RowIdField,
    SubForm,
    WholeNumberField,
    clean_text,
)

MIN_CAPACITY = 1
MAX_CAPACITY = 50  # as the sign-up services and Activity.volunteers_needed


class HoursField(DecimalField):
    """Hours as people type them: "1,5" (German) or "1.5"; only finite plain numbers."""

    def process_formdata(self, valuelist):
        if valuelist and isinstance(valuelist[0], str):
            valuelist = [valuelist[0].strip().replace(",", ".")]
        if (
            valuelist
            and valuelist[0]
            and not re.fullmatch(r"[0-9]{1,2}([.][0-9]{1,2})?", valuelist[0])
        ):
            self.data = None
            raise ValueError(
                _l("Please enter the hours as a number with at most two decimals, e.g. 1,5.")
            )
        super().process_formdata(valuelist)


class SearchForm(AppForm):
    """A name search (GET: no CSRF token, nothing changes)."""

    class Meta:
        csrf = False

    q = SearchField(
        _l("Name"),
        filters=[clean_text],
        validators=[
            Optional(),
            Length(min=2, max=100, message=_l("Please enter 2 to 100 characters.")),
            NoControlCharacters(),
        ],
    )

    @property
    def term(self) -> str:
        """The validated search term, or '' when there is none (or it is unusable)."""
        return self.q.data if self.q.data and not self.q.errors else ""


class AssignForm(AppForm):
    volunteer_id = RowIdField(validators=[DataRequired(message=_l("Unknown volunteer."))])


class AttendanceRowForm(SubForm):
    """One confirmed person's attendance on the roster."""

    signup_id = RowIdField(validators=[DataRequired(message=_l("Unknown volunteer."))])
    attendance = RadioField(
        _l("Attendance"),
        choices=[
            SelectChoice("attended", _l("Attended")),
            SelectChoice("no_show", _l("Did not come")),
        ],
        validators=[InputRequired(message=_l("Please choose attended or did not come."))],
    )
    hours = HoursField(
        _l("Hours"),
        places=2,
        validators=[
            Optional(),
            NumberRange(min=0, max=24, message=_l("Please enter between 0 and 24 hours.")),
        ],
    )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.attendance.data == "no_show" and self.hours.errors:
            # Nobody came: the hours are not asked for (the service counts 0).
            self.hours.errors = []
            self.hours.data = None
            return not (self.signup_id.errors or self.attendance.errors)
        return valid


class AttendanceForm(AppForm):
    """Attendance of all of a slot's confirmed people, saved in one step."""

    rows = FieldList(FormField(AttendanceRowForm), max_entries=MAX_CAPACITY)

    def by_signup(self) -> dict[int, AttendanceRowForm]:
        """The rows by the sign-up they are about (rows without a valid id are left out)."""
        return {row.form.signup_id.data: row.form for row in self.rows if row.form.signup_id.data}


class CapacityForm(AppForm):
    capacity = WholeNumberField(
        _l("Volunteers needed"),
        validators=[
            InputRequired(message=_l("Please enter a whole number.")),
            NumberRange(
                min=MIN_CAPACITY,
                max=MAX_CAPACITY,
                message=_l(
                    "Please enter a number from %(min)d to %(max)d.",
                    min=MIN_CAPACITY,
                    max=MAX_CAPACITY,
                ),
            ),
        ],
    )
