"""State changes for centres: details, web addresses, closing days and accepting invitations."""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
import unicodedata
from dataclasses import dataclass

import peewee as pw
from flask import current_app
from flask_babel import gettext as _

from volunteer_app.accounts.models import Consent, User
from volunteer_app.accounts.passwords import hash_password
from volunteer_app.activities import slots
from volunteer_app.centres import queries
from volunteer_app.centres.models import (
    CENTRE_FIELDS,
    Centre,
    CentreMembership,
    ClosingDay,
    Invitation,
)
from volunteer_app.common.errors import Conflict, DomainError, InvalidToken, NotAllowed, NotFound
from volunteer_app.common.kept import FILTER_CHOICES, forget
from volunteer_app.db import utcnow, write_transaction
from volunteer_app.rooms import services as rooms

log = logging.getLogger(__name__)

# Room for a "-NN" suffix within the column's 80 characters.
SLUG_BASE_LENGTH = 70
CLOSING_DAYS_AHEAD = 5 * 366
_GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ẞ": "ss"})


def slugify(text: str) -> str:
    """A web address from a centre's name: German transliteration, lower case, hyphens."""
    text = unicodedata.normalize("NFC", text).lower().translate(_GERMAN)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return text[:SLUG_BASE_LENGTH].rstrip("-") or "zentrum"


def unique_slug(base: str, exclude_id: int | None = None) -> str:
    """``base``, or ``base-2``, ``base-3`` … whichever no other centre uses yet."""
    query = Centre.select(Centre.slug).where(
        (Centre.slug == base) | Centre.slug.startswith(base + "-")
    )
    if exclude_id is not None:
        query = query.where(Centre.id != exclude_id)
    taken = {c.slug for c in query}
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def require_admin(actor: User) -> None:
    """Refuse anyone but an admin (views check first; this keeps services safe to call)."""
    if not actor.is_admin:
        raise NotAllowed(_("Only administrators may do this."))


def _require_manager(actor: User, centre: Centre) -> None:
    if not queries.can_manage(actor, centre):
        raise NotAllowed(_("You may not change this centre."))


def _slug_taken() -> Conflict:
    return Conflict(_("Another centre already uses this web address."), field="slug")


def create_centre(data: dict, *, actor: User) -> Centre:
    """A new centre (admins only). An empty ``slug`` is derived from the name and numbered
    if taken; a chosen one that is taken is refused."""
    require_admin(actor)
    fields = {k: data.get(k) or "" for k in CENTRE_FIELDS}
    chosen = data.get("slug") or ""
    for _attempt in range(3):
        try:
            with write_transaction():
                slug = chosen or unique_slug(slugify(fields["name"]))
                centre = Centre.create(**fields, slug=slug, operator=data.get("operator_id"))
        except pw.IntegrityError as exc:
            # A concurrent create took the derived slug (PostgreSQL); try the next number.
            if chosen:
                raise _slug_taken() from exc
            continue
        forget(FILTER_CHOICES)
        log.info("centre %s created by user %s", centre.id, actor.id)
        return centre
    raise Conflict(_("The centre could not be saved. Please try again."))


def update_centre(centre: Centre, data: dict, *, actor: User) -> Centre:
    """Change the given details of a centre; the operator and web address only as an admin.
    An empty ``slug`` is derived from the name again."""
    _require_manager(actor, centre)
    admin_only = {"operator_id", "slug"} & data.keys()
    if admin_only and not actor.is_admin:
        raise NotAllowed(_("Only administrators may change the operator or web address."))
    changes = {k: data[k] or "" for k in CENTRE_FIELDS if k in data}
    if "operator_id" in data:
        changes["operator"] = data["operator_id"] or None
    if "slug" in data:
        name = changes.get("name") or centre.name
        changes["slug"] = data["slug"] or unique_slug(slugify(name), centre.id)
    if not changes:
        return centre
    try:
        with write_transaction():
            Centre.update(**changes).where(Centre.id == centre.id).execute()
    except pw.IntegrityError as exc:
        raise _slug_taken() from exc
    forget(FILTER_CHOICES)
    log.info("centre %s updated by user %s", centre.id, actor.id)
    return queries.centre_by_slug(changes.get("slug", centre.slug))


# --- Closing days and closures -------------------------------------------------------------

MAX_CLOSURE_DAYS = 92  # a summer closure of three weeks fits many times over
REMOVE_SCOPES = ("day", "range")


@dataclass
class ClosurePlan:
    """A closure checked but not saved: the days it adds, those closed already, and the
    slots and room bookings it would cancel."""

    first: dt.date
    last: dt.date
    reason: str
    days: list[dt.date]  # to be closed
    already: list[dt.date]  # closed already (left as they are)
    impact: queries.ClosureImpact

    @property
    def is_single(self) -> bool:
        return self.first == self.last


