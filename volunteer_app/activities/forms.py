"""Forms for categories, activities, schedules and slots (explicit field lists only)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import (
    BooleanField,
    Field,
    HiddenField,
    SelectField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional, ValidationError

from volunteer_app.activities import queries
from volunteer_app.activities.schedules import MAX_COUNT, MAX_INTERVAL_WEEKS
from volunteer_app.activities.services import MAX_CANCEL_DEADLINE_HOURS, MAX_VOLUNTEERS
from volunteer_app.activities.texts import DESCRIPTION_MAX, TEXT_LANGUAGES, TITLE_MAX
from volunteer_app.common.forms import (
    AppForm,
    ChoiceField,
    ClockField,
    DayField,
    IdField,
    _PlainChoice,
    number_field,
    text_field,
)
from volunteer_app.i18n import ENDONYMS, web_code


def _required_date(label):
    message = _l("Please enter a date, like 24.12.2026.")
    return DayField(label, validators=[InputRequired(message=message)])


def _required_time(label):
    message = _l("Please enter a time, like 14:30.")
    return ClockField(label, validators=[InputRequired(message=message)])


def _title_in():
    return text_field(_l("Title"), TITLE_MAX)


def _description_in():
    return text_field(_l("Short description"), DESCRIPTION_MAX, multiline=True)


@dataclass(frozen=True)
class OtherLanguage:
    """One language's pair of fields in the activity form, for the template."""

    code: str  # fa_AF
    lang: str  # fa-AF, for lang attributes
    name: str  # the language named in itself
    title: Field
    description: Field


class _MinorAgeField(_PlainChoice, SelectField):
    """From which age minors with their own account may take part: "" (adults only), 14–17."""

    def __init__(self, label=None, **kwargs):
        kwargs.setdefault(
            "choices",
            [SelectChoice("", _l("Adults only"))]
            + [SelectChoice(str(age), _l("From %(age)d years", age=age)) for age in range(14, 18)],
        )
        kwargs.setdefault("coerce", lambda value: "" if value in (None, "") else str(value))
        kwargs.setdefault("default", "")
        super().__init__(label, **kwargs)

    def process_data(self, value):
        # An activity's None ("adults only") is the empty choice, not "no choice".
        self.data = "" if value in (None, "") else str(value)


# --- Forms ----------------------------------------------------------------------------------


class CategoryForm(AppForm):
    name = text_field(_l("Name of the category"), 60, required=True)


