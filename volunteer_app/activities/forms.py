"""Forms for categories, activities, schedules and slots (explicit field lists only)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from volunteer_app.activities import queries
from volunteer_app.activities.services import (
    MAX_CANCEL_DEADLINE_HOURS,
    MAX_COUNT,
    MAX_INTERVAL_WEEKS,
    MAX_VOLUNTEERS,
)
from volunteer_app.common.forms import NoControlCharacters, clean_multiline, clean_text

# --- Fields with plain-language messages --------------------------------------------------


class WholeNumberField(IntegerField):
    """An integer; empty is None (validators decide), anything else non-numeric is refused."""

    def process_formdata(self, valuelist):
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        text = str(valuelist[0]).strip()
        if not (text.lstrip("+-").isascii() and text.lstrip("+-").isdigit()) or len(text) > 9:
            self.data = None
            raise ValueError(_l("Please enter a whole number."))
        self.data = int(text)


class DayField(DateField):
    """A date from the browser's date picker (YYYY-MM-DD) or typed as DD.MM.YYYY."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("format", ["%Y-%m-%d", "%d.%m.%Y"])
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(_l("Please enter a valid date, like 24.12.2026.")) from exc


class ClockField(TimeField):
    """A Berlin wall-clock time, HH:MM (seconds from some browsers are accepted)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("format", ["%H:%M", "%H:%M:%S"])
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(_l("Please enter a valid time, like 10:00.")) from exc


class _PlainChoice:
    """A choice outside the offered ones gets a plain message, not WTForms' default."""

    def pre_validate(self, form):
        if self.data not in [value for value, *_rest in self.choices]:
            raise ValidationError(_l("Please choose one of the options."))


class ChoiceField(_PlainChoice, RadioField):
    pass


