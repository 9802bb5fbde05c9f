"""The volunteer profile form: every field listed explicitly, choices filled by the view."""

from __future__ import annotations

from types import SimpleNamespace

from babel import Locale
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    FieldList,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, Optional

from volunteer_app.common.forms import AppForm, ClockField, SubForm, row_id
from volunteer_app.volunteers.queries import (
    LANGUAGES,
    MAX_PER_MONTH,
    MAX_PER_WEEK,
    MAX_WINDOWS,
    ProfileData,
    Window,
)
from volunteer_app.volunteers.services import PreferencesInput

# Each language also in its own name, so that a speaker finds it whatever the page language.
ENDONYMS = {code: Locale.parse(code).languages.get(code, code) for code in LANGUAGES}
REMINDER_LABELS = (
    SelectChoice(0, _l("No reminder")),
    SelectChoice(2, _l("2 hours before")),
    SelectChoice(24, _l("24 hours before")),
    SelectChoice(48, _l("48 hours before")),
)
# Browsers send "14:00"; some (with a step attribute) "14:00:00".
TIME_FORMATS = ["%H:%M", "%H:%M:%S"]


class IdChecklist(SelectMultipleField):
    """Ticked ids; which ids are acceptable is the service's decision (with clear messages)."""

    def __init__(self, label=None, **kwargs):
        super().__init__(label, coerce=row_id, validate_choice=False, **kwargs)


def _typed(field) -> bool:
    """Whether anything was typed into the field (junk counts: it gets an error)."""
    return bool(field.raw_data and str(field.raw_data[0]).strip())


class CountField(IntegerField):
    """A small whole number; an absurdly long one is refused before it becomes an int
    (WTForms' NumberRange would overflow converting it to a float)."""

    def __init__(self, label, maximum: int, **kwargs):
        message = _l("Please enter a number from 0 to %(max)s.")
        super().__init__(
            label,
            validators=[
                InputRequired(_l("Please enter a number.")),
                NumberRange(0, maximum, message),
            ],
            **kwargs,
        )
        self.maximum, self.range_message = maximum, message

    def process_formdata(self, valuelist):
        if valuelist and len(str(valuelist[0]).strip()) > 6:
            self.data = None
            raise ValueError(str(self.range_message) % {"max": self.maximum})
        super().process_formdata(valuelist)


class WindowForm(SubForm):
    """One row of weekly times. A blank row, or one marked for removal, is left out."""

    weekday = SelectField(_l("Day"), choices=[], validate_choice=False)
    start = ClockField(_l("From"), format=TIME_FORMATS, validators=[Optional()])
    end = ClockField(_l("To"), format=TIME_FORMATS, validators=[Optional()])
    remove = BooleanField(_l("Remove"))

    @property
    def is_blank(self) -> bool:
        return not (self.weekday.data or _typed(self.start) or _typed(self.end))

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if self.remove.data or self.is_blank:
            return True
        if self.weekday.data not in {str(d) for d in range(7)}:
            self.weekday.errors.append(_l("Please choose a day."))
        if self.start.data is None:
            self.start.errors.append(_l("Please enter a start time."))
        if self.end.data is None:
            self.end.errors.append(_l("Please enter an end time."))
        elif self.start.data is not None and self.end.data <= self.start.data:
            self.end.errors.append(_l("The end must be after the start."))
        return not (self.weekday.errors or self.start.errors or self.end.errors)

    def window(self) -> Window | None:
        if self.remove.data or self.is_blank:
            return None
        return Window(int(self.weekday.data), self.start.data, self.end.data)


class ProfileForm(AppForm):
    open_to_anything = BooleanField(_l("I am open to anything"))
    interest_ids = IdChecklist(_l("What I like to do"))
    windows = FieldList(FormField(WindowForm), max_entries=MAX_WINDOWS)
    centre_ids = IdChecklist(_l("Centres I can reach"))
    max_per_week = CountField(_l("At most … dates a week"), MAX_PER_WEEK)
    max_per_month = CountField(_l("At most … dates a month"), MAX_PER_MONTH)
    languages = SelectMultipleField(_l("Languages I speak"), validate_choice=False)
    reminder_hours = RadioField(
        _l("Remind me"),
        coerce=int,
        choices=list(REMINDER_LABELS),
        default=24,
        validators=[InputRequired(_l("Please choose when we should remind you."))],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        locale = get_locale()
        days = [SelectChoice("", _l("– choose –"))]
        days += [SelectChoice(str(d), locale.days["format"]["wide"][d]) for d in range(7)]
        for entry in self.windows:
            entry.form.weekday.choices = days
        self.languages.choices = [
            SelectChoice(code, locale.languages.get(code, code)) for code in LANGUAGES
        ]
        self._days = days
        self.windows_error = None

    @classmethod
    def for_profile(cls, profile: ProfileData) -> ProfileForm:
        """The form filled with a saved profile (or the defaults), for a GET."""
        return cls(
            formdata=None,
            open_to_anything=profile.open_to_anything,
            interest_ids=sorted(profile.interest_ids),
            centre_ids=sorted(profile.centre_ids),
            max_per_week=profile.max_per_week,
            max_per_month=profile.max_per_month,
            languages=list(profile.languages),
            reminder_hours=profile.reminder_hours,
            windows=[
                SimpleNamespace(weekday=str(w.weekday), start=w.start, end=w.end, remove=False)
                for w in profile.windows
            ],
        )

    def add_blank_windows(self, count: int) -> None:
        """Empty rows to type new times into (up to the maximum)."""
        for _ in range(count):
            if len(self.windows.entries) >= MAX_WINDOWS:
                break
            self.windows.append_entry()
            self.windows.entries[-1].form.weekday.choices = self._days

    def to_input(self) -> PreferencesInput:
        return PreferencesInput(
            open_to_anything=bool(self.open_to_anything.data),
            interest_ids=list(self.interest_ids.data or []),
            windows=[w for w in (e.form.window() for e in self.windows) if w is not None],
            centre_ids=list(self.centre_ids.data or []),
            max_per_week=self.max_per_week.data,
            max_per_month=self.max_per_month.data,
            languages=list(self.languages.data or []),
            reminder_hours=self.reminder_hours.data,
        )

    def show_errors(self, errors: dict[str, str]) -> None:
        """Put a service's messages next to their fields."""
        for name, message in errors.items():
            target = self._fields.get(name)
            if target is None:
                self.form_errors.append(message)
            elif name == "windows":
                # FieldList errors are per entry; the whole list's message goes on top.
                self.windows_error = message
            else:
                target.errors = [*target.errors, message]