@dataclass
class ClosureResult:
    first: dt.date
    last: dt.date
    days: int  # closing days added
    slots: int = 0  # slots cancelled
    told: int = 0  # sign-ups ended (each person told by mail)
    bookings: int = 0  # room bookings cancelled


def _closure_days(
    centre: Centre, first: dt.date, last: dt.date | None
) -> tuple[dt.date, list[dt.date], list[dt.date]]:
    """Check a closure from ``first`` to ``last`` (one day if None): the last day, the days
    to close and those closed already."""
    today = queries.today()
    last = last or first
    if first < today:
        raise DomainError(_("This date has passed. Please choose today or a later day."), "day")
    if last > today + dt.timedelta(days=CLOSING_DAYS_AHEAD):
        raise DomainError(
            _("Please choose a day within the next five years."),
            "day" if first == last else "until",
        )
    if last < first:
        raise DomainError(_("The last day must not be before the first day."), "until")
    length = (last - first).days + 1
    if length > MAX_CLOSURE_DAYS:
        raise DomainError(
            _(
                "A closure can last at most %(num)d days. Please enter a longer one in parts.",
                num=MAX_CLOSURE_DAYS,
            ),
            "until",
        )
    closed = {c.day for c in queries.closing_days_between(centre.id, first, last)}
    every = [first + dt.timedelta(days=n) for n in range(length)]
    days = [d for d in every if d not in closed]
    if not days:
        raise Conflict(
            _("This day is already marked as closed.")
            if length == 1
            else _("These days are already marked as closed."),
            field="day",
        )
    return last, days, [d for d in every if d in closed]


def plan_closure(
    centre: Centre,
    *,
    actor: User,
    first: dt.date,
    last: dt.date | None = None,
    reason: str = "",
    now: dt.datetime | None = None,
) -> ClosurePlan:
    """Check a closure without saving it: which days it closes and what it would cancel
    (the preview the coordinator confirms)."""
    _require_manager(actor, centre)
    reason = slots.cancel_reason(reason)
    last, days, already = _closure_days(centre, first, last)
    impact = queries.closure_impact(centre.id, days, now or utcnow())
    return ClosurePlan(first, last, reason, days, already, impact)


def add_closure(
    centre: Centre,
    *,
    actor: User,
    first: dt.date,
    last: dt.date | None = None,
    reason: str = "",
    cancel: bool = False,
    cancel_bookings: bool = False,
    now: dt.datetime | None = None,
) -> ClosureResult:
    """Close the centre from ``first`` to ``last`` (one day if None; days closed already
    stay as they are): one ``ClosingDay`` per day with the same reason.

    Slots on those days that have not started are cancelled through the slots' service
    (``cancel=True``; the reason goes to the volunteers and families), room bookings then
    too with ``cancel_bookings=True``. Without ``cancel``, a closure that would cancel
    anything is refused (Conflict): the coordinator has not seen the preview."""
    _require_manager(actor, centre)
    now = now or utcnow()
    reason = slots.cancel_reason(reason)
    with write_transaction():
        last, days, _already = _closure_days(centre, first, last)
        ClosingDay.insert_many(
            [{"centre": centre.id, "day": d, "reason": reason} for d in days]
        ).on_conflict_ignore().execute()
        impact = queries.closure_impact(centre.id, days, now)
        if not cancel and not impact.is_empty:
            raise Conflict(
                _(
                    "Dates or room bookings exist on these days. Please check them and "
                    "confirm the closure again."
                )
            )
        result = ClosureResult(first, last, len(days))
        if impact.slots:
            done = slots.cancel_slots(
                centre, [line.slot.id for line in impact.slots], actor=actor, reason=reason, now=now
            )
            result.slots, result.told = done.slots, done.told
        if cancel_bookings:
            for booking in impact.bookings:
                try:
                    result.bookings += rooms.cancel_booking(
                        centre, booking.id, "one", actor=actor, now=now
                    )
                except Conflict:
                    continue  # cancelled by someone else meanwhile (nothing was changed)
    log.info(
        "centre %s closed %s to %s by user %s (%d days, %d slots, %d bookings cancelled)",
        centre.id,
        first,
        last,
        actor.id,
        result.days,
        result.slots,
        result.bookings,
    )
    return result


