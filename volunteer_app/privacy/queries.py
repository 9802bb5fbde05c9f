"""Read helpers of privacy: everything the service holds about one person, and their consents.

``personal_data`` gathers the export (Art. 15 and 20 GDPR) in a fixed number of queries —
one per section, joined — whatever the number of rows, and hands back plain data (dicts,
lists, strings, numbers, dates) that ``privacy.export`` turns into ``data.json`` and CSV
files without touching the database again. Secrets are never read into it: no password or
recovery-code hash, no session token, no TOTP secret, no token hash or feed seed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from flask import current_app
from peewee import JOIN, fn

from volunteer_app.accounts.models import Consent, LoginToken, RecoveryCode, User
from volunteer_app.activities.models import Activity, Category, Slot
from volunteer_app.activities.queries import category_label, join_activity
from volunteer_app.allowances import queries as allowances_queries
from volunteer_app.audit.models import AuditEntry
from volunteer_app.centres.models import Centre, CentreMembership, Invitation, Operator
from volunteer_app.checks.models import CertificateCheck, MeaslesProof
from volunteer_app.common.errors import NotFound
from volunteer_app.companions.models import ComingAlong, CompanionInvite, FamilyLink
from volunteer_app.erasure.models import DeletionRequest, InactivityNotice
from volunteer_app.feeds.models import FeedToken
from volunteer_app.imports.models import ImportInvitation
from volunteer_app.messaging import queries as messaging_queries
from volunteer_app.notifications.models import DigestSent, OutboxMessage
from volunteer_app.notifications.services import written
from volunteer_app.privacy.export import WEEKDAYS
from volunteer_app.proposals.models import MatchRun, Proposal, StandinRequest, WeeklySuggestions
from volunteer_app.recognition import queries as recognition_queries
from volunteer_app.reports.models import VolunteeringCertificate
from volunteer_app.rooms.models import Booking, Room
from volunteer_app.signups.models import CantCome, Signup
from volunteer_app.tokens import queries as tokens_queries
from volunteer_app.volunteers.models import (
    AvailabilityWindow,
    Interest,
    ReachableCentre,
    VolunteerProfile,
)
from volunteer_app.volunteers.queries import DEFAULT_REMINDER_HOURS
from volunteer_app.wishes.models import Wish

# Mail sent to the person is part of the export for this many days (older rows are summed up
# by the retention job, see docs/privacy.md).
MAIL_DAYS = 30
PRIVACY = "privacy"


# --- Consents ------------------------------------------------------------------------------


def privacy_consents(user_id: int) -> list[Consent]:
    """The person's privacy-notice consents, newest first (withdrawn ones included)."""
    return list(
        Consent.select()
        .where((Consent.user == user_id) & (Consent.kind == PRIVACY))
        .order_by(Consent.given_at.desc(), Consent.id.desc())
    )


def privacy_consent_due(user_id: int, version: str | None = None) -> bool:
    """True when the person has no valid consent to the privacy notice in force (one query).

    That is: their newest privacy consent is withdrawn or of an older version, or there is
    none at all. Then they are asked again after signing in.
    """
    version = version or current_app.config["PRIVACY_NOTICE_VERSION"]
    latest = (
        Consent.select(Consent.version, Consent.withdrawn_at)
        .where((Consent.user == user_id) & (Consent.kind == PRIVACY))
        .order_by(Consent.given_at.desc(), Consent.id.desc())
        .first()
    )
    return latest is None or latest.withdrawn_at is not None or latest.version != version


def notice_version_at(privacy_rows: list[Consent], when: dt.datetime | None) -> str:
    """The privacy-notice version the person had agreed to at ``when`` ("" if none).

    Settings such as the weekly mail carry no text version of their own; the notice in
    force when they were switched on describes them. Before the first consent (the account
    and its first consent are written a moment apart) the first consent counts.
    """
    ordered = sorted(privacy_rows, key=lambda c: (c.given_at, c.id))
    if not ordered:
        return ""
    chosen = ordered[0]
    for row in ordered:
        if when is not None and row.given_at <= when:
            chosen = row
    return chosen.version


