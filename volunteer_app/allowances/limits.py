"""The tax-free limits of the two allowances, by the year they apply from (German tax law).

A law, not an operator's choice, so a table in code rather than a setting: when the
Bundestag changes an amount, add a line with the year it applies from.

- Ehrenamtspauschale, § 3 Nr. 26a EStG: 720 € (2013), 840 € (2021), 960 € (2026).
- Übungsleiterpauschale, § 3 Nr. 26 EStG: 2,400 € (2013), 3,000 € (2021), 3,300 € (2026).

Both limits apply per person and calendar year across every payer together.
"""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _

# The two kinds, as stored in ``AllowancePayment.kind``.
EHRENAMT = "ehrenamt"
UEBUNGSLEITER = "uebungsleiter"
KINDS = (EHRENAMT, UEBUNGSLEITER)

# kind -> ((first year, limit in euro cents), …), oldest first.
LIMITS: dict[str, tuple[tuple[int, int], ...]] = {
    EHRENAMT: ((2013, 720_00), (2021, 840_00), (2026, 960_00)),
    UEBUNGSLEITER: ((2013, 2_400_00), (2021, 3_000_00), (2026, 3_300_00)),
}
# The paragraph of the income tax act each kind rests on.
LAW = {EHRENAMT: "§ 3 Nr. 26a EStG", UEBUNGSLEITER: "§ 3 Nr. 26 EStG"}
# Their German names, as on the statement and in the law.
GERMAN_NAMES = {EHRENAMT: "Ehrenamtspauschale", UEBUNGSLEITER: "Übungsleiterpauschale"}


def limit_cents(kind: str, year: int) -> int:
    """The tax-free amount of ``kind`` in ``year`` (euro cents); the oldest known before 2013."""
    found = LIMITS[kind][0][1]
    for first_year, cents in LIMITS[kind]:
        if year >= first_year:
            found = cents
    return found


def euros(cents: int) -> Decimal:
    """Euro cents as a euro amount with two decimals."""
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def kind_label(kind: str) -> str:
    """A kind's name in the page's language, with its German name."""
    return {
        EHRENAMT: _("Volunteer allowance (Ehrenamtspauschale)"),
        UEBUNGSLEITER: _("Trainer allowance (Übungsleiterpauschale)"),
    }[kind]
