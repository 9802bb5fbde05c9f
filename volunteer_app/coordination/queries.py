"""Ready-joined reads for the coordinator desk; every list is a fixed number of queries."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import peewee as pw
from peewee import JOIN

from volunteer_app.accounts.models import User
from volunteer_app.activities.models import Activity, Category, Slot
from volunteer_app.activities.queries import category_label, slots_with_activity
from volunteer_app.centres.models import Centre
from volunteer_app.checkin.models import Checkin
from volunteer_app.checkin.queries import is_current
from volunteer_app.checks.models import CertificateCheck, MeaslesProof
from volunteer_app.checks.queries import CertificateStatus, certificate_status, present
from volunteer_app.common.time import berlin_to_utc
from volunteer_app.companions.models import ComingAlong
from volunteer_app.db import Prepared, utcnow
from volunteer_app.revisions.models import ContentRevision
from volunteer_app.revisions.queries import Revision, revision_join, revision_of
from volunteer_app.signups.models import ACTIVE, CantCome, Signup
from volunteer_app.volunteers.queries import visible_volunteers

DASHBOARD_DAYS = 14
SEARCH_LIMIT = 20


def berlin_days(first: dt.date, days: int) -> tuple[dt.datetime, dt.datetime]:
    """Naive-UTC bounds of ``days`` whole Berlin calendar days from ``first`` on."""
    start = berlin_to_utc(dt.datetime.combine(first, dt.time()))
    end = berlin_to_utc(dt.datetime.combine(first + dt.timedelta(days=days), dt.time()))
    return start, end


# --- Pages of a long list -----------------------------------------------------------------


@dataclass
class Page:
    """One page of rows, fetched with a single query (one row more tells if there is a next)."""

    items: list
    number: int
    per_page: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


MAX_PAGE = 10_000


def paginate(query, number: int, per_page: int) -> Page:
    number = min(max(number or 1, 1), MAX_PAGE)
    rows = list(query.limit(per_page + 1).offset((number - 1) * per_page))
    return Page(rows[:per_page], number, per_page, len(rows) > per_page)


# --- Dashboard ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Desk:
    """A centre and its ``staff`` revision, which moves on every write the dashboard shows."""

    centre: Centre
    revision: Revision


def _desk_query(slug):
    return (
        Centre.select(Centre, ContentRevision.value, ContentRevision.changed_at)
        .join(
            ContentRevision,
            JOIN.LEFT_OUTER,
            on=revision_join("staff", Centre.id),
            attr="staff_revision",
        )
        .where(Centre.slug == slug)
    )


def desk(slug: str) -> Desk | None:
    """The centre of this slug with its ``staff`` revision (one query on two unique indexes).
    The revision is read before anything it versions, so what is read after it is at
    least as new as it says."""
    centre = _desk_query(slug).first()
    if centre is None:
        return None
    found = getattr(centre, "staff_revision", None)
    revision = revision_of(found.value, found.changed_at) if found else revision_of(0, None)
    return Desk(centre, revision)


@dataclass(frozen=True, slots=True)
class BoardSlot:
    """What a dashboard line shows of a slot and its activity."""

    id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity: int
    taken: int
    status: str
    cancel_reason: str
    title: str  # the activity's
    is_child_facing: bool  # the activity's

    @property
    def is_cancelled(self) -> bool:
        return self.status == "cancelled"

    @property
    def free(self) -> int:
        return max(self.capacity - self.taken, 0)


@dataclass(frozen=True)
class SlotLine:
    """A slot on the dashboard with its activity, category and waiting people."""

    slot: BoardSlot
    category: str
    pending: int
    waitlisted: int

    @property
    def unfilled(self) -> bool:
        return not self.slot.is_cancelled and self.slot.taken < self.slot.capacity

    @property
    def needs_attention(self) -> bool:
        return self.unfilled or (not self.slot.is_cancelled and self.pending > 0)


@dataclass
class Dashboard:
    lines: list[SlotLine]
    first_day: dt.date
    last_day: dt.date

    @property
    def unfilled(self) -> list[SlotLine]:
        return [line for line in self.lines if line.unfilled]

    @property
    def others(self) -> list[SlotLine]:
        return [line for line in self.lines if not line.unfilled]

    @property
    def open_seats(self) -> int:
        return sum(line.slot.free for line in self.unfilled)

    @property
    def pending(self) -> int:
        return sum(line.pending for line in self.lines if not line.slot.is_cancelled)

    @property
    def waitlisted(self) -> int:
        return sum(line.waitlisted for line in self.lines if not line.slot.is_cancelled)


def _signup_count(status: str):
    return Signup.select(pw.fn.COUNT(Signup.id)).where(
        (Signup.slot == Slot.id) & (Signup.status == status)
    )


def _unfilled_first():
    return pw.Case(None, [((Slot.status == "scheduled") & (Slot.taken < Slot.capacity), 0)], 1)


def _board_query(centre_id, start, end):
    return (
        Slot.select(
            Slot.id,
            Slot.starts_at,
            Slot.ends_at,
            Slot.capacity,
            Slot.taken,
            Slot.status,
            Slot.cancel_reason,
            Activity.title,
            Activity.is_child_facing,
            Category.key,
            Category.name,
            _signup_count("pending"),
            _signup_count("waitlisted"),
        )
        .join(Activity)
        .join(Category)
        .where((Activity.centre == centre_id) & (Slot.starts_at >= start) & (Slot.starts_at < end))
        .order_by(_unfilled_first(), Slot.starts_at, Activity.title, Slot.id)
        .tuples()
    )


def dashboard(centre_id: int, first_day: dt.date, days: int = DASHBOARD_DAYS) -> Dashboard:
    """The centre's slots of ``days`` Berlin days from ``first_day`` on, cancelled ones
    included: unfilled ones first, then by time; with pending and waitlist counts (one
    query, only the columns a line shows)."""
    start, end = berlin_days(first_day, days)
    rows = _board_query(centre_id, start, end)
    labels: dict = {}
    lines = []
    for *columns, key, name, pending, waitlisted in rows:
        label = labels.get((key, name))
        if label is None:
            label = labels[key, name] = category_label(Category(key=key, name=name))
        lines.append(SlotLine(BoardSlot(*columns), label, pending or 0, waitlisted or 0))
    return Dashboard(lines, first_day, first_day + dt.timedelta(days=days - 1))


def slots_with_fill(centre_id: int, start: dt.datetime, end: dt.datetime) -> pw.ModelSelect:
    """The centre's slots starting in [start, end) (naive UTC), cancelled ones included, with
    activity and category and the dashboard's ``pending_count`` and ``waitlist_count``;
    unordered, for callers that page through it (the JSON API, api/). One query."""
    return (
        Slot.select(
            Slot,
            Activity,
            Category,
            _signup_count("pending").alias("pending_count"),
            _signup_count("waitlisted").alias("waitlist_count"),
        )
        .join(Activity)
        .join(Category)
        .where((Activity.centre == centre_id) & (Slot.starts_at >= start) & (Slot.starts_at < end))
    )


ATTENDANCE_LOOKBACK_DAYS = 30


def awaiting_attendance(centre_id: int, now: dt.datetime) -> list[Slot]:
    """Slots of the last 30 days with confirmed people whose attendance is not recorded yet,
    newest first, each with ``open_count`` (one query)."""
    missing = Signup.select(pw.fn.COUNT(Signup.id)).where(
        (Signup.slot == Slot.id) & (Signup.status == "confirmed") & Signup.attendance.is_null()
    )
    return list(
        Slot.select(Slot, Activity, missing.alias("open_count"))
        .join(Activity)
        .where(
            (Activity.centre == centre_id)
            & (Slot.status == "scheduled")
            & (Slot.starts_at < now)
            & (Slot.starts_at >= now - dt.timedelta(days=ATTENDANCE_LOOKBACK_DAYS))
            & (missing > 0)
        )
        .order_by(Slot.starts_at.desc(), Slot.id)
    )


@dataclass
class Approvals:
    """Upcoming slots of a centre with sign-ups awaiting approval, whatever their date."""

    slots: list[Slot]  # each with ``pending_count``

    @property
    def count(self) -> int:
        return sum(slot.pending_count for slot in self.slots)


def awaiting_approval(centre_id: int, now: dt.datetime) -> Approvals:
    """Scheduled slots of the centre not started yet that have pending sign-ups, soonest
    first, each with ``pending_count`` (one query): nothing waits unseen beyond the
    dashboard's 14 days."""
    pending = _signup_count("pending")
    return Approvals(
        list(
            Slot.select(Slot, Activity, pending.alias("pending_count"))
            .join(Activity)
            .where(
                (Activity.centre == centre_id)
                & (Slot.status == "scheduled")
                & (Slot.starts_at > now)
                & (pending > 0)
            )
            .order_by(Slot.starts_at, Slot.id)
        )
    )


