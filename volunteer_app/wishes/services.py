"""State changes of wishes: suggest, support, approve or reject, answer, realise as an
activity, delete.

Families need no account: a wish carries no name, and an e-mail address only together with
the moment the wisher consented to its storage. Supports are counted once per browser: the
browser keeps a random id in a cookie, the database only its hash (unique per wish).

Turning a wish into an activity marks it planned; it is realised once the activity has a
date (the slot creation in ``activities.schedules`` calls ``realise_planned_wishes``).

Public input is moderated: a new wish is public only once a coordinator approved it
(``approved_at``), unless its centre publishes new wishes at once
(``Centre.wishes_need_approval``). A rejected wish is deleted, after its reason was mailed
to the wisher if they left an address. Answering or realising a wish approves it too.
"""

from __future__ import annotations

import datetime as dt
import logging

import peewee as pw
from flask import current_app
from flask_babel import gettext as _

from volunteer_app.accounts.models import User
from volunteer_app.activities import services as activity_services
from volunteer_app.activities.models import Activity, Slot
from volunteer_app.centres.models import Centre
from volunteer_app.centres.queries import can_manage
from volunteer_app.common.errors import Conflict, DomainError, NotAllowed, NotFound
from volunteer_app.common.forms import has_control_characters
from volunteer_app.common.urls import external_url
from volunteer_app.db import utcnow, write_transaction
from volunteer_app.notifications.services import queue_mail
from volunteer_app.wishes.models import (
    ANSWER_MAX,
    DESCRIPTION_MAX,
    OPEN_STATUSES,
    STATUSES,
    TITLE_MAX,
    Wish,
    WishSupport,
)

log = logging.getLogger(__name__)

# After these answers nothing more is sent, so the address is deleted once the mail is queued.
FINAL_STATUSES = ("realised", "declined")


class DuplicateWish(Conflict):
    """The same wish exists already: ``wish`` is the one to support instead."""

    def __init__(self, message: str, wish: Wish):
        super().__init__(message, "title")
        self.wish = wish


def _require_manager(actor: User, centre: Centre) -> None:
    if actor is None or not can_manage(actor, centre):
        raise NotAllowed(_("You may not answer the wishes of this centre."))


def _clean(data: dict, name: str, limit: int, required: bool = False) -> str:
    value = (data.get(name) or "").strip()
    if required and not value:
        raise DomainError(_("Please fill in this field."), name)
    if len(value) > limit:
        raise DomainError(_("Please use at most %(max)d characters.", max=limit), name)
    if has_control_characters(value):
        raise DomainError(_("Please remove invisible control characters."), name)
    return value


def _folded(title: str) -> str:
    return " ".join(title.casefold().split())


def _same_title(centre: Centre, title: str, *, other_than: int | None = None) -> Wish | None:
    """A public open wish of the centre with the same title (ignoring case and spacing)."""
    folded = _folded(title)
    candidates = Wish.select(Wish.id, Wish.title).where(
        (Wish.centre == centre.id)
        & Wish.status.in_(OPEN_STATUSES)
        & Wish.approved_at.is_null(False)
        & (pw.fn.LOWER(Wish.title) == title.lower())
        & (Wish.id != (other_than or 0))
    )
    return next((w for w in candidates if _folded(w.title) == folded), None)


def suggest_wish(centre: Centre, data: dict, *, browser_hash: str, locale: str = "de") -> Wish:
    """A new wish of the centre, supported by the browser that suggested it: public at once
    if the centre wants it so, else awaiting a coordinator's approval (``is_pending``).

    The e-mail address is kept only with ``consent`` true; without it the address is
    dropped (the form refuses that combination before, with a message)."""
    title = _clean(data, "title", TITLE_MAX, required=True)
    description = _clean(data, "description", DESCRIPTION_MAX)
    email = _clean(data, "email", 254) if data.get("consent") else ""
    if email and ("@" not in email or any(c.isspace() for c in email)):
        raise DomainError(_("Please enter a valid e-mail address, like name@example.org."), "email")
    with write_transaction():
        existing = _same_title(centre, title)
        if existing is not None:
            raise DuplicateWish(
                _("This wish has been suggested already: please support it in the list."),
                existing,
            )
        now = utcnow()
        wish = Wish.create(
            centre=centre.id,
            title=title,
            description=description,
            email=email or None,
            email_consent_at=now if email else None,
            locale=locale if locale in current_app.config["LANGUAGES"] else "de",
            support_count=1,
            approved_at=None if centre.wishes_need_approval else now,
            created_at=now,
            updated_at=now,
        )
        WishSupport.create(wish=wish.id, browser_hash=browser_hash, created_at=now)
    log.info("wish %s suggested for centre %s", wish.id, centre.id)
    return wish


