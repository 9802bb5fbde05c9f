"""Seeding the demo network (``flask seed demo``): operators, centres, closing days and
accounts, and a realistic month in each centre: activities with schedules, volunteer
profiles, checks, sign-ups (full, empty, waitlisted, pending) and a few weeks of history.

The names, texts and plans are plain data in ``demo_data.py``; this module writes them.
Every account's password is ``DEMO_PASSWORD``; the README lists them. Seeding is
idempotent: each row is looked up by its natural key (operator name, centre slug,
e-mail address, activity title, …) and only created when missing, so a second run
changes nothing. The month starts at today's date in Berlin and uses a fixed random
seed: the same date gives the same demo.
"""

from __future__ import annotations

import datetime as dt
import importlib
import itertools
import random
import secrets
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

import peewee as pw
from flask import current_app

from volunteer_app.accounts.models import Consent, User
from volunteer_app.accounts.passwords import hash_password
from volunteer_app.activities import queries as activity_queries
from volunteer_app.activities import recurrence
from volunteer_app.activities import schedules as activity_schedules
from volunteer_app.activities import services as activity_services
from volunteer_app.activities import slots as activity_slots
from volunteer_app.activities.models import Activity, ActivityText, Category, Slot
from volunteer_app.centres.models import Centre, CentreMembership, ClosingDay, Operator
from volunteer_app.centres.queries import today
from volunteer_app.checks import services as check_services
from volunteer_app.checks.models import CertificateCheck, MeaslesProof
from volunteer_app.common.errors import DomainError
from volunteer_app.db import utcnow, write_transaction
from volunteer_app.demo_data import (
    ACTIVITIES,
    CENTRES,
    CHECKS,
    CLOSING_DAYS,
    COOKING_CLUB,
    COURTYARD_GARDEN,
    CUSTOM_CATEGORIES,
    DEMO_DOMAIN,
    DEMO_PASSWORD,
    OPERATORS,
    PROFILES,
    READING_HOUR,
    STAFF,
    VOLUNTEERS,
    ActivityPlan,
    SchedulePlan,
    VolunteerPlan,
    volunteer_email,
)
from volunteer_app.notifications.models import OutboxMessage
from volunteer_app.signups import services as signup_services
from volunteer_app.signups.models import ACTIVE, Signup
from volunteer_app.volunteers import services as volunteer_services
from volunteer_app.volunteers.models import VolunteerProfile


@dataclass(frozen=True)
class DemoNetwork:
    """What the core demo created, for the features' own demo seeders."""

    centres: dict  # slug -> Centre
    staff: dict  # e-mail -> User (coordinators and admins)
    volunteers: dict  # n -> User


# Features with a ``demo.py`` whose ``seed(network) -> int`` adds what is missing and returns
# how many rows it created (0 on a second run).
FEATURE_DEMOS: tuple[str, ...] = ("rooms", "wishes", "reports", "proposals")


def seed_demo() -> bool:
    """Create whatever of the demo network is missing; True if anything was created.

    Needs an app context and an open connection (``flask seed demo`` provides both).
    """
    with write_transaction():
        seeder = _Seeder(current_app.config["PRIVACY_NOTICE_VERSION"])
        seeder.run()
    return seeder.created > 0


