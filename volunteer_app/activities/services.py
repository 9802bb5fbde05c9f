"""State changes for categories and activities, and the checks every planning change shares.

Schedules (series and the slots they generate) are in ``schedules.py``, changes to single
slots in ``slots.py``. Every function checks that the actor may manage the centre, validates
what it is given (the forms do too; services are also called by jobs, the demo and tests) and
owns its transaction. Times are entered as Berlin wall-clock times and stored as naive UTC; a
time inside the hour a daylight-saving change skips or repeats is refused.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

import peewee as pw
from flask_babel import format_date
from flask_babel import gettext as _

from volunteer_app.accounts.models import User
from volunteer_app.activities import queries, recurrence, texts
from volunteer_app.activities.models import SIGNUP_MODES, Activity, ActivityText, Category, Slot
from volunteer_app.centres.models import Centre
from volunteer_app.centres.queries import can_manage
from volunteer_app.common.errors import Conflict, DomainError, NotAllowed, NotFound
from volunteer_app.common.forms import has_control_characters
from volunteer_app.common.kept import FILTER_CHOICES, forget
from volunteer_app.db import utcnow, write_transaction
from volunteer_app.signups import services as signup_services
from volunteer_app.signups.models import Signup

log = logging.getLogger(__name__)

MAX_VOLUNTEERS = 50
MAX_CANCEL_DEADLINE_HOURS = 14 * 24
MAX_OWN_CATEGORIES = 50
TEXT_LIMITS = {"title": 120, "description": 2000, "place": 150, "audience": 120}


# --- Checks shared by activities, schedules and slots ---------------------------------------


def require_manager(actor: User, centre: Centre) -> None:
    """Refuse anyone who may not plan the activities of this centre."""
    if actor is None or not can_manage(actor, centre):
        raise NotAllowed(_("You may not plan activities of this centre."))


def _text(data: dict, name: str, required: bool = False) -> str:
    value = (data.get(name) or "").strip()
    if required and not value:
        raise DomainError(_("Please fill in this field."), name)
    if len(value) > TEXT_LIMITS[name]:
        raise DomainError(_("Please use at most %(max)d characters.", max=TEXT_LIMITS[name]), name)
    return value


def whole_number(data: dict, name: str, low: int, high: int, message: str) -> int:
    """``data[name]`` if it is a whole number from ``low`` to ``high``; else ``message``."""
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise DomainError(message, name)
    return value


def long_date(day: dt.date) -> str:
    """The date in words with its weekday, in the reader's language."""
    return format_date(day, "full")


def _hhmm(value: dt.time) -> str:
    return value.strftime("%H:%M")


def wall_clock_message(exc: recurrence.WallClockError) -> str:
    """A clear refusal for a time inside the hour a daylight-saving change skips or repeats."""
    if exc.kind == "missing":
        return _(
            "On %(date)s the clocks go forward from 2:00 to 3:00, so %(time)s does not exist "
            "that day. Please choose a time outside this hour.",
            date=long_date(exc.day),
            time=_hhmm(exc.time),
        )
    return _(
        "On %(date)s the clocks go back from 3:00 to 2:00, so %(time)s occurs twice that "
        "day. Please choose a time outside this hour.",
        date=long_date(exc.day),
        time=_hhmm(exc.time),
    )


def wall_clock_error(exc: recurrence.WallClockError, start_time: dt.time) -> DomainError:
    """The refusal of ``wall_clock_message``, at the time field that caused it."""
    return DomainError(
        wall_clock_message(exc), "start_time" if exc.time == start_time else "end_time"
    )


# --- Categories ---------------------------------------------------------------------------


def add_category(centre: Centre, name: str, *, actor: User) -> Category:
    """A category of the centre's own (e.g. Handwerk); names are unique per centre,
    ignoring case, and must not repeat a built-in one."""
    require_manager(actor, centre)
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Please enter a name."), "name")
    if len(name) > 60:
        raise DomainError(_("Please use at most %(max)d characters.", max=60), "name")
    folded = name.casefold()
    try:
        with write_transaction():
            known = queries.categories_for(centre.id)
            taken = set()
            for category in known:
                taken.add(category.name.casefold())
                taken.add(queries.category_label(category).casefold())
                taken.add(queries.BUILTIN_ENGLISH.get(category.key, "").casefold())
            if folded in taken:
                raise Conflict(_("This category exists already."), "name")
            if sum(1 for c in known if c.centre_id == centre.id) >= MAX_OWN_CATEGORIES:
                raise DomainError(
                    _(
                        "A centre can have at most %(max)d categories of its own.",
                        max=MAX_OWN_CATEGORIES,
                    )
                )
            category = Category.create(centre=centre.id, name=name)
    except pw.IntegrityError as exc:
        raise Conflict(_("This category exists already."), "name") from exc
    forget(FILTER_CHOICES)
    log.info("category %s added to centre %s by user %s", category.id, centre.id, actor.id)
    return category


