"""Read helpers of recognition: the Ehrenamtscard figures of a volunteer and year, the
certificates signed, the card holders of a centre; each a fixed number of queries.

The organisation is the centre's operator (Träger) with all its centres, or the centre alone
when it has none. Hours are those recorded with attendance ("attended"), as everywhere in
reports; a year is the Berlin calendar year.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import peewee as pw
from peewee import JOIN

from volunteer_app.accounts.models import User
from volunteer_app.activities.models import Activity, Slot
from volunteer_app.centres.models import Centre, Operator
from volunteer_app.common.time import to_berlin
from volunteer_app.recognition.models import BirthYear, CardHolding, EhrenamtsZertifikat
from volunteer_app.reports.queries import ZERO, utc_bounds
from volunteer_app.signups.models import Signup

# The Thüringer Ehrenamtscard: 18 or older, 5 hours a week on average, 5 years active in the
# organisation, no allowance beyond expenses (docs/domain.md, "Recognition in Thuringia").
CARD_AGE = 18
CARD_HOURS_PER_WEEK = Decimal("5")
WEEKS_PER_YEAR = 52
CARD_HOURS_PER_YEAR = CARD_HOURS_PER_WEEK * WEEKS_PER_YEAR  # 260
CARD_YEARS = 5
# The Thüringer Ehrenamtszertifikat: from 14, after a year of activity.
CERTIFICATE_AGE = 14
CERTIFICATE_YEARS = 1
# A card holder's card counts as "expires soon" this many days ahead.
EXPIRY_WARNING_DAYS = 90


def full_years(first: dt.date, last: dt.date) -> int:
    """Whole years from ``first`` to ``last`` (a 29 February counts from 1 March)."""
    years = last.year - first.year
    if (last.month, last.day) < (first.month, first.day):
        years -= 1
    return max(years, 0)


def age_reached(birth_year: int | None, year: int, age: int) -> bool | None:
    """Whether someone born in ``birth_year`` turns ``age`` by the end of ``year`` (None if
    the year of birth is not known). Only the year is kept, so the birthday's year counts."""
    if birth_year is None:
        return None
    return year - birth_year >= age


def _decimal(value) -> Decimal:
    return ZERO if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def _date(value) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return to_berlin(value).date()


@dataclass
class Figures:
    """The Ehrenamtscard figures of one volunteer in one organisation and calendar year."""

    year: int
    hours: Decimal
    first_day: dt.date | None  # the first attended date in the organisation, ever
    until: dt.date  # the end of the year, or today in the running year
    birth_year: int | None
    allowances: Decimal | None  # None: no allowances are recorded anywhere (yet)

    @property
    def per_week(self) -> Decimal:
        return (self.hours / WEEKS_PER_YEAR).quantize(Decimal("0.01"))

    @property
    def hours_missing(self) -> Decimal:
        return max(CARD_HOURS_PER_YEAR - self.hours, ZERO)

    @property
    def years_active(self) -> int:
        if self.first_day is None or self.first_day > self.until:
            return 0
        return full_years(self.first_day, self.until)

    @property
    def age_met(self) -> bool | None:
        return age_reached(self.birth_year, self.year, CARD_AGE)

    @property
    def hours_met(self) -> bool:
        # Compared as totals (260 h a year), so that rounding never decides.
        return self.hours >= CARD_HOURS_PER_YEAR

    @property
    def years_met(self) -> bool:
        return self.years_active >= CARD_YEARS

    @property
    def allowance_met(self) -> bool:
        return not self.allowances

    @property
    def all_met(self) -> bool:
        return bool(self.age_met) and self.hours_met and self.years_met and self.allowance_met


def organisation_centres(centre: Centre) -> list[int]:
    """Ids of the centres of ``centre``'s operator (or of the centre alone) (one query)."""
    if centre.operator_id is None:
        return [centre.id]
    return [c.id for c in Centre.select(Centre.id).where(Centre.operator == centre.operator_id)]


def _attended(centre_ids):
    return (
        Signup.select()
        .join(Slot, on=(Signup.slot == Slot.id))
        .join(Activity, on=(Slot.activity == Activity.id))
        .where((Signup.attendance == "attended") & Activity.centre.in_(centre_ids))
    )


def allowance_total(user_id: int, operator_id: int | None, year: int) -> Decimal | None:
    """The allowances (Ehrenamts- and Übungsleiterpauschale) paid to the volunteer in the
    year by the operator's centres, from the allowances feature if it is installed."""
    if operator_id is None:
        return None
    try:
        from volunteer_app.allowances.queries import year_totals
    except ImportError:  # the allowances feature is not part of this installation
        return None
    totals = year_totals(user_id, operator_id, year)
    return sum((Decimal(str(v)) for v in totals.values()), ZERO)


