""" "Ich kann nicht" and a stand-in (issue 13, part 2): a volunteer says in one step that they
cannot come after the deadline; the coordinators are told by mail and on the desk; the
matching engine lists who could step in on that one slot; asking the best one, three or
all; the first to accept gets the place (also when two accept at the same moment), the
others are told it is taken; a no is remembered. Services on both backends, the pages
through the test client, the engine's ranking against an exhaustive oracle."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import threading

import pytest
from flask_babel import force_locale

from tests.factories_centres import count_queries
from tests.factories_matching import exhaustive_best, key, tiny
from tests.factories_proposals import (
    make_activity,
    make_centre,
    make_coordinator,
    make_signup,
    make_slot,
    make_volunteer,
    next_weekday,
    reload,
    slot_on,
)
from volunteer_app import matching
from volunteer_app.activities.models import Slot
from volunteer_app.audit.models import AuditEntry
from volunteer_app.common.errors import Conflict, NotAllowed, NotFound
from volunteer_app.db import db, utcnow
from volunteer_app.notifications.models import OutboxMessage
from volunteer_app.proposals import standin
from volunteer_app.proposals.models import StandinRequest
from volunteer_app.proposals.problem import build_problem
from volunteer_app.signups import services as booking
from volunteer_app.signups.models import CantCome, Signup

pytestmark = pytest.mark.dates  # slots are placed relative to now


def _mails(address: str) -> list[OutboxMessage]:
    return list(
        OutboxMessage.select().where(OutboxMessage.recipient == address).order_by(OutboxMessage.id)
    )


def _token(message: OutboxMessage) -> str:
    return re.search(r"/einspringen/([A-Za-z0-9_-]+)", message.body_text).group(1)


@dataclasses.dataclass
class World:
    centre: object
    clara: object  # coordinator
    carl: object  # second coordinator of the centre
    other_coordinator: object  # of another centre
    slot: object  # next Tuesday 15:00, two places
    anna: object  # likes reading
    ben: object  # open to anything, reads English
    day: dt.date


@pytest.fixture
def w(app, conn) -> World:
    centre = make_centre(name="Zentrum Linde", slug="linde", contact_phone="+49 361 1")
    clara = make_coordinator(centre, name="Clara Koordinatorin", email="clara@example.org")
    carl = make_coordinator(centre, name="Carl Koordinator", email="carl@example.org", locale="en")
    other = make_coordinator(make_centre(slug="eiche"), name="Otto Fremd", email="otto@example.org")
    activity = make_activity(centre, title="Vorlesestunde", volunteers_needed=2)
    day = next_weekday(1)
    slot = slot_on(activity, day)
    anna = make_volunteer(centre, name="Anna Aurich", email="anna@example.org")
    ben = make_volunteer(
        centre, categories=(), open_to_anything=True, name="Ben Brandt", email="ben@example.org"
    )
    ben.locale = "en"
    ben.save()
    return World(centre, clara, carl, other, slot, anna, ben, day)


# --- "I can't come" -------------------------------------------------------------------------


def _late_slot(w: World, **fields):
    """A slot of the centre in three hours: its 24-hour cancellation deadline has passed."""
    activity = make_activity(w.centre, title="Kuchenbasar", cancel_deadline_hours=24)
    start = utcnow().replace(microsecond=0) + dt.timedelta(hours=3)
    return make_slot(activity, starts_at=start, **fields)


def test_cant_come_frees_the_place_and_tells_every_coordinator_at_once(w):
    slot = _late_slot(w, capacity=1)
    signup = make_signup(slot, w.anna)
    waiting = make_signup(slot, w.ben, status="waitlisted")

    notice = booking.cant_come(signup.id, "  Fieber seit heute Nacht ", actor=w.anna)

    assert reload(signup).status == "cancelled" and reload(signup).hours is None
    assert reload(waiting).status == "confirmed"  # the waiting list moved up at once
    assert reload(slot).taken == 1
    assert reload(notice).reason == "Fieber seit heute Nacht" and notice.handled_at is None
    (to_clara,) = _mails("clara@example.org")
    (to_carl,) = _mails("carl@example.org")
    assert "Anna Aurich" in to_clara.subject and "Kuchenbasar" in to_clara.subject
    assert "Fieber seit heute Nacht" in to_clara.body_text
    assert "Ben Brandt" in to_clara.body_text  # who moved up
    assert f"/termine/{slot.id}/warum-leer" in to_clara.body_text
    assert "cannot come" in to_carl.subject  # each in their own staff language
    assert _mails("otto@example.org") == []
    assert [m.subject for m in _mails("anna@example.org")]  # the usual confirmation
    entry = AuditEntry.get(AuditEntry.action == "signup.cancelled")
    assert "after the deadline" in entry.detail and "Fieber" not in entry.detail


def test_cant_come_is_refused_before_the_deadline_after_the_start_and_for_others(w):
    early = make_slot(make_activity(w.centre), starts_at=utcnow() + dt.timedelta(days=5))
    mine = make_signup(early, w.anna)
    with force_locale("en"), pytest.raises(booking.WrongState, match="still cancel"):
        booking.cant_come(mine.id, actor=w.anna)
    late = _late_slot(w)
    signup = make_signup(late, w.anna)
    with pytest.raises(NotFound):
        booking.cant_come(signup.id, actor=w.ben)
    with force_locale("en"), pytest.raises(booking.InvalidInput) as too_long:
        booking.cant_come(signup.id, "x" * 301, actor=w.anna)
    assert too_long.value.field == "reason"
    started = make_slot(make_activity(w.centre), starts_at=utcnow() - dt.timedelta(minutes=5))
    gone = make_signup(started, w.anna)
    with pytest.raises(booking.SlotStarted):
        booking.cant_come(gone.id, actor=w.anna)
    assert CantCome.select().count() == 0
    assert reload(signup).status == "confirmed" and OutboxMessage.select().count() == 0


def test_cant_come_in_the_browser_and_on_the_desk(w, client, login_as):
    slot = _late_slot(w)
    make_signup(slot, w.anna)
    login_as(w.anna)
    page = client.get(f"/termine/{slot.id}").get_data(as_text=True)
    assert "Ich kann nicht" in page and "Grund (freiwillig)" in page

    too_long = client.post(f"/termine/{slot.id}/kann-nicht", data={"reason": "x" * 301})
    assert too_long.status_code == 200
    assert "höchstens 300 Zeichen" in too_long.get_data(as_text=True)
    assert CantCome.select().count() == 0

    done = client.post(f"/termine/{slot.id}/kann-nicht", data={"reason": "Zug fällt aus"})
    assert done.status_code == 302 and done.location.endswith(f"/termine/{slot.id}")
    assert "Koordination" in client.get(done.location).get_data(as_text=True)
    again = client.post(f"/termine/{slot.id}/kann-nicht", data={"reason": ""})
    assert again.status_code == 302 and CantCome.select().count() == 1

    login_as(w.clara)
    desk = client.get("/zentren/linde/planung").get_data(as_text=True)
    assert "kann nicht kommen" in desk and "Zug fällt aus" in desk and "Anna Aurich" in desk
    notice = CantCome.get()
    login_as(w.other_coordinator)
    assert client.post(f"/zentren/linde/kann-nicht/{notice.id}/erledigt").status_code == 403
    assert client.post(f"/zentren/eiche/kann-nicht/{notice.id}/erledigt").status_code == 404
    assert "Zug fällt aus" not in client.get("/zentren/eiche/planung").get_data(as_text=True)
    login_as(w.clara)
    handled = client.post(f"/zentren/linde/kann-nicht/{notice.id}/erledigt")
    assert handled.status_code == 302 and reload(notice).handled_by_id == w.clara.id
    assert "Zug fällt aus" not in client.get("/zentren/linde/planung").get_data(as_text=True)


# --- Who could step in ------------------------------------------------------------------------


def test_candidates_come_from_the_engine_best_first_with_reasons(w):
    make_volunteer(w.centre, categories=("gardening",), name="Carla Garten")  # no interest
    make_volunteer(w.centre, start="08:00", end="12:00", name="Dora Morgens")  # no time then
    eva = make_volunteer(w.centre, name="Eva Ende")
    make_signup(w.slot, eva, status="waitlisted")  # already on the slot's list
    page = standin.standin_page(reload_slot(w.slot))
    assert [c.person.name for c in page.candidates] == ["Anna Aurich", "Ben Brandt"]
    anna, ben = page.candidates
    assert {r["kind"] for r in anna.reasons} >= {"interest", "window"}
    assert "open" in {r["kind"] for r in ben.reasons}
    assert anna.last_asked is None
    assert page.funnel[0] == ["interest", 4]


def reload_slot(slot) -> Slot:
    from volunteer_app.proposals.queries import slot_with_centre

    return slot_with_centre(slot.id)


def test_asking_the_best_one_then_all_mails_links_and_deals_with_the_message(w):
    late = make_signup(w.slot, make_volunteer(w.centre, name="Fritz Fehlt"), status="cancelled")
    notice = CantCome.create(signup=late, reason="krank")
    (first,) = standin.ask(w.slot.id, "one", actor=w.clara)
    assert first.volunteer_id == w.anna.id and first.status == "asked"
    (mail,) = _mails("anna@example.org")
    assert "Vorlesestunde" in mail.subject and "/einspringen/" in mail.body_text
    assert _token(mail) not in first.token_hash
    assert reload(notice).handled_by_id == w.clara.id
    assert AuditEntry.get(AuditEntry.action == "proposal.invited").detail == "stand-in"

    page = standin.standin_page(reload_slot(w.slot))
    assert [c.person.name for c in page.candidates] == ["Ben Brandt"]
    assert page.waiting == 1
    rest = standin.ask(w.slot.id, "all", actor=w.carl)
    assert [r.volunteer_id for r in rest] == [w.ben.id]
    assert "Could you step in?" in _mails("ben@example.org")[0].subject  # Ben reads English
    with force_locale("en"), pytest.raises(Conflict, match="Nobody who fits"):
        standin.ask(w.slot.id, "three", actor=w.clara)
    assert standin.standin_page(reload_slot(w.slot)).candidates == []


def test_last_asked_shows_the_centres_latest_request(w):
    earlier = slot_on(make_activity(w.centre, title="Vorlesen früher"), w.day, hour=10)
    standin.ask(earlier.id, "person", volunteer_id=w.ben.id, actor=w.clara)
    page = standin.standin_page(reload_slot(w.slot))
    by_name = {c.person.name: c for c in page.candidates}
    assert by_name["Ben Brandt"].last_asked is not None
    assert by_name["Anna Aurich"].last_asked is None


def test_the_first_to_accept_gets_the_place_and_the_others_are_told(w, client):
    w.slot.capacity = 1
    w.slot.save()
    standin.ask(w.slot.id, "all", actor=w.clara)
    anna_token = _token(_mails("anna@example.org")[0])
    ben_token = _token(_mails("ben@example.org")[0])

    page = client.get(f"/einspringen/{anna_token}").get_data(as_text=True)
    assert "Könnten Sie einspringen, Anna?" in page
    accepted = client.post(f"/einspringen/{anna_token}", data={"answer": "accept"})
    assert accepted.status_code == 302
    signup = Signup.get((Signup.slot == w.slot.id) & (Signup.volunteer == w.anna.id))
    assert signup.status == "confirmed" and reload(w.slot).taken == 1
    anna_request = StandinRequest.get(StandinRequest.volunteer == w.anna.id)
    assert anna_request.status == "accepted" and anna_request.signup_id == signup.id
    ben_request = StandinRequest.get(StandinRequest.volunteer == w.ben.id)
    assert ben_request.status == "taken"
    assert "Already taken" in _mails("ben@example.org")[-1].subject
    assert "Anna Aurich" in _mails("clara@example.org")[-1].subject  # the asker is told
    ben_page = client.get(f"/einspringen/{ben_token}").get_data(as_text=True)
    assert "bereits zugesagt" in ben_page and 'value="accept"' not in ben_page
    late = client.post(f"/einspringen/{ben_token}", data={"answer": "accept"})
    assert late.status_code == 302 and reload(w.slot).taken == 1
    assert client.get("/einspringen/not-a-token").status_code == 404
    # A second place: Ben, whose request was "taken", may be asked again, with a new link.
    booking.change_capacity(w.slot.id, 2, actor=w.clara)
    page = standin.standin_page(reload_slot(w.slot))
    assert [c.person.name for c in page.candidates] == ["Ben Brandt"]
    (again,) = standin.ask(w.slot.id, "person", volunteer_id=w.ben.id, actor=w.clara)
    assert again.id == ben_request.id and reload(again).status == "asked"
    new_token = _token(_mails("ben@example.org")[-1])
    assert new_token != ben_token and client.get(f"/einspringen/{ben_token}").status_code == 404
    assert client.post(f"/einspringen/{new_token}", data={"answer": "accept"}).status_code == 302
    assert reload(w.slot).taken == 2 and reload(again).status == "accepted"


def test_a_no_is_remembered_for_the_slot_and_for_matching_runs(w, client, login_as):
    standin.ask(w.slot.id, "one", actor=w.clara)
    request = StandinRequest.get(StandinRequest.volunteer == w.anna.id)
    login_as(w.anna)
    suits_you = client.get("/mein-engagement/passt-zu-ihnen").get_data(as_text=True)
    assert f"/mein-engagement/einspringen/{request.id}" in suits_you
    assert f"/mein-engagement/einspringen/{request.id}" in client.get("/").get_data(as_text=True)
    answered = client.post(f"/mein-engagement/einspringen/{request.id}", data={"answer": "decline"})
    assert answered.status_code == 302 and reload(request).status == "declined"
    # Nobody else was asked and a place is free: the coordinator hears of it.
    assert "Anna Aurich" in _mails("clara@example.org")[-1].subject
    assert [c.person.id for c in standin.standin_page(reload_slot(w.slot)).candidates] == [w.ben.id]
    built = build_problem([w.centre.id], w.day, w.day)
    assert matching.Pair(w.anna.id, w.slot.id) in built.problem.declined
    with force_locale("en"), pytest.raises(Conflict, match="cannot be asked"):
        standin.ask(w.slot.id, "person", volunteer_id=w.anna.id, actor=w.clara)
    # Somebody else's request does not exist for her.
    ben_request = standin.ask(w.slot.id, "one", actor=w.clara)[0]
    assert (
        client.post(
            f"/mein-engagement/einspringen/{ben_request.id}", data={"answer": "accept"}
        ).status_code
        == 404
    )


def test_accept_with_an_overlap_explains_and_stays_open(w):
    standin.ask(w.slot.id, "one", actor=w.clara)
    clash = slot_on(make_activity(make_centre(), title="Gartentag"), w.day, hour=16)
    make_signup(clash, w.anna)
    request = StandinRequest.get(StandinRequest.volunteer == w.anna.id)
    with force_locale("en"):
        answer = standin.answer(request.id, True, actor=w.anna)
    assert answer.outcome == "refused" and "another date at that time" in answer.message
    assert reload(request).status == "asked" and reload(w.slot).taken == 0


def test_another_centres_coordinator_can_neither_see_nor_ask(w, client, login_as):
    with pytest.raises(NotAllowed):
        standin.ask(w.slot.id, "one", actor=w.other_coordinator)
    login_as(w.other_coordinator)
    assert client.get(f"/termine/{w.slot.id}/warum-leer").status_code == 403
    assert client.post(f"/termine/{w.slot.id}/einspringen", data={"how": "all"}).status_code == 403
    assert StandinRequest.select().count() == 0


def test_the_page_asks_with_one_click_and_its_queries_are_pinned(w, client, login_as):
    login_as(w.clara)

    def queries() -> tuple[int, str]:
        with count_queries() as counter:
            response = client.get(f"/termine/{w.slot.id}/warum-leer")
        assert response.status_code == 200
        return counter.count, response.get_data(as_text=True)

    few, page = queries()
    assert "Die passendste Person fragen" in page and "Alle 2 fragen" in page
    for n in range(6):
        make_volunteer(w.centre, name=f"Viele {n}")
    many, page = queries()
    assert page.count('class="proposal"') == 8 and many == few
    asked = client.post(f"/termine/{w.slot.id}/einspringen", data={"how": "three"})
    assert asked.status_code == 302
    assert StandinRequest.select().count() == 3
    bad = client.post(f"/termine/{w.slot.id}/einspringen", data={"how": "everybody"})
    assert bad.status_code == 302 and StandinRequest.select().count() == 3


# --- Two accept at the same moment --------------------------------------------------------------


def test_two_accepting_at_the_same_moment_exactly_one_gets_the_place(app, backend):
    with db.connection_context():
        centre = make_centre()
        clara = make_coordinator(centre)
        slot = slot_on(make_activity(centre, volunteers_needed=1), next_weekday(2))
        people = [make_volunteer(centre) for _ in range(2)]
        with force_locale("en"):
            requests = standin.ask(slot.id, "all", actor=clara)
        ids = [(r.id, r.volunteer_id) for r in requests]
    assert len(ids) == 2

    barrier = threading.Barrier(2)
    answers: list = [None, None]

    def accept(i: int, request_id: int) -> None:
        with app.app_context(), force_locale("en"):
            barrier.wait(timeout=30)
            with db.connection_context():
                try:
                    answers[i] = standin.answer(request_id, True).outcome
                except Conflict as exc:  # the other was quicker and closed this request
                    answers[i] = exc.message

    threads = [threading.Thread(target=accept, args=(i, rid)) for i, (rid, _) in enumerate(ids)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert answers.count("accepted") == 1, answers
    with db.connection_context():
        assert Slot.get_by_id(slot.id).taken == 1
        assert Signup.select().where(Signup.status == "confirmed").count() == 1
        statuses = sorted(r.status for r in StandinRequest.select())
        assert statuses == ["accepted", "taken"]
        winner = StandinRequest.get(StandinRequest.status == "accepted")
        assert Signup.get(Signup.status == "confirmed").volunteer_id == winner.volunteer_id
        assert {p.id for p in people} == {v for _, v in ids}


# --- The engine's ranking for one slot ----------------------------------------------------------


@pytest.mark.parametrize("seed", range(12))
def test_the_first_k_candidates_are_the_optimum_for_k_seats(seed):
    problem = tiny(seed, volunteers=5, slots=4)
    eligible = matching.eligible(problem)
    for slot in problem.slots:
        ranked = [vid for vid, _ in matching.candidates(problem, slot.id)]
        assert sorted(ranked) == eligible[slot.id]
        fixed = tuple(p for p in problem.fixed if p.slot == slot.id)
        one = dataclasses.replace(
            problem,
            slots=(slot,),
            fixed=fixed,
            previous=tuple(p for p in problem.previous if p.slot == slot.id),
            declined=frozenset(p for p in problem.declined if p.slot == slot.id),
        )
        alone = [vid for vid, _ in matching.candidates(one, slot.id)]
        seats = max(0, slot.seats - len(fixed))
        pairs = [matching.Pair(vid, slot.id) for vid in alone[:seats]]
        assert matching.check(one, pairs) == []
        assert key(one, pairs) == exhaustive_best(one)


# --- Privacy: the person's download, and what the retention rule deletes ------------------------


def test_the_download_holds_them_and_retention_deletes_them_after_the_slot(w, conn):
    import json
    import zipfile
    from io import BytesIO

    from volunteer_app.privacy import services as privacy
    from volunteer_app.retention import services as retention

    slot = _late_slot(w)
    booking.cant_come(make_signup(slot, w.anna).id, "krank", actor=w.anna)
    standin.ask(w.slot.id, "one", actor=w.clara)
    download = privacy.build_download(w.anna, actor=w.anna)
    data = json.loads(zipfile.ZipFile(BytesIO(download.content)).read("data.json"))
    (late,) = [s for s in data["signups"] if s["cant_come"]]
    assert late["cant_come"][0]["reason"] == "krank" and late["status"] == "cancelled"
    (asked,) = [p for p in data["proposals"] if p["kind"] == "stand-in"]
    assert asked["status"] == "asked" and asked["activity"] == "Vorlesestunde"

    assert retention.delete_old_standins(utcnow()) == 0
    later = w.slot.ends_at + dt.timedelta(days=91)
    assert retention.delete_old_standins(later) == 2
    assert retention.delete_old_standins(later) == 0
    assert StandinRequest.select().count() == 0 and CantCome.select().count() == 0
    assert Signup.select().count() == 1  # the sign-up itself stays
