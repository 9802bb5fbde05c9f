"""Forms of the feed pages: creating a private link and the reminder of the volunteer feed."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from wtforms import HiddenField, RadioField
from wtforms.validators import AnyOf

from volunteer_app.common.forms import AppForm, RowIdField
from volunteer_app.feeds.models import ALARM_CHOICES


class CreateLinkForm(AppForm):
    """Which private link to create: the volunteer feed, or the staff feed of one centre."""

    kind = HiddenField(validators=[AnyOf(("volunteer", "staff"))])
    centre_id = RowIdField()


def alarm_label(minutes: int) -> str:
    """ "1 day before", "2 hours before", "30 minutes before" (each language's plural forms)."""
    if minutes % 1440 == 0:
        days = minutes // 1440
        return ngettext("%(num)s day before", "%(num)s days before", days)
    if minutes % 60 == 0:
        hours = minutes // 60
        return ngettext("%(num)s hour before", "%(num)s hours before", hours)
    return ngettext("%(num)s minute before", "%(num)s minutes before", minutes)


class ReminderForm(AppForm):
    alarm = RadioField(
        _l("Reminder in your calendar"),
        choices=[],
        # No Optional(): it would let a blank answer past the choice check.
        default="none",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.alarm.choices = [("none", str(_l("No reminder")))] + [
            (str(m), alarm_label(m)) for m in ALARM_CHOICES
        ]

    def minutes(self) -> int | None:
        value = self.alarm.data
        return None if value in (None, "", "none") else int(value)
