"""Small form helpers shared by every feature: text filters and validators, fields with
plain-language messages, the base of every form (``AppForm``: the library's messages in our
words, one message per field), the one-button ``ActionForm`` and a service's refusal on a
form."""

from __future__ import annotations

import re
import unicodedata

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import (
    DateField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms import Form as _PlainForm
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from volunteer_app.common.errors import DomainError
from volunteer_app.common.refusal import current_refusal
from volunteer_app.db import MAX_ID

# C0/C1 control characters except tab/newline (which multi-line fields may keep).
_CONTROL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


def has_control_characters(text: str) -> bool:
    """True if ``text`` holds a control or bidi-override character (tab and newline are fine)."""
    return bool(_CONTROL.search(text))


def clean_text(value, multiline: bool = False):
    """NFC-normalise and strip; used as a WTForms filter."""
    if not isinstance(value, str):
        return value
    value = unicodedata.normalize("NFC", value).strip()
    if not multiline:
        value = value.replace("\r", " ").replace("\n", " ").replace("\t", " ")
    return value


def clean_multiline(value):
    return (
        clean_text(value, multiline=True).replace("\r\n", "\n") if isinstance(value, str) else value
    )


def lower_text(value):
    """Cleaned and lower-cased: one spelling per e-mail address, slug or key."""
    value = clean_text(value)
    return value.lower() if isinstance(value, str) else value


class NoControlCharacters:
    """Refuse invisible control characters (they break mails, feeds and logs)."""

    def __init__(self, message=None):
        self.message = message or _l("Please remove invisible control characters.")

    def __call__(self, form, field):
        if isinstance(field.data, str) and has_control_characters(field.data):
            raise ValidationError(self.message)


def field_attrs(f, help=None, **extra) -> dict:
    """HTML attributes for the form macro: aria wiring for help and errors."""
    described = []
    if help:
        described.append(f"{f.id}-help")
    if f.errors:
        described.append(f"{f.id}-error")
    attrs = {k.replace("_", "-"): v for k, v in extra.items() if v is not None}
    if described:
        attrs["aria-describedby"] = " ".join(described)
    if f.errors:
        attrs["aria-invalid"] = "true"
    return attrs


# Text inputs as the form macro writes them, by language and everything the HTML depends
# on: a page that shows the same field with the same value on every visit (the roster's
# seat count and search) writes it once. Bounded: emptied when full.
_KEPT_FIELDS: dict[tuple, Markup] = {}
_KEPT_FIELDS_KEPT = 1024
_KEEPABLE = frozenset({"StringField", "IntegerField", "SearchField", "EmailField", "TelField"})


def kept_field(f, help=None, class_="", **kwargs) -> Markup:
    """``forms.field(f, …)`` of ``_macros/forms.html``, written once per language, field and
    value (a field with errors, or of another type, is written each time)."""
    from volunteer_app.i18n import page_locale  # i18n imports this module

    def write() -> Markup:
        macros = current_app.jinja_env.get_template("_macros/forms.html").module
        return Markup(macros.field(f, help=help, class_=class_, **kwargs))  # noqa: S704

    if f.errors or f.type not in _KEEPABLE:
        return write()
    key = (
        page_locale(),
        f.type,
        f.name,
        f.id,
        str(f.label.text),
        f._value(),
        bool(f.flags.required),
        tuple(sorted((f.render_kw or {}).items())),
        str(help) if help is not None else None,
        class_,
        tuple(sorted(kwargs.items())),
    )
    html = _KEPT_FIELDS.get(key)
    if html is None:
        if len(_KEPT_FIELDS) >= _KEPT_FIELDS_KEPT:
            _KEPT_FIELDS.clear()
        html = _KEPT_FIELDS[key] = write()
    return html


# --- The library's messages in our words ---------------------------------------------------

FILL_IN = _l("Please fill in this field.")
CHOOSE = _l("Please choose one of the options.")
CHECK_ENTRY = _l("Please check this entry.")

# WTForms' built-in messages (used when a validator or field is given none), keyed by the
# library's English text. Each says what to do, in the person's language; no form repeats them.
DEFAULT_MESSAGES = {
    "This field is required.": FILL_IN,
    "Not a valid date value.": _l("Please enter a valid date, like 24.12.2026."),
    "Not a valid time value.": _l("Please enter a valid time, like 10:00."),
    "Not a valid datetime value.": _l("Please enter a date and a time, like 24.12.2026 10:00."),
    "Not a valid integer value.": _l("Please enter a whole number."),
    "Not a valid decimal value.": _l("Please enter a number, like 1,5."),
    "Not a valid float value.": _l("Please enter a number, like 1,5."),
    "Not a valid choice.": CHOOSE,
    "Invalid Choice: could not coerce.": CHOOSE,
    "'%(value)s' is not a valid choice for this field.": CHOOSE,
    "'%(value)s' are not valid choices for this field.": CHOOSE,
    "Invalid choice(s): one or more data inputs could not be coerced.": CHOOSE,
    "Invalid value, must be one of: %(values)s.": CHOOSE,
    "Invalid value, can't be any of: %(values)s.": CHOOSE,
    "Field must be between %(min)d and %(max)d characters long.": _l(
        "Please use %(min)d to %(max)d characters."
    ),
    "Field must be at least %(min)d character long.": _l("Please use at least %(min)d characters."),
    "Field cannot be longer than %(max)d character.": _l("Please use at most %(max)d characters."),
    "Field must be exactly %(max)d character long.": _l("Please use exactly %(max)d characters."),
    "Number must be between %(min)s and %(max)s.": _l(
        "Please enter a number from %(min)s to %(max)s."
    ),
    "Number must be at least %(min)s.": _l("Please enter a number of at least %(min)s."),
    "Number must be at most %(max)s.": _l("Please enter a number of at most %(max)s."),
    "Date must be between %(min)s and %(max)s.": _l("Please enter a date from %(min)s to %(max)s."),
    "Date must be at least %(min)s.": _l("Please enter a date from %(min)s on."),
    "Date must be at most %(max)s.": _l("Please enter a date until %(max)s."),
    "Invalid email address.": _l("Please enter a valid e-mail address, like name@example.org."),
    "Invalid URL.": _l("Please enter a web address, like https://www.example.org."),
    "Field must be equal to %(other_name)s.": _l("Please type the same in both fields."),
}


class LibraryMessages:
    """The translations WTForms asks for its built-in texts: ours instead of its own.

    A message the table does not know (a newer WTForms) becomes "Please check this entry."
    rather than English on a German page; other texts (default labels of hidden fields) pass
    through. ``tests/test_forms_messages.py`` fails on every message that is not ours.
    """

    def gettext(self, string: str) -> str:
        message = DEFAULT_MESSAGES.get(string)
        if message is None and string.endswith("."):
            message = CHECK_ENTRY
        return string if message is None else str(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular)


LIBRARY_MESSAGES = LibraryMessages()


def keep_first_errors(form) -> None:
    """One message per field: a format error is the one shown, not also "required" or a
    range below it (WTForms collects every failing check)."""
    for field in form:
        if isinstance(field, FormField):
            keep_first_errors(field.form)
        elif isinstance(field, FieldList):
            for entry in field.entries:
                if isinstance(entry, FormField):
                    keep_first_errors(entry.form)
                elif isinstance(entry.errors, list):
                    entry.errors = entry.errors[:1]
        elif isinstance(field.errors, list | tuple):
            field.errors = list(field.errors[:1])


EXPIRED_FORM = _l("The form was open too long. Please send it again.")


class AppForm(FlaskForm):
    """The base of every form: the library's messages in our words, one message per field,
    and no validation while the request is refused (an expired form or a rate limit, see
    ``common/refusal.py``): the form is shown again with what was typed."""

    class Meta:
        def get_translations(self, form):
            return LIBRARY_MESSAGES

    def is_submitted(self) -> bool:
        return super().is_submitted() and current_refusal() is None

    def validate(self, extra_validators=None) -> bool:
        if current_refusal() is not None:
            return False
        valid = super().validate(extra_validators)
        csrf_field = self._fields.get(self.meta.csrf_field_name) if self.meta.csrf else None
        if csrf_field is not None and csrf_field.errors:
            # Flask-WTF's own texts are English; the hidden field's error is shown on top.
            csrf_field.errors = []
            self.form_errors = [EXPIRED_FORM]
        keep_first_errors(self)
        return valid


class SubForm(_PlainForm):
    """A group of fields repeated inside an ``AppForm`` (``FormField``/``FieldList``)."""

    class Meta:
        def get_translations(self, form):
            return LIBRARY_MESSAGES


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


def row_id(value) -> int:
    """A row id from a form or a query string: ASCII digits, 1 to ``MAX_ID`` (what the id
    column holds); anything else raises ValueError. As a ``coerce`` WTForms shows that as the
    field's error; ``request.args.get(name, type=row_id)`` falls back to the default. Every id
    a client sends passes here or through the URL converter (``common/urls.py``), so that a
    huge or malformed id is refused before it reaches a query."""
    text = str(value).strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 10 and 0 < int(text) <= MAX_ID):
        raise ValueError(CHOOSE)
    return int(text)


