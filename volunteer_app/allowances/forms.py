"""Forms of allowances: one payment (and its correction), a cancellation. No bank details."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, ValidationError

from volunteer_app.allowances.limits import EHRENAMT, UEBUNGSLEITER
from volunteer_app.common.forms import AppForm, ChoiceField, DayField, clean_text, text_field

AMOUNT_MESSAGE = _l("Please enter an amount in euro, like 40 or 40,50.")
# 40 · 40,5 · 40,50 · 40.50 · 1.200,00 · 1200 € — at most two decimals.
_AMOUNT = re.compile(r"^(?P<whole>\d{1,3}(?:[.\s]\d{3})+|\d+)(?:[,.](?P<cents>\d{1,2}))?$")


def parse_cents(text: str) -> int | None:
    """A euro amount as people type it, in cents; None when it is not one."""
    text = (text or "").replace("€", "").replace("EUR", "").strip()
    match = _AMOUNT.match(text)
    if not match or len(text) > 15:
        return None
    whole = int(re.sub(r"[.\s]", "", match["whole"]))
    cents = int((match["cents"] or "0").ljust(2, "0"))
    return whole * 100 + cents


class AmountField(StringField):
    """Euro as typed (German or English decimal sign); ``cents`` is the parsed value."""

    @property
    def cents(self) -> int | None:
        return parse_cents(self.data or "")

    def pre_validate(self, form):
        if self.cents is None:
            raise ValidationError(AMOUNT_MESSAGE)


class PaymentForm(AppForm):
    """One payment: the day, the kind, the amount, a short note; a tick past the limit."""

    paid_on = DayField(
        _l("Paid on"),
        validators=[InputRequired(message=_l("Please enter a date, like 24.12.2026."))],
    )
    kind = ChoiceField(
        _l("Kind of allowance"),
        choices=[
            SelectChoice(EHRENAMT, _l("Volunteer allowance (Ehrenamtspauschale)")),
            SelectChoice(UEBUNGSLEITER, _l("Trainer allowance (Übungsleiterpauschale)")),
        ],
        validators=[InputRequired(message=_l("Please choose the kind of allowance."))],
    )
    amount = AmountField(
        _l("Amount in euro"),
        filters=[clean_text],
        validators=[InputRequired(message=AMOUNT_MESSAGE)],
    )
    note = text_field(_l("Note (optional)"), 200)
    accept_over_limit = BooleanField(
        _l("Record it anyway: I know the part above the tax-free amount is taxable")
    )

    def payment_data(self) -> dict:
        return {
            "paid_on": self.paid_on.data,
            "kind": self.kind.data,
            "amount_cents": self.amount.cents,
            "note": self.note.data or "",
            "accept_over_limit": bool(self.accept_over_limit.data),
        }


class CorrectionForm(PaymentForm):
    """A corrected payment replaces the old one; the reason is kept with the old one."""

    reason = text_field(_l("Why is it corrected?"), 200, required=True)


class CancelForm(AppForm):
    """Cancelling a payment: the row stays, marked, with the reason."""

    reason = text_field(_l("Why is it cancelled?"), 200, required=True)