class _Seeder:
    def __init__(self, privacy_version: str):
        self.privacy_version = privacy_version
        self.created = 0
        self._hash: str | None = None

    def run(self) -> None:
        operators = {name: self._operator(name) for name in OPERATORS}
        centres = {c["slug"]: self._centre(c, operators[c["operator"]]) for c in CENTRES}
        for slug, days in CLOSING_DAYS.items():
            for day, reason in days:
                self._closing_day(centres[slug], day, reason)
        staff = {}
        for email, name, role, slugs in STAFF:
            user = staff[email] = self._user(email, name, role)
            for slug in slugs:
                self._membership(user, centres[slug])
        volunteers = {}
        for n, (name, locale, phone) in enumerate(VOLUNTEERS, start=1):
            volunteers[n] = self._user(
                volunteer_email(n), name, "volunteer", locale=locale, phone=phone
            )
        coordinators = {
            slug: staff[email] for email, _name, _role, slugs in STAFF for slug in slugs
        }
        self.created += _Month(centres, coordinators, volunteers).run()
        network = DemoNetwork(centres=centres, staff=staff, volunteers=volunteers)
        for feature in FEATURE_DEMOS:
            self.created += importlib.import_module(f"volunteer_app.{feature}.demo").seed(network)

    def _password_hash(self) -> str:
        # argon2 is slow on purpose: hash once, and only if an account is missing.
        if self._hash is None:
            self._hash = hash_password(DEMO_PASSWORD)
        return self._hash

    def _operator(self, name: str) -> Operator:
        operator = Operator.get_or_none(Operator.name == name)
        if operator is None:
            operator = Operator.create(name=name)
            self.created += 1
        return operator

    def _centre(self, data: dict, operator: Operator) -> Centre:
        centre = Centre.get_or_none(Centre.slug == data["slug"])
        if centre is None:
            fields = {k: v for k, v in data.items() if k != "operator"}
            centre = Centre.create(operator=operator, **fields)
            self.created += 1
        return centre

    def _closing_day(self, centre: Centre, day: dt.date, reason: str) -> None:
        exists = (
            ClosingDay.select()
            .where((ClosingDay.centre == centre) & (ClosingDay.day == day))
            .exists()
        )
        if not exists:
            ClosingDay.create(centre=centre, day=day, reason=reason)
            self.created += 1

    def _user(self, email: str, name: str, role: str, locale: str = "de", phone: str = "") -> User:
        user = User.get_or_none(User.email == email)
        if user is None:
            now = utcnow()
            user = User.create(
                email=email,
                name=name,
                password_hash=self._password_hash(),
                role=role,
                locale=locale,
                phone=phone,
                email_confirmed_at=now,
                session_token=secrets.token_hex(16),
                created_at=now,
            )
            Consent.create(user=user, kind="privacy", version=self.privacy_version, given_at=now)
            self.created += 1
        return user

    def _membership(self, user: User, centre: Centre) -> None:
        exists = (
            CentreMembership.select()
            .where((CentreMembership.user == user) & (CentreMembership.centre == centre))
            .exists()
        )
        if not exists:
            CentreMembership.create(user=user, centre=centre)
            self.created += 1


# --- A realistic month: activities, schedules, profiles, checks and sign-ups -------------
#
# Everything below goes through the services (activities, sign-ups, profiles, checks), so
# the invariants hold exactly as in real use. Only the slots of the recent past are written
# directly, because the services rightly refuse the past: there ``taken`` is set to the
# number of confirmed sign-ups and attendance is then recorded through the service.
#
# Idempotent like the rest: a profile, a check or an activity is only created when it is
# missing, and an activity's slots and sign-ups only in the run that creates the activity.

DEMO_SEED = 72  # fixed, so that the same date gives the same demo (§ 72a SGB VIII)
MONTH_DAYS = 31  # sign-ups are planned this far ahead; later slots stay empty
SOON_DAYS = 14  # slots this close fill up more than later ones
HISTORY_DAYS = 28  # slots of the recent past, with attendance, this far back


def _next_weekday(after: dt.date, weekday: int) -> dt.date:
    """The first date after ``after`` that falls on ``weekday``."""
    return after + dt.timedelta(days=(weekday - after.weekday() - 1) % 7 + 1)


def _months_from(year: int, month: int):
    while True:
        yield year, month
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def first_date(schedule: SchedulePlan, after: dt.date) -> dt.date:
    """The schedule's first date after ``after`` (tomorrow at the earliest, so that no
    time of the first date has passed yet)."""
    if schedule.recurrence == "weekly":
        return _next_weekday(after, schedule.weekday)
    if schedule.recurrence == "monthly":
        for year, month in _months_from(after.year, after.month):
            day = recurrence.nth_weekday(year, month, schedule.weekday, schedule.nth)
            if day is not None and day > after:
                return day
    for year in (after.year, after.year + 1):  # once, in the coming December
        day = recurrence.nth_weekday(year, 12, schedule.weekday, schedule.nth)
        if day > after:
            return day
    raise AssertionError("unreachable")  # pragma: no cover


def past_dates(
    schedule: SchedulePlan, first: dt.date, on: dt.date, closed: set[dt.date]
) -> list[dt.date]:
    """The dates the schedule had in the ``HISTORY_DAYS`` before ``on`` (holidays and
    closing days skipped), as if it had run before."""
    since = on - dt.timedelta(days=HISTORY_DAYS)
    days: list[dt.date] = []
    if schedule.recurrence == "weekly":
        step = dt.timedelta(weeks=schedule.interval)
        day = first - step
        while day >= since:
            days.append(day)
            day -= step
    elif schedule.recurrence == "monthly":
        for year, month in itertools.islice(_months_from(since.year, since.month), 3):
            day = recurrence.nth_weekday(year, month, schedule.weekday, schedule.nth)
            if day is not None:
                days.append(day)
    return sorted(
        d for d in set(days) if since <= d < on and d not in closed and not recurrence.is_holiday(d)
    )