def delete_category(centre: Centre, category_id: int, *, actor: User) -> None:
    """Remove one of the centre's own categories that no activity uses."""
    require_manager(actor, centre)
    try:
        with write_transaction():
            category = Category.get_or_none(
                (Category.id == category_id) & (Category.centre == centre.id)
            )
            if category is None:
                raise NotFound(_("This category does not exist (any more)."))
            if Activity.select().where(Activity.category == category.id).exists():
                raise Conflict(_("Activities use this category, so it cannot be removed."))
            category.delete_instance()
    except pw.IntegrityError as exc:
        raise Conflict(_("Activities use this category, so it cannot be removed.")) from exc
    forget(FILTER_CHOICES)
    log.info("category %s removed from centre %s by user %s", category_id, centre.id, actor.id)


# --- Activities ---------------------------------------------------------------------------


def _activity_fields(centre: Centre, data: dict) -> dict:
    """Validated column values of an activity from the form's data."""
    fields = {name: _text(data, name, required=name in ("title", "place")) for name in TEXT_LIMITS}
    category_id = data.get("category_id")
    if not category_id or queries.centre_category(centre.id, category_id) is None:
        raise DomainError(_("Please choose a category."), "category_id")
    responsible_id = data.get("responsible_id")
    if not responsible_id or not queries.may_be_responsible(centre, responsible_id):
        raise DomainError(
            _("Please choose a coordinator of this centre as responsible staff member."),
            "responsible_id",
        )
    if data.get("signup_mode") not in SIGNUP_MODES:
        raise DomainError(_("Please choose how volunteers sign up."), "signup_mode")
    return {
        **fields,
        "category": category_id,
        "responsible": responsible_id,
        "is_public": bool(data.get("is_public")),
        "is_child_facing": bool(data.get("is_child_facing")),
        "at_home": bool(data.get("at_home")),
        "companion_children": bool(data.get("companion_children")),
        "companion_adults": bool(data.get("companion_adults")),
        "minors_from_age": _minors_from_age(data.get("minors_from_age")),
        "signup_mode": data["signup_mode"],
        "cancel_deadline_hours": whole_number(
            data,
            "cancel_deadline_hours",
            0,
            MAX_CANCEL_DEADLINE_HOURS,
            _("Please enter a number of hours from 0 to %(max)d.", max=MAX_CANCEL_DEADLINE_HOURS),
        ),
        "volunteers_needed": whole_number(
            data,
            "volunteers_needed",
            1,
            MAX_VOLUNTEERS,
            _("Please enter a number from 1 to %(max)d.", max=MAX_VOLUNTEERS),
        ),
    }


def _minors_from_age(value) -> int | None:
    """The age from which minors with their own account may take part (14–17), or None."""
    if value in (None, ""):
        return None
    try:
        age = int(value)
    except (TypeError, ValueError):
        age = 0
    if not 14 <= age <= 17:
        raise DomainError(
            _("Please choose an age from 14 to 17, or adults only."), "minors_from_age"
        )
    return age


def _other_languages(data: dict) -> dict[str, tuple[str, str]] | None:
    """Validated texts in other languages from ``data["texts"]`` (language -> {"title",
    "description"}): language -> (title, description), both empty for a language to remove.
    None when ``data`` has no ``texts`` (the activity's texts then stay as they are)."""
    given = data.get("texts")
    if given is None:
        return None
    if not isinstance(given, dict) or not set(given) <= set(texts.TEXT_LANGUAGES):
        raise DomainError(_("Please choose one of the offered languages."))
    result = {}
    for code, value in given.items():
        parts = {}
        for part, limit in (("title", texts.TITLE_MAX), ("description", texts.DESCRIPTION_MAX)):
            field = f"{part}_{code}"
            text = value.get(part) if isinstance(value, dict) else 0
            if not isinstance(text, str | None):
                raise DomainError(_("Please check this entry."), field)
            text = (text or "").strip()
            if len(text) > limit:
                raise DomainError(_("Please use at most %(max)d characters.", max=limit), field)
            if has_control_characters(text):
                raise DomainError(_("Please remove invisible control characters."), field)
            parts[part] = text
        if parts["description"] and not parts["title"]:
            raise DomainError(_("Please enter the title in this language too."), f"title_{code}")
        result[code] = (parts["title"], parts["description"])
    return result


