"""Retention: the rules that delete what may no longer be kept (``flask jobs retention``,
daily), and deleting a check record by hand (coordinators) or on the person's request.

Every rule is idempotent: it deletes (or clears) exactly what is due at ``now``, so a
second run finds nothing more. Each rule owns its transaction; docs/privacy.md lists the
rules with their settings.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

import peewee as pw
from flask import current_app
from flask_babel import gettext as _

from volunteer_app.accounts.models import LoginToken, User
from volunteer_app.activities.models import Slot
from volunteer_app.allowances import services as allowances
from volunteer_app.audit.models import AuditEntry
from volunteer_app.audit.services import record
from volunteer_app.centres.models import Centre, Invitation
from volunteer_app.centres.queries import can_manage
from volunteer_app.checks.models import CertificateCheck, MeaslesProof
from volunteer_app.common.errors import Conflict, NotAllowed, NotFound
from volunteer_app.companions import services as companions
from volunteer_app.db import utcnow, write_transaction
from volunteer_app.imports import services as imports
from volunteer_app.messaging import services as messaging
from volunteer_app.notifications.delivery import BODY_CLEARED, FINISHED, has_body
from volunteer_app.notifications.models import DigestSent, OutboxMessage
from volunteer_app.proposals.models import MatchRun, StandinRequest
from volunteer_app.recognition import services as recognition
from volunteer_app.retention.queries import (
    NEVER,
    CheckPeriods,
    berlin_date,
    booked_signups,
    due_date,
    months_after,
    timelines,
)
from volunteer_app.signups.models import CantCome, Signup
from volunteer_app.tokens import services as tokens
from volunteer_app.wishes.models import Wish
from volunteer_app.wishes.services import FINAL_STATUSES

log = logging.getLogger(__name__)

# The two kinds of check record: model, the date the period starts from, audit action.
KINDS = {
    "certificate": (CertificateCheck, CertificateCheck.inspected_on, "check.certificate_deleted"),
    "measles": (MeaslesProof, MeaslesProof.shown_on, "check.measles_deleted"),
}
# The kinds as they appear in URLs (German, like the other paths).
RECORD_SLUGS = {"fuehrungszeugnis": "certificate", "masernschutz": "measles"}
RECORD_PATH = "<any(fuehrungszeugnis, masernschutz):record>"
# SQLite's limit of bound parameters is far above this; it keeps each statement small.
CHUNK = 500

# What the command prints for each count, in this order.
LABELS = {
    "accounts_erased": "Accounts erased after the grace period",
    "inactive_warned": "Inactive accounts warned",
    "inactive_erased": "Inactive accounts erased",
    "inactive_no_successor": "Inactive accounts kept: last coordinator or admin",
    "unconfirmed_accounts": "Registrations never confirmed, deleted",
    "certificate_records": "Certificate records deleted",
    "measles_records": "Measles notes deleted",
    "outbox_bodies": "Mail bodies cleared",
    "outbox_messages": "Outbox messages deleted",
    "digest_markers": "Digest markers deleted",
    "centre_messages": "Coordinators' messages to volunteers deleted",
    "one_time_links": "Expired one-time links deleted",
    "invitations": "Ended coordinator invitations deleted",
    "import_invitations": "Expired invitations of imported people deleted",
    "match_runs": "Matching runs deleted (with their proposals)",
    "standins": "Stand-in requests and 'can't come' messages deleted",
    "companions": "Companions' links to started dates and unconfirmed family links deleted",
    "volunteer_cards": "Volunteer cards deleted a year after expiry",
    "audit_entries": "Audit entries deleted",
    "wish_emails": "Wishers' e-mail addresses deleted",
    "unreviewed_wishes": "Wishes nobody reviewed, deleted",
    "allowance_payments": "Allowance payments deleted after the tax period",
    "api_tokens": "Revoked or expired API tokens deleted",
}
# Counts that report something other than a deletion.
NOT_DELETIONS = frozenset({"inactive_warned", "inactive_no_successor"})


@dataclasses.dataclass
class RetentionResult:
    """How many rows each rule deleted or cleared (or, for the inactive accounts, warned or
    kept), by rule name (see ``LABELS``)."""

    counts: dict[str, int] = dataclasses.field(default_factory=dict)

    @property
    def deleted(self) -> int:
        """Rows deleted or cleared by all rules together (0 on a second run)."""
        return sum(n for name, n in self.counts.items() if name not in NOT_DELETIONS)

    def lines(self) -> list[str]:
        return [f"{LABELS[name]}: {n}" for name, n in self.counts.items()]


def run_retention(now: dt.datetime | None = None) -> RetentionResult:
    """Apply every retention rule at ``now`` (naive UTC; default: now) and count per rule.

    The account rules (erasure after the grace period, inactive and never confirmed
    accounts) belong to ``volunteer_app.erasure``; they run first, so that what an erased
    account leaves is not counted twice.
    """
    # Imported here: erasure builds on most features (sign-ups, feeds, audit) and may one
    # day use the retention queries too.
    from volunteer_app.erasure import services as erasure

    now = now or utcnow()
    counts = {"accounts_erased": erasure.erase_due(now=now)}
    inactive = erasure.run_inactive_accounts(now=now)
    counts["inactive_warned"] = inactive.warned
    counts["inactive_erased"] = inactive.erased
    counts["inactive_no_successor"] = inactive.no_successor
    counts["unconfirmed_accounts"] = erasure.delete_unconfirmed(now=now)
    counts["certificate_records"] = delete_expired_check_records("certificate", now)
    counts["measles_records"] = delete_expired_check_records("measles", now)
    counts["outbox_bodies"] = clear_mail_bodies()
    counts["outbox_messages"] = delete_old_outbox_messages(now)
    counts["digest_markers"] = delete_old_digest_markers(now)
    counts["centre_messages"] = messaging.delete_old_messages(now)
    counts["one_time_links"] = delete_ended_login_tokens(now)
    counts["invitations"] = delete_ended_invitations(now)
    counts["import_invitations"] = imports.delete_expired_invitations(now)
    counts["match_runs"] = delete_old_match_runs(now)
    counts["standins"] = delete_old_standins(now)
    counts["companions"] = companions.delete_ended_invites(now)
    counts["volunteer_cards"] = recognition.delete_expired_cards(now)
    counts["audit_entries"] = delete_old_audit_entries(now)
    counts["wish_emails"] = delete_answered_wish_emails()
    counts["unreviewed_wishes"] = delete_unreviewed_wishes(now)
    counts["allowance_payments"] = allowances.delete_expired_payments(now)
    counts["api_tokens"] = tokens.delete_ended_tokens(now)
    result = RetentionResult(counts)
    log.info("Retention: %s", "; ".join(result.lines()))
    return result


# --- Certificate records and measles notes ------------------------------------------------


def delete_expired_check_records(kind: str, now: dt.datetime) -> int:
    """Delete the certificate records (``kind="certificate"``) or measles notes (``"measles"``)
    whose retention ended by ``now``'s Berlin date; returns how many.

    The "still booked" condition is checked again in the DELETE itself, so a slot booked
    while the job runs keeps the record.
    """
    model, day_field, _action = KINDS[kind]
    today = berlin_date(now)
    periods = CheckPeriods.configured()
    with write_transaction():
        lines = timelines(now)
        rows = model.select(model.id, model.volunteer, model.centre, day_field).tuples()
        due = [
            row_id
            for row_id, volunteer, centre, day in rows
            if _is_due(due_date(day, lines.get((volunteer, centre), NEVER), periods), today)
        ]
        deleted = 0
        not_booked = ~pw.fn.EXISTS(booked_signups(model.volunteer, model.centre, now))
        for start in range(0, len(due), CHUNK):
            chunk = due[start : start + CHUNK]
            deleted += model.delete().where(model.id.in_(chunk) & not_booked).execute()
    return deleted


def _is_due(due: dt.date | None, today: dt.date) -> bool:
    return due is not None and due <= today


def delete_check_record(
    centre: Centre, volunteer_id: int, kind: str, *, actor: User, now: dt.datetime | None = None
) -> None:
    """Delete the centre's certificate record or measles note of a volunteer by hand.

    A coordinator of the centre (or an admin) may always; the person may ask for their own,
    except while they still have a booked slot at the centre (the centre must keep the
    proof while they volunteer there). Audited; raises NotAllowed, Conflict or NotFound.
    """
    model, _day, action = KINDS[kind]
    manager = can_manage(actor, centre)
    if not manager and actor.id != volunteer_id:
        raise NotAllowed(_("Only the coordinators of this centre may delete its records."))
    now = now or utcnow()
    with write_transaction():
        if not manager and booked_signups(volunteer_id, centre.id, now).exists():
            raise Conflict(
                _(
                    "You still have dates at %(centre)s. The centre must keep this record while "
                    "you volunteer there. Cancel your dates first, or ask the centre.",
                    centre=centre.name,
                )
            )
        deleted = (
            model.delete()
            .where((model.volunteer == volunteer_id) & (model.centre == centre.id))
            .execute()
        )
        if not deleted:
            raise NotFound(_("This record does not exist (any more)."))
        record(centre.id, actor, action, subject=volunteer_id)
    log.info(
        "%s record of user %s at centre %s deleted by %s", kind, volunteer_id, centre.id, actor.id
    )


# --- Mail outbox --------------------------------------------------------------------------


def clear_mail_bodies() -> int:
    """Clear the text of sent and failed mail still holding it (delivery clears it at once;
    this catches rows from before and from crashed runs). Recipient, subject, status and
    times stay. Returns how many rows were cleared."""
    with write_transaction():
        return (
            OutboxMessage.update(**BODY_CLEARED)
            .where(OutboxMessage.status.in_(FINISHED) & has_body())
            .execute()
        )


def delete_old_outbox_messages(now: dt.datetime) -> int:
    """Delete outbox rows queued more than ``RETENTION_OUTBOX_DAYS`` days before ``now``,
    whatever their status (a mail not sent by then is of no use any more)."""
    cutoff = now - dt.timedelta(days=int(current_app.config["RETENTION_OUTBOX_DAYS"]))
    with write_transaction():
        return OutboxMessage.delete().where(OutboxMessage.created_at < cutoff).execute()


def delete_old_digest_markers(now: dt.datetime) -> int:
    """Delete the markers "digest sent to this coordinator on this day" older than the
    outbox's period (they only stop a second digest on the same day)."""
    days = int(current_app.config["RETENTION_OUTBOX_DAYS"])
    with write_transaction():
        return (
            DigestSent.delete()
            .where(DigestSent.created_at < now - dt.timedelta(days=days))
            .execute()
        )