def cant_come_notices(centre_id: int) -> list[CantCome]:
    """The centre's "I can't come" messages nobody has dealt with yet, oldest first, each
    with the sign-up's person and the slot with its activity (one query)."""
    return list(
        CantCome.select(CantCome, Signup, User, Slot, Activity)
        .join(Signup, on=(CantCome.signup == Signup.id))
        .join(User, on=(Signup.volunteer == User.id))
        .join_from(Signup, Slot, on=(Signup.slot == Slot.id))
        .join(Activity, on=(Slot.activity == Activity.id))
        .where((Activity.centre == centre_id) & CantCome.handled_at.is_null())
        .order_by(CantCome.created_at, CantCome.id)
    )


def unfilled_slots_for(centre_ids, start: dt.datetime, end: dt.datetime) -> list[Slot]:
    """Scheduled slots of these centres starting in [start, end) (naive UTC) that still have
    free seats, with activity, category and centre joined; by centre, then time (one query).
    Used by the coordinators' daily digest."""
    centre_ids = list(centre_ids)
    if not centre_ids:
        return []
    return list(
        slots_with_activity()
        .where(
            Activity.centre.in_(centre_ids)
            & (Slot.status == "scheduled")
            & (Slot.taken < Slot.capacity)
            & (Slot.starts_at >= start)
            & (Slot.starts_at < end)
        )
        .order_by(Centre.name, Slot.starts_at, Activity.title, Slot.id)
    )


