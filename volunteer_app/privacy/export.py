"""The personal-data download: ``data.json`` and CSV files in one ZIP (Art. 15 and 20 GDPR).

``build_archive`` is pure: the plain data of ``privacy.queries.personal_data`` in, the ZIP's
bytes out. ``data.json`` has stable English keys (documented in docs/privacy.md, "Data
export"), timestamps in UTC (``…Z``) and codes for states. The CSV files are for people:
headers and states in their language, times in German time (Europe/Berlin) as ISO 8601
(``2026-05-04 14:30``, which every spreadsheet reads as a date), numbers with the
language's decimal sign, UTF-8 with BOM and ``;`` between cells as German Excel expects,
and no cell that a spreadsheet would run as a formula.

``COVERAGE`` and ``NOT_EXPORTED`` account for every column that points to a person:
``tests/test_privacy_export.py`` walks ``models.all_models()`` and fails on a column that is in
neither, so a new table with a user reference cannot be forgotten.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from collections.abc import Callable, Iterable
from decimal import Decimal

from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _

from volunteer_app.common.time import to_berlin
from volunteer_app.coordination.export import PhoneNumber, safe_cell

FORMAT = "thekiz-personal-data"
FORMAT_VERSION = 1

# "Model.column" -> the section of data.json that covers it.
COVERAGE: dict[str, str] = {
    "User.id": "account",
    "User.email": "account",
    "User.name": "account",
    "User.phone": "account",
    "User.role": "account",
    "User.locale": "account",
    "User.email_confirmed_at": "account",
    "User.is_active": "account",
    "User.totp_enabled_at": "account",
    "User.failed_logins": "account",
    "User.locked_until": "account",
    "User.last_login_at": "account",
    "User.created_at": "account",
    "RecoveryCode.user": "account",
    "DeletionRequest.user": "account",
    "InactivityNotice.user": "account",
    "Consent.user": "consents",
    "LoginToken.user": "one_time_links",
    "LoginToken.new_email": "one_time_links",
    "VolunteerProfile.user": "profile",
    "Interest.user": "profile",
    "AvailabilityWindow.user": "profile",
    "ReachableCentre.user": "profile",
    "WeeklySuggestions.user": "profile",
    "Signup.volunteer": "signups",
    "Signup.assigned_by": "signups",
    "FamilyLink.parent": "family",
    "FamilyLink.child": "family",
    "Proposal.volunteer": "proposals",
    "StandinRequest.volunteer": "proposals",
    "CertificateCheck.volunteer": "checks",
    "MeaslesProof.volunteer": "checks",
    "FeedToken.user": "feed_links",
    "ApiToken.owner": "api_tokens",
    "ApiToken.created_by": "api_tokens",
    "VolunteeringCertificate.volunteer": "volunteering_certificates",
    "VolunteeringCertificate.signed_by_name": "volunteering_certificates",
    "AllowancePayment.volunteer": "allowances",
    "BirthYear.user": "recognition",
    "EhrenamtsZertifikat.volunteer": "recognition",
    "EhrenamtsZertifikat.signed_by_name": "recognition",
    "CardHolding.volunteer": "recognition",
    "Wish.email": "wishes",
    "AuditEntry.subject": "audit",
    "AuditEntry.actor": "audit",
    "OutboxMessage.recipient": "mails",
    "MessageRecipient.user": "centre_messages",
    "MessageOptOut.user": "centre_messages",
    "CentreMessage.author": "centre_messages",
    "CentreMembership.user": "staff",
    "Invitation.email": "staff",
    "Invitation.name": "staff",
    "Invitation.invited_by": "staff",
    "ImportInvitation.email": "staff",
    "ImportInvitation.name": "staff",
    "ImportInvitation.invited_by": "staff",
    "DigestSent.user": "staff",
    "Activity.responsible": "staff",
    "MatchRun.created_by": "staff",
    "Wish.answered_by": "staff",
    "Booking.created_by": "staff",
}

# "Model.column" -> why it is not in the download.
NOT_EXPORTED: dict[str, str] = {
    "User.password_hash": "a one-way hash of the password: a secret, not information",
    "User.session_token": "a secret that ties sessions to the account; it would let in",
    "User.totp_secret": "the second factor's secret: the file would be a second factor",
    "User.totp_last_step": "a technical counter against replayed codes",
    "Signup.decided_by": "another person's sign-up; the decision is in the audit entries",
    "CertificateCheck.inspected_by": "another person's record; the audit entry keeps it",
    "MeaslesProof.recorded_by": "another person's record; the audit entry keeps it",
    "Proposal.invited_by": "another person's invitation; the audit entry keeps it",
    "StandinRequest.asked_by": "another person's request; the audit entry keeps it",
    "CantCome.handled_by": "the coordinator who dealt with the message, not the volunteer's data",
    "VolunteeringCertificate.signed_by": "another person's certificate; audit keeps it",
    "AllowancePayment.recorded_by": "another person's payment; the audit entry keeps it",
    "AllowancePayment.cancelled_by": "another person's payment; the audit entry keeps it",
    "EhrenamtsZertifikat.signed_by": "another person's certificate; audit keeps it",
    "CardHolding.recorded_by": "another person's card record; the audit entry keeps it",
    "ApiToken.revoked_by": "who revoked a token: the owner, or staff on a centre's token; audit keeps it",
    "Centre.contact_email": "the centre's public contact address, not a person's account",
    "Centre.contact_phone": "the centre's public phone number, not a person's account",
    "Partner.contact_name": "a partner organisation's contact, not a person with an account",
    "Partner.contact_email": "a partner organisation's contact, not a person with an account",
    "Partner.contact_phone": "a partner organisation's contact, not a person with an account",
    "Partner.internal_contact": "a partner organisation's contact, for the centre only",
}

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

SECTIONS = (
    "account",
    "profile",
    "consents",
    "signups",
    "family",
    "proposals",
    "checks",
    "feed_links",
    "api_tokens",
    "volunteering_certificates",
    "recognition",
    "allowances",
    "wishes",
    "audit",
    "mails",
    "centre_messages",
    "staff",
    "one_time_links",
)


def filename(today: dt.date) -> str:
    """The download's name, dated: ``meine-daten-2026-05-04.zip``."""
    return f"meine-daten-{today.isoformat()}.zip"


