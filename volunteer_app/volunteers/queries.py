"""Read helpers for volunteer profiles: what matching and the "fits me" filter use, and
who among the staff may see which volunteer (``visible_volunteers``).

``profile_for`` / ``profiles_for`` hand back plain, frozen dataclasses (no models), so
that pure code (matching) can take them without a database.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import peewee as pw
from peewee import JOIN

from volunteer_app.accounts.models import User
from volunteer_app.activities.models import Activity, Category, Slot
from volunteer_app.activities.queries import category_label
from volunteer_app.centres.models import Centre, CentreMembership
from volunteer_app.common.time import to_berlin
from volunteer_app.signups.models import Signup
from volunteer_app.volunteers.models import (
    AvailabilityWindow,
    Interest,
    ReachableCentre,
    VolunteerProfile,
)

# The languages a volunteer can tick (ISO 639-1), in the order the page shows them.
LANGUAGES = ("de", "en", "ar", "uk", "ru", "pl", "tr", "fa", "fr", "es")
# Reminder choices in hours before a slot; 0 = no reminder.
REMINDER_CHOICES = (0, 2, 24, 48)
DEFAULT_REMINDER_HOURS = 24
# The model's CHECK constraints.
MAX_PER_WEEK = 21
MAX_PER_MONTH = 60
MAX_WINDOWS = 28


@dataclass(frozen=True, order=True)
class Window:
    """A weekly window in Berlin wall-clock time (``start < end``, same day)."""

    weekday: int  # 0 = Monday
    start: dt.time
    end: dt.time

    def covers(self, weekday: int, start: dt.time, end: dt.time) -> bool:
        return self.weekday == weekday and self.start <= start and end <= self.end


@dataclass(frozen=True)
class ProfileData:
    """A volunteer's preferences.

    ``exists`` is False for someone who never saved the profile: then every other field
    holds the defaults. ``windows`` empty means "no fixed weekly times" (any time fits).
    """

    user_id: int
    exists: bool = False
    open_to_anything: bool = False
    interest_ids: frozenset[int] = frozenset()
    windows: tuple[Window, ...] = ()
    centre_ids: frozenset[int] = frozenset()
    max_per_week: int = 2
    max_per_month: int = 6
    languages: tuple[str, ...] = ("de",)
    reminder_hours: int = DEFAULT_REMINDER_HOURS
    updated_at: dt.datetime | None = field(default=None, compare=False)

    def fits_category(self, category_id: int) -> bool:
        return self.open_to_anything or category_id in self.interest_ids

    def fits_centre(self, centre_id: int) -> bool:
        return centre_id in self.centre_ids

    def fits_time(self, starts_at: dt.datetime, ends_at: dt.datetime) -> bool:
        """Whether a slot (naive UTC) lies inside one window, compared in Berlin time.

        A slot running past midnight never fits a window (windows end on their day).
        """
        if not self.windows:
            return True
        start, end = to_berlin(starts_at), to_berlin(ends_at)
        if end.date() != start.date():
            return False
        return any(w.covers(start.weekday(), start.time(), end.time()) for w in self.windows)

    def fits(self, category_id: int, centre_id: int, starts_at, ends_at) -> bool:
        """Interest, reachable centre and time window all fit (caps are not looked at)."""
        return (
            self.fits_category(category_id)
            and self.fits_centre(centre_id)
            and self.fits_time(starts_at, ends_at)
        )


def _split_languages(value: str) -> tuple[str, ...]:
    return tuple(code for code in (value or "").split(",") if code)


def profiles_for(user_ids: Iterable[int]) -> dict[int, ProfileData]:
    """Profiles of many users in four queries, whatever their number.

    Every requested id gets an entry (the defaults, ``exists=False``, for users without one).
    """
    ids = sorted({int(i) for i in user_ids})
    if not ids:
        return {}
    rows = {p.user_id: p for p in VolunteerProfile.select().where(VolunteerProfile.user.in_(ids))}
    interests: dict[int, set[int]] = defaultdict(set)
    for row in Interest.select(Interest.user, Interest.category).where(Interest.user.in_(ids)):
        interests[row.user_id].add(row.category_id)
    windows: dict[int, list[Window]] = defaultdict(list)
    for row in AvailabilityWindow.select().where(AvailabilityWindow.user.in_(ids)):
        windows[row.user_id].append(Window(row.weekday, row.start_time, row.end_time))
    centres: dict[int, set[int]] = defaultdict(set)
    for row in ReachableCentre.select(ReachableCentre.user, ReachableCentre.centre).where(
        ReachableCentre.user.in_(ids)
    ):
        centres[row.user_id].add(row.centre_id)

    result = {}
    for uid in ids:
        p = rows.get(uid)
        if p is None:
            result[uid] = ProfileData(user_id=uid)
            continue
        result[uid] = ProfileData(
            user_id=uid,
            exists=True,
            open_to_anything=p.open_to_anything,
            interest_ids=frozenset(interests[uid]),
            windows=tuple(sorted(windows[uid])),
            centre_ids=frozenset(centres[uid]),
            max_per_week=p.max_per_week,
            max_per_month=p.max_per_month,
            languages=_split_languages(p.languages),
            reminder_hours=p.reminder_hours,
            updated_at=p.updated_at,
        )
    return result


def profile_for(user_id: int) -> ProfileData:
    """One user's profile (the defaults with ``exists=False`` if never saved)."""
    return profiles_for([user_id])[int(user_id)]


