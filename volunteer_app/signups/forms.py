"""Forms of the volunteer pages: the browse filters (GET) and one-button actions (POST)."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, SelectField
from wtforms.validators import Optional, ValidationError

from volunteer_app.common.forms import AppForm, DayField, text_field
from volunteer_app.signups.models import REASON_MAX_LENGTH
from volunteer_app.signups.queries import MAX_RANGE_DAYS, SlotFilters

# Far-off years would overflow the time-zone arithmetic and mean nothing here.
EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2100, 12, 31)


class ActionForm(AppForm):
    """Only the CSRF token (and where to go back to) of a one-button form."""

    next = HiddenField()


class CantComeForm(AppForm):
    """ "I can't come" after the cancellation deadline, with an optional reason."""

    reason = text_field(_l("Reason (optional)"), REASON_MAX_LENGTH, multiline=True)


class SlotFilterForm(AppForm):
    """The filters of the slot list; read from the query string, so no CSRF token."""

    class Meta:
        csrf = False

    centre = SelectField(_l("Centre"), choices=[], validators=[Optional()])
    category = SelectField(_l("Kind of activity"), choices=[], validators=[Optional()])
    date_from = DayField(_l("From"), validators=[Optional()])
    date_to = DayField(_l("Until"), validators=[Optional()])
    fits_me = BooleanField(_l("Only dates that fit my profile"))

    def __init__(self, formdata, centres, categories, **kwargs):
        super().__init__(formdata=formdata, **kwargs)
        self.centre.choices = [("", _l("All centres"))] + [
            (str(c.id), f"{c.name} ({c.town})") for c in centres
        ]
        self.category.choices = [("", _l("All kinds"))] + [
            (str(c.id), c.label if c.centre_id is None else f"{c.label} ({c.centre.name})")
            for c in categories
        ]

    def validate_date_from(self, field):
        _check_year(field.data)

    def validate_date_to(self, field):
        _check_year(field.data)
        start, end = self.date_from.data, field.data
        if start and end and end < start:
            raise ValidationError(_l("The end date must not be before the start date."))
        if start and end and (end - start).days > MAX_RANGE_DAYS:
            raise ValidationError(_l("Please choose a period of at most one year."))

    def filters(self) -> SlotFilters:
        """The chosen filters; call after ``validate()`` (invalid input means no filter)."""
        valid = not self.errors
        date_from = self.date_from.data if valid else None
        date_to = self.date_to.data if valid else None
        return SlotFilters(
            centre_id=_int_or_none(self.centre.data) if valid else None,
            category_id=_int_or_none(self.category.data) if valid else None,
            date_from=date_from,
            date_to=date_to,
            fits_me=bool(self.fits_me.data),
        )


def _check_year(day: dt.date | None) -> None:
    if day is not None and not EARLIEST <= day <= LATEST:
        raise ValidationError(_l("Please enter a date between the years 2000 and 2100."))


def _int_or_none(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
