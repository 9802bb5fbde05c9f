"""Reads of allowances: yearly sums per person and operator, the pages and the statement.

The tax-free limits apply per person and calendar year across every payer; the service only
knows the payments of this installation's operators, so every sum here is per operator (the
payer) and calendar year, and the pages say so. Cancelled payments never count.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import peewee as pw

from volunteer_app.accounts.models import User
from volunteer_app.allowances.limits import KINDS, euros, limit_cents
from volunteer_app.allowances.models import AllowancePayment
from volunteer_app.centres.models import Centre, Operator

# A limit counts as "nearly reached" from this share on (the page then warns).
NEAR_SHARE = Decimal("0.9")


def _year_bounds(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year + 1, 1, 1)


def year_cents(
    user_id: int, operator_id: int, year: int, *, except_id: int | None = None
) -> dict[str, int]:
    """Euro cents paid to the person by the operator in the calendar year, per kind (one
    query); ``except_id`` leaves out one payment (the one being corrected)."""
    first, after = _year_bounds(year)
    condition = (
        (AllowancePayment.volunteer == user_id)
        & (AllowancePayment.operator == operator_id)
        & (AllowancePayment.paid_on >= first)
        & (AllowancePayment.paid_on < after)
        & AllowancePayment.cancelled_at.is_null()
    )
    if except_id is not None:
        condition &= AllowancePayment.id != except_id
    rows = (
        AllowancePayment.select(AllowancePayment.kind, pw.fn.SUM(AllowancePayment.amount_cents))
        .where(condition)
        .group_by(AllowancePayment.kind)
        .tuples()
    )
    sums = dict.fromkeys(KINDS, 0)
    sums.update({kind: int(total or 0) for kind, total in rows})
    return sums


def year_totals(user_id: int, operator_id: int, year: int) -> dict[str, Decimal]:
    """Euro amounts paid to the person by the operator in the calendar year, keys
    ``"ehrenamt"`` and ``"uebungsleiter"`` (cancelled payments left out). For the
    Ehrenamtscard figures: an allowance beyond expenses affects eligibility."""
    return {kind: euros(cents) for kind, cents in year_cents(user_id, operator_id, year).items()}


@dataclasses.dataclass(frozen=True)
class KindSum:
    """One kind's year: paid so far, the tax-free limit, what is left (never below 0)."""

    kind: str
    paid_cents: int
    limit_cents: int
    elsewhere_cents: int = 0  # of ``paid_cents``: at centres the reader does not manage

    @property
    def left_cents(self) -> int:
        return max(self.limit_cents - self.paid_cents, 0)

    @property
    def over_cents(self) -> int:
        return max(self.paid_cents - self.limit_cents, 0)

    @property
    def near(self) -> bool:
        return not self.over_cents and self.paid_cents >= self.limit_cents * NEAR_SHARE


def kind_sums(cents: dict[str, int], year: int, elsewhere: dict[str, int] | None = None):
    """The two kinds' ``KindSum`` lines for a year, in the order of ``KINDS``."""
    elsewhere = elsewhere or {}
    return [
        KindSum(kind, cents.get(kind, 0), limit_cents(kind, year), elsewhere.get(kind, 0))
        for kind in KINDS
    ]


def _payments(condition):
    recorder = User.alias("recorder")
    canceller = User.alias("canceller")
    return (
        AllowancePayment.select(AllowancePayment, Centre, recorder, canceller)
        .join(Centre, on=(AllowancePayment.centre == Centre.id))
        .join_from(
            AllowancePayment,
            recorder,
            pw.JOIN.LEFT_OUTER,
            on=(AllowancePayment.recorded_by == recorder.id),
            attr="recorder",
        )
        .join_from(
            AllowancePayment,
            canceller,
            pw.JOIN.LEFT_OUTER,
            on=(AllowancePayment.cancelled_by == canceller.id),
            attr="canceller",
        )
        .where(condition)
        .order_by(AllowancePayment.paid_on, AllowancePayment.id)
    )


def _of_year(user_id: int, operator_id: int, year: int):
    first, after = _year_bounds(year)
    return (
        (AllowancePayment.volunteer == user_id)
        & (AllowancePayment.operator == operator_id)
        & (AllowancePayment.paid_on >= first)
        & (AllowancePayment.paid_on < after)
    )


def payment_years(user_id: int, operator_id: int, this_year: int) -> list[int]:
    """The years with payments to the person by the operator, and this year; newest first."""
    year = pw.fn.SUBSTR(pw.Cast(AllowancePayment.paid_on, "TEXT"), 1, 4)
    rows = (
        AllowancePayment.select(year.alias("year"))
        .where((AllowancePayment.volunteer == user_id) & (AllowancePayment.operator == operator_id))
        .distinct()
        .tuples()
    )
    return sorted({this_year, *(int(y) for (y,) in rows)}, reverse=True)


@dataclasses.dataclass
class PersonYear:
    """A person's allowances from one operator in one year, as the staff page shows them:
    every payment of the centres the reader manages, the others only as sums."""

    operator: Operator
    year: int
    years: list[int]
    sums: list[KindSum]
    payments: list[AllowancePayment]
    elsewhere_count: int

    @property
    def payee_ref(self) -> str | None:
        return self.payments[0].payee_ref if self.payments else None