# --- Cells ---------------------------------------------------------------------------------


def _when(value: str | None, with_time: bool = True) -> str:
    """An exported UTC timestamp (``…Z``) as German time, ``2026-05-04 14:30``."""
    if not value:
        return ""
    moment = to_berlin(dt.datetime.fromisoformat(value.removesuffix("Z")))
    return moment.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")


def _yes_no(value) -> str:
    if value is None:
        return ""
    return _("yes") if value else _("no")


def _num(value) -> str:
    return "" if value is None else format_decimal(value, format="0.##")


def _labels() -> dict[str, str]:
    return {
        # sign-ups
        "confirmed": _("confirmed"),
        "pending": _("awaiting approval"),
        "waitlisted": _("waiting list"),
        "cancelled": _("cancelled"),
        "declined": _("declined"),
        "attended": _("attended"),
        "no_show": _("did not come"),
        # consents
        "given": _("given"),
        "not_given": _("not given"),
        "withdrawn": _("withdrawn"),
        "privacy": _("Privacy notice"),
        "weekly_suggestions": _("Weekly e-mail with suggestions"),
        "reminders": _("Reminders before your dates"),
        "wish_answer": _("Answer to your wish by e-mail"),
        # certificates, feeds, mails
        "requested": _("requested"),
        "signed": _("signed"),
        "volunteer": _("My dates"),
        "staff": _("Staff calendar"),
        "sent": _("sent"),
        "sending": _("being sent"),
        "failed": _("failed"),
        # API tokens
        "token_personal": _("personal token"),
        "token_service": _("service token of a centre or operator"),
    }


def _csv(header: list[str], rows: Iterable[list]) -> bytes:
    out = io.StringIO()
    out.write("\ufeff")  # the BOM makes Excel read UTF-8 (umlauts) correctly
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue().encode("utf-8")


# --- The CSV files -------------------------------------------------------------------------


def _signups_csv(data: dict, label: Callable[[str | None], str]) -> bytes:
    header = [
        _("Centre"),
        _("Activity"),
        _("Category"),
        _("Start"),
        _("End"),
        _("Status"),
        _("Attendance"),
        _("Hours"),
        _("Signed up on"),
        _("Children coming along"),
    ]
    rows = (
        [
            s["centre"],
            s["activity"],
            s["category"],
            _when(s["starts_at"]),
            _when(s["ends_at"]),
            label(s["status"]),
            label(s["attendance"]),
            _num(s["hours"]),
            _when(s["signed_up_at"]),
            s["children_coming_along"],
        ]
        for s in data["signups"]
    )
    return _csv(header, rows)


