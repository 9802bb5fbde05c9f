"""Stand-ins for one slot short of people: who could step in, asking them, their answers.

For one slot the matching engine lists everyone who may take it, best first
(``matching.candidates`` on the problem of the slot's centre and day: the same rules,
limits and earlier no's as a matching run). The coordinator asks the best one, three or
all of them with one click; each request is mailed with a single-use link and shown in the
app ("Suits you"). Seats are only ever taken through the booking service
(``signups.services.assign``), whose conditional update under the slot's lock decides: the
first to accept gets the place, and once the slot is full every other open request becomes
"taken" and its person is told. A no is remembered: that person is neither asked nor
proposed for the slot again (``problem.py`` reads declined requests).

Reads (``standin_page``, ``open_requests``, ``request_by_token``) and state changes
(``ask``, ``answer``, ``mark_cant_come_handled``) of this one subject live here; each change
owns its transaction and takes the acting user.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import peewee as pw
from flask_babel import gettext as _

from volunteer_app import matching
from volunteer_app.accounts.models import User
from volunteer_app.activities.models import Activity, Category, Slot
from volunteer_app.activities.queries import join_activity, slots_with_activity
from volunteer_app.audit import services as audit
from volunteer_app.centres.models import Centre
from volunteer_app.centres.queries import can_manage, coordinators_of
from volunteer_app.common.errors import Conflict, DomainError, NotAllowed, NotFound
from volunteer_app.common.security import hash_token, new_token
from volunteer_app.common.time import to_berlin
from volunteer_app.common.urls import external_url
from volunteer_app.db import is_sqlite, utcnow, write_transaction
from volunteer_app.notifications.services import queue_mail
from volunteer_app.proposals.explain import reason_dicts
from volunteer_app.proposals.models import Proposal, StandinRequest
from volunteer_app.proposals.problem import build_problem
from volunteer_app.signups import services as booking
from volunteer_app.signups.models import ACTIVE, CantCome, Signup

#: How many of the best candidates each button asks (None: all of them).
ASK_HOW = {"one": 1, "three": 3, "all": None}
#: Requests that keep their person off the candidate list of the slot.
SETTLED = ("asked", "accepted", "declined")


# --- Reads ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Answer:
    outcome: str  # "accepted" | "declined" | "refused"
    message: str


@dataclasses.dataclass(frozen=True)
class Candidate:
    """A person who could step in, with the engine's reasons and when this centre last
    asked them (a stand-in request or a matching invitation; None: never)."""

    person: User
    reasons: list[dict]
    last_asked: dt.datetime | None


@dataclasses.dataclass
class StandinPage:
    """Everything the "Who could step in?" page shows for one slot."""

    slot: Slot
    funnel: list | None  # None: the slot is past, cancelled or needs nobody
    candidates: list[Candidate]
    requests: list[StandinRequest]  # each with ``volunteer``; open ones first
    notices: list[CantCome]  # open "I can't come" messages of the slot, with the person

    @property
    def is_open(self) -> bool:
        """Whether the slot still needs somebody and may be booked."""
        return is_open(self.slot)

    @property
    def waiting(self) -> int:
        """Requests not answered yet."""
        return sum(1 for r in self.requests if r.status == "asked")


def is_open(slot: Slot) -> bool:
    return slot.status == "scheduled" and slot.starts_at > utcnow() and slot.taken < slot.capacity


def _ranked(slot: Slot) -> tuple[list | None, list[tuple[int, list]]]:
    """The slot's funnel and the engine's candidates for it, best first (a fixed number of
    queries: the problem of the slot's centre and day)."""
    centre_id = slot.activity.centre_id
    day = to_berlin(slot.starts_at).date()
    built = build_problem([centre_id], day, day)
    if slot.id not in built.slot_rows:
        return None, []
    problem = built.for_centre(centre_id)
    funnel = [list(step) for step in matching.funnel(problem, slot.id)]
    return funnel, matching.candidates(problem, slot.id)


def _requests_of(slot_id: int) -> list[StandinRequest]:
    """The slot's requests with their person: open first, then the latest answers (one query)."""
    open_first = pw.Case(None, [(StandinRequest.status == "asked", 0)], 1)
    return list(
        StandinRequest.select(StandinRequest, User)
        .join(User, on=(StandinRequest.volunteer == User.id))
        .where(StandinRequest.slot == slot_id)
        .order_by(open_first, StandinRequest.asked_at.desc(), User.name, StandinRequest.id)
    )


def _askable(slot_id: int, ranked, requests: list[StandinRequest]) -> list[tuple[int, list]]:
    """The engine's candidates without people already asked (or who said no) and people
    already on the slot's lists (one query)."""
    settled = {r.volunteer_id for r in requests if r.status in SETTLED}
    on_slot = {
        s.volunteer_id
        for s in Signup.select(Signup.volunteer).where(
            (Signup.slot == slot_id) & Signup.status.in_(ACTIVE)
        )
    }
    left_out = settled | on_slot
    return [(vid, reasons) for vid, reasons in ranked if vid not in left_out]


def _last_asked(centre_id: int, ids: list[int]) -> dict[int, dt.datetime]:
    """When the centre last asked each person: a stand-in request or an invitation (two
    queries for all)."""
    if not ids:
        return {}
    found: dict[int, dt.datetime] = {}
    standins = (
        StandinRequest.select(StandinRequest.volunteer, pw.fn.MAX(StandinRequest.asked_at))
        .join(Slot, on=(StandinRequest.slot == Slot.id))
        .join(Activity, on=(Slot.activity == Activity.id))
        .where(StandinRequest.volunteer.in_(ids) & (Activity.centre == centre_id))
        .group_by(StandinRequest.volunteer)
        .tuples()
    )
    invitations = (
        Proposal.select(Proposal.volunteer, pw.fn.MAX(Proposal.invited_at))
        .join(Slot, on=(Proposal.slot == Slot.id))
        .join(Activity, on=(Slot.activity == Activity.id))
        .where(
            Proposal.volunteer.in_(ids)
            & (Activity.centre == centre_id)
            & Proposal.invited_at.is_null(False)
        )
        .group_by(Proposal.volunteer)
        .tuples()
    )
    for volunteer_id, when in [*standins, *invitations]:
        when = _as_datetime(when)
        if when is not None and (volunteer_id not in found or when > found[volunteer_id]):
            found[volunteer_id] = when
    return found


def _as_datetime(value) -> dt.datetime | None:
    """MAX() of a timestamp: SQLite gives the stored text back."""
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))


