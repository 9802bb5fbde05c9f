"""The privacy notice and the imprint, built from configuration (pure: config in, data out).

Who runs the installation, its data-protection contact, the legal bases, the recipients
and the retention periods are settings (docs/configuration.md, "Controller"). The periods
are read under the same names as the retention job reads them, from the same configuration
(their one default is in config.py), so the notice shows what really happens.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

RECIPIENT_ROLES = ("hosting", "mail", "backup", "support", "other")

# The periods the notice shows: settings the jobs and the session code read as well.
RETENTION_SETTINGS = (
    "DELETION_GRACE_DAYS",
    "RETENTION_INACTIVE_MONTHS",
    "RETENTION_UNCONFIRMED_DAYS",
    "RETENTION_OUTBOX_DAYS",
    "AUDIT_RETENTION_YEARS",
    "RETENTION_CHECK_START_MONTHS",
    "RETENTION_CHECK_END_MONTHS",
    "SERVER_LOG_RETENTION_DAYS",
    "SESSION_ABSOLUTE_HOURS",
    "RETENTION_UNREVIEWED_WISH_DAYS",
)

_ARTICLE = re.compile(r"Art\.\s*(\d+)\s*\((\d+)\)\s*\(([a-z])\)")


@dataclass(frozen=True)
class Controller:
    name: str
    address: str
    email: str
    phone: str
    representative: str
    register: str
    vat_id: str
    supervisory_authority: str
    dpo_name: str
    dpo_email: str
    is_example: bool

    @property
    def privacy_email(self) -> str:
        """Where questions about personal data go: the DPO if there is one, else the controller."""
        return self.dpo_email or self.email


@dataclass(frozen=True)
class Recipient:
    role: str
    name: str


@dataclass(frozen=True)
class LegalBasis:
    """A legal basis split for display: GDPR articles and national law (may be empty)."""

    articles: tuple[tuple[str, str, str], ...]
    national: str
    text: str  # the setting as written, for anything the parser does not recognise


def controller(config: Mapping) -> Controller:
    def get(name: str) -> str:
        return str(config[name] or "").strip()

    return Controller(
        name=get("CONTROLLER_NAME"),
        address=get("CONTROLLER_ADDRESS"),
        email=get("CONTROLLER_EMAIL"),
        phone=get("CONTROLLER_PHONE"),
        representative=get("CONTROLLER_REPRESENTATIVE"),
        register=get("CONTROLLER_REGISTER"),
        vat_id=get("CONTROLLER_VAT_ID"),
        supervisory_authority=get("CONTROLLER_SUPERVISORY_AUTHORITY"),
        dpo_name=get("DPO_NAME"),
        dpo_email=get("DPO_EMAIL"),
        is_example=bool(config["CONTROLLER_IS_EXAMPLE"]),
    )


def recipients(spec: str) -> list[Recipient]:
    """``"hosting=Name, address; mail=Name"`` as recipients; an unknown role counts as other."""
    result = []
    for entry in (spec or "").replace("\n", ";").split(";"):
        role, sep, name = entry.partition("=")
        role, name = role.strip().lower(), name.strip()
        if not sep:
            role, name = "other", entry.strip()
        if not name:
            continue
        result.append(Recipient(role if role in RECIPIENT_ROLES else "other", name))
    return result


def legal_basis(spec: str) -> LegalBasis:
    """``"Art. 6(1)(c), Art. 9(2)(b) + § 20 IfSG"``: GDPR articles, then national law."""
    gdpr, _, national = (spec or "").partition("+")
    articles = tuple(_ARTICLE.findall(gdpr))
    return LegalBasis(articles=articles, national=national.strip(), text=(spec or "").strip())


def retention(config: Mapping) -> dict[str, int]:
    """Every period the notice names, as the jobs apply it."""
    periods = {name: int(config[name]) for name in RETENTION_SETTINGS}
    lifetime = config["PERMANENT_SESSION_LIFETIME"]
    periods["SESSION_IDLE_MINUTES"] = int(lifetime.total_seconds() // 60)
    periods["INACTIVE_NOTICE_MONTHS"] = max(periods["RETENTION_INACTIVE_MONTHS"] - 1, 0)
    return periods


def legal_bases(config: Mapping) -> dict[str, LegalBasis]:
    return {key: legal_basis(spec) for key, spec in config["PRIVACY_LEGAL_BASES"].items()}
