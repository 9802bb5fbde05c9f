"""Forms of the partner directory (explicit field lists only)."""

from __future__ import annotations

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, SelectMultipleField, TelField, URLField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, Length, Optional

from volunteer_app.common.forms import (
    AppForm,
    ChoiceField,
    NoControlCharacters,
    clean_text,
    lower_text,
    text_field,
)
from volunteer_app.partners.models import KINDS
from volunteer_app.partners.queries import KIND_LABELS
from volunteer_app.volunteers.queries import LANGUAGES

PARTNER_FIELDS = (
    "kind",
    "name",
    "offer",
    "contact_name",
    "contact_email",
    "contact_phone",
    "website",
    "languages",
    "is_public",
    "internal_notes",
    "internal_contact",
)


class PartnerForm(AppForm):
    kind = ChoiceField(
        _l("Kind of partner"),
        choices=[SelectChoice(kind, KIND_LABELS[kind]) for kind in KINDS],
        default="midwife",
    )
    name = text_field(_l("Name"), 150, required=True)
    offer = text_field(_l("What they offer"), 2000, multiline=True)
    contact_name = text_field(_l("Contact person or office"), 100)
    contact_email = EmailField(
        _l("E-mail address"),
        filters=[lower_text],
        validators=[
            Optional(),
            Length(max=254, message=_l("Please use at most %(max)d characters.")),
            Email(message=_l("Please enter a valid e-mail address, like name@example.org.")),
        ],
    )
    contact_phone = TelField(
        _l("Phone number"),
        filters=[clean_text],
        validators=[
            Optional(),
            Length(max=40, message=_l("Please use at most %(max)d characters.")),
            NoControlCharacters(),
        ],
    )
    website = URLField(
        _l("Website"),
        filters=[clean_text],
        validators=[
            Optional(),
            Length(max=300, message=_l("Please use at most %(max)d characters.")),
            NoControlCharacters(),
        ],
    )
    languages = SelectMultipleField(_l("Languages spoken"), validate_choice=False)
    is_public = BooleanField(_l("Show on the centre's public page"))
    internal_notes = text_field(_l("Internal notes"), 4000, multiline=True)
    internal_contact = text_field(_l("Internal contacts"), 1000, multiline=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        locale = get_locale()
        names = locale.languages if locale is not None else {}
        self.languages.choices = [SelectChoice(code, names.get(code, code)) for code in LANGUAGES]
        if isinstance(self.languages.data, str):  # from a Partner row: "de,ar"
            self.languages.data = [c for c in self.languages.data.split(",") if c]

    def partner_data(self) -> dict:
        return {name: self[name].data for name in PARTNER_FIELDS}
