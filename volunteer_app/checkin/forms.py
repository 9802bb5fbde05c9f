"""Forms of the check-in."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField
from wtforms.validators import DataRequired, Length

from volunteer_app.common.forms import AppForm

SCAN_AGAIN = _l("Please scan the code at the entrance again.")


class CheckInForm(AppForm):
    """The button "Check in now": carries the signed note of the scan (``codes.Grant``)."""

    grant = HiddenField(
        validators=[DataRequired(message=SCAN_AGAIN), Length(max=300, message=SCAN_AGAIN)]
    )
