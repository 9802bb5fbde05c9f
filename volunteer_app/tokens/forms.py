"""Forms of the token pages: making a personal token or a service token."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from wtforms import SelectMultipleField
from wtforms.fields.choices import SelectChoice

from volunteer_app.common.forms import AppForm, ChoiceField, text_field
from volunteer_app.db import utcnow
from volunteer_app.tokens.scopes import SCOPES, allowed_scopes
from volunteer_app.tokens.services import NAME_MAX

# How long a new token works: no end, or this many days.
EXPIRY_CHOICES = [
    SelectChoice("", _l("Until revoked")),
    SelectChoice("30", _l("30 days")),
    SelectChoice("90", _l("90 days")),
    SelectChoice("365", _l("One year")),
]


class ScopeChecklist(SelectMultipleField):
    """Ticked scope names; which ones this token may hold is the service's decision."""

    def __init__(self, label=None, **kwargs):
        super().__init__(label, validate_choice=False, **kwargs)


class TokenForm(AppForm):
    name = text_field(_l("Name"), NAME_MAX, required=True)
    scopes = ScopeChecklist(_l("Permissions"))
    expires_in = ChoiceField(_l("Valid"), choices=EXPIRY_CHOICES, default="")

    def __init__(self, *args, kind: str = "personal", role: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.scopes.choices = [
            SelectChoice(name, SCOPES[name].description) for name in allowed_scopes(kind, role)
        ]

    def expires_at(self) -> dt.datetime | None:
        days = self.expires_in.data
        return utcnow() + dt.timedelta(days=int(days)) if days else None
