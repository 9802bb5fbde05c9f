"""Run → proposals → confirm → invitation → accept/decline → slot filled; direct assignment;
re-runs; the coordinator's changes. Runs go through the real engine (immediate mode)."""

from __future__ import annotations

import re

import pytest
from flask_babel import force_locale

from tests.factories_proposals import (
    make_activity,
    make_centre,
    make_coordinator,
    make_signup,
    make_volunteer,
    next_weekday,
    pairs_of,
    proposals_of,
    reload,
    slot_on,
)
from volunteer_app.notifications.models import OutboxMessage
from volunteer_app.proposals import services
from volunteer_app.proposals.models import MatchRun, Proposal
from volunteer_app.signups.models import Signup


@pytest.fixture
def world(app, conn):
    centre = make_centre(name="Zentrum Linde", slug="linde")
    coordinator = make_coordinator(centre, name="Clara Koordinatorin")
    activity = make_activity(centre, title="Vorlesestunde", volunteers_needed=2)
    day = next_weekday(1)  # a Tuesday
    slot = slot_on(activity, day)
    anna = make_volunteer(centre, name="Anna Aurich", email="anna@example.org")
    ben = make_volunteer(centre, name="Ben Brandt", email="ben@example.org", locale="en")
    return type(
        "W",
        (),
        dict(
            centre=centre,
            coordinator=coordinator,
            activity=activity,
            slot=slot,
            anna=anna,
            ben=ben,
            day=day,
        ),
    )


def _start(w, **kw):
    return services.start_run(
        w.centre,
        operator_wide=False,
        period_from=kw.pop("period_from", w.day),
        period_to=kw.pop("period_to", w.day),
        actor=w.coordinator,
        **kw,
    )


def _token(message: OutboxMessage) -> str:
    return re.search(r"/termin-einladung/([A-Za-z0-9_-]+)", message.body_text).group(1)


def test_run_proposes_both_volunteers_with_reasons(world):
    run = reload(_start(world))
    assert run.status == "done" and run.progress == 100
    assert pairs_of(run) == {(world.anna.id, world.slot.id), (world.ben.id, world.slot.id)}
    assert run.counts["proposals"] == 2 and run.counts["unfilled"] == 0
    kinds = [r["kind"] for r in proposals_of(run)[0].reasons]
    assert "interest" in kinds and "window" in kinds


def test_invitation_accept_fills_the_slot_and_tells_both(world, client):
    run = reload(_start(world))
    anna_prop = next(p for p in proposals_of(run) if p.volunteer_id == world.anna.id)
    result = services.confirm_proposals(run, [anna_prop.id], direct=False, actor=world.coordinator)
    assert (result.invited, result.assigned, result.failed) == (1, 0, [])
    mail = OutboxMessage.select().where(OutboxMessage.recipient == "anna@example.org").get()
    assert "Vorlesestunde" in mail.subject
    token = _token(mail)
    stored = reload(anna_prop)
    assert stored.status == "invited" and stored.token_hash and token not in stored.token_hash

    page = client.get(f"/termin-einladung/{token}")
    assert page.status_code == 200 and "Vorlesestunde" in page.get_data(as_text=True)
    answer = client.post(f"/termin-einladung/{token}", data={"answer": "accept"})
    assert answer.status_code == 302
    assert reload(anna_prop).status == "accepted"
    signup = Signup.get((Signup.slot == world.slot.id) & (Signup.volunteer == world.anna.id))
    assert signup.status == "confirmed" and reload(world.slot).taken == 1
    assert reload(anna_prop).signup_id == signup.id
    to_coordinator = (
        OutboxMessage.select().where(OutboxMessage.recipient == world.coordinator.email).get()
    )
    assert "Anna Aurich" in to_coordinator.subject
    # The link is single use: a second answer changes nothing.
    again = client.post(f"/termin-einladung/{token}", data={"answer": "decline"})
    assert again.status_code == 302 and reload(anna_prop).status == "accepted"


def test_decline_is_never_proposed_again(world, client):
    run = reload(_start(world))
    ben_prop = next(p for p in proposals_of(run) if p.volunteer_id == world.ben.id)
    services.confirm_proposals(run, [ben_prop.id], direct=False, actor=world.coordinator)
    mail = OutboxMessage.select().where(OutboxMessage.recipient == "ben@example.org").get()
    assert "Would you help?" in mail.subject  # Ben reads English
    client.post(f"/termin-einladung/{_token(mail)}", data={"answer": "decline"})
    assert reload(ben_prop).status == "declined"
    assert reload(world.slot).taken == 0
    rerun = reload(_start(world))
    assert (world.ben.id, world.slot.id) not in pairs_of(rerun)
    assert (world.anna.id, world.slot.id) in pairs_of(rerun)
    assert rerun.funnels[str(world.slot.id)][-1] == ["free", 1]


def test_direct_assignment_goes_through_the_booking_service(world):
    run = reload(_start(world))
    result = services.confirm_proposals(run, None, direct=True, actor=world.coordinator)
    assert (result.invited, result.assigned) == (0, 2)
    assert reload(world.slot).taken == 2
    assert {p.status for p in proposals_of(run)} == {"confirmed"}
    assert (
        Signup.select().where(Signup.slot == world.slot.id, Signup.status == "confirmed").count()
        == 2
    )
    assert OutboxMessage.select().where(OutboxMessage.recipient == "anna@example.org").count() == 1