# --- Roster -------------------------------------------------------------------------------


# On every roster request and every action on it: the SQL of the wide join written once.
_ROSTER_SLOT = Prepared(
    lambda slot_id: (
        slots_with_activity(User.id, User.name)
        .join_from(Activity, User, JOIN.LEFT_OUTER, on=(Activity.responsible == User.id))
        .where(Slot.id == slot_id)
        .limit(1)
    )
)


def roster_slot(slot_id: int) -> Slot | None:
    """A slot with its activity, category, centre and responsible staff member (id and
    name only: all the desk shows of them)."""
    return _ROSTER_SLOT.first(slot_id)


@dataclass(frozen=True)
class RosterLine:
    signup: Signup
    certificate: CertificateStatus | None  # only for child-facing activities
    measles: MeaslesProof | None
    position: int = 0  # place on the waiting list (1 = next to move up)

    @property
    def person(self) -> User:
        return self.signup.volunteer


@dataclass
class Roster:
    slot: Slot
    confirmed: list[RosterLine] = field(default_factory=list)
    pending: list[RosterLine] = field(default_factory=list)
    waitlisted: list[RosterLine] = field(default_factory=list)
    checkins: dict[int, Checkin] = field(default_factory=dict)  # sign-up id -> current check-in
    children: dict[int, int] = field(default_factory=dict)  # sign-up id -> children along

    @property
    def is_past(self) -> bool:
        return self.slot.starts_at <= utcnow()

    @property
    def lines(self) -> list[RosterLine]:
        return [*self.confirmed, *self.pending, *self.waitlisted]

    @property
    def default_hours(self) -> Decimal:
        """The slot's length in hours: what attendance proposes."""
        seconds = (self.slot.ends_at - self.slot.starts_at).total_seconds()
        return min(Decimal(seconds / 3600).quantize(Decimal("0.01")), Decimal(24))

    @property
    def can_assign(self) -> bool:
        return not self.slot.is_cancelled and not self.is_past


def _checks_joined(query, volunteer_field, centre_id, measles_centre=None):
    """LEFT JOIN this centre's certificate check and measles proof of each person.

    ``measles_centre``: the centre again, as a second value (a prepared read takes each of
    its arguments as one parameter)."""
    return query.join_from(
        query.model,
        CertificateCheck,
        JOIN.LEFT_OUTER,
        on=(CertificateCheck.volunteer == volunteer_field) & (CertificateCheck.centre == centre_id),
        attr="certificate_check",
    ).join_from(
        query.model,
        MeaslesProof,
        JOIN.LEFT_OUTER,
        on=(MeaslesProof.volunteer == volunteer_field)
        & (MeaslesProof.centre == (centre_id if measles_centre is None else measles_centre)),
        attr="measles_proof",
    )


def _roster_query(slot_id, certificate_centre, measles_centre):
    person = (User.id, User.name, User.email, User.phone)  # what the roster shows of them
    query = Signup.select(
        Signup, *person, CertificateCheck, MeaslesProof, Checkin, ComingAlong
    ).join(User, on=(Signup.volunteer == User.id))
    return (
        _checks_joined(query, Signup.volunteer, certificate_centre, measles_centre)
        .join_from(
            Signup, Checkin, JOIN.LEFT_OUTER, on=(Checkin.signup == Signup.id), attr="checkin"
        )
        .join_from(
            Signup,
            ComingAlong,
            JOIN.LEFT_OUTER,
            on=(ComingAlong.signup == Signup.id),
            attr="coming_along",
        )
        .where((Signup.slot == slot_id) & Signup.status.in_(ACTIVE))
        .order_by(Signup.queued_at, Signup.id)
    )


# The roster, its print and CSV: the SQL of the join written once (the centre is given twice,
# once for each of its checks: each argument of a prepared read is one parameter).
_ROSTER = Prepared(_roster_query)