def open_notices(slot_id: int) -> list[CantCome]:
    """The slot's "I can't come" messages nobody has dealt with yet, with the person."""
    return list(
        CantCome.select(CantCome, Signup, User)
        .join(Signup, on=(CantCome.signup == Signup.id))
        .join(User, on=(Signup.volunteer == User.id))
        .where((Signup.slot == slot_id) & CantCome.handled_at.is_null())
        .order_by(CantCome.created_at, CantCome.id)
    )


def standin_page(slot: Slot) -> StandinPage:
    """The slot's funnel, who could step in (best first, with reasons and when last asked),
    the requests made so far and open "I can't come" messages (a fixed number of queries,
    however many people there are). ``slot`` comes with activity, category and centre."""
    funnel, ranked = _ranked(slot)
    requests = _requests_of(slot.id)
    candidates: list[Candidate] = []
    if is_open(slot):
        askable = _askable(slot.id, ranked, requests)
        ids = [vid for vid, _reasons in askable]
        people = (
            {u.id: u for u in User.select(User.id, User.name).where(User.id.in_(ids))}
            if ids
            else {}
        )
        asked = _last_asked(slot.activity.centre_id, ids)
        candidates = [
            Candidate(people[vid], reason_dicts(reasons), asked.get(vid))
            for vid, reasons in askable
            if vid in people
        ]
    return StandinPage(slot, funnel, candidates, requests, open_notices(slot.id))