def person_year(
    user_id: int, operator: Operator, year: int, *, shown_centres: set[int], this_year: int
) -> PersonYear:
    """The staff page's data (four queries): ``shown_centres`` are the centres whose
    payments the reader may see one by one."""
    rows = list(_payments(_of_year(user_id, operator.id, year)))
    shown = [p for p in rows if p.centre_id in shown_centres]
    elsewhere: dict[str, int] = dict.fromkeys(KINDS, 0)
    elsewhere_count = 0
    for p in rows:
        if p.centre_id not in shown_centres and not p.is_cancelled:
            elsewhere[p.kind] += p.amount_cents
            elsewhere_count += 1
    cents = year_cents(user_id, operator.id, year)
    return PersonYear(
        operator=operator,
        year=year,
        years=payment_years(user_id, operator.id, this_year),
        sums=kind_sums(cents, year, elsewhere),
        payments=shown,
        elsewhere_count=elsewhere_count,
    )


@dataclasses.dataclass
class Statement:
    """The yearly statement: the operator, the person, the valid payments, the sums."""

    operator: Operator
    person_name: str
    payee_ref: str
    year: int
    payments: list[AllowancePayment]
    sums: list[KindSum]
    elsewhere_count: int

    @property
    def kinds_paid(self) -> list[KindSum]:
        return [s for s in self.sums if s.paid_cents]


def statement(
    user_id: int, operator: Operator, year: int, *, shown_centres: set[int] | None = None
) -> Statement | None:
    """The person's statement of one operator's year (three queries), or None without a
    valid payment. ``shown_centres``: list only these centres' payments one by one (staff of
    one centre); None lists all (the person's own statement)."""
    person = User.get_or_none(User.id == user_id)
    if person is None:
        return None
    rows = [
        p
        for p in _payments(
            _of_year(user_id, operator.id, year) & AllowancePayment.cancelled_at.is_null()
        )
    ]
    if not rows:
        return None
    shown = [p for p in rows if shown_centres is None or p.centre_id in shown_centres]
    elsewhere: dict[str, int] = dict.fromkeys(KINDS, 0)
    for p in rows:
        if p not in shown:
            elsewhere[p.kind] += p.amount_cents
    cents = dict.fromkeys(KINDS, 0)
    for p in rows:
        cents[p.kind] += p.amount_cents
    return Statement(
        operator=operator,
        person_name=person.name,
        payee_ref=rows[0].payee_ref,
        year=year,
        payments=shown,
        sums=kind_sums(cents, year, elsewhere),
        elsewhere_count=len(rows) - len(shown),
    )


@dataclasses.dataclass(frozen=True)
class OwnYear:
    """One line of the person's own overview: an operator's year with its sums."""

    operator: Operator
    year: int
    sums: list[KindSum]


def own_years(user_id: int) -> list[OwnYear]:
    """Every operator and year the person was paid an allowance in, newest first (one query)."""
    rows = (
        AllowancePayment.select(AllowancePayment, Operator)
        .join(Operator, on=(AllowancePayment.operator == Operator.id))
        .where((AllowancePayment.volunteer == user_id) & AllowancePayment.cancelled_at.is_null())
        .order_by(AllowancePayment.paid_on.desc())
    )
    found: dict[tuple[int, int], tuple[Operator, dict[str, int]]] = {}
    for p in rows:
        key = (p.paid_on.year, p.operator_id)
        _operator, cents = found.setdefault(key, (p.operator, dict.fromkeys(KINDS, 0)))
        cents[p.kind] += p.amount_cents
    return [
        OwnYear(operator, year, kind_sums(cents, year))
        for (year, _), (operator, cents) in sorted(
            found.items(), key=lambda item: (-item[0][0], item[1][0].name)
        )
    ]


def own_operator(user_id: int, operator_id: int) -> Operator | None:
    """An operator that paid the person something (else None: nothing to show)."""
    return (
        Operator.select()
        .join(AllowancePayment, on=(AllowancePayment.operator == Operator.id))
        .where((Operator.id == operator_id) & (AllowancePayment.volunteer == user_id))
        .first()
    )


def centre_payment(payment_id: int, centre_id: int, user_id: int) -> AllowancePayment | None:
    """A payment recorded at the centre for the person (else None)."""
    return AllowancePayment.get_or_none(
        (AllowancePayment.id == payment_id)
        & (AllowancePayment.centre == centre_id)
        & (AllowancePayment.volunteer == user_id)
    )


def export_rows(user_id: int) -> list[dict]:
    """The person's payments for the data download (one query; who recorded them is not
    the person's data and stays in the audit log)."""
    rows = (
        AllowancePayment.select(AllowancePayment, Operator.name, Centre.name)
        .join(Operator, on=(AllowancePayment.operator == Operator.id))
        .join_from(AllowancePayment, Centre, on=(AllowancePayment.centre == Centre.id))
        .where(AllowancePayment.volunteer == user_id)
        .order_by(AllowancePayment.paid_on, AllowancePayment.id)
    )
    return [
        {
            "operator": p.operator.name,
            "centre": p.centre.name,
            "paid_on": p.paid_on.isoformat(),
            "kind": p.kind,
            "amount_eur": str(euros(p.amount_cents)),
            "note": p.note,
            "reference": p.payee_ref,
            "recorded_at": p.recorded_at.replace(microsecond=0).isoformat() + "Z",
            "cancelled_at": (
                p.cancelled_at.replace(microsecond=0).isoformat() + "Z" if p.cancelled_at else None
            ),
            "cancel_reason": p.cancel_reason or None,
        }
        for p in rows
    ]