# --- One-time links and invitations ----------------------------------------------------------


def _link_cutoff(now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(days=int(current_app.config["RETENTION_LINK_DAYS"]))


def delete_ended_login_tokens(now: dt.datetime) -> int:
    """Delete confirmation, reset and e-mail-change links (hashes, and the new address of an
    e-mail change) expired more than ``RETENTION_LINK_DAYS`` ago; a used link expires when
    it is used or soon after. Until then an old link still gets the "already used" answer."""
    with write_transaction():
        return LoginToken.delete().where(LoginToken.expires_at < _link_cutoff(now)).execute()


def delete_ended_invitations(now: dt.datetime) -> int:
    """Delete coordinator invitations (address and name of the invited person) accepted,
    withdrawn or expired more than ``RETENTION_LINK_DAYS`` ago."""
    cutoff = _link_cutoff(now)
    ended = (
        (Invitation.accepted_at < cutoff)
        | (Invitation.withdrawn_at < cutoff)
        | (Invitation.is_open() & (Invitation.expires_at < cutoff))
    )
    with write_transaction():
        return Invitation.delete().where(ended).execute()


# --- Matching runs ------------------------------------------------------------------------


def delete_old_match_runs(now: dt.datetime) -> int:
    """Delete matching runs (with their proposals: who was proposed for which slot and why)
    whose period ended more than ``RETENTION_MATCH_RUN_DAYS`` ago. Sign-ups made from them
    stay."""
    days = int(current_app.config["RETENTION_MATCH_RUN_DAYS"])
    last_day = berlin_date(now) - dt.timedelta(days=days)
    with write_transaction():
        return MatchRun.delete().where(MatchRun.period_to < last_day).execute()


def delete_old_standins(now: dt.datetime) -> int:
    """Delete stand-in requests and "I can't come" messages (with their reasons) of slots
    that ended more than ``RETENTION_MATCH_RUN_DAYS`` ago, like matching proposals. The
    sign-ups stay, and the audit log keeps who asked and who cancelled late."""
    days = int(current_app.config["RETENTION_MATCH_RUN_DAYS"])
    cutoff = now - dt.timedelta(days=days)
    ended = Slot.select(Slot.id).where(Slot.ends_at < cutoff)
    with write_transaction():
        requests = StandinRequest.delete().where(StandinRequest.slot.in_(ended)).execute()
        signups = Signup.select(Signup.id).where(Signup.slot.in_(ended))
        messages = CantCome.delete().where(CantCome.signup.in_(signups)).execute()
    return requests + messages


# --- Audit log ----------------------------------------------------------------------------


def audit_cutoff(now: dt.datetime) -> dt.datetime:
    """Audit entries older than this go: ``AUDIT_RETENTION_YEARS`` calendar years before now."""
    years = int(current_app.config["AUDIT_RETENTION_YEARS"])
    return dt.datetime.combine(months_after(now.date(), -12 * years), now.time())


def delete_old_audit_entries(now: dt.datetime) -> int:
    """Delete audit entries older than ``AUDIT_RETENTION_YEARS``; returns how many."""
    with write_transaction():
        return AuditEntry.delete().where(AuditEntry.created_at < audit_cutoff(now)).execute()


# --- Families' wishes ---------------------------------------------------------------------


def delete_answered_wish_emails() -> int:
    """Delete the wisher's address of every finally answered wish that still has one.

    Answering already deletes it once the answer mail is queued (wishes.services); this
    catches any that slipped through, so the rule holds for every row."""
    with write_transaction():
        return (
            Wish.update(email=None, email_consent_at=None)
            .where(Wish.status.in_(FINAL_STATUSES) & Wish.email.is_null(False))
            .execute()
        )


def delete_unreviewed_wishes(now: dt.datetime) -> int:
    """Delete wishes that waited for a coordinator's approval longer than
    ``RETENTION_UNREVIEWED_WISH_DAYS``, with the wisher's address: nobody published them, and
    an address must not wait forever on an unread suggestion."""
    days = current_app.config["RETENTION_UNREVIEWED_WISH_DAYS"]
    cutoff = now - dt.timedelta(days=days)
    with write_transaction():
        return (
            Wish.delete().where(Wish.approved_at.is_null() & (Wish.created_at < cutoff)).execute()
        )