class _Bookings:
    """Who is busy when, to keep the demo within each volunteer's limits and free of
    overlaps (the services refuse overlaps anyway; limits are for matching, not enforced)."""

    def __init__(self):
        self.spans: dict[int, list[tuple[dt.datetime, dt.datetime, dt.date]]] = defaultdict(list)

    def fits(self, n: int, slot: Slot, plan: VolunteerPlan) -> bool:
        spans = self.spans[n]
        if any(s < slot.ends_at and slot.starts_at < e for s, e, _ in spans):
            return False
        day = _berlin_date(slot.starts_at)
        week = sum(1 for *_, d in spans if d.isocalendar()[:2] == day.isocalendar()[:2])
        month = sum(1 for *_, d in spans if (d.year, d.month) == (day.year, day.month))
        return week < plan.per_week and month < plan.per_month

    def add(self, n: int, starts_at: dt.datetime, ends_at: dt.datetime) -> None:
        self.spans[n].append((starts_at, ends_at, _berlin_date(starts_at)))

    def remove(self, n: int, starts_at: dt.datetime) -> None:
        self.spans[n] = [span for span in self.spans[n] if span[0] != starts_at]


def _berlin_date(value: dt.datetime) -> dt.date:
    return recurrence.utc_to_berlin(value).date()


@dataclass
class _NewActivity:
    plan: ActivityPlan
    activity: Activity
    slots: list[Slot]  # upcoming, from the schedule, by time