def test_direct_assignment_refused_when_full_keeps_the_proposal(world):
    run = reload(_start(world))
    other = make_volunteer(world.centre)
    make_signup(world.slot, other)
    make_signup(world.slot, make_volunteer(world.centre))  # full now
    with force_locale("en"):
        result = services.confirm_proposals(run, None, direct=True, actor=world.coordinator)
    assert result.assigned == 0 and len(result.failed) == 2
    assert "full" in result.failed[0][1]
    assert {p.status for p in proposals_of(run)} == {"proposed"}


def test_accept_when_the_slot_filled_meanwhile_lapses_with_a_clear_message(world):
    run = reload(_start(world))
    services.confirm_proposals(run, None, direct=False, actor=world.coordinator)
    make_signup(world.slot, make_volunteer(world.centre))
    make_signup(world.slot, make_volunteer(world.centre))
    anna_prop = Proposal.get(Proposal.volunteer == world.anna.id)
    with force_locale("en"):
        answer = services.answer_invitation(anna_prop.id, True, actor=world.anna)
    assert answer.outcome == "refused" and "taken" in answer.message
    assert reload(anna_prop).status == "expired"


def test_accept_with_an_overlapping_date_explains_and_stays_open(world):
    run = reload(_start(world))
    services.confirm_proposals(run, None, direct=False, actor=world.coordinator)
    elsewhere = make_activity(make_centre(), title="Gartentag")
    clash = slot_on(elsewhere, world.day, hour=16)
    make_signup(clash, world.anna)
    anna_prop = Proposal.get(Proposal.volunteer == world.anna.id)
    with force_locale("en"):
        answer = services.answer_invitation(anna_prop.id, True, actor=world.anna)
    assert answer.outcome == "refused" and "another date at that time" in answer.message
    assert reload(anna_prop).status == "invited"


def test_rerun_keeps_confirmed_and_fills_the_freed_seat(world):
    run = reload(_start(world))
    services.confirm_proposals(run, None, direct=True, actor=world.coordinator)
    carla = make_volunteer(world.centre, name="Carla Conrad")
    # Ben cancels; a re-run keeps Anna and proposes Carla for the freed seat.
    signup = Signup.get((Signup.volunteer == world.ben.id) & (Signup.slot == world.slot.id))
    from volunteer_app.signups import services as booking

    booking.cancel_signup(signup.id, actor=world.ben)
    rerun = reload(_start(world))
    assert pairs_of(rerun) == {(carla.id, world.slot.id)}
    assert rerun.counts["fixed"] == 1
    assert (
        Signup.get((Signup.volunteer == world.anna.id) & (Signup.slot == world.slot.id)).status
        == "confirmed"
    )


def test_rerun_supersedes_untouched_proposals_and_keeps_invitations(world):
    first = reload(_start(world))
    anna_prop = next(p for p in proposals_of(first) if p.volunteer_id == world.anna.id)
    services.confirm_proposals(first, [anna_prop.id], direct=False, actor=world.coordinator)
    second = reload(_start(world))
    assert pairs_of(second) == {(world.ben.id, world.slot.id)}  # Anna's invitation holds a seat
    assert reload(anna_prop).status == "invited"
    ben_first = next(p for p in proposals_of(first) if p.volunteer_id == world.ben.id)
    assert reload(ben_first).status == "replaced"


def test_replace_and_remove(world):
    third = make_volunteer(world.centre, name="Dora Dietz")
    world.slot.capacity = 1
    world.slot.save()
    run = reload(_start(world))
    (prop,) = proposals_of(run)
    others = {world.anna.id, world.ben.id, third.id} - {prop.volunteer_id}
    assert set(run.candidates[str(world.slot.id)]) >= others
    newcomer = sorted(others)[0]
    replacement = services.replace_proposal(run, prop.id, newcomer, actor=world.coordinator)
    assert reload(prop).status == "replaced" and replacement.volunteer_id == newcomer
    assert replacement.reasons
    services.remove_proposal(run, replacement.id, actor=world.coordinator)
    assert reload(replacement).status == "removed"
    rerun = reload(_start(world))
    assert (newcomer, world.slot.id) not in pairs_of(rerun)


def test_replacement_must_be_eligible(world):
    outsider = make_volunteer(make_centre())
    run = reload(_start(world))
    prop = proposals_of(run)[0]
    from volunteer_app.common.errors import DomainError

    with pytest.raises(DomainError):
        services.replace_proposal(run, prop.id, outsider.id, actor=world.coordinator)
    assert reload(prop).status == "proposed"


def test_run_page_shows_progress_until_done_and_then_the_reasons(world, client, login_as):
    login_as(world.coordinator)
    queued = MatchRun.create(centre=world.centre, period_from=world.day, period_to=world.day)
    page = client.get(f"/vorschlaege/{queued.id}").get_data(as_text=True)
    assert 'http-equiv="refresh"' in page and "<progress" in page
    response = client.post(
        "/zentren/linde/vorschlaege",
        data={
            "scope": "centre",
            "period_from": world.day.isoformat(),
            "period_to": world.day.isoformat(),
        },
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "http-equiv" not in page
    assert "Anna Aurich" in page and "mag Vorlesen" in page
    assert "dienstags frei" in page


def test_period_in_the_past_is_refused(world, client, login_as):
    login_as(world.coordinator)
    response = client.post(
        "/zentren/linde/vorschlaege",
        data={"scope": "centre", "period_from": "2020-01-01", "period_to": "2020-01-02"},
    )
    assert response.status_code == 200
    assert MatchRun.select().count() == 0