def support_wish(centre: Centre, wish_id: int, *, browser_hash: str) -> bool:
    """Count the browser's support once: True if counted now, False if it had supported
    the wish before. Only public open wishes (new or planned) can be supported."""
    with write_transaction():
        wish = Wish.get_or_none(
            (Wish.id == wish_id) & (Wish.centre == centre.id) & Wish.approved_at.is_null(False)
        )
        if wish is None:
            raise NotFound(_("This wish does not exist (any more)."))
        if not wish.is_open:
            raise Conflict(_("This wish has been answered already and needs no more support."))
        try:
            with write_transaction():  # a savepoint: the unique index decides
                WishSupport.create(wish=wish.id, browser_hash=browser_hash)
        except pw.IntegrityError:
            return False
        Wish.update(support_count=Wish.support_count + 1).where(Wish.id == wish.id).execute()
    return True


def _activity_of(centre: Centre, activity_id) -> Activity:
    activity = Activity.get_or_none((Activity.id == activity_id) & (Activity.centre == centre.id))
    if activity is None:
        raise DomainError(_("Please choose the activity that realises the wish."), "activity_id")
    return activity


def _has_a_date(activity: Activity) -> bool:
    """A wish is realised once its activity has a date (a scheduled slot), else planned."""
    return (
        Slot.select(Slot.id)
        .where((Slot.activity == activity.id) & (Slot.status == "scheduled"))
        .exists()
    )


def _notify(wish: Wish, centre: Centre, activity: Activity | None) -> None:
    """Mail the answer to the wisher, in their language (inside the caller's transaction);
    after a final answer the address is deleted."""
    if not wish.email:
        return
    queue_mail(
        wish.email,
        "wish_answer",
        locale=wish.locale,
        wish=wish,
        centre=centre,
        activity=activity,
        # Also written by the nightly job (no request): the anchor is added by hand.
        link=external_url("wishes.centre_wishes", slug=centre.slug) + f"#wish-{wish.id}",
    )
    if wish.status in FINAL_STATUSES:
        Wish.update(email=None, email_consent_at=None).where(Wish.id == wish.id).execute()
        wish.email = None


def _apply_answer(wish: Wish, centre: Centre, status: str, answer: str, activity, actor) -> bool:
    """Write status, answer and activity (inside the caller's transaction); mail the wisher
    when something they can see changed. Returns whether anything changed."""
    changed = (
        status != wish.status
        or answer != wish.answer
        or (activity.id if activity else None) != wish.activity_id
    )
    if not changed:
        return False
    now = utcnow()
    fields = {
        "status": status,
        "answer": answer,
        "activity": activity.id if activity else None,
        "updated_at": now,
        "answered_at": now,
        "answered_by": actor.id,
        "realised_at": (wish.realised_at or now) if status == "realised" else None,
        # A public answer publishes the wish it answers.
        "approved_at": wish.approved_at or now,
    }
    Wish.update(**fields).where(Wish.id == wish.id).execute()
    for name, value in fields.items():
        setattr(wish, name, value)
    _notify(wish, centre, activity)
    return True


def answer_wish(wish: Wish, data: dict, *, actor: User) -> bool:
    """Set the status (realised needs one of the centre's activities, and counts only once
    that activity has a date: without one the wish is planned with it) and the public
    answer; the wisher is told by mail when they left an address. Returns whether anything
    changed."""
    centre = wish.centre
    _require_manager(actor, centre)
    status = data.get("status")
    if status not in STATUSES:
        raise DomainError(_("Please choose one of the options."), "status")
    answer = _clean(data, "answer", ANSWER_MAX)
    activity = None
    if status == "realised" or (status == "planned" and data.get("activity_id")):
        activity = _activity_of(centre, data.get("activity_id"))
    with write_transaction():
        current = Wish.get_or_none((Wish.id == wish.id) & (Wish.centre == centre.id))
        if current is None:
            raise NotFound(_("This wish does not exist (any more)."))
        if activity is not None:
            # Realised only once the activity has a date; until then planned.
            status = "realised" if _has_a_date(activity) else "planned"
        current.centre = centre
        changed = _apply_answer(current, centre, status, answer, activity, actor)
    wish.status, wish.activity_id, wish.email = current.status, current.activity_id, current.email
    log.info("wish %s answered (%s) by user %s", wish.id, status, actor.id)
    return changed


def realise_wish(wish: Wish, activity_data: dict, answer: str = "", *, actor: User) -> Activity:
    """Create the activity from the activity form's data and mark the wish planned by it,
    in one transaction: if the activity cannot be created, nothing is written. The wish
    counts as realised once the activity has its first date (``realise_planned_wishes``)."""
    centre = wish.centre
    _require_manager(actor, centre)
    answer = _clean({"answer": answer}, "answer", ANSWER_MAX)
    with write_transaction():
        current = Wish.get_or_none((Wish.id == wish.id) & (Wish.centre == centre.id))
        if current is None:
            raise NotFound(_("This wish does not exist (any more)."))
        if current.activity_id:
            raise Conflict(_("This wish has an activity already."))
        activity = activity_services.create_activity(centre, activity_data, actor=actor)
        _apply_answer(current, centre, "planned", answer or current.answer, activity, actor)
    log.info("wish %s planned as activity %s by user %s", wish.id, activity.id, actor.id)
    return activity