class _Month:
    """A month of activity in the three demo centres, from today (Berlin) on."""

    def __init__(self, centres: dict, coordinators: dict, volunteers: dict):
        self.centres = centres
        self.coordinators = coordinators
        self.volunteers = volunteers
        self.today = today()
        self.rng = random.Random(DEMO_SEED)
        self.bookings = _Bookings()
        self.created = 0

    def run(self) -> int:
        first_mail = OutboxMessage.select(pw.fn.MAX(OutboxMessage.id)).scalar() or 0
        categories = self._categories()
        for n, plan in PROFILES.items():
            self._profile(n, plan, categories)
        for check in CHECKS:
            self._checks(*check)
        new = [
            self._activity(plan, categories)
            for plan in ACTIVITIES
            if not Activity.select()
            .where(
                (Activity.centre == self.centres[plan.centre].id) & (Activity.title == plan.title)
            )
            .exists()
        ]
        if new:
            self._load_bookings()
            for item in new:
                self._history(item)
            self._showcase({item.plan.title: item for item in new})
            self._fill(new)
        self._texts()
        self._quiet_outbox(first_mail)
        return self.created

    def _texts(self) -> None:
        """Texts in other languages of demo activities seeded before they had any (new ones
        get theirs when created); a text a coordinator changed or removed is not touched
        again while the activity has any."""
        with write_transaction():
            for plan in ACTIVITIES:
                activity = Activity.get_or_none(
                    (Activity.centre == self.centres[plan.centre].id)
                    & (Activity.title == plan.title)
                )
                if not plan.texts or activity is None or activity.texts.exists():
                    continue
                ActivityText.insert_many(
                    [
                        {"activity": activity.id, "language": code, "title": title,
                         "description": description}
                        for code, title, description in plan.texts
                    ]
                ).execute()  # fmt: skip
                self.created += 1

    # --- Categories, profiles, checks ------------------------------------------------------

    def _categories(self) -> dict[tuple[str | None, str], Category]:
        """(centre slug or None, key or name) -> category."""
        found = {(None, c.key): c for c in Category.select().where(Category.key.is_null(False))}
        for slug, name in CUSTOM_CATEGORIES:
            centre = self.centres[slug]
            category = Category.get_or_none(
                (Category.centre == centre.id) & (Category.name == name)
            )
            if category is None:
                category = activity_services.add_category(
                    centre, name, actor=self.coordinators[slug]
                )
                self.created += 1
            found[(slug, name)] = category
        return found

    def _category(self, categories: dict, slug: str, name: str) -> Category:
        return categories.get((None, name)) or categories[(slug, name)]

    def _interest(self, categories: dict, slugs: tuple[str, ...], name: str) -> Category:
        """A built-in, or the own category of one of the volunteer's centres."""
        if (None, name) in categories:
            return categories[(None, name)]
        return next(categories[(slug, name)] for slug in slugs if (slug, name) in categories)

    def _profile(self, n: int, plan: VolunteerPlan, categories: dict) -> None:
        user = self.volunteers[n]
        if VolunteerProfile.select().where(VolunteerProfile.user == user.id).exists():
            return  # the volunteer's own choices win over the demo's
        interests = [self._interest(categories, plan.centres, name).id for name in plan.interests]
        volunteer_services.update_preferences(
            user,
            volunteer_services.PreferencesInput(
                open_to_anything=not plan.interests,
                interest_ids=interests,
                windows=[volunteer_services.window(*w) for w in plan.windows],
                centre_ids=[self.centres[slug].id for slug in plan.centres],
                max_per_week=plan.per_week,
                max_per_month=plan.per_month,
                languages=list(plan.languages),
                reminder_hours=plan.reminder_hours,
            ),
        )
        self.created += 1

    def _checks(self, n: int, slug: str, inspected_ago: int, age: int, measles_ago) -> None:
        volunteer, centre, coordinator = (
            self.volunteers[n],
            self.centres[slug],
            self.coordinators[slug],
        )
        mine = (CertificateCheck.volunteer == volunteer.id) & (CertificateCheck.centre == centre.id)
        if not CertificateCheck.select().where(mine).exists():
            inspected = self.today - dt.timedelta(days=inspected_ago)
            check_services.record_certificate_check(
                centre,
                volunteer.id,
                certificate_date=inspected - dt.timedelta(days=age),
                inspected_on=inspected,
                eligible=True,
                actor=coordinator,
                now=self.today,
            )
            self.created += 1
        noted = (MeaslesProof.volunteer == volunteer.id) & (MeaslesProof.centre == centre.id)
        if measles_ago is not None and not MeaslesProof.select().where(noted).exists():
            check_services.record_measles_proof(
                centre,
                volunteer.id,
                shown_on=self.today - dt.timedelta(days=measles_ago),
                proof_ok=True,
                actor=coordinator,
                now=self.today,
            )
            self.created += 1

    # --- Activities and their schedules ----------------------------------------------------

    def _activity(self, plan: ActivityPlan, categories: dict) -> _NewActivity:
        centre, coordinator = self.centres[plan.centre], self.coordinators[plan.centre]
        activity = activity_services.create_activity(
            centre,
            {
                "title": plan.title,
                "description": plan.description,
                "place": plan.place,
                "audience": plan.audience,
                "category_id": self._category(categories, plan.centre, plan.category).id,
                "responsible_id": coordinator.id,
                "signup_mode": "approval" if plan.approval else "open",
                "is_public": plan.public,
                "is_child_facing": plan.child_facing,
                "cancel_deadline_hours": plan.deadline_hours,
                "volunteers_needed": plan.needed,
                "texts": {
                    code: {"title": title, "description": description}
                    for code, title, description in plan.texts
                },
            },
            actor=coordinator,
        )
        schedule = plan.schedule
        result = activity_schedules.add_schedule(
            activity,
            {
                "recurrence": schedule.recurrence,
                "start_date": first_date(schedule, self.today),
                "start_time": dt.time.fromisoformat(schedule.start),
                "end_time": dt.time.fromisoformat(schedule.end),
                "interval": schedule.interval,
                "nth": schedule.nth,
                "ends": "never",
            },
            actor=coordinator,
            on=self.today,
        )
        self.created += 1
        slots = list(Slot.select().where(Slot.series == result.series.id).order_by(Slot.starts_at))
        return _NewActivity(plan, activity, slots)

    # --- Sign-ups ---------------------------------------------------------------------------

    def _load_bookings(self) -> None:
        """Active sign-ups the demo volunteers have already (when only part is re-created)."""
        number = {user.id: n for n, user in self.volunteers.items()}
        rows = (
            Signup.select(Signup.volunteer, Slot.starts_at, Slot.ends_at)
            .join(Slot, on=(Signup.slot == Slot.id))
            .where(
                Signup.volunteer.in_(list(number))
                & Signup.status.in_(ACTIVE)
                & (Slot.status == "scheduled")
            )
        )
        for row in rows:
            self.bookings.add(number[row.volunteer_id], row.slot.starts_at, row.slot.ends_at)

    def _candidates(self, item: _NewActivity, slot: Slot) -> list[int]:
        """Volunteers who would really sign up: they reach the centre, like the category,
        have the time, a valid certificate if needed, and room within their limits."""
        plan = item.plan
        local_start = recurrence.utc_to_berlin(slot.starts_at)
        local_end = recurrence.utc_to_berlin(slot.ends_at)
        day = local_start.date()
        found = []
        for n, person in PROFILES.items():
            if person.newcomer or plan.centre not in person.centres:
                continue
            if person.interests and plan.category not in person.interests:
                continue
            if person.windows and not any(
                weekday == day.weekday()
                and dt.time.fromisoformat(start) <= local_start.time()
                and local_end.time() <= dt.time.fromisoformat(end)
                for weekday, start, end in person.windows
            ):
                continue
            if plan.child_facing and not self._certified(n, plan.centre, day):
                continue
            if self.bookings.fits(n, slot, person):
                found.append(n)
        self.rng.shuffle(found)
        return found

    def _number(self, user_id: int) -> int:
        return next(n for n, user in self.volunteers.items() if user.id == user_id)

    def _certified(self, n: int, slug: str, day: dt.date) -> bool:
        return any(
            c[0] == n and c[1] == slug and self.today - dt.timedelta(days=c[2]) <= day
            for c in CHECKS
        )

    def _sign_up(self, slot: Slot, n: int) -> Signup | None:
        """The volunteer signs up through the service; None if it refuses."""
        try:
            result = signup_services.sign_up(slot.id, actor=self.volunteers[n])
        except DomainError:
            return None
        self.bookings.add(n, slot.starts_at, slot.ends_at)
        return result.signup

    def _assign(self, slot: Slot, n: int, coordinator: User) -> Signup | None:
        """A coordinator assigns the volunteer through the service; None if it refuses."""
        try:
            signup = signup_services.assign(slot.id, self.volunteers[n].id, actor=coordinator)
        except DomainError:
            return None
        self.bookings.add(n, slot.starts_at, slot.ends_at)
        return signup

    def _fill_slot(
        self, item: _NewActivity, slot: Slot, wanted: int, assign_share: float = 0.0
    ) -> list[Signup]:
        """Up to ``wanted`` sign-ups: beyond the free seats people land on the waitlist
        (or wait for approval). Some are assigned by the coordinator instead."""
        coordinator = self.coordinators[item.plan.centre]
        free = slot.capacity - Slot.get_by_id(slot.id).taken
        done: list[Signup] = []
        for n in self._candidates(item, slot):
            if len(done) >= wanted:
                break
            if free > 0 and self.rng.random() < assign_share:
                signup = self._assign(slot, n, coordinator)
            else:
                signup = self._sign_up(slot, n)
            if signup is not None:
                done.append(signup)
                free -= signup.status == "confirmed"
        return done

    def _history(self, item: _NewActivity) -> None:
        """Slots of the recent past, with confirmed volunteers and their attendance.

        The services refuse the past, so the slot and its sign-ups are written directly,
        with ``taken`` equal to the number of confirmed sign-ups; attendance and hours are
        then recorded through the sign-up service (and so audited), as a coordinator would.
        """
        plan = item.plan
        schedule = plan.schedule
        centre = self.centres[plan.centre]
        coordinator = self.coordinators[plan.centre]
        closed = set(activity_queries.closing_days_of(centre.id))
        first = first_date(schedule, self.today)
        start, end = dt.time.fromisoformat(schedule.start), dt.time.fromisoformat(schedule.end)
        for day in past_dates(schedule, first, self.today, closed):
            starts_at = recurrence.berlin_to_utc(day, start)
            ends_at = recurrence.berlin_to_utc(day, end)
            planned = starts_at - dt.timedelta(days=21)
            slot = Slot.create(
                activity=item.activity.id,
                original_date=day,
                starts_at=starts_at,
                ends_at=ends_at,
                capacity=plan.needed,
                created_at=planned,
                updated_at=planned,
            )
            wanted = plan.needed - (self.rng.random() < 0.3)
            chosen = self._candidates(item, slot)[: max(wanted, 1)]
            signups = []
            for offset, n in enumerate(chosen):
                when = starts_at - dt.timedelta(days=14 - offset, hours=self.rng.randint(1, 9))
                decided = (
                    {"decided_at": when, "decided_by": coordinator.id} if plan.approval else {}
                )
                signups.append(
                    Signup.create(
                        slot=slot.id,
                        volunteer=self.volunteers[n].id,
                        status="confirmed",
                        created_at=when,
                        queued_at=when,
                        **decided,
                    )
                )
                self.bookings.add(n, starts_at, ends_at)
            Slot.update(taken=len(signups)).where(Slot.id == slot.id).execute()
            length = Decimal((ends_at - starts_at).total_seconds()) / 3600
            for position, signup in enumerate(signups):
                roll = self.rng.random()
                if position and roll < 0.1:
                    attendance, hours = "no_show", None
                elif roll < 0.35:
                    attendance, hours = "attended", length + Decimal("0.5")  # stayed to tidy up
                else:
                    attendance, hours = "attended", None  # the slot's length
                signup_services.record_attendance(signup.id, attendance, hours, actor=coordinator)

    def _showcase(self, new: dict[str, _NewActivity]) -> None:
        """What the demo must show whatever the date: a full slot with a waitlist, a move-up
        from the waitlist after a cancellation, sign-ups waiting for approval and a slot
        called off."""
        reading = new.get(READING_HOUR)
        if reading is not None and len(reading.slots) >= 2:
            first, second = reading.slots[:2]
            self._fill_slot(reading, first, first.capacity + 2)  # full, two on the waitlist
            signups = self._fill_slot(reading, second, second.capacity + 1)
            confirmed = [s for s in signups if s.status == "confirmed"]
            if confirmed and len(signups) > second.capacity:
                # One cancels in time: the first on the waitlist moves up and is told.
                leaving = confirmed[0]
                signup_services.cancel_signup(leaving.id, actor=leaving.volunteer)
                self.bookings.remove(self._number(leaving.volunteer_id), second.starts_at)
            reading.slots = reading.slots[2:]
        cooking = new.get(COOKING_CLUB)
        if cooking is not None and cooking.slots:
            first = cooking.slots[0]
            pending = self._fill_slot(cooking, first, 3)
            if pending:  # the coordinator has approved the first request so far
                signup_services.approve(pending[0].id, actor=self.coordinators[cooking.plan.centre])
            cooking.slots = cooking.slots[1:]
        garden = new.get(COURTYARD_GARDEN)
        if garden is not None and len(garden.slots) >= 2:
            # A slot called off after people signed up: kept and shown as cancelled, the
            # people on it are told.
            called_off = garden.slots[1]
            for signup in self._fill_slot(garden, called_off, 2):
                self.bookings.remove(self._number(signup.volunteer_id), called_off.starts_at)
            activity_slots.cancel_slot(
                Slot.get_by_id(called_off.id), actor=self.coordinators[garden.plan.centre]
            )
            del garden.slots[1]

    def _fill(self, new: list[_NewActivity]) -> None:
        """The rest of the month: some slots full, some half, some empty, some with a
        waitlist, in the order of time (as people sign up for what comes next)."""
        last = self.today + dt.timedelta(days=MONTH_DAYS)
        month = sorted(
            (
                (slot.starts_at, index, slot)
                for index, item in enumerate(new)
                for slot in item.slots
                if _berlin_date(slot.starts_at) <= last
            ),
            key=lambda row: (row[0], row[1]),
        )
        soon = self.today + dt.timedelta(days=SOON_DAYS)
        for _starts, index, slot in month:
            item = new[index]
            weights = (40, 30, 10, 20) if _berlin_date(slot.starts_at) <= soon else (20, 40, 30, 10)
            mode = self.rng.choices(("full", "partial", "empty", "waitlist"), weights)[0]
            wanted = {
                "full": slot.capacity,
                "partial": self.rng.randint(1, max(slot.capacity - 1, 1)),
                "empty": 0,
                "waitlist": slot.capacity + self.rng.randint(1, 2),
            }[mode]
            signups = self._fill_slot(item, slot, wanted, assign_share=0.15)
            if item.plan.approval:
                coordinator = self.coordinators[item.plan.centre]
                for signup in signups:
                    if signup.status == "pending" and self.rng.random() < 0.6:
                        signup_services.approve(signup.id, actor=coordinator)

    # --- Mail -------------------------------------------------------------------------------

    def _quiet_outbox(self, first_mail: int) -> None:
        """The services queue a mail for every sign-up, approval, cancellation and move-up,
        as they must. Nobody waits for the demo's mail, and ``make run`` would otherwise
        write every one of them to the log on its first start: they are marked as sent
        (and kept, so that a developer can read what the app writes)."""
        OutboxMessage.update(status="sent", sent_at=utcnow()).where(
            (OutboxMessage.id > first_mail)
            & (OutboxMessage.status == "pending")
            & OutboxMessage.recipient.endswith(f"@{DEMO_DOMAIN}")
        ).execute()
