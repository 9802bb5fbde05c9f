"""Recording, cancelling and correcting allowance payments; the retention rule for them.

Rules kept here:

- Only coordinators of the paying centre (and administrators) record, cancel or correct, and
  only for volunteers they may see (``visible_volunteers``). The centre must have an
  operator: the operator is the payer whose yearly sums count.
- A payment that would bring the person's year with this operator above the tax-free limit
  (``limits.py``) is refused with ``OverLimit`` unless ``accept_over_limit`` says the
  coordinator saw the warning and wants it anyway (the part above is taxable; it is not
  forbidden).
- Nothing is deleted by hand: a cancellation keeps the row (who, when, why); a correction
  cancels the old row and records a new one that ``corrects`` it, in one transaction. Each
  writes an audit entry without names or amounts beyond the payment's own facts.
- No bank details, ever: the form has no field for them.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets

from flask import current_app
from flask_babel import format_currency
from flask_babel import gettext as _

from volunteer_app.accounts.models import User
from volunteer_app.allowances.limits import KINDS, euros, kind_label, limit_cents
from volunteer_app.allowances.models import AllowancePayment
from volunteer_app.allowances.queries import year_cents
from volunteer_app.audit.services import record
from volunteer_app.centres.models import Centre
from volunteer_app.centres.queries import can_manage, today
from volunteer_app.common.errors import Conflict, DomainError, NotAllowed, NotFound
from volunteer_app.common.time import to_berlin
from volunteer_app.db import utcnow, write_transaction
from volunteer_app.volunteers.queries import visible_volunteers

log = logging.getLogger(__name__)

# The largest single payment the form accepts (euro cents): a typing error guard.
MAX_CENTS = 10_000_00


class OverLimit(DomainError):
    """The payment would bring the year above the tax-free amount; confirm to record it."""


def money(cents: int) -> str:
    """Euro cents as the page's language writes money (``960,00 €``)."""
    return format_currency(euros(cents), "EUR")


def _require_manager(actor: User, centre: Centre) -> None:
    if not can_manage(actor, centre):
        raise NotAllowed(_("Only the coordinators of this centre may record allowances."))
    if centre.operator_id is None:
        raise Conflict(
            _(
                "This centre has no operator recorded. Allowances are paid by the operator:"
                " an administrator enters it first."
            )
        )


def _volunteer(volunteer_id: int, actor: User) -> User:
    person = User.get_or_none(
        (User.id == volunteer_id) & (User.role == "volunteer") & visible_volunteers(actor)
    )
    if person is None:
        raise NotFound(_("This volunteer does not exist or is not at your centres."))
    return person


def _check_input(paid_on: dt.date, kind: str, amount_cents: int) -> None:
    if kind not in KINDS:
        raise DomainError(_("Please choose the kind of allowance."), field="kind")
    if paid_on > today():
        raise DomainError(_("Please enter the day it was paid: not a future day."), "paid_on")
    if paid_on.year < today().year - retention_years():
        raise DomainError(
            _("Payments from before %(year)s are no longer kept.", year=earliest_year()),
            field="paid_on",
        )
    if not 0 < amount_cents <= MAX_CENTS:
        raise DomainError(
            _("Please enter an amount above 0 and at most %(max)s.", max=money(MAX_CENTS)),
            field="amount",
        )


def _check_limit(
    person: User,
    centre: Centre,
    paid_on: dt.date,
    kind: str,
    amount_cents: int,
    accept_over_limit: bool,
    except_id: int | None = None,
) -> None:
    before = year_cents(person.id, centre.operator_id, paid_on.year, except_id=except_id)[kind]
    limit = limit_cents(kind, paid_on.year)
    after = before + amount_cents
    if after > limit and not accept_over_limit:
        raise OverLimit(
            _(
                "This payment would bring %(year)s to %(total)s of %(limit)s tax-free"
                " (%(kind)s): %(over)s above it. The part above is taxable income for the"
                " person, and for the Ehrenamtscard an allowance beyond expenses counts"
                " against eligibility. Tick the box below to record it anyway.",
                year=paid_on.year,
                total=money(after),
                limit=money(limit),
                kind=kind_label(kind),
                over=money(after - limit),
            ),
            field="accept_over_limit",
        )


def _payee_ref(person_id: int, operator_id: int) -> str:
    """The person's reference with this operator: the one used before, else a new one."""
    used = (
        AllowancePayment.select(AllowancePayment.payee_ref)
        .where(
            (AllowancePayment.volunteer == person_id) & (AllowancePayment.operator == operator_id)
        )
        .first()
    )
    return used.payee_ref if used else secrets.token_hex(4).upper()


def _detail(payment: AllowancePayment) -> str:
    return f"{payment.kind} {euros(payment.amount_cents)} EUR {payment.paid_on.isoformat()}"


