"""Reads of the check-in: a centre's codes, a person's arrival, the arrivals of a day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from peewee import JOIN

from volunteer_app.accounts.models import User
from volunteer_app.activities.models import Activity, Category, Slot
from volunteer_app.activities.queries import join_activity
from volunteer_app.centres.models import Centre
from volunteer_app.checkin.models import Checkin, CheckinPoint
from volunteer_app.common.time import berlin_to_utc
from volunteer_app.signups.models import ACTIVE, Signup

# A volunteer may check in this long before their slot starts (and until it ends).
EARLY = dt.timedelta(hours=1)


def point_of(centre_id: int) -> CheckinPoint | None:
    """The centre's check-in, or None while nobody switched it on."""
    return CheckinPoint.get_or_none(CheckinPoint.centre == centre_id)


def point_by_slug(slug: str) -> CheckinPoint | None:
    """A centre's check-in with its centre (one query), for pages reached by address."""
    return (
        CheckinPoint.select(CheckinPoint, Centre)
        .join(Centre, on=(CheckinPoint.centre == Centre.id))
        .where(Centre.slug == slug)
        .first()
    )


def is_current(checkin: Checkin | None, signup: Signup) -> bool:
    """A check-in counts for the sign-up as it is now, not for an earlier, cancelled one."""
    return checkin is not None and checkin.checked_in_at >= signup.queued_at


@dataclass(frozen=True)
class ArrivalLine:
    """One of the person's sign-ups around now, with its slot, activity, centre and check-in."""

    signup: Signup
    checkin: Checkin | None

    @property
    def slot(self) -> Slot:
        return self.signup.slot

    @property
    def checked_in(self) -> bool:
        return is_current(self.checkin, self.signup)


@dataclass
class Arrival:
    """What a person can do at a centre's door now."""

    here: list[ArrivalLine] = field(default_factory=list)  # confirmed, at this centre
    unconfirmed: list[ArrivalLine] = field(default_factory=list)  # pending/waitlisted here
    elsewhere: list[ArrivalLine] = field(default_factory=list)  # confirmed, another centre
    next_here: Signup | None = None  # the next confirmed date here after the window

    @property
    def ready(self) -> list[ArrivalLine]:
        """Confirmed here and not checked in yet: what the button checks in."""
        return [line for line in self.here if not line.checked_in]

    @property
    def done(self) -> list[ArrivalLine]:
        return [line for line in self.here if line.checked_in]

    @property
    def activity_ids(self) -> set[int]:
        lines = [*self.here, *self.unconfirmed, *self.elsewhere]
        ids = {line.slot.activity.id for line in lines}
        if self.next_here is not None:
            ids.add(self.next_here.slot.activity.id)
        return ids


def _signups(*extra):
    """Sign-ups with slot, activity, category and centre (and ``extra`` models)."""
    return join_activity(
        Signup.select(Signup, Slot, Activity, Category, Centre, *extra).join(
            Slot, on=(Signup.slot == Slot.id)
        )
    )


def arrival(user_id: int, centre_id: int, now: dt.datetime) -> Arrival:
    """The person's active sign-ups for slots that start within ``EARLY`` or run now, at
    this and at other centres, each with its check-in; and their next date here (two
    queries)."""
    rows = (
        _signups(Checkin)
        .join_from(
            Signup, Checkin, JOIN.LEFT_OUTER, on=(Checkin.signup == Signup.id), attr="arrived"
        )
        .where(
            (Signup.volunteer == user_id)
            & Signup.status.in_(ACTIVE)
            & (Slot.status == "scheduled")
            & (Slot.starts_at <= now + EARLY)
            & (Slot.ends_at > now)
        )
        .order_by(Slot.starts_at, Slot.id)
    )
    result = Arrival()
    for signup in rows:
        checkin = getattr(signup, "arrived", None)
        line = ArrivalLine(signup, checkin if checkin is not None and checkin.id else None)
        if signup.slot.activity.centre.id != centre_id:
            if signup.status == "confirmed":
                result.elsewhere.append(line)
        elif signup.status == "confirmed":
            result.here.append(line)
        else:
            result.unconfirmed.append(line)
    result.next_here = (
        _signups()
        .where(
            (Signup.volunteer == user_id)
            & (Signup.status == "confirmed")
            & (Slot.status == "scheduled")
            & (Activity.centre == centre_id)
            & (Slot.starts_at > now + EARLY)
        )
        .order_by(Slot.starts_at, Slot.id)
        .first()
    )
    return result


def checkins_of_slot(slot_id: int) -> dict[int, Checkin]:
    """The current check-ins of a slot's sign-ups by sign-up id (one query)."""
    rows = (
        Checkin.select(Checkin, Signup)
        .join(Signup, on=(Checkin.signup == Signup.id))
        .where(Signup.slot == slot_id)
    )
    return {row.signup.id: row for row in rows if is_current(row, row.signup)}


def arrivals_on(centre_id: int, day: dt.date) -> list[Checkin]:
    """Check-ins for the centre's slots that start on ``day`` (Berlin), newest first, each
    with its person, slot and activity (one query)."""
    start = berlin_to_utc(dt.datetime.combine(day, dt.time(0)))
    end = berlin_to_utc(dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0)))
    rows = (
        Checkin.select(Checkin, Signup, User, Slot, Activity)
        .join(Signup, on=(Checkin.signup == Signup.id))
        .join(User, on=(Signup.volunteer == User.id))
        .join_from(Signup, Slot, on=(Signup.slot == Slot.id))
        .join(Activity, on=(Slot.activity == Activity.id))
        .where(
            (Activity.centre == centre_id)
            & (Slot.starts_at >= start)
            & (Slot.starts_at < end)
            & (Signup.status == "confirmed")
        )
        .order_by(Checkin.checked_in_at.desc(), Checkin.id.desc())
    )
    return [row for row in rows if is_current(row, row.signup)]