@dataclass(frozen=True)
class ConsentItem:
    """One line of "Meine Einwilligungen": something the person agreed to or switched on.

    ``kind`` is ``privacy``, ``weekly_suggestions``, ``reminders`` or ``wish_answer`` (then
    ``ref`` is the wish's id and ``detail`` its title). ``active`` False means not given (or
    switched off) now; withdrawn earlier consents are in ``ConsentPage.history``.
    """

    kind: str
    active: bool
    version: str = ""
    given_at: dt.datetime | None = None
    ref: int | None = None
    detail: str = ""
    hours: int = 0  # reminders: how long before a date
    outdated: bool = False  # privacy: agreed to an older version of the notice


@dataclass(frozen=True)
class ConsentPage:
    items: list[ConsentItem]
    history: list[Consent]  # withdrawn consents, newest first: kept as proof
    current_version: str


def consent_page(user: User) -> ConsentPage:
    """Each consent of the person with version and date, and the withdrawn ones (5 queries)."""
    return _consent_page(user, _Held.load(user))


@dataclass
class _Held:
    """The rows both the consents page and the export read (each read once)."""

    consents: list[Consent]
    weekly: WeeklySuggestions | None
    profile: VolunteerProfile | None
    wishes: list[Wish]

    @classmethod
    def load(cls, user: User) -> _Held:
        return cls(
            consents=list(
                Consent.select()
                .where(Consent.user == user.id)
                .order_by(Consent.given_at.desc(), Consent.id.desc())
            ),
            weekly=WeeklySuggestions.get_or_none(WeeklySuggestions.user == user.id),
            profile=VolunteerProfile.get_or_none(VolunteerProfile.user == user.id),
            wishes=list(_wishes_with_address(user)),
        )


def _consent_page(user: User, held: _Held) -> ConsentPage:
    current = current_app.config["PRIVACY_NOTICE_VERSION"]
    privacy_rows = [c for c in held.consents if c.kind == PRIVACY]
    active_privacy = next((c for c in privacy_rows if c.withdrawn_at is None), None)
    items = [
        ConsentItem(
            PRIVACY,
            active=active_privacy is not None,
            version=active_privacy.version if active_privacy else "",
            given_at=active_privacy.given_at if active_privacy else None,
            outdated=active_privacy is not None and active_privacy.version != current,
        )
    ]
    if user.role == "volunteer":
        items += _volunteer_items(user, privacy_rows, held)
    items += [
        ConsentItem(
            "wish_answer",
            active=True,
            version=notice_version_at(privacy_rows, wish.email_consent_at),
            given_at=wish.email_consent_at,
            ref=wish.id,
            detail=wish.title,
        )
        for wish in held.wishes
        if wish.email_consent_at is not None
    ]
    history = [c for c in held.consents if c.withdrawn_at is not None]
    return ConsentPage(items=items, history=history, current_version=current)


def _volunteer_items(user: User, privacy_rows: list[Consent], held: _Held) -> list[ConsentItem]:
    weekly, profile = held.weekly, held.profile
    # Without a saved profile the reminders run with the default since the account exists.
    hours = profile.reminder_hours if profile else DEFAULT_REMINDER_HOURS
    since = profile.updated_at if profile else user.created_at
    return [
        ConsentItem(
            "weekly_suggestions",
            active=weekly is not None,
            version=notice_version_at(privacy_rows, weekly.created_at) if weekly else "",
            given_at=weekly.created_at if weekly else None,
        ),
        ConsentItem(
            "reminders",
            active=hours > 0,
            version=notice_version_at(privacy_rows, since) if hours else "",
            given_at=since if hours else None,
            hours=hours,
        ),
    ]


def _wishes_with_address(user: User):
    """Wishes whose wisher left this person's (confirmed) address for the answer.

    Wishes have no account: the address is the only link, and the person proved it is theirs.
    """
    if user.email_confirmed_at is None:
        return []
    return (
        Wish.select(Wish, Centre)
        .join(Centre, on=(Wish.centre == Centre.id))
        .where(Wish.email == user.email)
        .order_by(Wish.created_at, Wish.id)
    )


# --- Everything about the person -----------------------------------------------------------


