"""Forms of the volunteer pages: the browse filters (GET) and one-button actions (POST)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from types import SimpleNamespace

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import BooleanField, HiddenField, SelectField
from wtforms.fields.choices import Choice
from wtforms.validators import Optional, ValidationError
from wtforms.widgets import Select, html_params

from volunteer_app.activities.queries import category_label
from volunteer_app.common.forms import AppForm, DayField, text_field
from volunteer_app.signups.models import REASON_MAX_LENGTH
from volunteer_app.signups.queries import MAX_RANGE_DAYS, FilterChoices, SlotFilters

# Far-off years would overflow the time-zone arithmetic and mean nothing here.
EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2100, 12, 31)


class ActionForm(AppForm):
    """Only the CSRF token (and where to go back to) of a one-button form."""

    next = HiddenField()


class CantComeForm(AppForm):
    """ "I can't come" after the cancellation deadline, with an optional reason."""

    reason = text_field(_l("Reason (optional)"), REASON_MAX_LENGTH, multiline=True)


_NOT_A_CHOICE = "Not a valid choice."  # WTForms' text (not ours to translate)


class OfferedSelect(Select):
    """WTForms' ``Select`` with the options of an ``Offered``: the same HTML, without
    rendering a hundred options per request."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        flags = vars(field.flags)
        for name in self.validation_attrs:
            if name in flags and name not in kwargs:
                kwargs[name] = flags[name]
        options = field.offered.options(field.data)
        # As WTForms' Select: html_params escapes the attributes, the options are its own.
        html = f"<select {html_params(name=field.name, **kwargs)}>{options}</select>"
        return Markup(html)  # noqa: S704


class Offered:
    """A select's choices with their ``<option>`` elements rendered once (by WTForms' own
    ``Select.render_option``), each also in its selected form."""

    def __init__(self, choices: list[tuple[str, object]]):
        self.choices = choices
        self._plain = [
            Select.render_option(Choice(value, label, False, None)) for value, label in choices
        ]
        self._all_plain = "".join(self._plain)
        self._chosen = {}  # value: (position, the option selected)
        for n, (value, label) in enumerate(choices):
            self._chosen.setdefault(
                value, (n, Select.render_option(Choice(value, label, True, None)))
            )

    def __contains__(self, value) -> bool:
        return value in self._chosen

    def options(self, data) -> str:
        """The options with the one whose value equals ``data`` selected (as WTForms)."""
        found = self._chosen.get(data) if isinstance(data, str) else None
        if found is None:
            return self._all_plain
        n, chosen = found
        return "".join([*self._plain[:n], chosen, *self._plain[n + 1 :]])


class OfferedSelectField(SelectField):
    """A ``SelectField`` whose choices come as an ``Offered``, made once and shared."""

    widget = OfferedSelect()

    def offer(self, offered: Offered) -> None:
        self.offered, self.choices = offered, offered.choices

    def pre_validate(self, form):
        # SelectField's check: the value must be one of the choices (its message in WTForms'
        # words, which common.forms.LIBRARY_MESSAGES puts in ours).
        if not self.process_errors and self.data not in self.offered:
            raise ValidationError(self.invalid_choice_message or self.gettext(_NOT_A_CHOICE))


@lru_cache(maxsize=32)
def _offered(language: str, choices: FilterChoices) -> tuple[Offered, Offered]:
    """The centre and category options in ``language`` (the page's; the labels are
    translated now, so the language is part of the key)."""
    centres = [("", _l("All centres"))] + [
        (str(id_), f"{name} ({town})") for id_, name, town in choices.centres
    ]
    categories = [("", _l("All kinds"))]
    for id_, key, name, centre_id, centre_name in choices.categories:
        label = category_label(SimpleNamespace(key=key, name=name))
        categories.append((str(id_), label if centre_id is None else f"{label} ({centre_name})"))
    return Offered(centres), Offered(categories)


NO_CHOICES = FilterChoices(centres=(), categories=())


class SlotFilterForm(AppForm):
    """The filters of the slot list; read from the query string, so no CSRF token."""

    class Meta:
        csrf = False

    centre = OfferedSelectField(_l("Centre"), choices=[], validators=[Optional()])
    category = OfferedSelectField(_l("Kind of activity"), choices=[], validators=[Optional()])
    date_from = DayField(_l("From"), validators=[Optional()])
    date_to = DayField(_l("Until"), validators=[Optional()])
    fits_me = BooleanField(_l("Only dates that fit my profile"))

    def __init__(self, formdata, choices: FilterChoices = NO_CHOICES, **kwargs):
        super().__init__(formdata=formdata, **kwargs)
        centres, categories = _offered(str(get_locale()), choices)
        self.centre.offer(centres)
        self.category.offer(categories)

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
