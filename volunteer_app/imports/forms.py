"""Forms of importing a list (staff) and of accepting the invitation (the invited person)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, FieldList, HiddenField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from volunteer_app.accounts.forms import _name_field, _new_password_field
from volunteer_app.common.forms import AppForm, clean_text
from volunteer_app.i18n import ENDONYMS

MAX_COLUMNS = 100


class UploadForm(AppForm):
    """The file and what it holds; the language of the invitation mails."""

    kind = RadioField(
        _l("The file holds"),
        choices=[
            ("volunteers", _l("Volunteers (name and e-mail address)")),
            ("activities", _l("Activities and their dates")),
        ],
        default="volunteers",
        validators=[DataRequired(_l("Please choose what the file holds."))],
    )
    file = FileField(
        _l("CSV or Excel file (.csv, .xlsx)"),
        validators=[FileRequired(_l("Please choose a file."))],
    )
    locale = SelectField(
        _l("Language of the invitation mails"),
        choices=list(ENDONYMS.items()),
        default="de",
    )


class MappingForm(AppForm):
    """Which field each column holds (and, on the preview, the sealed upload again)."""

    token = HiddenField(validators=[DataRequired(_l("Please upload the file again."))])
    columns = FieldList(
        StringField(filters=[clean_text], validators=[Length(max=20)]),
        max_entries=MAX_COLUMNS,
    )


class AcceptForm(AppForm):
    """The invited person's own account: name, password and the consent."""

    name = _name_field()
    password = _new_password_field(_l("Password"))
    consent = BooleanField(
        _l(
            "I have read the privacy notice and agree that my data is processed as described there."
        ),
        validators=[DataRequired(_l("Please agree to the privacy notice to register."))],
    )
