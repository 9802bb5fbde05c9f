"""Forms of the administration: operators and invitations."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from volunteer_app.common.forms import AppForm, NoControlCharacters, clean_text, lower_text


class OperatorForm(AppForm):
    name = StringField(
        _l("Name of the operator"),
        filters=[clean_text],
        validators=[DataRequired(), Length(max=150), NoControlCharacters()],
    )


class InvitationForm(AppForm):
    email = EmailField(
        _l("E-mail address"),
        filters=[lower_text],
        validators=[DataRequired(), Length(max=254), Email()],
    )
    name = StringField(
        _l("Name (optional)"),
        filters=[clean_text],
        validators=[Optional(), Length(max=100), NoControlCharacters()],
    )
