"""Who sees whom (issue 10, item 5): a coordinator sees and finds only the volunteers who
chose one of their centres or have a sign-up there; staff of every centre of an operator
see that operator's; admins see everyone. Proven on every surface that names volunteers:
the name search, assignment by a posted id, the checks list and pages, matching proposals,
the CSV exports and the staff feed. A refused action changes nothing in the database.

The world: operator A runs A1 and A2, operator B runs B1 and B2. Five volunteers, all
named "… Sichtmann" so that one search term finds every one of them:

    Alma   chose A1                      Berta  chose B1
    Anton  only a (past) sign-up at A2   Bruno  only a (past) sign-up at B2
    Nora   chose nothing, signed up nowhere
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from tests.factories import make_check, make_operator, make_user
from tests.factories_authz import changed_tables, snapshot
from tests.factories_centres import count_queries, english
from tests.factories_coordination import many_volunteers
from tests.factories_feeds import link_of, private_url
from tests.factories_proposals import (
    make_activity,
    make_centre,
    make_coordinator,
    make_signup,
    make_volunteer,
    next_weekday,
    proposals_of,
    reload,
    slot_on,
)
from volunteer_app.accounts.models import User
from volunteer_app.centres.queries import today
from volunteer_app.checks import services as checks
from volunteer_app.common.errors import NotAllowed, NotFound
from volunteer_app.feeds import services as feeds
from volunteer_app.proposals import queries as proposal_queries
from volunteer_app.proposals import services as proposals
from volunteer_app.signups import services as signups
from volunteer_app.signups.models import Signup
from volunteer_app.volunteers.models import ReachableCentre
from volunteer_app.volunteers.queries import visible_volunteers, volunteer_visible_to

PEOPLE = ("alma", "anton", "berta", "bruno", "nora")
STAFF = ("coord_a1", "staff_a", "coord_b1", "admin")
# Who each actor may see. ``staff_a`` coordinates both of operator A's centres.
VISIBLE = {
    "coord_a1": {"alma"},
    "staff_a": {"alma", "anton"},
    "coord_b1": {"berta"},
    "admin": set(PEOPLE),
    "alma": set(),  # a volunteer sees no one
}
SEARCH = "Sichtmann"


@dataclasses.dataclass
class World:
    a1: object
    a2: object
    b1: object
    b2: object
    coord_a1: User
    staff_a: User
    coord_b1: User
    admin: User
    alma: User
    anton: User
    berta: User
    bruno: User
    nora: User
    day: dt.date
    slot_a1: object  # upcoming, not child-facing, two places
    slot_a2: object
    slot_b1: object

    def person(self, key: str) -> User:
        return getattr(self, key)

    def centre_of(self, actor: str):
        return self.b1 if actor == "coord_b1" else self.a1

    def slot_of(self, actor: str):
        return self.slot_b1 if actor == "coord_b1" else self.slot_a1


@pytest.fixture
def w(conn) -> World:
    op_a, op_b = make_operator(name="Träger Ahorn"), make_operator(name="Träger Birke")
    a1 = make_centre(name="Zentrum A1", slug="a1", operator=op_a)
    a2 = make_centre(name="Zentrum A2", slug="a2", operator=op_a)
    b1 = make_centre(name="Zentrum B1", slug="b1", operator=op_b)
    b2 = make_centre(name="Zentrum B2", slug="b2", operator=op_b)
    day = next_weekday(1)
    slots = {
        c.slug: slot_on(make_activity(c, title=f"Lesen {c.name}", volunteers_needed=2), day)
        for c in (a1, a2, b1)
    }

    def volunteer(first: str, *centres):
        # Everyone has a profile open to anything: only the chosen centres limit matching.
        return make_volunteer(
            *centres,
            open_to_anything=True,
            name=f"{first} {SEARCH}",
            email=f"{first.lower()}@example.org",
        )

    anton, bruno = volunteer("Anton"), volunteer("Bruno")
    for person, centre in ((anton, a2), (bruno, b2)):
        past = slot_on(make_activity(centre), today() - dt.timedelta(days=20))
        make_signup(past, person, attendance="attended", hours=2)
    return World(
        a1=a1,
        a2=a2,
        b1=b1,
        b2=b2,
        coord_a1=make_coordinator(a1, name="Clara Ahorn"),
        staff_a=make_coordinator(a1, a2, name="Sven Ahorn"),
        coord_b1=make_coordinator(b1, name="Bodo Birke"),
        admin=make_user(role="admin", name="Ada Admin"),
        alma=volunteer("Alma", a1),
        anton=anton,
        berta=volunteer("Berta", b1),
        bruno=bruno,
        nora=volunteer("Nora"),
        day=day,
        slot_a1=slots["a1"],
        slot_a2=slots["a2"],
        slot_b1=slots["b1"],
    )


def _keys(w: World, users) -> set[str]:
    ids = {u.id for u in users}
    return {key for key in PEOPLE if w.person(key).id in ids}


def _shown(w: World, body: str) -> set[str]:
    """The people whose name or e-mail address appears on a page."""
    return {key for key in PEOPLE if w.person(key).name in body or w.person(key).email in body}


# --- The rule itself -----------------------------------------------------------------------


@pytest.mark.parametrize("actor", sorted(VISIBLE))
def test_the_rule_names_exactly_who_each_actor_may_see(w, actor):
    user = w.person(actor) if actor in PEOPLE else getattr(w, actor)
    found = User.select().where((User.role == "volunteer") & visible_volunteers(user))
    assert _keys(w, found) == VISIBLE[actor]
    assert {k for k in PEOPLE if volunteer_visible_to(user, w.person(k).id)} == VISIBLE[actor]


def test_a_cancelled_sign_up_still_counts_and_dropping_a_centre_hides_the_person(w):
    # The centre keeps attendance and hours of cancelled and past sign-ups too.
    make_signup(w.slot_a1, w.nora, status="cancelled")
    assert volunteer_visible_to(w.coord_a1, w.nora.id)
    ReachableCentre.delete().where(ReachableCentre.user == w.alma.id).execute()
    assert not volunteer_visible_to(w.coord_a1, w.alma.id)


# --- Name search ---------------------------------------------------------------------------


@pytest.mark.parametrize("actor", STAFF)
def test_the_roster_search_finds_only_visible_volunteers(client, login_as, w, actor):
    login_as(getattr(w, actor))
    response = client.get(f"/termine/{w.slot_of(actor).id}/besetzung", query_string={"q": SEARCH})
    assert response.status_code == 200
    assert _shown(w, response.get_data(as_text=True)) == VISIBLE[actor]


@pytest.mark.parametrize("actor", STAFF)
def test_the_checks_search_finds_only_visible_volunteers(client, login_as, w, actor):
    login_as(getattr(w, actor))
    slug = w.centre_of(actor).slug
    response = client.get(f"/zentren/{slug}/ehrenamtliche", query_string={"q": SEARCH})
    assert response.status_code == 200
    assert _shown(w, response.get_data(as_text=True)) == VISIBLE[actor]


def test_the_search_costs_the_same_queries_for_many_hidden_people(client, login_as, w):
    login_as(w.coord_a1)

    def count() -> int:
        with count_queries() as counter:
            response = client.get(f"/termine/{w.slot_a1.id}/besetzung?q={SEARCH}")
        assert response.status_code == 200
        return counter.count

    few = count()
    many_volunteers(30, prefix=f"Verborgen-{SEARCH}")
    for user_id in many_volunteers(30, prefix=f"Sichtbar-{SEARCH}"):
        ReachableCentre.create(user=user_id, centre=w.a1)
    body = client.get(f"/termine/{w.slot_a1.id}/besetzung?q={SEARCH}").get_data(as_text=True)
    assert "Sichtbar-" in body and "Verborgen-" not in body
    assert count() == few


# --- Assignment by a posted id ---------------------------------------------------------------


@pytest.mark.parametrize("person", ["anton", "berta", "bruno", "nora"])
def test_posting_the_id_of_someone_hidden_is_not_found_and_changes_nothing(
    client, login_as, w, person
):
    login_as(w.coord_a1)
    before = snapshot()
    response = client.post(
        f"/termine/{w.slot_a1.id}/besetzung/zuweisen", data={"volunteer_id": w.person(person).id}
    )
    assert response.status_code == 404
    assert w.person(person).name not in response.get_data(as_text=True)
    assert changed_tables(before, snapshot()) == set()


@pytest.mark.parametrize(("actor", "person"), [("coord_a1", "berta"), ("coord_b1", "alma")])
def test_the_booking_service_itself_refuses_someone_hidden(w, actor, person):
    slot = w.slot_of(actor)
    before = snapshot()
    with pytest.raises(NotFound):
        signups.assign(slot.id, w.person(person).id, actor=getattr(w, actor))
    assert changed_tables(before, snapshot()) == set()


@pytest.mark.parametrize(("actor", "person"), [("coord_a1", "alma"), ("staff_a", "anton")])
def test_visible_people_are_assigned(client, login_as, w, actor, person):
    login_as(getattr(w, actor))
    volunteer = w.person(person)
    response = client.post(
        f"/termine/{w.slot_a1.id}/besetzung/zuweisen", data={"volunteer_id": volunteer.id}
    )
    assert response.status_code == 302
    signup = Signup.get((Signup.slot == w.slot_a1.id) & (Signup.volunteer == volunteer.id))
    assert signup.status == "confirmed" and signup.assigned_by_id == getattr(w, actor).id


def test_an_admin_may_assign_anyone(w):
    signup = signups.assign(w.slot_b1.id, w.nora.id, actor=w.admin)
    assert signup.status == "confirmed"


# --- Checks: list, pages and records ---------------------------------------------------------


def test_the_checks_pages_of_hidden_people_are_not_found(client, login_as, w):
    english(login_as(w.coord_a1))
    base = f"/zentren/{w.a1.slug}/ehrenamtliche"
    assert client.get(f"{base}/{w.alma.id}").status_code == 200
    for person in ("anton", "berta", "bruno", "nora"):
        user_id = w.person(person).id
        for suffix in ("", "/bestaetigung"):
            response = client.get(f"{base}/{user_id}{suffix}")
            assert response.status_code == 404, (person, suffix)
            assert w.person(person).name not in response.get_data(as_text=True)


def test_operator_wide_staff_open_the_checks_of_their_operators_people(client, login_as, w):
    login_as(w.staff_a)
    base = f"/zentren/{w.a1.slug}/ehrenamtliche"
    assert client.get(f"{base}/{w.anton.id}").status_code == 200  # signed up at A2
    assert client.get(f"{base}/{w.berta.id}").status_code == 404  # operator B's


@pytest.mark.parametrize(
    ("suffix", "data"),
    [
        ("fuehrungszeugnis", {"certificate_date": "2020-01-01", "inspected_on": "2020-01-10"}),
        ("masernschutz", {"shown_on": "2021-05-05", "proof_ok": "yes"}),
    ],
)
def test_recording_a_check_of_someone_hidden_changes_nothing(client, login_as, w, suffix, data):
    data = {**data, "eligible": "yes"}
    login_as(w.coord_a1)
    before = snapshot()
    response = client.post(f"/zentren/{w.a1.slug}/ehrenamtliche/{w.berta.id}/{suffix}", data=data)
    assert response.status_code == 404
    assert changed_tables(before, snapshot()) == set()


def test_the_checks_service_itself_refuses_someone_hidden(w):
    before = snapshot()
    with pytest.raises(NotFound):
        checks.record_certificate_check(
            w.a1,
            w.berta.id,
            certificate_date=today() - dt.timedelta(days=20),
            inspected_on=today(),
            eligible=True,
            actor=w.coord_a1,
        )
    with pytest.raises(NotFound):
        checks.record_measles_proof(
            w.a1, w.nora.id, shown_on=today(), proof_ok=True, actor=w.coord_a1
        )
    assert changed_tables(before, snapshot()) == set()
    checks.record_measles_proof(w.a1, w.alma.id, shown_on=today(), proof_ok=True, actor=w.coord_a1)


def test_the_checks_list_leaves_out_records_of_people_no_longer_visible(client, login_as, w):
    # Records made while Nora and Alma could be seen; then both dropped centre A1.
    make_check(w.nora, w.a1)
    make_check(w.alma, w.a1)
    make_signup(w.slot_a1, w.alma, status="cancelled")
    ReachableCentre.delete().where(ReachableCentre.user == w.alma.id).execute()
    login_as(w.coord_a1)
    listing = client.get(f"/zentren/{w.a1.slug}/ehrenamtliche").get_data(as_text=True)
    assert _shown(w, listing) == {"alma"}  # her sign-up keeps her visible
    login_as(w.admin)
    listing = client.get(f"/zentren/{w.a1.slug}/ehrenamtliche").get_data(as_text=True)
    assert _shown(w, listing) == {"alma", "nora"}


# --- Matching proposals ----------------------------------------------------------------------


def _start(w, actor: str, centre, operator_wide: bool = False):
    return reload(
        proposals.start_run(
            centre,
            operator_wide=operator_wide,
            period_from=w.day,
            period_to=w.day,
            actor=getattr(w, actor),
        )
    )


@pytest.mark.parametrize(
    ("actor", "operator_wide", "expected"),
    [("coord_a1", False, {"alma"}), ("staff_a", True, {"alma"}), ("coord_b1", False, {"berta"})],
)
def test_proposals_only_ever_name_visible_volunteers(w, actor, operator_wide, expected):
    run = _start(w, actor, w.centre_of(actor), operator_wide)
    assert run.status == "done"
    proposed = {p.volunteer_id for p in proposals_of(run)}
    candidates = {i for ids in (run.candidates or {}).values() for i in ids}
    assert _keys(w, User.select().where(User.id.in_(list(proposed)))) == expected
    assert _keys(w, User.select().where(User.id.in_(list(candidates)))) <= VISIBLE[actor]
    built = proposal_queries.run_problem(run)
    in_problem = _keys(
        w, User.select().where(User.id.in_([v.id for v in built.problem.volunteers]))
    )
    assert in_problem <= VISIBLE[actor]


@pytest.mark.parametrize("direct", [False, True])
def test_no_invitation_or_assignment_for_someone_who_dropped_the_centre(w, direct):
    run = _start(w, "coord_a1", w.a1)
    [proposal] = proposals_of(run)
    ReachableCentre.delete().where(ReachableCentre.user == w.alma.id).execute()
    before = snapshot()
    result = proposals.confirm_proposals(run, None, direct=direct, actor=w.coord_a1)
    assert (result.invited, result.assigned, len(result.failed)) == (0, 0, 1)
    assert changed_tables(before, snapshot()) == set()
    assert reload(proposal).status == "proposed"


def test_an_invited_person_may_still_accept_after_dropping_the_centre(w):
    run = _start(w, "coord_a1", w.a1)
    [proposal] = proposals_of(run)
    proposals.confirm_proposals(run, None, direct=False, actor=w.coord_a1)
    ReachableCentre.delete().where(ReachableCentre.user == w.alma.id).execute()
    answer = proposals.answer_invitation(proposal.id, True, actor=w.alma)
    assert answer.outcome == "accepted"
    assert Signup.get((Signup.slot == w.slot_a1.id) & (Signup.volunteer == w.alma.id)).status == (
        "confirmed"
    )


def test_the_volunteers_own_suggestions_are_unaffected(w):
    suggested = {s.slot.id for s in proposal_queries.suggestions_for(w.berta, limit=10)}
    assert w.slot_b1.id in suggested and w.slot_a1.id not in suggested


# --- CSV exports -----------------------------------------------------------------------------


def test_the_roster_csv_names_only_people_the_coordinator_may_see(client, login_as, w):
    make_signup(w.slot_a1, w.alma)
    make_signup(w.slot_b1, w.berta)
    login_as(w.coord_a1)
    body = client.get(f"/termine/{w.slot_a1.id}/besetzung.csv").get_data(as_text=True)
    assert _shown(w, body) == {"alma"}
    assert all(volunteer_visible_to(w.coord_a1, w.person(k).id) for k in _shown(w, body))
    assert client.get(f"/termine/{w.slot_b1.id}/besetzung.csv").status_code in (403, 404)


@pytest.mark.parametrize(
    "url",
    [
        lambda w: f"/zentren/{w.a2.slug}/bericht.csv",
        lambda w: f"/traeger/{w.a2.operator_id}/bericht.csv",
    ],
)
def test_report_csvs_carry_figures_and_no_one_by_name(client, login_as, w, url):
    login_as(w.staff_a)
    first = (today() - dt.timedelta(days=60)).isoformat()
    response = client.get(url(w), query_string={"von": first, "bis": today().isoformat()})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert ";2;" in body  # Anton's attended hours at A2 are counted ...
    assert _shown(w, body) == set()  # ... without his name


# --- The staff feed --------------------------------------------------------------------------


def _feed(client, user, centre) -> str:
    _link, token = link_of(user, "staff", centre)
    response = client.get(private_url(token))
    assert response.status_code == 200
    return response.get_data(as_text=True).replace("\r\n ", "")  # unfold long lines


def _first_names(w: World, body: str) -> set[str]:
    return {k for k in PEOPLE if w.person(k).first_name in body}


@pytest.mark.parametrize(
    ("owner", "centre", "expected"),
    [
        ("coord_a1", "a1", {"alma"}),
        ("staff_a", "a2", {"anton", "nora"}),  # Anton's past date is in the feed's window
        ("coord_b1", "b1", {"berta"}),
        ("admin", "b1", {"berta"}),
    ],
)
def test_the_staff_feed_names_only_people_its_owner_may_see(client, w, owner, centre, expected):
    make_signup(w.slot_a1, w.alma)
    make_signup(w.slot_a2, w.nora)  # Nora signs up at A2: now A2's staff may see her
    make_signup(w.slot_b1, w.berta)
    user = getattr(w, owner)
    named = _first_names(w, _feed(client, user, getattr(w, centre)))
    assert named == expected
    assert all(volunteer_visible_to(user, w.person(key).id) for key in named)


def test_no_staff_feed_of_another_centre(w):
    with pytest.raises(NotAllowed):
        feeds.create_link("staff", w.a1, actor=w.coord_b1)