def _profile_csv(data: dict) -> bytes:
    account, profile = data["account"], data["profile"]
    days = get_locale().days["format"]["wide"]
    windows = ", ".join(
        f"{days[WEEKDAYS.index(w['weekday'])]} {w['start']}–{w['end']}"
        for w in profile["time_windows"]
    )
    rows = [
        [_("Name"), account["name"]],
        [_("E-mail"), account["email"]],
        [_("Phone"), PhoneNumber(account["phone"] or "")],
        [_("Preferred language"), account["language"]],
        [_("Account created on"), _when(account["created_at"])],
        [_("Last login"), _when(account["last_login_at"])],
        [_("Open to anything"), _yes_no(profile["open_to_anything"])],
        [_("Interests"), ", ".join(profile["interests"])],
        [_("Times"), windows],
        [_("Centres"), ", ".join(profile["centres"])],
        [_("At most per week"), profile["max_per_week"]],
        [_("At most per month"), profile["max_per_month"]],
        [_("Languages"), ", ".join(profile["languages"])],
        [_("Reminder (hours before)"), profile["reminder_hours_before"]],
        [_("Weekly e-mail with suggestions since"), _when(profile["weekly_suggestions_since"])],
    ]
    return _csv([_("Item"), _("Value")], rows)


def _consents_csv(data: dict, label: Callable[[str | None], str]) -> bytes:
    header = [_("Consent"), _("Status"), _("Version"), _("Given on"), _("Withdrawn on"), _("Note")]
    rows = (
        [
            label(c["kind"]),
            label(c["status"]),
            c["version"] or "",
            _when(c["given_at"]),
            _when(c["withdrawn_at"]),
            c["detail"],
        ]
        for c in data["consents"]
    )
    return _csv(header, rows)


def _checks_csv(data: dict) -> bytes:
    header = [_("Record"), _("Centre"), _("Date"), _("Inspected on"), _("Result")]
    checks = data["checks"]
    rows = [
        [
            _("Extended police certificate"),
            c["centre"],
            c["certificate_date"],
            c["inspected_on"],
            _("eligible") if c["eligible"] else _("not eligible"),
        ]
        for c in checks["police_certificates"]
    ] + [
        [_("Measles protection"), m["centre"], m["shown_on"], "", _yes_no(m["protected"])]
        for m in checks["measles"]
    ]
    return _csv(header, rows)


def _feed_links_csv(data: dict, label: Callable[[str | None], str]) -> bytes:
    header = [
        _("Calendar"),
        _("Centre"),
        _("Created on"),
        _("Switched off on"),
        _("Reminder (minutes before)"),
    ]
    rows = (
        [
            label(f["kind"]),
            f["centre"] or "",
            _when(f["created_at"]),
            _when(f["switched_off_at"]),
            f["reminder_minutes_before"] if f["reminder_minutes_before"] is not None else "",
        ]
        for f in data["feed_links"]
    )
    return _csv(header, rows)


def _api_tokens_csv(data: dict, label: Callable[[str | None], str]) -> bytes:
    header = [
        _("Name"),
        _("Kind"),
        _("Start of the token"),
        _("Permissions"),
        _("Centre or operator"),
        _("Created on"),
        _("Last used"),
        _("Valid until"),
        _("Revoked on"),
    ]
    rows = (
        [
            t["name"],
            label(f"token_{t['kind']}"),
            t["prefix"],
            " ".join(t["scopes"]),
            t["centre"] or t["operator"] or "",
            _when(t["created_at"]),
            _when(t["last_used_at"]),
            _when(t["expires_at"]),
            _when(t["revoked_at"]),
        ]
        for t in data["api_tokens"]
    )
    return _csv(header, rows)


def _certificates_csv(data: dict, label: Callable[[str | None], str]) -> bytes:
    header = [
        _("Centre"),
        _("From"),
        _("To"),
        _("Status"),
        _("Requested on"),
        _("Signed on"),
        _("Signed by"),
        _("Hours"),
        _("Dates"),
    ]
    rows = (
        [
            c["centre"],
            c["period_start"],
            c["period_end"],
            label(c["status"]),
            _when(c["requested_at"]),
            c["signed_on"] or "",
            c["signed_by"] or "",
            _num(c["total_hours"]),
            c["dates"] if c["dates"] is not None else "",
        ]
        for c in data["volunteering_certificates"]
    )
    return _csv(header, rows)