def realise_planned_wishes(activity_id: int, now: dt.datetime) -> int:
    """The activity has got a date: its planned wishes are realised now, and wishers who
    left an address are told (then it is deleted). Inside the caller's transaction (the one
    creating the slots); returns how many wishes were realised."""
    wishes = list(
        Wish.select(Wish, Centre)
        .join(Centre, on=(Wish.centre == Centre.id))
        .where((Wish.activity == activity_id) & (Wish.status == "planned"))
        .order_by(Wish.id)
    )
    if not wishes:
        return 0
    Wish.update(status="realised", realised_at=now, updated_at=now).where(
        Wish.id.in_([w.id for w in wishes]) & (Wish.status == "planned")
    ).execute()
    activity = Activity.get_by_id(activity_id)
    for wish in wishes:
        wish.status, wish.realised_at = "realised", now
        _notify(wish, wish.centre, activity)
    log.info(
        "%d planned wish(es) of activity %s realised by its first date", len(wishes), activity_id
    )
    return len(wishes)


def delete_wish(wish: Wish, *, actor: User) -> None:
    """Remove a wish (spam, insults) with its supports; nobody is told."""
    _require_manager(actor, wish.centre)
    with write_transaction():
        deleted = (
            Wish.delete().where((Wish.id == wish.id) & (Wish.centre == wish.centre_id)).execute()
        )
    if not deleted:
        raise NotFound(_("This wish does not exist (any more)."))
    log.info("wish %s deleted by user %s", wish.id, actor.id)


# --- Moderation ----------------------------------------------------------------------------


def set_wish_approval(centre: Centre, need_approval: bool, *, actor: User) -> bool:
    """Whether the centre's new wishes wait for approval (True) or are public at once.
    Wishes waiting already keep waiting. Returns whether the setting changed."""
    _require_manager(actor, centre)
    with write_transaction():
        changed = (
            Centre.update(wishes_need_approval=bool(need_approval))
            .where((Centre.id == centre.id) & (Centre.wishes_need_approval != bool(need_approval)))
            .execute()
        )
    centre.wishes_need_approval = bool(need_approval)
    if changed:
        log.info(
            "wishes of centre %s %s by user %s",
            centre.id,
            "need approval" if need_approval else "are published at once",
            actor.id,
        )
    return bool(changed)


def approve_wish(wish: Wish, *, actor: User) -> bool:
    """Show a waiting wish publicly. Returns False if it was public already; refuses it
    when the same wish is on the public list (reject it with a hint to support that one)."""
    centre = wish.centre
    _require_manager(actor, centre)
    with write_transaction():
        current = Wish.get_or_none((Wish.id == wish.id) & (Wish.centre == centre.id))
        if current is None:
            raise NotFound(_("This wish does not exist (any more)."))
        if current.approved_at is not None:
            return False
        if current.is_open and _same_title(centre, current.title, other_than=current.id):
            raise Conflict(
                _(
                    "The same wish is on the public list already. Please reject this one; "
                    "your reason can invite the family to support the other one."
                )
            )
        now = utcnow()
        approved = (
            Wish.update(approved_at=now, updated_at=now)
            .where((Wish.id == wish.id) & Wish.approved_at.is_null())
            .execute()
        )
    if approved:
        wish.approved_at = now
        log.info("wish %s approved by user %s", wish.id, actor.id)
    return bool(approved)


def reject_wish(wish: Wish, reason: str = "", *, actor: User) -> bool:
    """Refuse a waiting wish: the reason is mailed to the wisher if they left an address,
    then the wish is deleted with its supports and address. A public wish is not rejected
    but answered or deleted. Returns whether a mail was queued."""
    centre = wish.centre
    _require_manager(actor, centre)
    reason = _clean({"reason": reason}, "reason", ANSWER_MAX)
    with write_transaction():
        current = Wish.get_or_none((Wish.id == wish.id) & (Wish.centre == centre.id))
        if current is None:
            raise NotFound(_("This wish does not exist (any more)."))
        if current.approved_at is not None:
            raise Conflict(_("This wish is public already: answer it, or delete it if it is spam."))
        mailed = bool(current.email)
        if mailed:
            queue_mail(
                current.email,
                "wish_rejected",
                locale=current.locale,
                wish=current,
                centre=centre,
                reason=reason,
                link=external_url("wishes.centre_wishes", slug=centre.slug),
            )
        Wish.delete().where(Wish.id == current.id).execute()
    log.info("wish %s rejected by user %s (mail: %s)", wish.id, actor.id, mailed)
    return mailed