class RowIdField(HiddenField):
    """An id a page sends back in a hidden input (``row_id``): None when empty, a field error
    when it is no id."""

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and str(valuelist[0]).strip():
            self.data = row_id(valuelist[0])


def text_field(label, max_length: int, required: bool = False, multiline: bool = False):
    """A cleaned text field (a text area with ``multiline``) with plain-language messages."""
    validators = [
        InputRequired(message=_l("Please fill in this field.")) if required else Optional(),
        Length(max=max_length, message=_l("Please use at most %(max)d characters.")),
        NoControlCharacters(),
    ]
    if multiline:
        return TextAreaField(label, filters=[clean_multiline], validators=validators)
    return StringField(label, filters=[clean_text], validators=validators)


def number_field(label, low: int, high: int, required: bool = True, **kwargs):
    """A whole number from ``low`` to ``high`` with plain-language messages."""
    message = _l("Please enter a number from %(min)d to %(max)d.")
    return WholeNumberField(
        label,
        validators=[
            InputRequired(message=_l("Please enter a number.")) if required else Optional(),
            NumberRange(min=low, max=high, message=message),
        ],
        **kwargs,
    )


# --- Forms ----------------------------------------------------------------------------------


class ActionForm(AppForm):
    """No fields: only the CSRF token of a one-button form (cancel, remove, resend, accept)."""


def apply_domain_error(form: FlaskForm, exc: DomainError) -> None:
    """Show a service's refusal at the field it names, or above the form."""
    if exc.field and exc.field in form:
        form[exc.field].errors = [*form[exc.field].errors, exc.message]
    else:
        form.form_errors.append(exc.message)