def _allowances_csv(data: dict) -> bytes:
    header = [
        _("Paid on"),
        _("Operator"),
        _("Centre"),
        _("Kind of allowance"),
        _("Amount in euro"),
        _("Note"),
        _("Reference"),
        _("Cancelled on"),
    ]
    kinds = {
        "ehrenamt": _("Volunteer allowance (Ehrenamtspauschale)"),
        "uebungsleiter": _("Trainer allowance (Übungsleiterpauschale)"),
    }
    rows = (
        [
            a["paid_on"],
            a["operator"],
            a["centre"],
            kinds.get(a["kind"], a["kind"]),
            format_decimal(Decimal(a["amount_eur"]), format="0.00"),
            a["note"],
            a["reference"],
            _when(a["cancelled_at"]),
        ]
        for a in data["allowances"]
    )
    return _csv(header, rows)


def _wishes_csv(data: dict) -> bytes:
    header = [_("Centre"), _("Title"), _("Description"), _("Answer of the centre"), _("Written on")]
    rows = (
        [w["centre"], w["title"], w["description"], w["answer"], _when(w["written_at"])]
        for w in data["wishes"]
    )
    return _csv(header, rows)


def _audit_csv(data: dict) -> bytes:
    header = [
        _("Date"),
        _("Centre"),
        _("What"),
        _("About you"),
        _("Done by"),
        _("Activity"),
        _("Start"),
        _("Detail"),
    ]
    rows = (
        [
            _when(a["at"]),
            a["centre"],
            a["action"],
            _yes_no(a["about_you"]),
            _("you") if a["by"] == "you" else (a["by"] or ""),
            a["activity"] or "",
            _when(a["slot_starts_at"]),
            a["detail"],
        ]
        for a in data["audit"]
    )
    return _csv(header, rows)


def _mails_csv(data: dict, label: Callable[[str | None], str]) -> bytes:
    header = [_("Date"), _("Subject"), _("Status"), _("Sent on"), _("Text")]
    rows = (
        [
            _when(m["created_at"]),
            m["subject"],
            label(m["status"]),
            _when(m["sent_at"]),
            m["body"] or "",
        ]
        for m in data["mails"]
    )
    return _csv(header, rows)


def _readme(generated_at: dt.datetime, files: list[str]) -> bytes:
    lines = [
        _("Your data at ThEKiZ Ehrenamt, as of %(when)s.", when=_when(generated_at.isoformat())),
        "",
        _(
            "data.json holds everything in one machine-readable file (for moving to another"
            " service). The CSV files open in a spreadsheet such as Excel or LibreOffice."
        ),
        _("Times are German time (Europe/Berlin); in data.json they are UTC."),
        "",
        *files,
        "",
        _("Questions about your data: see the privacy notice on the website."),
    ]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def build_archive(data: dict, *, generated_at: dt.datetime, service_url: str) -> bytes:
    """The ZIP with ``data.json``, the CSV files and a short read-me (naive UTC ``generated_at``)."""
    labels = _labels()

    def label(code: str | None) -> str:
        return "" if code is None else labels.get(code, code)

    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "generated_at": generated_at.replace(microsecond=0).isoformat() + "Z",
        "service": service_url,
        **{key: data[key] for key in SECTIONS},
    }
    files = {
        "signups.csv": _signups_csv(data, label),
        "profile.csv": _profile_csv(data),
        "consents.csv": _consents_csv(data, label),
        "checks.csv": _checks_csv(data),
        "feed_links.csv": _feed_links_csv(data, label),
        "api_tokens.csv": _api_tokens_csv(data, label),
        "volunteering_certificates.csv": _certificates_csv(data, label),
        "allowances.csv": _allowances_csv(data),
        "wishes.csv": _wishes_csv(data),
        "audit.csv": _audit_csv(data),
        "mails.csv": _mails_csv(data, label),
    }
    buffer = io.BytesIO()
    stamp = to_berlin(generated_at).timetuple()[:6]
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:

        def add(name: str, content: bytes) -> None:
            archive.writestr(zipfile.ZipInfo(name, date_time=stamp), content, zipfile.ZIP_DEFLATED)

        add("README.txt", _readme(generated_at, ["data.json", *files]))
        add("data.json", json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8"))
        for name, content in files.items():
            add(name, content)
    return buffer.getvalue()
