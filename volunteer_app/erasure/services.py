"""Erasing accounts: on request after a grace period, inactive accounts, unconfirmed ones.

The account row is deleted, not kept as a tombstone: the database's foreign keys remove
(``ON DELETE CASCADE``) or let go of (``SET NULL``) everything that points to it. Before
that, inside the same transaction, ``erase_account``

- cancels the person's future sign-ups through the sign-up service (the place is freed,
  the waitlist moves up, the coordinators are told without the person's name);
- keeps their attended hours as ``AnonymousHours`` per centre, category and Berlin month,
  so that reports for funders do not change;
- marks their audit entries ``actor_erased`` / ``subject_erased`` (the log then says
  "gelöschte Person") and replaces their name, e-mail address and phone in the texts that
  outlive them: audit details, mails to other people, the signer's name on certificates;
- deletes mail to them, invitations to their address, their address on families' wishes,
  the cache of rendered calendar feeds (staff feeds show first names), and the counter of
  changes to their own sign-ups (``content_revision``, scope ``person``), last of all.

Everything happens in one transaction: a failure leaves the account as it was.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
import secrets
from collections import defaultdict
from decimal import Decimal

import peewee as pw
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import escape

from volunteer_app.accounts import services as accounts
from volunteer_app.accounts.models import LoginToken, User
from volunteer_app.allowances import services as allowances
from volunteer_app.audit.models import AuditEntry
from volunteer_app.centres.models import Centre, CentreMembership, Invitation
from volunteer_app.checks.services import months_before
from volunteer_app.common.errors import InvalidToken, NotAllowed, NotFound
from volunteer_app.common.security import new_token
from volunteer_app.common.time import to_berlin
from volunteer_app.common.urls import external_url
from volunteer_app.db import db, is_sqlite, utcnow, write_transaction
from volunteer_app.erasure import queries
from volunteer_app.erasure.models import AnonymousHours, DeletionRequest, InactivityNotice
from volunteer_app.feeds.models import FeedCache
from volunteer_app.imports.models import ImportInvitation
from volunteer_app.notifications.models import OutboxMessage
from volunteer_app.notifications.services import queue_mail
from volunteer_app.recognition.models import EhrenamtsZertifikat
from volunteer_app.reports.models import VolunteeringCertificate
from volunteer_app.revisions.models import ContentRevision
from volunteer_app.signups import services as signups
from volunteer_app.wishes.models import Wish

log = logging.getLogger(__name__)

# What an erased person is called in texts stored for others (the stored texts are German).
ERASED = "gelöschte Person"
# Shorter values would be replaced inside ordinary words.
MIN_SCRUB_LENGTH = 3


class DeletionBlocked(NotAllowed):
    """The last coordinator of a centre, or the last administrator, cannot go yet."""


@dataclasses.dataclass(frozen=True)
class InactiveResult:
    warned: int = 0
    erased: int = 0
    no_successor: int = 0


# --- Settings ------------------------------------------------------------------------------


def grace_days() -> int:
    """``DELETION_GRACE_DAYS``: days between the request and the erasure (0: at once)."""
    return max(int(current_app.config["DELETION_GRACE_DAYS"]), 0)


def _inactive_months() -> int:
    return int(current_app.config["RETENTION_INACTIVE_MONTHS"])


def _unconfirmed_days() -> int:
    return int(current_app.config["RETENTION_UNCONFIRMED_DAYS"])


def _months_earlier(moment: dt.datetime, months: int) -> dt.datetime:
    return dt.datetime.combine(months_before(moment.date(), months), moment.time())


# --- Who may go ----------------------------------------------------------------------------


def blocked_message(user: User) -> str | None:
    """Why ``user`` cannot delete the account yet, and what to do about it; None if they can."""
    found = queries.blockers(user)
    if not found:
        return None
    parts = []
    if found.centres:
        names = ", ".join(c.name for c in found.centres)
        parts.append(
            ngettext(
                "You are the only coordinator of %(centres)s. Before you delete your account, "
                "the centre needs someone to take over: please ask an administrator to invite "
                "another coordinator (Administration, the centre, “Invite a coordinator”). As "
                "soon as that person has accepted the invitation, you can delete your account.",
                "You are the only coordinator of %(centres)s. Before you delete your account, "
                "each of these centres needs someone to take over: please ask an administrator "
                "to invite another coordinator (Administration, the centre, “Invite a "
                "coordinator”). As soon as they have accepted the invitations, you can delete "
                "your account.",
                len(found.centres),
                centres=names,
            )
        )
    if found.last_admin:
        parts.append(
            _(
                "You are the only administrator. Before you delete your account, another "
                "person must become an administrator: please ask whoever runs this "
                "installation to give another account the administrator role. Then you can "
                "delete your account."
            )
        )
    return " ".join(parts)


def _check_successors(user: User) -> None:
    message = blocked_message(user)
    if message is not None:
        raise DeletionBlocked(message)


def confirm_identity(user: User, *, password: str, code: str | None) -> None:
    """The password, and the code from the app for anyone with a second factor (all staff).

    Wrong answers raise ``DomainError`` with the field (``password`` / ``code``) and count
    towards the login lock like any other wrong password.
    """
    accounts.confirm_password(user, password)
    if User.get_by_id(user.id).has_totp:
        if not code:
            raise accounts.InvalidCode(_("Please enter the code from your app."), field="code")
        accounts.verify_totp(user, code)


# --- Request, cancel, keep -----------------------------------------------------------------


def request_deletion(user: User, *, actor: User) -> dt.datetime:
    """Schedule the erasure of ``user``'s account ``DELETION_GRACE_DAYS`` from now and
    return when (naive UTC); with 0 days it is erased at once.

    Every session of the person ends; they get a mail saying when, with a link that keeps
    the account (signing in keeps it too). The person themself or an administrator may ask;
    the last coordinator of a centre and the last administrator are refused
    (``DeletionBlocked``, saying what to do).
    """
    if actor is None or (actor.id != user.id and not actor.is_admin):
        raise NotAllowed(_("Only the owner of an account can delete it."))
    _check_successors(user)
    days = grace_days()
    now = utcnow()
    if days == 0:
        erase_account(user)
        return now
    due = now + dt.timedelta(days=days)
    token, token_hash = new_token()
    with write_transaction():
        person = User.get_or_none(User.id == user.id)
        if person is None:
            raise NotFound(_("This account does not exist (any more)."))
        DeletionRequest.delete().where(DeletionRequest.user == person.id).execute()
        DeletionRequest.create(user=person.id, requested_at=now, due_at=due, token_hash=token_hash)
        accounts.logout_everywhere(person)
        queue_mail(
            person.email,
            "account_deletion_scheduled",
            locale=person.locale,
            user=person,
            due_at=due,
            link=external_url("erasure.keep_account", token=token),
        )
    log.info("deletion of user %s scheduled for %s", user.id, due.isoformat(timespec="minutes"))
    return due


def cancel_deletion(user: User, *, actor: User) -> bool:
    """The scheduled deletion of ``user`` is off (True if there was one)."""
    if actor is None or (actor.id != user.id and not actor.is_admin):
        raise NotAllowed(_("Only the owner of an account can keep it."))
    with write_transaction():
        removed = DeletionRequest.delete().where(DeletionRequest.user == user.id).execute()
    if removed:
        log.info("deletion of user %s cancelled", user.id)
    return bool(removed)


@dataclasses.dataclass(frozen=True)
class KeepLink:
    kind: str  # "deletion": cancels a scheduled deletion; "inactive": answers the notice
    due_at: dt.datetime | None = None


def check_keep_link(token: str) -> KeepLink:
    """What a "keep my account" link does, or ``InvalidToken``."""
    request = queries.deletion_by_token(token)
    if request is not None:
        return KeepLink("deletion", request.due_at)
    if queries.notice_by_token(token) is not None:
        return KeepLink("inactive")
    raise InvalidToken(
        _(
            "This link is not valid (any more). It works once; if your account was deleted "
            "in the meantime, you can register again."
        )
    )


def keep_account(token: str) -> KeepLink:
    """Use a "keep my account" link from a mail: the scheduled deletion is cancelled, or the
    inactive account counts as used today. Each link works once."""
    link = check_keep_link(token)
    with write_transaction():
        if link.kind == "deletion":
            request = queries.deletion_by_token(token)
            used = request is not None and (
                DeletionRequest.delete().where(DeletionRequest.id == request.id).execute()
            )
        else:
            notice = queries.notice_by_token(token)
            used = notice is not None and (
                InactivityNotice.update(warned_at=None, token_hash=None, kept_at=utcnow())
                .where(
                    (InactivityNotice.id == notice.id) & InactivityNotice.warned_at.is_null(False)
                )
                .execute()
            )
    if not used:
        raise InvalidToken(_("This link has already been used. Each link works only once."))
    return link


# --- The erasure ---------------------------------------------------------------------------


def erase_account(user: User) -> None:
    """Erase the account and everything personal about it, in one transaction (see the
    module's docstring). Refuses the last coordinator of a centre and the last
    administrator (``DeletionBlocked``)."""
    with write_transaction():
        person = _locked(user.id)
        if person is None:
            raise NotFound(_("This account does not exist (any more)."))
        _check_successors(person)
        cancelled = signups.withdraw_for_erasure(person)
        _keep_hours(person)
        _mark_audit(person)
        _scrub(person)
        # Booking records stay for § 147 AO, without the person (docs/privacy.md).
        allowances.pseudonymise_for_erasure(person.id)
        FeedCache.delete().execute()  # rendered again on the next request, without them
        User.delete().where(User.id == person.id).execute()
        _tell_coordinators(cancelled)
        _drop_person_revision(person.id)
    log.info("user %s erased", user.id)


def _drop_person_revision(user_id: int) -> None:
    """Delete the person's revision counter (how often and when their own sign-ups last
    changed: their calendar feed's revision). The triggers move it on every change to their
    sign-ups, the cascade's deletions included; on PostgreSQL they run at COMMIT (deferred),
    so the sign-ups' ones run now, or they would write the row back after this delete (and
    are deferred again for whatever follows in the transaction). Nothing can move it again:
    the person has no sign-up left."""
    postgres = not is_sqlite()
    if postgres:
        db.execute_sql("SET CONSTRAINTS rev_signup IMMEDIATE")
    ContentRevision.delete().where(
        (ContentRevision.scope == "person") & (ContentRevision.owner_id == user_id)
    ).execute()
    if postgres:
        db.execute_sql("SET CONSTRAINTS rev_signup DEFERRED")


def _locked(user_id: int) -> User | None:
    query = User.select().where(User.id == user_id)
    if not is_sqlite():
        query = query.for_update()
    return query.first()


def _keep_hours(person: User) -> None:
    """Attended hours as anonymous sums per centre, category and Berlin month."""
    sums: dict[tuple[int, int, dt.date], list] = defaultdict(lambda: [Decimal("0.00"), 0])
    for centre_id, category_id, starts_at, hours in queries.attended_of(person.id):
        month = to_berlin(starts_at).date().replace(day=1)
        line = sums[(centre_id, category_id, month)]
        line[0] += Decimal(str(hours or 0))
        line[1] += 1
    if not sums:
        return
    person_key = secrets.token_hex(16)
    AnonymousHours.insert_many(
        [
            {
                "centre": centre_id,
                "category": category_id,
                "month": month,
                "hours": hours.quantize(Decimal("0.01")),
                "signups": count,
                "person_key": person_key,
            }
            for (centre_id, category_id, month), (hours, count) in sorted(sums.items())
        ]
    ).execute()


def _mark_audit(person: User) -> None:
    AuditEntry.update(actor_erased=True).where(AuditEntry.actor == person.id).execute()
    AuditEntry.update(subject_erased=True).where(AuditEntry.subject == person.id).execute()


def _traces(person: User) -> list[str]:
    """Name, e-mail address and phone as they may appear in texts written for others."""
    values = {person.name.strip(), person.email.strip(), person.phone.strip()}
    return sorted((v for v in values if len(v) >= MIN_SCRUB_LENGTH), key=len, reverse=True)


def _pattern(values: list[str]) -> re.Pattern:
    """The values as whole words (not inside a longer word), any case, also HTML-escaped."""
    forms = set()
    for value in values:
        forms.update((value, str(escape(value))))
    alternatives = "|".join(re.escape(v) for v in sorted(forms, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def _mentioning(field, values: list[str]):
    condition = None
    for value in values:
        for form in {value, str(escape(value))}:
            clause = field.contains(form)
            condition = clause if condition is None else condition | clause
    return condition


def _scrub(person: User) -> None:
    """Delete or rewrite every stored text about the person that the cascade leaves."""
    email = person.email.lower()
    OutboxMessage.delete().where(pw.fn.LOWER(OutboxMessage.recipient) == email).execute()
    Invitation.delete().where(pw.fn.LOWER(Invitation.email) == email).execute()
    ImportInvitation.delete().where(pw.fn.LOWER(ImportInvitation.email) == email).execute()
    LoginToken.delete().where(pw.fn.LOWER(LoginToken.new_email) == email).execute()
    Wish.update(email=None, email_consent_at=None).where(pw.fn.LOWER(Wish.email) == email).execute()
    VolunteeringCertificate.update(signed_by_name=ERASED).where(
        VolunteeringCertificate.signed_by == person.id
    ).execute()
    EhrenamtsZertifikat.update(signed_by_name=ERASED).where(
        EhrenamtsZertifikat.signed_by == person.id
    ).execute()
    values = _traces(person)
    if not values:
        return
    pattern = _pattern(values)

    def clean(text: str | None) -> str | None:
        return pattern.sub(ERASED, text) if text else text

    for entry in AuditEntry.select().where(_mentioning(AuditEntry.detail, values)):
        AuditEntry.update(detail=clean(entry.detail)[:255]).where(
            AuditEntry.id == entry.id
        ).execute()
    fields = (OutboxMessage.subject, OutboxMessage.body_text, OutboxMessage.body_html)
    mentioning = None
    for field in fields:
        clause = _mentioning(field, values)
        mentioning = clause if mentioning is None else mentioning | clause
    for message in OutboxMessage.select().where(mentioning):
        OutboxMessage.update(
            subject=clean(message.subject)[:255],
            body_text=clean(message.body_text),
            body_html=clean(message.body_html),
        ).where(OutboxMessage.id == message.id).execute()


def _tell_coordinators(cancelled) -> None:
    """One mail per coordinator of each centre that lost sign-ups, without the person."""
    by_centre: dict[int, list] = defaultdict(list)
    centres: dict[int, Centre] = {}
    for signup in cancelled:
        centre = signup.slot.activity.centre
        centres[centre.id] = centre
        by_centre[centre.id].append(signup)
    if not by_centre:
        return
    members = (
        CentreMembership.select(CentreMembership.centre, User)
        .join(User, on=(CentreMembership.user == User.id))
        .where(CentreMembership.centre.in_(list(by_centre)) & (User.is_active == True))  # noqa: E712
        .order_by(User.id)
    )
    for membership in members:
        coordinator = membership.user
        items = sorted(by_centre[membership.centre_id], key=lambda s: s.slot.starts_at)
        queue_mail(
            coordinator.email,
            "erasure_signups_cancelled",
            locale=coordinator.locale,
            coordinator=coordinator,
            centre=centres[membership.centre_id],
            items=items,
            roster_link=lambda slot: external_url("coordination.roster", slot_id=slot.id),
        )


# --- Jobs ----------------------------------------------------------------------------------


def _erase_many(user_ids, reason: str) -> tuple[int, set[int]]:
    """Erase each account in its own transaction; (how many, ids refused for lack of a
    successor)."""
    erased, refused = 0, set()
    for user_id in user_ids:
        user = User.get_or_none(User.id == user_id)
        if user is None:
            continue
        try:
            erase_account(user)
        except DeletionBlocked:
            refused.add(user_id)
            log.warning(
                "user %s not erased (%s): no successor as coordinator/admin", user_id, reason
            )
        except NotFound:
            continue
        else:
            erased += 1
    return erased, refused


def erase_due(now: dt.datetime | None = None) -> int:
    """Erase every account whose deletion grace period has run out; returns how many.

    Idempotent: an erased account has no request left. The last coordinator of a centre or
    the last administrator stays scheduled (and is tried again on the next run)."""
    erased, _refused = _erase_many(queries.due_deletions(now or utcnow()), "request")
    return erased


def run_inactive_accounts(now: dt.datetime | None = None) -> InactiveResult:
    """``RETENTION_INACTIVE_MONTHS`` (default 12) without sign-in or booking: erased, when
    the notice went out at least a month before; one month earlier (11) the person gets that
    notice with a "keep my account" link. 0 switches the rule off. Idempotent."""
    months = _inactive_months()
    if months <= 0:
        return InactiveResult()
    now = now or utcnow()
    erase_before = _months_earlier(now, months)
    warned_by = _months_earlier(now, 1)

    candidates = queries.inactive_since(erase_before)
    activity = queries.last_activity(candidates)
    notices = queries.notices_of(candidates)
    to_erase = [
        u.id
        for u in candidates
        if (n := notices.get(u.id)) is not None
        and n.warned_at is not None
        and activity[u.id] < n.warned_at <= warned_by
    ]
    erased, refused = _erase_many(to_erase, "inactive")

    warned = 0
    candidates = queries.inactive_since(_months_earlier(now, months - 1))
    activity = queries.last_activity(candidates)
    notices = queries.notices_of(candidates)
    for user in candidates:
        notice = notices.get(user.id)
        if (
            notice is not None
            and notice.warned_at is not None
            and notice.warned_at > activity[user.id]
        ):
            continue  # told already since they were last active
        if user.is_staff and queries.blockers(user):
            # They would not be erased, so they are not told they would; once a successor
            # is there, they get the mail and a month, like everybody.
            refused.add(user.id)
            continue
        _warn(user, now, max(_months_later(now, 1), _months_later(activity[user.id], months)))
        warned += 1
    return InactiveResult(warned=warned, erased=erased, no_successor=len(refused))


def _months_later(moment: dt.datetime, months: int) -> dt.datetime:
    return _months_earlier(moment, -months)


def _warn(user: User, now: dt.datetime, erase_on: dt.datetime) -> None:
    token, token_hash = new_token()
    with write_transaction():
        updated = (
            InactivityNotice.update(warned_at=now, token_hash=token_hash)
            .where(InactivityNotice.user == user.id)
            .execute()
        )
        if not updated:
            InactivityNotice.create(user=user.id, warned_at=now, token_hash=token_hash)
        queue_mail(
            user.email,
            "account_inactive",
            locale=user.locale,
            user=user,
            erase_on=erase_on,
            months=_inactive_months(),
            link=external_url("erasure.keep_account", token=token),
            login_url=external_url("accounts.login"),
        )


def delete_unconfirmed(now: dt.datetime | None = None) -> int:
    """Erase registrations not confirmed within ``RETENTION_UNCONFIRMED_DAYS`` (default 7);
    returns how many. 0 switches the rule off. Idempotent."""
    days = _unconfirmed_days()
    if days <= 0:
        return 0
    threshold = (now or utcnow()) - dt.timedelta(days=days)
    erased, _refused = _erase_many(
        [u.id for u in queries.unconfirmed_before(threshold)], "unconfirmed"
    )
    return erased