class ActivityForm(AppForm):
    title = text_field(_l("Title"), 120, required=True)
    category_id = IdField(_l("Category"))
    description = text_field(_l("Description"), 2000, multiline=True)
    place = text_field(_l("Place"), 150, required=True)
    responsible_id = IdField(_l("Responsible staff member"))
    audience = text_field(_l("For whom"), 120)
    is_public = BooleanField(_l("Show in the family programme"), default=True)
    is_child_facing = BooleanField(_l("Volunteers work with children"))
    at_home = BooleanField(_l("Volunteers do this at home"))
    companion_children = BooleanField(_l("Volunteers may bring their children"))
    companion_adults = BooleanField(_l("Volunteers may invite adults to come along"))
    minors_from_age = _MinorAgeField(_l("Young people with their own account"))
    signup_mode = ChoiceField(
        _l("Sign-up"),
        choices=[
            SelectChoice("open", _l("Open: a sign-up is confirmed at once while places are free")),
            SelectChoice("approval", _l("With approval: a coordinator confirms each sign-up")),
        ],
        default="open",
    )
    cancel_deadline_hours = number_field(
        _l("Volunteers can cancel until … hours before the start"),
        0,
        MAX_CANCEL_DEADLINE_HOURS,
        default=24,
    )
    volunteers_needed = number_field(_l("Volunteers needed per date"), 1, MAX_VOLUNTEERS, default=2)
    # Title and short description in the other languages (texts.TEXT_LANGUAGES); German is
    # the original above. Both empty: the language is removed.
    title_uk, description_uk = _title_in(), _description_in()
    title_ar, description_ar = _title_in(), _description_in()
    title_ru, description_ru = _title_in(), _description_in()
    title_pl, description_pl = _title_in(), _description_in()
    title_ro, description_ro = _title_in(), _description_in()
    title_fa_AF, description_fa_AF = _title_in(), _description_in()
    title_en, description_en = _title_in(), _description_in()

    FIELDS = (
        "title",
        "category_id",
        "description",
        "place",
        "responsible_id",
        "audience",
        "is_public",
        "is_child_facing",
        "at_home",
        "companion_children",
        "companion_adults",
        "minors_from_age",
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
        # "Title" eight times would be one name for eight fields: each says its language
        # to screen readers ("Title (Українська)"), visibly it sits under the language.
        for other in self.other_languages():
            for field in (other.title, other.description):
                field.label.text = Markup(
                    '{}<span class="visually-hidden"> (<span lang="{}">{}</span>)</span>'
                ).format(field.label.text, other.lang, other.name)

    def activity_data(self) -> dict:
        data = {name: self[name].data for name in self.FIELDS}
        data["texts"] = {
            code: {
                "title": self[f"title_{code}"].data,
                "description": self[f"description_{code}"].data,
            }
            for code in TEXT_LANGUAGES
        }
        return data

    def other_languages(self) -> list[OtherLanguage]:
        return [
            OtherLanguage(
                code,
                web_code(code),
                ENDONYMS[code],
                self[f"title_{code}"],
                self[f"description_{code}"],
            )
            for code in TEXT_LANGUAGES
        ]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for code in TEXT_LANGUAGES:
            title, description = self[f"title_{code}"], self[f"description_{code}"]
            if description.data and not title.data and not title.errors:
                title.errors = [_l("Please enter the title in this language too.")]
                valid = False
        return valid


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


class ScheduleForm(AppForm):
    """A one-off date or a recurrence, in Berlin time."""

    recurrence = ChoiceField(_l("How often?"), choices=RECURRENCE_CHOICES, default="weekly")
    start_date = _required_date(_l("First date"))
    start_time = _required_time(_l("Start time"))
    end_time = _required_time(_l("End time"))
    interval = number_field(_l("Every … weeks"), 1, MAX_INTERVAL_WEEKS, required=False, default=1)
    nth = IdField(
        _l("Which weekday of the month?"),
        choices=[SelectChoice(n, label) for n, label in queries.NTH_LABELS.items()],
        default=1,
    )
    ends = ChoiceField(_l("Ends"), choices=ENDS_CHOICES, default="never")
    until_date = DayField(_l("Last day"), validators=[Optional()])
    count = number_field(_l("Number of dates"), 1, MAX_COUNT, required=False)

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


class SlotForm(AppForm):
    """Only this slot: its date, times and the number of volunteers needed."""

    date = _required_date(_l("Date"))
    start_time = _required_time(_l("Start time"))
    end_time = _required_time(_l("End time"))
    capacity = number_field(_l("Volunteers needed"), 1, MAX_VOLUNTEERS)
    # The date (YYYY-MM-DD) whose holiday or closing-day warning the coordinator has seen:
    # saving again with that date moves the slot there (slots.ClosedDayWarning).
    closed_ok = HiddenField()

    FIELDS = ("date", "start_time", "end_time", "capacity")

    def slot_data(self) -> dict:
        return {name: self[name].data for name in self.FIELDS} | {
            "closed_ok": (self.closed_ok.data or "").strip()
        }

    def validate_end_time(self, field):
        if self.start_time.data and field.data and field.data <= self.start_time.data:
            raise ValidationError(_l("The end must be after the start."))


class SlotCancelForm(AppForm):
    """Cancelling one date: an optional reason for the volunteers and families."""

    reason = text_field(_l("Reason (optional)"), 150)