def _iso(value) -> str | None:
    """Dates as ``YYYY-MM-DD``, times as ``HH:MM``, timestamps (naive UTC) as ``…Z``."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.replace(microsecond=0).isoformat() + "Z"
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    return value.isoformat()


def _number(value) -> float | None:
    return None if value is None else float(Decimal(str(value)))


def _account(user: User) -> dict:
    codes = (
        RecoveryCode.select()
        .where((RecoveryCode.user == user.id) & RecoveryCode.used_at.is_null())
        .count()
    )
    deletion = DeletionRequest.get_or_none(DeletionRequest.user == user.id)
    notice = InactivityNotice.get_or_none(InactivityNotice.user == user.id)
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "phone": user.phone,
        "role": user.role,
        "language": user.locale,
        "email_confirmed_at": _iso(user.email_confirmed_at),
        "created_at": _iso(user.created_at),
        "last_login_at": _iso(user.last_login_at),
        "active": user.is_active,
        "failed_logins": user.failed_logins,
        "locked_until": _iso(user.locked_until),
        "two_factor": {
            "enabled_since": _iso(user.totp_enabled_at),
            "recovery_codes_left": codes if user.totp_enabled_at else 0,
        },
        "deletion": {
            "requested_at": _iso(deletion.requested_at),
            "takes_effect_at": _iso(deletion.due_at),
        }
        if deletion
        else None,
        "inactivity_notice": {
            "sent_at": _iso(notice.warned_at),
            "account_kept_at": _iso(notice.kept_at),
        }
        if notice
        else None,
    }


def _profile(user: User, held: _Held) -> dict:
    profile, weekly = held.profile, held.weekly
    interests = (
        Category.select(Category.id, Category.key, Category.name)
        .join(Interest, on=(Interest.category == Category.id))
        .where(Interest.user == user.id)
        .order_by(Category.id)
    )
    windows = (
        AvailabilityWindow.select()
        .where(AvailabilityWindow.user == user.id)
        .order_by(AvailabilityWindow.weekday, AvailabilityWindow.start_time)
    )
    centres = (
        Centre.select(Centre.name, Centre.town)
        .join(ReachableCentre, on=(ReachableCentre.centre == Centre.id))
        .where(ReachableCentre.user == user.id)
        .order_by(Centre.name)
    )
    return {
        "saved": profile is not None,
        "updated_at": _iso(profile.updated_at) if profile else None,
        "open_to_anything": profile.open_to_anything if profile else False,
        "interests": [category_label(c) for c in interests],
        "time_windows": [
            {"weekday": WEEKDAYS[w.weekday], "start": _iso(w.start_time), "end": _iso(w.end_time)}
            for w in windows
        ],
        "centres": [f"{c.name}, {c.town}" for c in centres],
        "max_per_week": profile.max_per_week if profile else None,
        "max_per_month": profile.max_per_month if profile else None,
        "languages": [code for code in (profile.languages.split(",") if profile else []) if code],
        "reminder_hours_before": profile.reminder_hours if profile else DEFAULT_REMINDER_HOURS,
        "weekly_suggestions_since": _iso(weekly.created_at) if weekly else None,
    }


def _consents(user: User, held: _Held) -> list[dict]:
    page = _consent_page(user, held)
    current = [
        {
            "kind": item.kind,
            "status": "given" if item.active else "not_given",
            "version": item.version or None,
            "given_at": _iso(item.given_at),
            "withdrawn_at": None,
            "detail": item.detail or (f"{item.hours} h" if item.kind == "reminders" else ""),
        }
        for item in page.items
    ]
    withdrawn = [
        {
            "kind": c.kind,
            "status": "withdrawn",
            "version": c.version,
            "given_at": _iso(c.given_at),
            "withdrawn_at": _iso(c.withdrawn_at),
            "detail": "",
        }
        for c in page.history
    ]
    return current + withdrawn


def _slot_fields(slot: Slot) -> dict:
    activity = slot.activity
    return {
        "centre": activity.centre.name,
        "activity": activity.title,
        "category": category_label(activity.category),
        "starts_at": _iso(slot.starts_at),
        "ends_at": _iso(slot.ends_at),
        "slot_cancelled": slot.status == "cancelled",
    }


def _signups(user: User) -> list[dict]:
    links_sent = (
        CompanionInvite.select(fn.COUNT(CompanionInvite.id))
        .where(CompanionInvite.signup == Signup.id)
        .alias("links_sent")
    )
    rows = (
        join_activity(
            Signup.select(
                Signup, Slot, Activity, Category, Centre, ComingAlong.children, links_sent
            ).join(Slot, on=(Signup.slot == Slot.id))
        )
        .join_from(
            Signup,
            ComingAlong,
            JOIN.LEFT_OUTER,
            on=(ComingAlong.signup == Signup.id),
            attr="coming",
        )
        .where(Signup.volunteer == user.id)
        .order_by(Slot.starts_at, Signup.id)
    )
    cant_come: dict[int, list[dict]] = {}
    for notice in (
        CantCome.select(CantCome.signup, CantCome.reason, CantCome.created_at)
        .join(Signup, on=(CantCome.signup == Signup.id))
        .where(Signup.volunteer == user.id)
        .order_by(CantCome.created_at, CantCome.id)
    ):
        cant_come.setdefault(notice.signup_id, []).append(
            {"at": _iso(notice.created_at), "reason": notice.reason}
        )
    return [
        {
            **_slot_fields(s.slot),
            "status": s.status,
            "signed_up_at": _iso(s.created_at),
            "decided_at": _iso(s.decided_at),
            "assigned_by_coordinator": s.assigned_by_id is not None,
            "attendance": s.attendance,
            "hours": _number(s.hours),
            "reminded_at": _iso(s.reminded_at),
            "cant_come": cant_come.get(s.id, []),
            "children_coming_along": _children(s),
            "companion_links_sent": s.links_sent or 0,
        }
        for s in rows
    ]


def _children(signup: Signup) -> int:
    """The children coming along on a sign-up (0 without a row)."""
    coming = getattr(signup, "coming", None)
    return (coming.children if coming is not None else None) or 0


def _family(user: User) -> list[dict]:
    """Links between a parent's and a child's account, seen from either side (one query)."""
    parent, child = User.alias(), User.alias()
    rows = (
        FamilyLink.select(
            FamilyLink, parent.name.alias("parent_name"), child.name.alias("child_name")
        )
        .join(parent, on=(FamilyLink.parent == parent.id))
        .join_from(FamilyLink, child, on=(FamilyLink.child == child.id))
        .where((FamilyLink.parent == user.id) | (FamilyLink.child == user.id))
        .order_by(FamilyLink.created_at, FamilyLink.id)
        .objects()
    )
    return [
        {
            "you_are": "parent" if link.parent_id == user.id else "child",
            "other": link.parent_name if link.child_id == user.id else link.child_name,
            "requested_at": _iso(link.created_at),
            "confirmed_at": _iso(link.confirmed_at),
            "birth_year": link.birth_year,
        }
        for link in rows
    ]


def _proposals(user: User) -> list[dict]:
    rows = (
        join_activity(
            Proposal.select(
                Proposal.status,
                Proposal.reasons,
                Proposal.invited_at,
                Proposal.answered_at,
                Proposal.created_at,
                Slot,
                Activity,
                Category,
                Centre,
            ).join(Slot, on=(Proposal.slot == Slot.id))
        )
        .where(Proposal.volunteer == user.id)
        .order_by(Proposal.created_at, Proposal.id)
    )
    return [
        {
            **_slot_fields(p.slot),
            "kind": "matching",
            "status": p.status,
            "proposed_at": _iso(p.created_at),
            "invited_at": _iso(p.invited_at),
            "answered_at": _iso(p.answered_at),
            "reasons": [r.get("kind") for r in (p.reasons or []) if isinstance(r, dict)],
        }
        for p in rows
    ] + _standin_requests(user)


def _standin_requests(user: User) -> list[dict]:
    """Requests to step in, as entries of the ``proposals`` section (``kind`` says which)."""
    rows = (
        join_activity(
            StandinRequest.select(
                StandinRequest.status,
                StandinRequest.reasons,
                StandinRequest.asked_at,
                StandinRequest.answered_at,
                Slot,
                Activity,
                Category,
                Centre,
            ).join(Slot, on=(StandinRequest.slot == Slot.id))
        )
        .where(StandinRequest.volunteer == user.id)
        .order_by(StandinRequest.asked_at, StandinRequest.id)
    )
    return [
        {
            **_slot_fields(r.slot),
            "kind": "stand-in",
            "status": r.status,
            "proposed_at": None,
            "invited_at": _iso(r.asked_at),
            "answered_at": _iso(r.answered_at),
            "reasons": [x.get("kind") for x in (r.reasons or []) if isinstance(x, dict)],
        }
        for r in rows
    ]


def _checks(user: User) -> dict:
    certificates = (
        CertificateCheck.select(CertificateCheck, Centre)
        .join(Centre, on=(CertificateCheck.centre == Centre.id))
        .where(CertificateCheck.volunteer == user.id)
        .order_by(Centre.name)
    )
    measles = (
        MeaslesProof.select(MeaslesProof, Centre)
        .join(Centre, on=(MeaslesProof.centre == Centre.id))
        .where(MeaslesProof.volunteer == user.id)
        .order_by(Centre.name)
    )
    return {
        "police_certificates": [
            {
                "centre": c.centre.name,
                "certificate_date": _iso(c.certificate_date),
                "inspected_on": _iso(c.inspected_on),
                "eligible": c.eligible,
                "recorded_at": _iso(c.created_at),
            }
            for c in certificates
        ],
        "measles": [
            {
                "centre": m.centre.name,
                "shown_on": _iso(m.shown_on),
                "protected": m.proof_ok,
                "recorded_at": _iso(m.created_at),
            }
            for m in measles
        ],
    }


def _feed_links(user: User) -> list[dict]:
    rows = (
        FeedToken.select(
            FeedToken.kind,
            FeedToken.alarm_minutes,
            FeedToken.created_at,
            FeedToken.revoked_at,
            Centre.name,
        )
        .join(Centre, JOIN.LEFT_OUTER, on=(FeedToken.centre == Centre.id))
        .where(FeedToken.user == user.id)
        .order_by(FeedToken.created_at, FeedToken.id)
        .dicts()
    )
    return [
        {
            "kind": r["kind"],
            "centre": r["name"],
            "created_at": _iso(r["created_at"]),
            "switched_off_at": _iso(r["revoked_at"]),
            "reminder_minutes_before": r["alarm_minutes"],
        }
        for r in rows
    ]


def _volunteering_certificates(user: User) -> list[dict]:
    rows = (
        VolunteeringCertificate.select(VolunteeringCertificate, Centre)
        .join(Centre, on=(VolunteeringCertificate.centre == Centre.id))
        .where(VolunteeringCertificate.volunteer == user.id)
        .order_by(VolunteeringCertificate.period_start, VolunteeringCertificate.id)
    )
    return [
        {
            "centre": c.centre.name,
            "period_start": _iso(c.period_start),
            "period_end": _iso(c.period_end),
            "status": c.status,
            "requested_at": _iso(c.requested_at),
            "signed_on": _iso(c.signed_on),
            "signed_by": c.signed_by_name or None,
            "total_hours": _number(c.total_hours),
            "dates": c.dates_count,
            "details": c.detail_rows,
        }
        for c in rows
    ]


def _wishes(held: _Held) -> list[dict]:
    return [
        {
            "centre": w.centre.name,
            "title": w.title,
            "description": w.description,
            "status": w.status,
            "answer": w.answer,
            "written_at": _iso(w.created_at),
            "answered_at": _iso(w.answered_at),
            "email_consent_at": _iso(w.email_consent_at),
        }
        for w in held.wishes
    ]


def _audit(user: User) -> list[dict]:
    """Entries about the person, and entries of what they did as staff.

    About someone else, the other person is not named (Art. 15(4) GDPR: the rights of
    others); the entry's detail names no one (see ``audit.services``).
    """
    actor = User.alias("actor")
    rows = (
        AuditEntry.select(
            AuditEntry,
            Centre.name.alias("centre_name"),
            actor.name.alias("actor_name"),
            Slot.starts_at.alias("slot_starts_at"),
            Activity.title.alias("activity_title"),
        )
        .join(Centre, on=(AuditEntry.centre == Centre.id))
        .join_from(AuditEntry, actor, JOIN.LEFT_OUTER, on=(AuditEntry.actor == actor.id))
        .join_from(AuditEntry, Slot, JOIN.LEFT_OUTER, on=(AuditEntry.slot_id == Slot.id))
        .join_from(Slot, Activity, JOIN.LEFT_OUTER, on=(Slot.activity == Activity.id))
        .where((AuditEntry.subject == user.id) | (AuditEntry.actor == user.id))
        .order_by(AuditEntry.created_at, AuditEntry.id)
        .objects()
    )
    result = []
    for e in rows:
        result.append(
            {
                "at": _iso(e.created_at),
                "centre": e.centre_name,
                "action": e.action,
                "about_you": e.subject_id == user.id,
                "by": "you" if e.actor_id == user.id else e.actor_name,
                "activity": e.activity_title,
                "slot_starts_at": _iso(e.slot_starts_at),
                "detail": e.detail,
            }
        )
    return result


def _mails(user: User, now: dt.datetime) -> list[dict]:
    rows = (
        OutboxMessage.select(
            OutboxMessage.subject,
            OutboxMessage.status,
            OutboxMessage.created_at,
            OutboxMessage.sent_at,
            OutboxMessage.body_text,
            OutboxMessage.locale,
            OutboxMessage.template,
            OutboxMessage.params,
        )
        .where(
            (OutboxMessage.recipient == user.email)
            & (OutboxMessage.created_at >= now - dt.timedelta(days=MAIL_DAYS))
        )
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    )
    return [
        {
            "created_at": _iso(m.created_at),
            "subject": m.subject,
            "status": m.status,
            "sent_at": _iso(m.sent_at),
            # Bodies are cleared after sending (retention); only a kept body is shown.
            "body": m.body_text or None,
        }
        for m in map(_written, rows)
    ]


def _written(mail: OutboxMessage) -> OutboxMessage:
    """A mail the sending job has not written yet (``queue_later``), as it will go out."""
    if mail.template and mail.params:
        with contextlib.suppress(NotFound):
            mail.subject, mail.body_text, _html = written(mail)
    return mail


def _staff(user: User) -> dict:
    memberships = (
        CentreMembership.select(CentreMembership.created_at, Centre.name)
        .join(Centre, on=(CentreMembership.centre == Centre.id))
        .where(CentreMembership.user == user.id)
        .order_by(Centre.name)
        .dicts()
    )
    invitations = (
        Invitation.select(Invitation, Centre)
        .join(Centre, on=(Invitation.centre == Centre.id))
        .where(Invitation.email == user.email)
        .order_by(Invitation.created_at, Invitation.id)
    )
    responsible = (
        Activity.select(Activity.title, Centre.name)
        .join(Centre, on=(Activity.centre == Centre.id))
        .where(Activity.responsible == user.id)
        .order_by(Centre.name, Activity.title)
        .dicts()
    )
    # Invitations from a centre's imported list: to this address, or sent by this person
    # (those only counted per centre, without the invited person: Art. 15(4) GDPR).
    imported = (
        ImportInvitation.select(ImportInvitation, Centre)
        .join(Centre, on=(ImportInvitation.centre == Centre.id))
        .where((ImportInvitation.email == user.email) | (ImportInvitation.invited_by == user.id))
        .order_by(ImportInvitation.created_at, ImportInvitation.id)
    )
    digests = (
        DigestSent.select(DigestSent.day)
        .where(DigestSent.user == user.id)
        .order_by(DigestSent.day)
        .tuples()
    )
    return {
        "centres": [{"centre": m["name"], "since": _iso(m["created_at"])} for m in memberships],
        **_staff_work(user),
        "invitations_received": [
            {
                "centre": i.centre.name,
                "name": i.name,
                "sent_at": _iso(i.created_at),
                "expires_at": _iso(i.expires_at),
                "accepted_at": _iso(i.accepted_at),
                "withdrawn_at": _iso(i.withdrawn_at),
            }
            for i in invitations
        ],
        "list_invitations_received": [
            {
                "centre": i.centre.name,
                "name": i.name,
                "sent_at": _iso(i.created_at),
                "expires_at": _iso(i.expires_at),
            }
            for i in imported
            if i.email == user.email
        ],
        "list_invitations_sent": [
            {"centre": i.centre.name, "sent_at": _iso(i.created_at)}
            for i in imported
            if i.invited_by_id == user.id
        ],
        "responsible_for_activities": [
            {"centre": a["name"], "activity": a["title"]} for a in responsible
        ],
        "daily_digests": [_iso(day) for (day,) in digests],
    }


def _staff_work(user: User) -> dict:
    """What the person did as staff that names them outside the audit log.

    Rows that are about another person (their invitation's address, their sign-up) are
    summed up without naming that person (Art. 15(4) GDPR).
    """
    sent = (
        Invitation.select(Invitation.created_at, Invitation.accepted_at, Centre.name)
        .join(Centre, on=(Invitation.centre == Centre.id))
        .where(Invitation.invited_by == user.id)
        .order_by(Invitation.created_at, Invitation.id)
        .dicts()
    )
    run_centre, run_operator = Centre.alias("run_centre"), Operator.alias("run_operator")
    runs = (
        MatchRun.select(
            MatchRun.created_at,
            MatchRun.period_from,
            MatchRun.period_to,
            run_centre.name.alias("centre"),
            run_operator.name.alias("operator"),
        )
        .join(run_centre, JOIN.LEFT_OUTER, on=(MatchRun.centre == run_centre.id))
        .join_from(
            MatchRun, run_operator, JOIN.LEFT_OUTER, on=(MatchRun.operator == run_operator.id)
        )
        .where(MatchRun.created_by == user.id)
        .order_by(MatchRun.created_at, MatchRun.id)
        .dicts()
    )
    answered = (
        Wish.select(Wish.title, Wish.answered_at, Centre.name)
        .join(Centre, on=(Wish.centre == Centre.id))
        .where(Wish.answered_by == user.id)
        .order_by(Wish.answered_at, Wish.id)
        .dicts()
    )
    bookings = (
        Booking.select(
            Booking.title,
            Booking.starts_at,
            Booking.ends_at,
            Booking.status,
            Room.name,
            Centre.name,
        )
        .join(Room, on=(Booking.room == Room.id))
        .join(Centre, on=(Room.centre == Centre.id))
        .where(Booking.created_by == user.id)
        .order_by(Booking.starts_at, Booking.id)
        .tuples()
    )
    return {
        "invitations_sent": [
            {
                "centre": i["name"],
                "sent_at": _iso(i["created_at"]),
                "accepted_at": _iso(i["accepted_at"]),
            }
            for i in sent
        ],
        "matching_runs_started": [
            {
                "for": r["centre"] or r["operator"],
                "period_from": _iso(r["period_from"]),
                "period_to": _iso(r["period_to"]),
                "started_at": _iso(r["created_at"]),
            }
            for r in runs
        ],
        "wishes_answered": [
            {"centre": w["name"], "wish": w["title"], "answered_at": _iso(w["answered_at"])}
            for w in answered
        ],
        "room_bookings_made": [
            {
                "centre": centre,
                "room": room,
                "title": title,
                "starts_at": _iso(starts),
                "ends_at": _iso(ends),
                "status": status,
            }
            for title, starts, ends, status, room, centre in bookings
        ],
    }


def _links(user: User) -> list[dict]:
    rows = (
        LoginToken.select(
            LoginToken.purpose,
            LoginToken.new_email,
            LoginToken.created_at,
            LoginToken.expires_at,
            LoginToken.used_at,
        )
        .where(LoginToken.user == user.id)
        .order_by(LoginToken.created_at, LoginToken.id)
    )
    return [
        {
            "purpose": t.purpose,
            "new_email": t.new_email,
            "created_at": _iso(t.created_at),
            "expires_at": _iso(t.expires_at),
            "used_at": _iso(t.used_at),
        }
        for t in rows
    ]


def personal_data(user: User, *, now: dt.datetime) -> dict:
    """Everything the service holds about ``user``, as plain data (``data.json``'s content).

    The keys are documented in docs/privacy.md ("Data export"); ``privacy.export.COVERAGE``
    says which table and column each section covers. A bounded number of queries (one or two
    per section), independent of how many rows the person has.
    """
    user = User.get_by_id(user.id)
    held = _Held.load(user)
    return {
        "account": _account(user),
        "profile": _profile(user, held),
        "consents": _consents(user, held),
        "signups": _signups(user),
        "family": _family(user),
        "proposals": _proposals(user),
        "checks": _checks(user),
        "feed_links": _feed_links(user),
        "api_tokens": tokens_queries.personal_data(user.id),
        "volunteering_certificates": _volunteering_certificates(user),
        "recognition": recognition_queries.personal_data(user.id),
        "allowances": allowances_queries.export_rows(user.id),
        "wishes": _wishes(held),
        "audit": _audit(user),
        "mails": _mails(user, now),
        "centre_messages": messaging_queries.personal_data(user.id),
        "staff": _staff(user),
        "one_time_links": _links(user),
    }
