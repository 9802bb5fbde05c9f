"""Importing a centre's lists, and the invitations of the people on them.

Nothing is written before the coordinator confirms: the uploaded table travels between the
mapping, the preview and the confirmation as a signed, compressed token (``seal``), bound to
the centre, so that no half-finished import lies in the database. Confirming checks every
row again and writes all good rows in one transaction, or none.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import peewee as pw
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from volunteer_app.accounts.models import User
from volunteer_app.activities import schedules
from volunteer_app.activities import services as activity_services
from volunteer_app.activities.models import Activity, Slot
from volunteer_app.activities.services import require_manager
from volunteer_app.centres.models import Centre
from volunteer_app.common.errors import Conflict, DomainError, NotFound
from volunteer_app.common.security import new_token
from volunteer_app.common.urls import external_url
from volunteer_app.db import utcnow, write_transaction
from volunteer_app.imports import queries
from volunteer_app.imports.checks import KINDS, Checked, check_table, mapping_problem
from volunteer_app.imports.files import FileProblem, Table, read_table
from volunteer_app.imports.models import ImportInvitation
from volunteer_app.notifications.services import queue_mail

log = logging.getLogger(__name__)

# How long the uploaded table may wait between upload and confirmation.
SEAL_MAX_AGE = 2 * 3600
# Werkzeug keeps at most 500 kB of form fields; the sealed table must fit into that.
SEAL_MAX_CHARS = 450_000


@dataclass(frozen=True)
class Upload:
    """The uploaded table, where it belongs, and the language of the invitation mails."""

    centre_id: int
    kind: str
    table: Table
    locale: str = "de"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="imports.table")


def read_upload(centre: Centre, kind: str, data: bytes, filename: str, locale: str) -> Upload:
    """The file as a table, or ``DomainError`` naming the problem (field ``file``)."""
    if kind not in KINDS:
        raise DomainError(_("Please choose what the file holds."), "kind")
    if locale not in current_app.config["LANGUAGES"]:
        locale = current_app.config["BABEL_DEFAULT_LOCALE"]
    limit = current_app.config["IMPORT_MAX_BYTES"]
    if len(data) > limit:
        raise DomainError(
            _("The file is larger than %(size)d kB. Please split it.", size=limit // 1000), "file"
        )
    try:
        table = read_table(data, filename, max_rows=current_app.config["IMPORT_MAX_ROWS"])
    except FileProblem as exc:
        raise DomainError(exc.message, "file") from exc
    return Upload(centre.id, kind, table, locale)


def seal(upload: Upload) -> str:
    """The upload as a signed token for the next form (compressed; at most 450 kB)."""
    token = _serializer().dumps(
        {
            "c": upload.centre_id,
            "k": upload.kind,
            "l": upload.locale,
            "h": upload.table.header,
            "r": upload.table.rows,
        }
    )
    if len(token) > SEAL_MAX_CHARS:
        raise DomainError(_("The file holds too much text. Please split it into parts."), "file")
    return token


def unseal(token: str, centre: Centre) -> Upload:
    """The upload sealed for this centre; ``DomainError`` if it was changed, is for another
    centre or waited too long."""
    try:
        data = _serializer().loads(token or "", max_age=SEAL_MAX_AGE)
    except SignatureExpired as exc:
        raise DomainError(_("The upload has expired. Please upload the file again.")) from exc
    except BadSignature as exc:
        raise DomainError(_("The upload is not valid. Please upload the file again.")) from exc
    if not isinstance(data, dict) or data.get("c") != centre.id or data.get("k") not in KINDS:
        raise DomainError(_("The upload is not valid. Please upload the file again."))
    return Upload(centre.id, data["k"], Table(data["h"], data["r"]), data.get("l") or "de")


def check_upload(centre: Centre, upload: Upload, mapping: list[str]) -> Checked:
    """Every row checked under ``mapping`` (a problem with the mapping: ``DomainError``)."""
    if len(mapping) != len(upload.table.header):
        raise DomainError(_("Please choose a field for each column."))
    problem = mapping_problem(upload.kind, mapping)
    if problem:
        raise DomainError(problem)
    return check_table(upload.kind, upload.table, mapping, queries.known(centre, upload.kind))


@dataclass(frozen=True)
class ImportResult:
    written: int  # people invited, or dates and activities created
    skipped: int  # rows with problems, not imported
    activities: int = 0
    dates: int = 0


def confirm_import(centre: Centre, token: str, mapping: list[str], *, actor: User) -> ImportResult:
    """Check the sealed upload again and write every good row in one transaction (or none)."""
    require_manager(actor, centre)
    upload = unseal(token, centre)
    checked = check_upload(centre, upload, mapping)
    if not checked.good:
        raise DomainError(_("No row can be imported. Please correct the file and upload it again."))
    if upload.kind == "volunteers":
        return _invite(centre, checked, upload.locale, actor)
    return _import_activities(centre, checked, actor)


def _invite(centre: Centre, checked: Checked, locale: str, actor: User) -> ImportResult:
    now = utcnow()
    expires = now + dt.timedelta(days=current_app.config["IMPORT_INVITATION_DAYS"])
    try:
        with write_transaction():
            for row in checked.good:
                token, token_hash = new_token()
                ImportInvitation.create(
                    centre=centre.id,
                    email=row.values["email"],
                    name=row.values["name"],
                    invited_by=actor.id,
                    token_hash=token_hash,
                    created_at=now,
                    expires_at=expires,
                )
                queue_mail(
                    row.values["email"],
                    "import_invitation",
                    locale=locale,
                    name=row.values["name"],
                    centre=centre,
                    link=external_url("imports.accept", token=token, lang=locale),
                    expires_at=expires,
                )
    except pw.IntegrityError as exc:
        # Invited by somebody else in the same moment: nothing of this import was written.
        raise Conflict(
            _("Some of these people were invited at the same moment. Please check again.")
        ) from exc
    log.info(
        "%d volunteers invited to centre %s from a list by user %s",
        len(checked.good),
        centre.id,
        actor.id,
    )
    return ImportResult(written=len(checked.good), skipped=len(checked.bad))


def _import_activities(centre: Centre, checked: Checked, actor: User) -> ImportResult:
    created: dict[str, Activity] = {}
    activities = dates = 0
    with write_transaction():
        for row in checked.good:
            v = row.values
            try:
                activity = _activity_of(centre, v, created, actor)
                if v["date"] is None:
                    continue
                result = schedules.add_schedule(
                    activity,
                    {
                        "recurrence": "once",
                        "start_date": v["date"],
                        "start_time": v["start"],
                        "end_time": v["end"],
                    },
                    actor=actor,
                )
            except DomainError as exc:
                # Raised inside the transaction: nothing of the import stays.
                raise DomainError(
                    _(
                        "Row %(row)d: %(problem)s Nothing was imported.",
                        row=row.number,
                        problem=exc.message,
                    )
                ) from exc
            dates += 1
            if v["capacity"] and v["capacity"] != activity.volunteers_needed:
                Slot.update(capacity=v["capacity"], detached=True).where(
                    Slot.series == result.series.id
                ).execute()
        activities = len(created)
    log.info(
        "%d activities and %d dates imported into centre %s by user %s",
        activities,
        dates,
        centre.id,
        actor.id,
    )
    return ImportResult(
        written=activities + dates,
        skipped=len(checked.bad),
        activities=activities,
        dates=dates,
    )


def _activity_of(centre: Centre, v: dict, created: dict, actor: User) -> Activity:
    """The existing activity of the row, the one an earlier row created, or a new one."""
    if v["activity_id"]:
        return Activity.get_by_id(v["activity_id"])
    key = v["title"].casefold()
    if key not in created:
        created[key] = activity_services.create_activity(
            centre,
            {
                "title": v["title"],
                "place": v["place"],
                "description": v["description"],
                "category_id": v["category_id"],
                "responsible_id": actor.id,
                "signup_mode": "open",
                "is_public": True,
                "cancel_deadline_hours": 24,
                "volunteers_needed": v["capacity"] or 2,
            },
            actor=actor,
        )
    return created[key]


def withdraw_invitation(centre: Centre, invitation_id: int, *, actor: User) -> None:
    """A coordinator withdraws an invitation: the name and address are deleted at once."""
    require_manager(actor, centre)
    with write_transaction():
        deleted = (
            ImportInvitation.delete()
            .where((ImportInvitation.id == invitation_id) & (ImportInvitation.centre == centre.id))
            .execute()
        )
    if not deleted:
        raise NotFound(_("This invitation does not exist (any more)."))
    log.info("import invitation %s withdrawn by user %s", invitation_id, actor.id)


def delete_expired_invitations(now: dt.datetime) -> int:
    """Retention: delete invitations (name and address) whose link has expired."""
    with write_transaction():
        return ImportInvitation.delete().where(ImportInvitation.expires_at <= now).execute()