def roster(slot: Slot) -> Roster:
    """Confirmed (by name), pending and waitlisted (in queue order) people of a slot (id,
    name, e-mail and phone of each), each with this centre's certificate status on the
    slot's day and measles note, their current check-in and the children coming along with
    them (one query)."""
    result = Roster(slot)
    day = slot.starts_at.date()
    child_facing = slot.activity.is_child_facing
    centre_id = slot.activity.centre_id
    rows = _ROSTER.rows(slot.id, centre_id, centre_id)
    for signup in rows:
        check = present(signup, "certificate_check")
        line = RosterLine(
            signup,
            certificate_status(check, day) if child_facing else None,
            present(signup, "measles_proof"),
        )
        queue = getattr(result, signup.status)
        if signup.status == "waitlisted":
            line = dataclasses.replace(line, position=len(queue) + 1)
        queue.append(line)
        arrived = present(signup, "checkin")
        if is_current(arrived, signup):
            result.checkins[signup.id] = arrived
        along = present(signup, "coming_along")
        if along is not None:
            result.children[signup.id] = along.children
    result.confirmed.sort(key=lambda line: (line.person.name.casefold(), line.signup.id))
    return result


def signup_on_slot(signup_id: int, slot_id: int) -> Signup | None:
    """A sign-up of this slot (never one of another slot), with the volunteer."""
    return (
        Signup.select(Signup, User)
        .join(User, on=(Signup.volunteer == User.id))
        .where((Signup.id == signup_id) & (Signup.slot == slot_id))
        .first()
    )


def search_volunteers(term: str, *, actor, not_on_slot: int | None = None) -> list[User]:
    """Active volunteers ``actor`` may see whose name contains ``term`` (case-insensitive),
    by name; at most SEARCH_LIMIT. ``not_on_slot`` leaves out people already active on that
    slot."""
    if not term:
        return []
    query = User.select().where(
        (User.role == "volunteer")
        & User.is_active
        & User.name.contains(term)
        & visible_volunteers(actor)
    )
    if not_on_slot is not None:
        on_slot = Signup.select(Signup.volunteer).where(
            (Signup.slot == not_on_slot) & Signup.status.in_(ACTIVE)
        )
        query = query.where(User.id.not_in(on_slot))
    return list(query.order_by(User.name, User.id).limit(SEARCH_LIMIT))


# --- The centre's volunteers and their checks --------------------------------------------


@dataclass(frozen=True)
class VolunteerLine:
    person: User
    certificate: CertificateStatus
    measles: MeaslesProof | None
    upcoming: int


def _centre_signups(centre_id: int):
    return (
        Signup.select(Signup.volunteer)
        .join(Slot)
        .join(Activity)
        .where(Activity.centre == centre_id)
    )


def centre_volunteers(
    centre_id: int, on: dt.date, *, actor, term: str = "", page: int = 1, per_page: int = 50
) -> Page:
    """People who signed up at this centre or have a check recorded here and whom ``actor``
    may see, by name, with their certificate status on ``on``, measles note and number of
    upcoming confirmed slots here (one query per page)."""
    upcoming = (
        Signup.select(pw.fn.COUNT(Signup.id))
        .join(Slot)
        .join(Activity)
        .where(
            (Signup.volunteer == User.id)
            & (Activity.centre == centre_id)
            & (Signup.status == "confirmed")
            & (Slot.starts_at >= utcnow())
        )
    )
    checked = CertificateCheck.select(CertificateCheck.volunteer).where(
        CertificateCheck.centre == centre_id
    )
    measled = MeaslesProof.select(MeaslesProof.volunteer).where(MeaslesProof.centre == centre_id)
    query = User.select(User, CertificateCheck, MeaslesProof, upcoming.alias("upcoming_count"))
    query = _checks_joined(query, User.id, centre_id)
    query = query.where(
        (User.role == "volunteer")
        & (User.id.in_(_centre_signups(centre_id)) | User.id.in_(checked) | User.id.in_(measled))
        & visible_volunteers(actor)
    )
    if term:
        query = query.where(User.name.contains(term))
    result = paginate(query.order_by(User.name, User.id), page, per_page)
    result.items = [
        VolunteerLine(
            user,
            certificate_status(present(user, "certificate_check"), on),
            present(user, "measles_proof"),
            user.upcoming_count or 0,
        )
        for user in result.items
    ]
    return result


def volunteer_for_checks(user_id: int, *, actor) -> User | None:
    """A volunteer ``actor`` may see, to assign or to open their checks (one query). Not
    only people who signed up: the checks come before the first sign-up for a
    child-facing activity, so someone who chose one of the actor's centres counts too."""
    return User.get_or_none(
        (User.id == user_id) & (User.role == "volunteer") & visible_volunteers(actor)
    )