class IdField(_PlainChoice, SelectField):
    """A select of ids (int); text that is no number counts as no choice."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("coerce", int)
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None


def _text(label, max_length: int, required: bool = False, multiline: bool = False):
    validators = [
        InputRequired(message=_l("Please fill in this field.")) if required else Optional(),
        Length(max=max_length, message=_l("Please use at most %(max)d characters.")),
        NoControlCharacters(),
    ]
    if multiline:
        return TextAreaField(label, filters=[clean_multiline], validators=validators)
    return StringField(label, filters=[clean_text], validators=validators)


def _number(label, low: int, high: int, required: bool = True, **kwargs):
    message = _l("Please enter a number from %(min)d to %(max)d.")
    return WholeNumberField(
        label,
        validators=[
            InputRequired(message=_l("Please enter a number.")) if required else Optional(),
            NumberRange(min=low, max=high, message=message),
        ],
        **kwargs,
    )


def _required_date(label):
    return DayField(label, validators=[InputRequired(message=_l("Please enter a date."))])


def _required_time(label):
    return ClockField(label, validators=[InputRequired(message=_l("Please enter a time."))])


# --- Forms ----------------------------------------------------------------------------------


class ConfirmForm(FlaskForm):
    """No fields: the CSRF token of a one-button form (cancel, remove)."""


class CategoryForm(FlaskForm):
    name = _text(_l("Name of the category"), 60, required=True)


class ActivityForm(FlaskForm):
    title = _text(_l("Title"), 120, required=True)
    category_id = IdField(_l("Category"))
    description = _text(_l("Description"), 2000, multiline=True)
    place = _text(_l("Place"), 150, required=True)
    responsible_id = IdField(_l("Responsible staff member"))
    audience = _text(_l("For whom"), 120)
    is_public = BooleanField(_l("Show in the family programme"), default=True)
    is_child_facing = BooleanField(_l("Volunteers work with children"))
    signup_mode = ChoiceField(
        _l("Sign-up"),
        choices=[
            SelectChoice("open", _l("Open: a sign-up is confirmed at once while places are free")),
            SelectChoice("approval", _l("With approval: a coordinator confirms each sign-up")),
        ],
        default="open",
    )
    cancel_deadline_hours = _number(
        _l("Volunteers can cancel until … hours before the start"),
        0,
        MAX_CANCEL_DEADLINE_HOURS,
        default=24,
    )
    volunteers_needed = _number(_l("Volunteers needed per date"), 1, MAX_VOLUNTEERS, default=2)

    FIELDS = (
        "title",
        "category_id",
        "description",
        "place",
        "responsible_id",
        "audience",
        "is_public",
        "is_child_facing",
        "signup_mode",
        "cancel_deadline_hours",
        "volunteers_needed",
    )

    def __init__(self, *args, categories=(), staff=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.category_id.choices = [
            SelectChoice(c.id, queries.category_label(c)) for c in categories
        ]
        self.responsible_id.choices = [SelectChoice(u.id, u.name) for u in staff]

    def activity_data(self) -> dict:
        return {name: self[name].data for name in self.FIELDS}


RECURRENCE_CHOICES = [
    SelectChoice("once", _l("Once")),
    SelectChoice("weekly", _l("Weekly, or every few weeks")),
    SelectChoice("monthly", _l("Monthly, on one weekday of the month")),
]
ENDS_CHOICES = [
    SelectChoice("never", _l("No end: dates keep being planned ahead")),
    SelectChoice("until", _l("On a last day")),
    SelectChoice("count", _l("After a number of dates")),
]


class ScheduleForm(FlaskForm):
    """A one-off date or a recurrence, in Berlin time."""

    recurrence = ChoiceField(_l("How often?"), choices=RECURRENCE_CHOICES, default="weekly")
    start_date = _required_date(_l("First date"))
    start_time = _required_time(_l("Start time"))
    end_time = _required_time(_l("End time"))
    interval = _number(_l("Every … weeks"), 1, MAX_INTERVAL_WEEKS, required=False, default=1)
    nth = IdField(
        _l("Which weekday of the month?"),
        choices=[SelectChoice(n, label) for n, label in queries.NTH_LABELS.items()],
        default=1,
    )
    ends = ChoiceField(_l("Ends"), choices=ENDS_CHOICES, default="never")
    until_date = DayField(_l("Last day"), validators=[Optional()])
    count = _number(_l("Number of dates"), 1, MAX_COUNT, required=False)

    FIELDS = (
        "recurrence",
        "start_date",
        "start_time",
        "end_time",
        "interval",
        "nth",
        "ends",
        "until_date",
        "count",
    )

    def schedule_data(self) -> dict:
        return {name: self[name].data for name in self.FIELDS}

    def validate_end_time(self, field):
        if self.start_time.data and field.data and field.data <= self.start_time.data:
            raise ValidationError(_l("The end must be after the start."))

    def validate(self, extra_validators=None) -> bool:
        # Which of the optional fields are needed depends on the others; their own
        # validators stop early when they are empty, so this is checked afterwards.
        valid = super().validate(extra_validators)
        kind, ends = self.recurrence.data, self.ends.data
        needed = []
        if kind == "weekly":
            needed.append((self.interval, _l("Please enter a number of weeks.")))
        if kind in ("weekly", "monthly") and ends == "until":
            needed.append((self.until_date, _l("Please enter the last day.")))
        if kind in ("weekly", "monthly") and ends == "count":
            needed.append((self.count, _l("Please enter the number of dates.")))
        for field, message in needed:
            if field.data is None and not field.errors:
                field.errors = [*field.errors, message]
                valid = False
        until, start = self.until_date.data, self.start_date.data
        if kind != "once" and ends == "until" and until and start and until < start:
            self.until_date.errors = [
                *self.until_date.errors,
                _l("The last day must not be before the first date."),
            ]
            valid = False
        return valid


class SlotForm(FlaskForm):
    """Only this slot: its date, times and the number of volunteers needed."""

    date = _required_date(_l("Date"))
    start_time = _required_time(_l("Start time"))
    end_time = _required_time(_l("End time"))
    capacity = _number(_l("Volunteers needed"), 1, MAX_VOLUNTEERS)

    FIELDS = ("date", "start_time", "end_time", "capacity")

    def slot_data(self) -> dict:
        return {name: self[name].data for name in self.FIELDS}

    def validate_end_time(self, field):
        if self.start_time.data and field.data and field.data <= self.start_time.data:
            raise ValidationError(_l("The end must be after the start."))