def card_figures(user_id: int, centre: Centre, year: int, today: dt.date) -> Figures:
    """The Ehrenamtscard figures of the volunteer in ``centre``'s organisation (four or five
    fixed queries)."""
    centre_ids = organisation_centres(centre)
    start, end = utc_bounds(dt.date(year, 1, 1), dt.date(year, 12, 31))
    mine = _attended(centre_ids).where(Signup.volunteer == user_id)
    hours = mine.where((Slot.starts_at >= start) & (Slot.starts_at < end)).select(
        pw.fn.SUM(Signup.hours)
    )
    first = mine.select(pw.fn.MIN(Slot.starts_at)).scalar()
    birth = BirthYear.get_or_none(BirthYear.user == user_id)
    return Figures(
        year=year,
        hours=_decimal(hours.scalar()),
        first_day=_date(first),
        until=min(dt.date(year, 12, 31), today),
        birth_year=birth.year if birth else None,
        allowances=allowance_total(user_id, centre.operator_id, year),
    )


# --- The volunteer's own page -------------------------------------------------------------


@dataclass
class Organisation:
    name: str
    centres: list[str]
    figures: Figures


@dataclass
class Progress:
    birth_year: int | None
    organisations: list[Organisation] = field(default_factory=list)
    certificates: list[EhrenamtsZertifikat] = field(default_factory=list)
    cards: list[CardHolding] = field(default_factory=list)


def my_progress(user_id: int, year: int, today: dt.date) -> Progress:
    """The volunteer's figures in every organisation where they have attended a date, their
    signed certificates and their cards (a few queries per organisation)."""
    ids = _attended(Centre.select(Centre.id)).where(Signup.volunteer == user_id)
    centres = list(
        Centre.select(Centre, Operator)
        .join(Operator, JOIN.LEFT_OUTER, on=(Centre.operator == Operator.id))
        .where(Centre.id.in_(ids.select(Activity.centre)))
        .order_by(Centre.name)
    )
    groups: dict[object, list[Centre]] = {}
    for centre in centres:
        groups.setdefault(centre.operator_id or ("centre", centre.id), []).append(centre)
    birth = BirthYear.get_or_none(BirthYear.user == user_id)
    progress = Progress(birth_year=birth.year if birth else None)
    for members in groups.values():
        head = members[0]
        name = head.operator.name if head.operator_id else head.name
        progress.organisations.append(
            Organisation(name, [c.name for c in members], card_figures(user_id, head, year, today))
        )
    progress.organisations.sort(key=lambda o: o.name.casefold())
    progress.certificates = list(
        EhrenamtsZertifikat.select(EhrenamtsZertifikat, Centre)
        .join(Centre, on=(EhrenamtsZertifikat.centre == Centre.id))
        .where(EhrenamtsZertifikat.volunteer == user_id)
        .order_by(EhrenamtsZertifikat.signed_on.desc(), EhrenamtsZertifikat.id.desc())
    )
    progress.cards = list(
        CardHolding.select(CardHolding, Centre)
        .join(Centre, on=(CardHolding.centre == Centre.id))
        .where(CardHolding.volunteer == user_id)
        .order_by(CardHolding.expires_on.desc())
    )
    return progress


def own_certificate(user_id: int, certificate_id: int) -> EhrenamtsZertifikat | None:
    return (
        _certificate()
        .where(
            (EhrenamtsZertifikat.id == certificate_id) & (EhrenamtsZertifikat.volunteer == user_id)
        )
        .first()
    )


def _certificate():
    return (
        EhrenamtsZertifikat.select(EhrenamtsZertifikat, Centre, Operator, User)
        .join(Centre, on=(EhrenamtsZertifikat.centre == Centre.id))
        .join(Operator, JOIN.LEFT_OUTER, on=(Centre.operator == Operator.id))
        .join_from(EhrenamtsZertifikat, User, on=(EhrenamtsZertifikat.volunteer == User.id))
    )


def certificate_in_centre(centre_id: int, certificate_id: int) -> EhrenamtsZertifikat | None:
    return (
        _certificate()
        .where(
            (EhrenamtsZertifikat.id == certificate_id) & (EhrenamtsZertifikat.centre == centre_id)
        )
        .first()
    )


def certificates_for(user_id: int, centre_id: int) -> list[EhrenamtsZertifikat]:
    return list(
        EhrenamtsZertifikat.select()
        .where(
            (EhrenamtsZertifikat.volunteer == user_id) & (EhrenamtsZertifikat.centre == centre_id)
        )
        .order_by(EhrenamtsZertifikat.signed_on.desc(), EhrenamtsZertifikat.id.desc())
    )


