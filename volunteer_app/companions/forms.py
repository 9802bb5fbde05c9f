"""Forms of families who volunteer together."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, HiddenField
from wtforms.validators import DataRequired, Email, Length, Optional

from volunteer_app.common.forms import AppForm, NoControlCharacters, number_field
from volunteer_app.companions.models import MAX_CHILDREN


def _email(label, required: bool):
    return EmailField(
        label,
        filters=[lambda value: (value or "").strip()],
        validators=[
            DataRequired(_l("Please enter an e-mail address.")) if required else Optional(),
            Length(max=254, message=_l("An e-mail address has at most 254 characters.")),
            NoControlCharacters(),
            Email(_l("Please enter a valid e-mail address, like name@example.org.")),
        ],
    )


class CompanionsForm(AppForm):
    """Who comes along: the number of children, and an adult to send a link to."""

    children = number_field(_l("Children coming along"), 0, MAX_CHILDREN, default=0)
    email = _email(_l("Invite an adult (their e-mail address)"), required=False)


class AskLinkForm(AppForm):
    """A parent asks to link their child's own account."""

    email = _email(_l("Your child's e-mail address"), required=True)


class ConfirmLinkForm(AppForm):
    """The child confirms the link with their year of birth."""

    birth_year = number_field(_l("Your year of birth"), 1900, 2100)


class ActionForm(AppForm):
    next = HiddenField()