def needs_profile(user) -> bool:
    """True for a logged-in person who has not saved a volunteer profile yet (one query).

    For the call to action on the start page and the account page.
    """
    if not getattr(user, "is_authenticated", False) or user.role != "volunteer":
        return False
    return not VolunteerProfile.select().where(VolunteerProfile.user == user.id).exists()


# --- What the profile page offers -----------------------------------------------------------


@dataclass(frozen=True)
class CategoryChoice:
    id: int
    label: str
    centre_name: str | None  # None for the built-ins


def interest_choices(centre_ids: Iterable[int], keep_ids: Iterable[int] = ()) -> list:
    """Built-in categories, then the custom ones of the given centres (one query).

    ``keep_ids`` are shown too (e.g. interests already saved), so that nothing ticked
    disappears from the page.
    """
    centre_ids, keep_ids = list(centre_ids), list(keep_ids)
    condition = Category.centre.is_null()
    if centre_ids:
        condition |= Category.centre.in_(centre_ids)
    if keep_ids:
        condition |= Category.id.in_(keep_ids)
    query = (
        Category.select(Category, Centre)
        .join(Centre, JOIN.LEFT_OUTER, on=(Category.centre == Centre.id))
        .where(condition)
        .order_by(Category.id)
    )
    choices = [
        CategoryChoice(c.id, category_label(c), c.centre.name if c.centre_id else None)
        for c in query
    ]
    # Built-ins in their seeded order, then the centres' own by centre and name.
    return sorted(choices, key=_choice_order)


def _choice_order(c: CategoryChoice) -> tuple:
    if c.centre_name is None:
        return (0, "", "", c.id)
    return (1, c.centre_name.casefold(), c.label.casefold(), c.id)


@dataclass(frozen=True)
class CentreChoice:
    id: int
    name: str
    town: str


def centre_groups() -> list[tuple[str, list[CentreChoice]]]:
    """Every centre, grouped by town (towns and names in alphabetical order; one query)."""
    groups: dict[str, list[CentreChoice]] = {}
    query = Centre.select(Centre.id, Centre.name, Centre.town).order_by(Centre.town, Centre.name)
    for c in query:
        groups.setdefault(c.town, []).append(CentreChoice(c.id, c.name, c.town))
    return list(groups.items())


# --- Who sees whom ---------------------------------------------------------------------------
#
# The one rule for staff (docs/security.md, "Who sees whom"): a coordinator sees and finds only
# the volunteers who chose one of their centres or have a sign-up there; admins see everyone;
# nobody else sees anyone. Every look-up of volunteers by name or id on a staff surface applies
# it (search, assignment, checks, matching invitations); the roster, its CSV and the staff feed
# name only people with a sign-up at the centre, whom the rule shows anyway. Each helper is a
# sub-select or SQL condition, so a page that applies it keeps its number of queries.


def chose_centres(centre_ids) -> pw.Select:
    """Sub-select: ids of people who chose (can reach) one of these centres.

    ``centre_ids`` is a list or itself a sub-select of centre ids."""
    return ReachableCentre.select(ReachableCentre.user).where(
        ReachableCentre.centre.in_(centre_ids)
    )


def signed_up_at(centre_ids) -> pw.Select:
    """Sub-select: ids of people with a sign-up at one of these centres, in any state (a
    cancelled or past one counts: the centre keeps its attendance and hours)."""
    return (
        Signup.select(Signup.volunteer)
        .join(Slot, on=(Signup.slot == Slot.id))
        .join(Activity, on=(Slot.activity == Activity.id))
        .where(Activity.centre.in_(centre_ids))
    )


def _member_centres(actor) -> pw.Select:
    return CentreMembership.select(CentreMembership.centre).where(CentreMembership.user == actor.id)


def visible_volunteers(actor, person=User.id) -> pw.Node:
    """SQL condition on ``person`` (a user-id column): the volunteers ``actor`` may see.

    Admins: everyone. Coordinators: people who chose one of their centres or have a
    sign-up there, so a coordinator of every centre of an operator sees that operator's
    volunteers and no one else's. Anyone else: no one. Use it inside ``.where(...)``; it
    adds sub-selects, never a query."""
    if not getattr(actor, "is_authenticated", False):
        return pw.SQL("1 = 0")
    if actor.is_admin:
        return pw.SQL("1 = 1")
    if actor.role != "coordinator":
        return pw.SQL("1 = 0")
    centres = _member_centres(actor)
    return person.in_(chose_centres(centres)) | person.in_(signed_up_at(centres))


def volunteer_visible_to(actor, user_id: int) -> bool:
    """Whether ``actor`` may see the volunteer with this id (one query)."""
    return (
        User.select(User.id)
        .where((User.id == user_id) & (User.role == "volunteer") & visible_volunteers(actor))
        .exists()
    )
