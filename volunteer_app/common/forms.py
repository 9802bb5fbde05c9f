"""Small form helpers shared by every feature."""

from __future__ import annotations

import re
import unicodedata

from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

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
