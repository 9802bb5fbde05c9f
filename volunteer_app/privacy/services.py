"""Privacy for the person: their data as a download, their consents given and withdrawn.

Every function takes the acting user and refuses anyone but the person themself: nobody
downloads, gives or withdraws for someone else. Withdrawing a setting (the weekly e-mail,
reminders, the answer to a wish) switches the feature off and keeps a withdrawn ``Consent``
row as proof of what was agreed, when, and when it ended. Withdrawing the consent to the
privacy notice asks for the account's deletion (``erasure.services.request_deletion``).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _

from volunteer_app.accounts.models import Consent, User
from volunteer_app.common.errors import Conflict, NotAllowed, NotFound
from volunteer_app.common.time import to_berlin
from volunteer_app.common.urls import base_url
from volunteer_app.db import utcnow, write_transaction
from volunteer_app.privacy import export, queries
from volunteer_app.proposals import services as proposals
from volunteer_app.proposals.models import WeeklySuggestions
from volunteer_app.volunteers.models import VolunteerProfile
from volunteer_app.wishes.models import Wish

log = logging.getLogger(__name__)

# The settings a person can withdraw on the consents page (the privacy consent has its own
# service, because withdrawing it deletes the account).
SETTINGS = ("weekly_suggestions", "reminders", "wish_answer")


@dataclass(frozen=True)
class Download:
    filename: str
    content: bytes


def _require_self(user: User, actor: User) -> None:
    if actor is None or actor.id != user.id:
        raise NotAllowed(_("Only the person themself can do this."))


def build_download(user: User, *, actor: User, now: dt.datetime | None = None) -> Download:
    """The ZIP of everything the service holds about ``user`` (Art. 15 and 20 GDPR)."""
    _require_self(user, actor)
    now = now or utcnow()
    data = queries.personal_data(user, now=now)
    content = export.build_archive(data, generated_at=now, service_url=base_url())
    log.info("personal data download for user %s (%d bytes)", user.id, len(content))
    return Download(export.filename(to_berlin(now).date()), content)


# --- The privacy notice --------------------------------------------------------------------


def give_privacy_consent(user: User, *, actor: User) -> Consent | None:
    """Agree to the privacy notice in force; None if that consent is already on record."""
    _require_self(user, actor)
    version = current_app.config["PRIVACY_NOTICE_VERSION"]
    with write_transaction():
        if not queries.privacy_consent_due(user.id, version):
            return None
        return Consent.create(
            user=user.id, kind=queries.PRIVACY, version=version, given_at=utcnow()
        )


def withdraw_privacy_consent(
    user: User, *, actor: User, password: str, code: str | None = None
) -> dt.datetime:
    """Withdraw the consent to the privacy notice: the account is deleted.

    Confirmed like a deletion: the password, and the code of the second factor when the
    person has one (staff always). Returns when the deletion takes effect (signing in before
    then cancels it). Refused (and nothing withdrawn) when the person may not leave yet, e.g.
    as the last coordinator of a centre.
    """
    from volunteer_app.erasure.services import confirm_identity, request_deletion

    _require_self(user, actor)
    confirm_identity(user, password=password or "", code=code)
    with write_transaction():
        Consent.update(withdrawn_at=utcnow()).where(
            (Consent.user == user.id)
            & (Consent.kind == queries.PRIVACY)
            & Consent.withdrawn_at.is_null()
        ).execute()
        return request_deletion(user, actor=actor)


# --- Settings agreed to --------------------------------------------------------------------


def _keep_proof(user: User, kind: str, given_at: dt.datetime | None, now: dt.datetime) -> None:
    """A withdrawn consent row: what was agreed (under which notice), since when, until when."""
    version = queries.notice_version_at(queries.privacy_consents(user.id), given_at)
    Consent.create(
        user=user.id, kind=kind, version=version, given_at=given_at or now, withdrawn_at=now
    )


def withdraw_setting(user: User, kind: str, *, actor: User, ref: int | None = None) -> None:
    """Switch off one thing the person agreed to, and keep the proof of it.

    ``weekly_suggestions``: no more weekly e-mail; ``reminders``: no more reminder mails
    before dates (``reminder_hours`` 0); ``wish_answer``: the address left with wish ``ref``
    is erased, so no answer comes by e-mail.
    """
    _require_self(user, actor)
    if kind not in SETTINGS:
        raise NotFound(_("There is no such consent."))
    now = utcnow()
    with write_transaction():
        if kind == "weekly_suggestions":
            _withdraw_weekly(user, now)
        elif kind == "reminders":
            _withdraw_reminders(user, now)
        else:
            _withdraw_wish_answer(user, ref, now)


def _withdraw_weekly(user: User, now: dt.datetime) -> None:
    row = WeeklySuggestions.get_or_none(WeeklySuggestions.user == user.id)
    if row is None:
        raise Conflict(_("You do not get the weekly e-mail: there is nothing to withdraw."))
    proposals.set_weekly_suggestions(user, False)
    _keep_proof(user, "weekly_suggestions", row.created_at, now)


def _withdraw_reminders(user: User, now: dt.datetime) -> None:
    profile = VolunteerProfile.get_or_none(VolunteerProfile.user == user.id)
    if profile is not None and profile.reminder_hours == 0:
        raise Conflict(_("Reminders are already switched off."))
    if profile is None:
        # Reminders run by default without a saved profile: a profile row records "none".
        VolunteerProfile.create(user=user.id, reminder_hours=0, updated_at=now)
        since = User.get_by_id(user.id).created_at
    else:
        VolunteerProfile.update(reminder_hours=0, updated_at=now).where(
            VolunteerProfile.id == profile.id
        ).execute()
        since = profile.updated_at
    _keep_proof(user, "reminders", since, now)


def _withdraw_wish_answer(user: User, wish_id: int | None, now: dt.datetime) -> None:
    owner = User.get_by_id(user.id)
    wish = None
    if wish_id is not None and owner.email_confirmed_at is not None:
        wish = Wish.get_or_none((Wish.id == wish_id) & (Wish.email == owner.email))
    if wish is None:
        raise NotFound(_("This wish has no answer by e-mail to your address (any more)."))
    Wish.update(email=None, email_consent_at=None, updated_at=now).where(
        Wish.id == wish.id
    ).execute()
    _keep_proof(user, "wish_answer", wish.email_consent_at, now)