# --- The centre's overview ----------------------------------------------------------------


@dataclass
class VolunteerLine:
    person: User
    hours: Decimal
    first_day: dt.date | None
    until: dt.date
    birth_year: int | None
    year: int

    @property
    def figures(self) -> Figures:
        return Figures(self.year, self.hours, self.first_day, self.until, self.birth_year, None)


@dataclass
class CardLine:
    card: CardHolding
    state: str  # "valid", "soon", "expired"


def card_state(expires_on: dt.date, today: dt.date) -> str:
    if expires_on < today:
        return "expired"
    if (expires_on - today).days <= EXPIRY_WARNING_DAYS:
        return "soon"
    return "valid"


def centre_overview(centre: Centre, year: int, today: dt.date) -> list[VolunteerLine]:
    """Everyone with attended hours at the centre, with their figures in its organisation
    for the year (allowances not included: the volunteer's own page shows them) (4 queries)."""
    centre_ids = organisation_centres(centre)
    start, end = utc_bounds(dt.date(year, 1, 1), dt.date(year, 12, 31))
    here = _attended([centre.id]).select(Signup.volunteer)
    in_year = (Slot.starts_at >= start) & (Slot.starts_at < end)
    rows = (
        _attended(centre_ids)
        .join_from(Signup, User, on=(Signup.volunteer == User.id))
        .select(
            User.id,
            User.name,
            pw.fn.SUM(pw.Case(None, [(in_year, Signup.hours)], 0)).alias("hours"),
            pw.fn.MIN(Slot.starts_at).alias("first"),
        )
        .where(Signup.volunteer.in_(here))
        .group_by(User.id, User.name)
        .order_by(User.name, User.id)
        .limit(1000)
        .tuples()
    )
    rows = list(rows)
    births = dict(
        BirthYear.select(BirthYear.user, BirthYear.year)
        .where(BirthYear.user.in_([r[0] for r in rows]))
        .tuples()
    )
    until = min(dt.date(year, 12, 31), today)
    return [
        VolunteerLine(
            User(id=uid, name=name), _decimal(hours), _date(first), until, births.get(uid), year
        )
        for uid, name, hours, first in rows
    ]


def centre_cards(centre: Centre, today: dt.date) -> list[CardLine]:
    """The cards recorded at the organisation's centres, the soonest expiry first (2 queries)."""
    rows = (
        CardHolding.select(CardHolding, User, Centre)
        .join(User, on=(CardHolding.volunteer == User.id))
        .join_from(CardHolding, Centre, on=(CardHolding.centre == Centre.id))
        .where(CardHolding.centre.in_(organisation_centres(centre)))
        .order_by(CardHolding.expires_on, User.name)
        .limit(1000)
    )
    return [CardLine(card, card_state(card.expires_on, today)) for card in rows]


def card_in_centre(centre_id: int, card_id: int) -> CardHolding | None:
    return CardHolding.get_or_none((CardHolding.id == card_id) & (CardHolding.centre == centre_id))


# --- The person's data download -------------------------------------------------------------


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def personal_data(user_id: int) -> dict:
    """The ``recognition`` section of the data download (docs/privacy.md) (three queries)."""
    birth = BirthYear.get_or_none(BirthYear.user == user_id)
    certificates = (
        EhrenamtsZertifikat.select(EhrenamtsZertifikat, Centre)
        .join(Centre, on=(EhrenamtsZertifikat.centre == Centre.id))
        .where(EhrenamtsZertifikat.volunteer == user_id)
        .order_by(EhrenamtsZertifikat.period_start, EhrenamtsZertifikat.id)
    )
    cards = (
        CardHolding.select(CardHolding, Centre)
        .join(Centre, on=(CardHolding.centre == Centre.id))
        .where(CardHolding.volunteer == user_id)
        .order_by(CardHolding.expires_on, CardHolding.id)
    )
    return {
        "birth_year": birth.year if birth else None,
        "certificates": [
            {
                "centre": c.centre.name,
                "period_start": _iso(c.period_start),
                "period_end": _iso(c.period_end),
                "function": c.function,
                "skills": c.skills,
                "trainings": c.trainings,
                "areas": c.area_names,
                "total_hours": float(c.total_hours),
                "dates": c.dates_count,
                "signed_by": c.signed_by_name,
                "signed_on": _iso(c.signed_on),
            }
            for c in certificates
        ],
        "cards": [
            {
                "centre": c.centre.name,
                "kind": c.kind,
                "number": c.number or None,
                "expires_on": _iso(c.expires_on),
            }
            for c in cards
        ],
    }