def record_payment(
    centre: Centre,
    volunteer_id: int,
    *,
    paid_on: dt.date,
    kind: str,
    amount_cents: int,
    note: str = "",
    accept_over_limit: bool = False,
    actor: User,
) -> AllowancePayment:
    """Record one payment of the centre's operator to the volunteer (see the module)."""
    _require_manager(actor, centre)
    _check_input(paid_on, kind, amount_cents)
    with write_transaction():
        person = _volunteer(volunteer_id, actor)
        _check_limit(person, centre, paid_on, kind, amount_cents, accept_over_limit)
        payment = AllowancePayment.create(
            volunteer=person.id,
            payee_ref=_payee_ref(person.id, centre.operator_id),
            operator=centre.operator_id,
            centre=centre.id,
            paid_on=paid_on,
            kind=kind,
            amount_cents=amount_cents,
            note=note.strip()[:200],
            recorded_by=actor.id,
        )
        record(centre.id, actor, "allowance.recorded", subject=person.id, detail=_detail(payment))
    log.info("allowance %s recorded at centre %s by %s", payment.id, centre.id, actor.id)
    return payment


def _open_payment(centre: Centre, payment_id: int, volunteer_id: int) -> AllowancePayment:
    payment = AllowancePayment.get_or_none(
        (AllowancePayment.id == payment_id)
        & (AllowancePayment.centre == centre.id)
        & (AllowancePayment.volunteer == volunteer_id)
    )
    if payment is None:
        raise NotFound(_("This payment does not exist (any more)."))
    if payment.is_cancelled:
        raise Conflict(_("This payment has been cancelled already."))
    return payment


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Please say why, in a few words."), field="reason")
    return reason[:200]


def _cancel(payment: AllowancePayment, reason: str, actor: User) -> bool:
    """Mark the payment cancelled, unless somebody else did so a moment ago."""
    return bool(
        AllowancePayment.update(cancelled_at=utcnow(), cancelled_by=actor.id, cancel_reason=reason)
        .where((AllowancePayment.id == payment.id) & AllowancePayment.cancelled_at.is_null())
        .execute()
    )


def cancel_payment(
    centre: Centre, payment_id: int, volunteer_id: int, *, reason: str, actor: User
) -> None:
    """Cancel a payment recorded at the centre (kept, marked, with the reason; audited)."""
    _require_manager(actor, centre)
    reason = _reason(reason)
    with write_transaction():
        person = _volunteer(volunteer_id, actor)
        payment = _open_payment(centre, payment_id, person.id)
        if not _cancel(payment, reason, actor):
            raise Conflict(_("This payment has been cancelled already."))
        record(centre.id, actor, "allowance.cancelled", subject=person.id, detail=_detail(payment))


def correct_payment(
    centre: Centre,
    payment_id: int,
    volunteer_id: int,
    *,
    paid_on: dt.date,
    kind: str,
    amount_cents: int,
    note: str = "",
    reason: str,
    accept_over_limit: bool = False,
    actor: User,
) -> AllowancePayment:
    """Replace a payment by a corrected one: the old row is cancelled with the reason and the
    new one points back at it, both in one transaction, with one audit entry."""
    _require_manager(actor, centre)
    _check_input(paid_on, kind, amount_cents)
    reason = _reason(reason)
    with write_transaction():
        person = _volunteer(volunteer_id, actor)
        old = _open_payment(centre, payment_id, person.id)
        _check_limit(
            person, centre, paid_on, kind, amount_cents, accept_over_limit, except_id=old.id
        )
        if not _cancel(old, reason, actor):
            raise Conflict(_("This payment has been cancelled already."))
        payment = AllowancePayment.create(
            volunteer=person.id,
            payee_ref=old.payee_ref,
            operator=old.operator_id,
            centre=centre.id,
            paid_on=paid_on,
            kind=kind,
            amount_cents=amount_cents,
            note=note.strip()[:200],
            recorded_by=actor.id,
            corrects=old.id,
        )
        record(
            centre.id,
            actor,
            "allowance.corrected",
            subject=person.id,
            detail=f"{_detail(old)} -> {_detail(payment)}",
        )
    return payment


# --- Erasure and retention -----------------------------------------------------------------


def retention_years() -> int:
    """``RETENTION_ALLOWANCE_YEARS``: how long payments are kept after their year (§ 147 AO)."""
    return int(current_app.config["RETENTION_ALLOWANCE_YEARS"])


def earliest_year(on: dt.date | None = None) -> int:
    """The oldest calendar year whose payments are still kept."""
    return (on or today()).year - retention_years()


def pseudonymise_for_erasure(user_id: int) -> int:
    """Inside the account erasure's transaction: clear the free texts of the person's
    payments (they might name them). The rows stay for the tax period under their
    ``payee_ref``; the database lets go of the person (``volunteer`` → NULL) when the
    account row goes. Returns how many rows were cleared."""
    return (
        AllowancePayment.update(note="", cancel_reason="")
        .where(AllowancePayment.volunteer == user_id)
        .execute()
    )


def delete_expired_payments(now: dt.datetime) -> int:
    """Delete payments whose calendar year ended more than ``RETENTION_ALLOWANCE_YEARS``
    ago (§ 147 (4) AO counts from the end of the year); returns how many."""
    # Berlin's calendar day: a payment of 2016 goes on 1 January 2027 (10 years). A correction
    # pointing at a deleted row lets go of it by itself (ON DELETE SET NULL).
    cutoff = dt.date(earliest_year(to_berlin(now).date()), 1, 1)
    with write_transaction():
        return AllowancePayment.delete().where(AllowancePayment.paid_on < cutoff).execute()