def remove_closing_day(centre: Centre, day_id: int, *, actor: User, scope: str = "day") -> int:
    """Remove a closing day of this centre (never one of another centre), or with
    ``scope="range"`` every day of the closure it belongs to (consecutive days with the same
    reason). Slots cancelled for it stay cancelled. Returns how many days were removed."""
    _require_manager(actor, centre)
    if scope not in REMOVE_SCOPES:
        raise DomainError(_("Please choose what to remove."))
    with write_transaction():
        closing = ClosingDay.get_or_none(
            (ClosingDay.id == day_id) & (ClosingDay.centre == centre.id)
        )
        if closing is None:
            raise NotFound(_("This closing day does not exist (any more)."))
        ids = [closing.id]
        if scope == "range":
            # The range as the edit page shows it: upcoming days only (past ones are history).
            upcoming = queries.closing_days_between(
                centre.id, queries.today(), queries.today() + dt.timedelta(days=CLOSING_DAYS_AHEAD)
            )
            ids += [
                c.id
                for r in queries.closure_ranges(upcoming)
                if r.first <= closing.day <= r.last
                for c in r.days
            ]
        deleted = (
            ClosingDay.delete()
            .where(ClosingDay.id.in_(sorted(set(ids))) & (ClosingDay.centre == centre.id))
            .execute()
        )
    log.info(
        "%d closing days (day %s, %s) removed from centre %s by user %s",
        deleted,
        day_id,
        scope,
        centre.id,
        actor.id,
    )
    return deleted


# --- Invitations ------------------------------------------------------------------------


def check_invitation(invitation: Invitation | None, now: dt.datetime | None = None) -> Invitation:
    """The invitation if its link may still be used, else ``InvalidToken`` saying why."""
    now = now or utcnow()
    if invitation is None:
        raise InvalidToken(_("This invitation link is not valid. Please check the address."))
    if invitation.withdrawn_at is not None:
        raise InvalidToken(_("This invitation has been withdrawn."))
    if invitation.accepted_at is not None:
        raise InvalidToken(_("This invitation has already been accepted."))
    if invitation.is_expired(now):
        raise InvalidToken(_("This invitation has expired. Please ask for a new one."))
    return invitation


def _claim(token: str, now: dt.datetime) -> Invitation:
    """Use up the invitation: one conditional update whose row count decides, so that two
    requests with the same link never both succeed."""
    invitation = check_invitation(queries.invitation_by_token(token), now)
    claimed = (
        Invitation.update(accepted_at=now)
        .where(
            (Invitation.id == invitation.id)
            & (Invitation.token_hash == invitation.token_hash)
            & Invitation.is_open()
            & (Invitation.expires_at > now)
        )
        .execute()
    )
    if claimed != 1:
        raise InvalidToken(_("This invitation has already been accepted."))
    return invitation


def accept_invitation_new_account(token: str, *, name: str, password: str, locale: str) -> User:
    """Create the invited coordinator's account, membership and privacy consent at once."""
    password_hash = hash_password(password)  # slow on purpose: outside the write lock
    now = utcnow()
    try:
        with write_transaction():
            invitation = _claim(token, now)
            if User.select().where(User.email == invitation.email).exists():
                raise Conflict(_("An account with this e-mail address exists. Please log in."))
            user = User.create(
                email=invitation.email,
                name=name,
                password_hash=password_hash,
                role="coordinator",
                locale=locale,
                email_confirmed_at=now,
                session_token=secrets.token_hex(16),
                created_at=now,
            )
            Consent.create(
                user=user,
                kind="privacy",
                version=current_app.config["PRIVACY_NOTICE_VERSION"],
                given_at=now,
            )
            CentreMembership.create(user=user, centre=invitation.centre_id, created_at=now)
    except pw.IntegrityError as exc:
        # The same address registered in the same moment: nothing of ours was written.
        raise Conflict(_("An account with this e-mail address exists. Please log in.")) from exc
    log.info("invitation %s accepted by new user %s", invitation.id, user.id)
    return user


def accept_invitation(token: str, *, actor: User) -> Centre:
    """The logged-in invitee joins the centre; a volunteer becomes a coordinator."""
    now = utcnow()
    with write_transaction():
        invitation = _claim(token, now)
        if invitation.email != actor.email.lower():
            # Raised inside the transaction: the claim above is rolled back.
            raise NotAllowed(_("This invitation was sent to a different e-mail address."))
        # Already a member: the invitation is used up, no second membership appears.
        CentreMembership.insert(
            user=actor.id, centre=invitation.centre_id, created_at=now
        ).on_conflict_ignore().execute()
        User.update(role="coordinator").where(
            (User.id == actor.id) & (User.role == "volunteer")
        ).execute()
    log.info("invitation %s accepted by user %s", invitation.id, actor.id)
    return invitation.centre