def _request_select():
    asker = User.alias()
    return (
        join_activity(
            StandinRequest.select(
                StandinRequest, Slot, Activity, Category, Centre, User, asker
            ).join(Slot, on=(StandinRequest.slot == Slot.id))
        )
        .switch(StandinRequest)
        .join(User, on=(StandinRequest.volunteer == User.id))
        .switch(StandinRequest)
        .join(asker, pw.JOIN.LEFT_OUTER, on=(StandinRequest.asked_by == asker.id))
    )


def request_by_token(token: str) -> StandinRequest | None:
    """The request a link points to (whatever its state), fully joined."""
    if not token or len(token) > 200:
        return None
    return _request_select().where(StandinRequest.token_hash == hash_token(token)).first()


def open_requests(user) -> list[StandinRequest]:
    """The person's requests still to answer, for dates not started that still need
    somebody, soonest first (one query)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(
        _request_select()
        .where(
            (StandinRequest.volunteer == user.id)
            & (StandinRequest.status == "asked")
            & (Slot.status == "scheduled")
            & (Slot.starts_at > utcnow())
            & (Slot.taken < Slot.capacity)
        )
        .order_by(Slot.starts_at, StandinRequest.id)
    )


# --- Asking ---------------------------------------------------------------------------------


def _locked_slot(slot_id: int) -> Slot:
    """The slot with activity, category and centre; locked on PostgreSQL, so that two
    coordinators asking for the same slot at once take turns."""
    query = slots_with_activity().where(Slot.id == slot_id)
    if not is_sqlite():
        query = query.for_update(of=Slot)
    slot = query.first()
    if slot is None:
        raise NotFound(_("This slot does not exist."))
    return slot


def _check_open(slot: Slot) -> None:
    if slot.status != "scheduled":
        raise Conflict(_("This slot has been cancelled."))
    if slot.starts_at <= utcnow():
        raise Conflict(_("This slot has already started."))
    if slot.taken >= slot.capacity:
        raise Conflict(_("This slot has all the volunteers it needs."))


def ask(
    slot_id: int, how: str, *, actor: User, volunteer_id: int | None = None
) -> list[StandinRequest]:
    """Ask the best one, three or all of the slot's candidates (``how``: "one", "three",
    "all"), or one of them (``how="person"`` with ``volunteer_id``), to step in.

    Each person gets a mail with a single-use link (in their language) and sees the request
    in the app; each request is in the audit log. The slot's open "I can't come" messages
    count as dealt with. Returns the requests made, best first."""
    if how not in (*ASK_HOW, "person"):
        raise DomainError(_("Please choose whom to ask."))
    with write_transaction():
        slot = _locked_slot(slot_id)
        centre = slot.activity.centre
        if not can_manage(actor, centre):
            raise NotAllowed(_("Only the coordinators of this centre may do this."))
        _check_open(slot)
        requests = _requests_of(slot.id)
        askable = _askable(slot.id, _ranked(slot)[1], requests)
        if how == "person":
            chosen = [c for c in askable if c[0] == volunteer_id]
            if not chosen:
                raise Conflict(
                    _("This person cannot be asked for this slot (any more). Please reload.")
                )
        else:
            limit = ASK_HOW[how]
            chosen = askable if limit is None else askable[:limit]
        if not chosen:
            raise Conflict(_("Nobody who fits is left to ask for this slot."))
        people = {u.id: u for u in User.select().where(User.id.in_([c[0] for c in chosen]))}
        earlier = {r.volunteer_id: r for r in requests}
        now = utcnow()
        made = []
        for vid, reasons in chosen:
            person = people[vid]
            token, token_hash = new_token()
            fields = {
                "status": "asked",
                "reasons": reason_dicts(reasons),
                "token_hash": token_hash,
                "asked_at": now,
                "asked_by": actor.id,
                "answered_at": None,
                "signup": None,
            }
            request = earlier.get(vid)
            if request is None:
                request = StandinRequest.create(slot=slot.id, volunteer=vid, **fields)
            else:  # asked before, but the place was taken or the date lapsed: ask again
                _set_status(request, expect=("taken", "lapsed"), **fields)
            request.volunteer = person
            queue_mail(
                person.email,
                "standin_request",
                locale=person.locale,
                user=person,
                slot=slot,
                activity=slot.activity,
                centre=centre,
                actor=actor,
                reasons=fields["reasons"],
                link=external_url("proposals.answer_standin", token=token),
            )
            audit.record(
                centre.id,
                actor,
                "proposal.invited",
                subject=vid,
                slot_id=slot.id,
                detail="stand-in",
            )
            made.append(request)
        _handle_notices(slot.id, actor, now)
    return made


def _handle_notices(slot_id: int, actor: User, now: dt.datetime) -> int:
    mine = Signup.select(Signup.id).where(Signup.slot == slot_id)
    return (
        CantCome.update(handled_at=now, handled_by=actor.id)
        .where(CantCome.signup.in_(mine) & CantCome.handled_at.is_null())
        .execute()
    )


def mark_cant_come_handled(centre: Centre, notice_id: int, *, actor: User) -> None:
    """A coordinator has dealt with an "I can't come" message: the desk stops listing it.
    Doing it twice changes nothing."""
    with write_transaction():
        if not can_manage(actor, centre):
            raise NotAllowed(_("Only the coordinators of this centre may do this."))
        found = (
            CantCome.select(CantCome.id)
            .join(Signup, on=(CantCome.signup == Signup.id))
            .join(Slot, on=(Signup.slot == Slot.id))
            .join(Activity, on=(Slot.activity == Activity.id))
            .where((CantCome.id == notice_id) & (Activity.centre == centre.id))
            .exists()
        )
        if not found:
            raise NotFound(_("This message does not exist."))
        CantCome.update(handled_at=utcnow(), handled_by=actor.id).where(
            (CantCome.id == notice_id) & CantCome.handled_at.is_null()
        ).execute()


# --- The volunteer's answer -----------------------------------------------------------------


def _set_status(request: StandinRequest, expect: tuple[str, ...] = ("asked",), **fields) -> None:
    """Change a request still in one of the ``expect``-ed states (else: changed meanwhile)."""
    changed = (
        StandinRequest.update(**fields)
        .where((StandinRequest.id == request.id) & StandinRequest.status.in_(expect))
        .execute()
    )
    if not changed:
        raise Conflict(_("This request has already been answered. Please reload the page."))
    for name, value in fields.items():
        setattr(request, name, value)


def _answered_message(status: str) -> str:
    if status == "accepted":
        return _("You have already said yes. Thank you!")
    if status == "declined":
        return _("You have already said no to this request.")
    if status == "taken":
        return _taken_message()
    return _("This request is no longer open.")


def _taken_message() -> str:
    return _(
        "Somebody else has already said yes, so the place has been taken. Thank you all the same!"
    )


def _booking_actor(request: StandinRequest, centre: Centre) -> User | None:
    """Who signs the volunteer up on accepting: the coordinator who asked, or (if they no
    longer coordinate the centre) another coordinator of it."""
    asker = request.asked_by
    if asker is not None and asker.is_active and can_manage(asker, centre):
        return asker
    return next((c for c in coordinators_of(centre) if c.is_active), None)


def answer(request_id: int, accept: bool, *, actor: User | None = None) -> Answer:
    """Accept (a confirmed sign-up through the booking service) or decline a request.

    ``actor``: the logged-in volunteer answering in the app (must be the person asked);
    None when the answer comes through the link (the token is the proof). The first to
    accept gets the place; once the slot is full, the other open requests of it are
    "taken" and their people told by mail. A slot that is full, cancelled or started by now
    ends the request; an overlap or a missing certificate is explained and it stays open."""
    with write_transaction():
        request = _request_select().where(StandinRequest.id == request_id).first()
        if request is None or (actor is not None and request.volunteer_id != actor.id):
            raise NotFound(_("We could not find this request."))
        if request.status != "asked":
            raise Conflict(_answered_message(request.status))
        slot, volunteer = request.slot, request.volunteer
        centre = slot.activity.centre
        now = utcnow()
        if not accept:
            _set_status(request, status="declined", answered_at=now)
            _tell_asker_if_nobody_left(request)
            return Answer(
                "declined",
                _("Thank you for letting us know. We will not ask you for this date again."),
            )
        booker = _booking_actor(request, centre)
        if booker is None:
            _set_status(request, status="lapsed", answered_at=now)
            return Answer(
                "refused", _("This request is no longer valid. Please contact the centre.")
            )
        try:
            signup = booking.assign(slot.id, volunteer.id, actor=booker, invited=True)
        except booking.AlreadySignedUp:
            signup = None
        except booking.SlotFull:
            # Somebody else was quicker; their answer may already have said so.
            _set_status(request, expect=("asked", "taken"), status="taken", answered_at=now)
            return Answer("refused", _taken_message())
        except (booking.SlotCancelled, booking.SlotStarted) as exc:
            _set_status(request, status="lapsed", answered_at=now)
            if isinstance(exc, booking.SlotCancelled):
                return Answer("refused", _("Sorry, this date has been cancelled."))
            return Answer("refused", _("This date has already started, so the request has lapsed."))
        except booking.OverlapError:
            return Answer(
                "refused",
                _(
                    "You already have another date at that time. If you would rather take this "
                    "one, please cancel the other date first; the request stays open until "
                    "the place is taken."
                ),
            )
        except booking.CertificateRequired:
            return Answer(
                "refused",
                _(
                    "This date is with children and needs an extended police certificate that "
                    "%(centre)s has seen and that is valid on that day. Please talk to the centre.",
                    centre=centre.name,
                ),
            )
        _set_status(
            request, status="accepted", answered_at=now, signup=signup.id if signup else None
        )
        _close_if_full(slot, now)
        _tell_asker(request, accepted=True)
    return Answer("accepted", _("You are signed up. Thank you! We have sent you a confirmation."))


def _close_if_full(slot: Slot, now: dt.datetime) -> list[StandinRequest]:
    """Once the slot is full, its other open requests are "taken"; each person is told."""
    taken, capacity = (
        Slot.select(Slot.taken, Slot.capacity).where(Slot.id == slot.id).tuples().first()
    )
    if taken < capacity:
        return []
    others = list(
        StandinRequest.select(StandinRequest, User)
        .join(User, on=(StandinRequest.volunteer == User.id))
        .where((StandinRequest.slot == slot.id) & (StandinRequest.status == "asked"))
        .order_by(StandinRequest.id)
    )
    if others:
        StandinRequest.update(status="taken", answered_at=now).where(
            StandinRequest.id.in_([r.id for r in others]) & (StandinRequest.status == "asked")
        ).execute()
    for other in others:
        person = other.volunteer
        queue_mail(
            person.email,
            "standin_taken",
            locale=person.locale,
            user=person,
            slot=slot,
            activity=slot.activity,
            centre=slot.activity.centre,
            link=external_url("signups.browse"),
        )
    return others


def tell_inviter(inviter: User | None, volunteer: User, slot: Slot, *, accepted: bool) -> None:
    """Mail whoever asked ``volunteer`` to take ``slot`` (an invitation or a stand-in request)
    the answer, if that person still has an active account."""
    if inviter is None or not inviter.is_active:
        return
    queue_mail(
        inviter.email,
        "match_answered",
        locale=inviter.locale,
        user=inviter,
        volunteer=volunteer,
        accepted=accepted,
        slot=slot,
        activity=slot.activity,
        centre=slot.activity.centre,
        link=external_url("coordination.roster", slot_id=slot.id),
    )


def _tell_asker(request: StandinRequest, *, accepted: bool) -> None:
    tell_inviter(request.asked_by, request.volunteer, request.slot, accepted=accepted)


def _tell_asker_if_nobody_left(request: StandinRequest) -> None:
    """A no is worth a mail when nobody asked for the slot is left to answer and a place is
    still free: the coordinator should ask somebody else."""
    slot = request.slot
    waiting = (
        StandinRequest.select()
        .where((StandinRequest.slot == slot.id) & (StandinRequest.status == "asked"))
        .exists()
    )
    if not waiting and is_open(slot):
        _tell_asker(request, accepted=False)
