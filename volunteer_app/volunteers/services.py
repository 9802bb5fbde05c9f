"""Changes to a volunteer's profile: one service, one transaction, every set replaced."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

import peewee as pw
from flask_babel import format_time, get_locale
from flask_babel import gettext as _

from volunteer_app.activities.models import Category
from volunteer_app.centres.models import Centre
from volunteer_app.common.errors import Conflict, DomainError, NotAllowed
from volunteer_app.db import MAX_ID, utcnow, write_transaction
from volunteer_app.volunteers.models import (
    AvailabilityWindow,
    Interest,
    ReachableCentre,
    VolunteerProfile,
)
from volunteer_app.volunteers.queries import (
    LANGUAGES,
    MAX_PER_MONTH,
    MAX_PER_WEEK,
    MAX_WINDOWS,
    REMINDER_CHOICES,
    Window,
)


@dataclass
class PreferencesInput:
    """Everything the profile form sends; every set replaces the stored one."""

    open_to_anything: bool = False
    interest_ids: list[int] = field(default_factory=list)
    windows: list[Window] = field(default_factory=list)
    centre_ids: list[int] = field(default_factory=list)
    max_per_week: int = 2
    max_per_month: int = 6
    languages: list[str] = field(default_factory=lambda: ["de"])
    reminder_hours: int = 24


class PreferencesInvalid(DomainError):
    """One or more parts of the profile are not acceptable; ``errors`` maps field -> message."""

    def __init__(self, errors: dict[str, str]):
        first_field, first_message = next(iter(errors.items()))
        super().__init__(first_message, field=first_field)
        self.errors = errors


def _day_name(weekday: int) -> str:
    return get_locale().days["format"]["wide"][weekday]


def describe_window(w: Window) -> str:
    """``Tuesday 14:00–18:00`` in the current language (used in messages)."""
    return f"{_day_name(w.weekday)} {format_time(w.start, 'short')}–{format_time(w.end, 'short')}"


def _check_windows(windows: list[Window]) -> str | None:
    if len(windows) > MAX_WINDOWS:
        return _("Please enter at most %(num)d time windows.", num=MAX_WINDOWS)
    for w in windows:
        if not isinstance(w.weekday, int) or not 0 <= w.weekday <= 6:
            return _("Please choose a day of the week for every time window.")
        if w.end == w.start:
            return _(
                "The time window %(window)s is empty: the end must be after the start.",
                window=describe_window(w),
            )
        if w.end < w.start:
            return _(
                "In the time window on %(day)s the end must be after the start.",
                day=_day_name(w.weekday),
            )
    ordered = sorted(windows)
    for a, b in itertools.pairwise(ordered):
        # Touching windows (10–12 and 12–14) are fine; sharing a minute is an overlap.
        if a.weekday == b.weekday and b.start < a.end:
            return _(
                "The time windows %(first)s and %(second)s overlap. Please join them into one.",
                first=describe_window(a),
                second=describe_window(b),
            )
    return None


def _plausible(ids: set[int]) -> bool:
    """Ids the database can even be asked about (a huge number would overflow the driver)."""
    return all(0 < i <= MAX_ID for i in ids)


def _validate(data: PreferencesInput) -> tuple[dict[str, str], set[int], set[int]]:
    """Check everything at once, so that the page can show all problems together."""
    errors: dict[str, str] = {}
    centre_ids = {int(c) for c in data.centre_ids}
    interest_ids = {int(c) for c in data.interest_ids}

    if not centre_ids:
        errors["centre_ids"] = _("Please choose at least one centre you can reach.")
    elif not _plausible(centre_ids) or Centre.select().where(
        Centre.id.in_(centre_ids)
    ).count() != len(centre_ids):
        errors["centre_ids"] = _("Please choose centres from the list.")

    if data.open_to_anything and interest_ids:
        errors["interest_ids"] = _(
            "Please either tick “open to anything” or choose interests, not both."
        )
    elif not data.open_to_anything and not interest_ids:
        errors["interest_ids"] = _(
            "Please choose at least one thing you like to do, or “open to anything”."
        )
    elif not _plausible(interest_ids):
        errors["interest_ids"] = _("Please choose interests from the list.")
    elif interest_ids:
        found = list(
            Category.select(Category.id, Category.centre, Category.name).where(
                Category.id.in_(interest_ids)
            )
        )
        unknown = len(found) != len(interest_ids)
        elsewhere = sorted(c.name for c in found if c.centre_id and c.centre_id not in centre_ids)
        if unknown:
            errors["interest_ids"] = _("Please choose interests from the list.")
        elif elsewhere:
            errors["interest_ids"] = _(
                "“%(names)s” is only offered by a centre you have not chosen. Choose that "
                "centre as well, or untick the interest.",
                names="”, “".join(elsewhere),
            )

    problem = _check_windows(list(data.windows))
    if problem:
        errors["windows"] = problem

    week, month = data.max_per_week, data.max_per_month
    if not isinstance(week, int) or not 0 <= week <= MAX_PER_WEEK:
        errors["max_per_week"] = _("Please enter a number from 0 to %(max)s.", max=MAX_PER_WEEK)
    if not isinstance(month, int) or not 0 <= month <= MAX_PER_MONTH:
        errors["max_per_month"] = _("Please enter a number from 0 to %(max)s.", max=MAX_PER_MONTH)
    elif "max_per_week" not in errors and month < week:
        errors["max_per_month"] = _("Please allow at least as many dates a month as a week.")

    languages = list(data.languages)
    if not languages:
        errors["languages"] = _("Please choose at least one language you speak.")
    elif any(code not in LANGUAGES for code in languages) or len(set(languages)) != len(languages):
        errors["languages"] = _("Please choose languages from the list.")

    if data.reminder_hours not in REMINDER_CHOICES:
        errors["reminder_hours"] = _("Please choose when we should remind you.")
    return errors, centre_ids, interest_ids


def update_preferences(user, data: PreferencesInput, actor=None) -> VolunteerProfile:
    """Save the whole profile of ``user`` in one transaction (sets are replaced).

    The user themself or an administrator may do it. Raises ``PreferencesInvalid`` with
    a message per field; then nothing is written.
    """
    actor = actor or user
    if actor.id != user.id and not actor.is_admin:
        raise NotAllowed(_("You may only change your own profile."))
    errors, centre_ids, interest_ids = _validate(data)
    if errors:
        raise PreferencesInvalid(errors)
    languages = ",".join(code for code in LANGUAGES if code in set(data.languages))

    try:
        return _save(user, data, centre_ids, interest_ids, languages)
    except pw.IntegrityError as exc:
        # A centre or category was deleted in the meantime: the transaction is rolled back.
        raise Conflict(
            _("Something changed in the meantime. Please check your choices and save again.")
        ) from exc


def _save(user, data, centre_ids, interest_ids, languages) -> VolunteerProfile:
    with write_transaction():
        # Two first saves at the same moment: the unique user column lets one insert win.
        VolunteerProfile.insert(user=user.id).on_conflict_ignore().execute()
        VolunteerProfile.update(
            open_to_anything=bool(data.open_to_anything),
            max_per_week=data.max_per_week,
            max_per_month=data.max_per_month,
            languages=languages,
            reminder_hours=data.reminder_hours,
            updated_at=utcnow(),
        ).where(VolunteerProfile.user == user.id).execute()

        Interest.delete().where(Interest.user == user.id).execute()
        if interest_ids:
            Interest.insert_many(
                [(user.id, c) for c in sorted(interest_ids)],
                fields=[Interest.user, Interest.category],
            ).execute()
        AvailabilityWindow.delete().where(AvailabilityWindow.user == user.id).execute()
        if data.windows:
            AvailabilityWindow.insert_many(
                [(user.id, w.weekday, w.start, w.end) for w in sorted(data.windows)],
                fields=[
                    AvailabilityWindow.user,
                    AvailabilityWindow.weekday,
                    AvailabilityWindow.start_time,
                    AvailabilityWindow.end_time,
                ],
            ).execute()
        ReachableCentre.delete().where(ReachableCentre.user == user.id).execute()
        ReachableCentre.insert_many(
            [(user.id, c) for c in sorted(centre_ids)],
            fields=[ReachableCentre.user, ReachableCentre.centre],
        ).execute()
        return VolunteerProfile.get(VolunteerProfile.user == user.id)


def window(weekday: int, start: str, end: str) -> Window:
    """A window from ``HH:MM`` strings (for tests and seed data)."""
    return Window(weekday, dt.time.fromisoformat(start), dt.time.fromisoformat(end))