def _save_other_languages(activity_id: int, given: dict[str, tuple[str, str]] | None) -> None:
    """Inside the caller's transaction: write the texts given, remove the emptied ones."""
    if not given:
        return
    emptied = [code for code, (title, _description) in given.items() if not title]
    if emptied:
        ActivityText.delete().where(
            (ActivityText.activity == activity_id) & ActivityText.language.in_(emptied)
        ).execute()
    rows = [
        {"activity": activity_id, "language": code, "title": title, "description": description}
        for code, (title, description) in sorted(given.items())
        if title
    ]
    if rows:
        (
            ActivityText.insert_many(rows)
            .on_conflict(
                conflict_target=[ActivityText.activity, ActivityText.language],
                update={
                    ActivityText.title: pw.EXCLUDED.title,
                    ActivityText.description: pw.EXCLUDED.description,
                },
            )
            .execute()
        )


def create_activity(centre: Centre, data: dict, *, actor: User) -> Activity:
    """A new activity of the centre, with its texts in other languages if ``data`` has
    them; schedules are added to it afterwards."""
    require_manager(actor, centre)
    fields = _activity_fields(centre, data)
    other_languages = _other_languages(data)
    with write_transaction():
        activity = Activity.create(centre=centre.id, **fields)
        _save_other_languages(activity.id, other_languages)
    log.info("activity %s created in centre %s by user %s", activity.id, centre.id, actor.id)
    return activity


@dataclass
class CapacityChange:
    """What a new number of volunteers did to the upcoming slots."""

    changed: int = 0
    kept: list[Slot] = field(default_factory=list)  # more confirmed than the new number


def update_activity(activity: Activity, data: dict, *, actor: User) -> CapacityChange:
    """Change an activity and, if ``data`` has ``texts``, its texts in other languages (a
    language with both fields empty is removed), all in one transaction. The new
    ``updated_at`` moves the family feeds' revision in every language. A new number of
    volunteers needed applies to its upcoming, scheduled slots that were not edited on their
    own and have no more confirmed volunteers than the new number; the others keep their
    capacity (and are reported)."""
    centre = activity.centre
    require_manager(actor, centre)
    fields = _activity_fields(centre, data)
    other_languages = _other_languages(data)
    result = CapacityChange()
    now = utcnow()
    with write_transaction():
        Activity.update(**fields, updated_at=now).where(Activity.id == activity.id).execute()
        _save_other_languages(activity.id, other_languages)
        new = fields["volunteers_needed"]
        if new != activity.volunteers_needed:
            result = _apply_volunteers_needed(activity, new, now, actor)
    log.info("activity %s updated by user %s", activity.id, actor.id)
    return result


def has_waitlist():
    """Sub-select, correlated with ``Slot``: someone waits for a seat on the slot."""
    return Signup.select().where((Signup.slot == Slot.id) & (Signup.status == "waitlisted"))


def _apply_volunteers_needed(activity: Activity, new: int, now, actor) -> CapacityChange:
    """Inside the caller's transaction. Untaken slots without a waitlist change in one
    conditional update (a seat taken meanwhile excludes the slot from it); slots with seats
    taken or a waitlist go through the sign-up service, which fills from the waitlist."""
    result = CapacityChange()
    upcoming = (
        (Slot.activity == activity.id)
        & (Slot.status == "scheduled")
        & (Slot.starts_at > now)
        & (Slot.detached == False)  # noqa: E712
        & (Slot.capacity != new)
    )
    result.changed = (
        Slot.update(capacity=new, updated_at=now)
        .where(upcoming & (Slot.taken == 0) & ~pw.fn.EXISTS(has_waitlist()))
        .execute()
    )
    for slot in Slot.select().where(upcoming).order_by(Slot.starts_at):
        if slot.taken > new:
            result.kept.append(slot)
            continue
        signup_services.change_capacity(slot.id, new, actor=actor)
        result.changed += 1
    return result
