"""Retention of one-time links, coordinator invitations, matching runs and digest markers.
Every date is relative to now; each rule runs twice, the second time deleting nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import make_centre, make_coordinator, make_signup, make_user
from tests.factories_centres import make_invitation
from tests.factories_coordination import make_activity, make_slot
from tests.factories_proposals import make_run
from tests.factories_wishes import make_wish
from volunteer_app.accounts.models import LoginToken
from volunteer_app.centres.models import Invitation
from volunteer_app.centres.queries import today
from volunteer_app.common.security import new_token
from volunteer_app.db import utcnow
from volunteer_app.notifications.models import DigestSent
from volunteer_app.proposals.models import MatchRun, Proposal
from volunteer_app.retention import services
from volunteer_app.signups.models import Signup
from volunteer_app.wishes.models import Wish

pytestmark = pytest.mark.dates  # depends on today: CI reruns it at fixed days


def ago(days: float) -> dt.datetime:
    return utcnow() - dt.timedelta(days=days)


def token(user, expired_days_ago: float, **fields) -> LoginToken:
    data = {
        "user": user,
        "purpose": "reset",
        "token_hash": new_token()[1],
        "created_at": ago(expired_days_ago) - dt.timedelta(hours=1),
        "expires_at": ago(expired_days_ago),
    }
    return LoginToken.create(**{**data, **fields})


def exists(row) -> bool:
    return type(row).select().where(type(row).id == row.id).exists()


def twice(rule) -> int:
    first = rule(utcnow())
    assert rule(utcnow()) == 0
    return first


def test_expired_one_time_links_go_after_30_days(conn):
    user = make_user()
    old = token(user, 31, purpose="email", new_email="neu@example.org")
    used = token(user, 31, used_at=ago(31))
    recent = token(user, 29)
    live = token(user, -0.02)

    assert twice(services.delete_ended_login_tokens) == 2
    assert not exists(old) and not exists(used)
    assert exists(recent) and exists(live)


def test_ended_invitations_go_after_30_days(conn):
    centre = make_centre()
    accepted, _ = make_invitation(centre, "a@example.org", accepted_at=ago(31))
    withdrawn, _ = make_invitation(centre, "w@example.org", withdrawn_at=ago(40))
    expired, _ = make_invitation(centre, "e@example.org", expires_at=ago(31))
    fresh, _ = make_invitation(centre, "f@example.org", accepted_at=ago(2))
    lately, _ = make_invitation(centre, "l@example.org", expires_at=ago(29))
    open_, _ = make_invitation(centre, "o@example.org")

    assert twice(services.delete_ended_invitations) == 3
    assert not any(exists(i) for i in (accepted, withdrawn, expired))
    assert all(exists(i) for i in (fresh, lately, open_))


def test_link_period_is_a_setting(app, conn):
    app.config["RETENTION_LINK_DAYS"] = 0
    user = make_user()
    expired = token(user, 0.01)
    invitation, _ = make_invitation(make_centre(), "x@example.org", expires_at=ago(0.01))
    assert services.delete_ended_login_tokens(utcnow()) == 1
    assert services.delete_ended_invitations(utcnow()) == 1
    assert not exists(expired) and not exists(invitation)


def test_matching_runs_go_90_days_after_their_period_with_their_proposals(conn):
    centre = make_centre()
    coordinator = make_coordinator(centre)
    person = make_user(name="Vera Vogel")
    slot = make_slot(make_activity(centre), -100)
    signup = make_signup(slot, person)
    end = today() - dt.timedelta(days=91)
    old = make_run(centre, coordinator, period_from=end - dt.timedelta(days=27), period_to=end)
    proposal = Proposal.create(
        run=old, slot=slot, volunteer=person, status="accepted", reasons=[], signup=signup
    )
    kept = make_run(
        centre,
        coordinator,
        period_from=today() - dt.timedelta(days=100),
        period_to=today() - dt.timedelta(days=89),
    )
    upcoming = make_run(centre, coordinator)

    assert twice(services.delete_old_match_runs) == 1
    assert not exists(old) and not exists(proposal)
    assert exists(kept) and exists(upcoming)
    assert Signup.get_by_id(signup.id).status == "confirmed"  # the sign-up itself stays
    assert MatchRun.select().count() == 2


def test_digest_markers_go_with_the_outbox(conn):
    coordinator = make_coordinator(make_centre())
    old = DigestSent.create(
        user=coordinator, day=today() - dt.timedelta(days=91), created_at=ago(91)
    )
    recent = DigestSent.create(user=coordinator, day=today(), created_at=ago(0))
    assert twice(services.delete_old_digest_markers) == 1
    assert not exists(old) and exists(recent)


def test_the_whole_job_counts_these_rules(conn):
    user = make_user()
    token(user, 45)
    make_invitation(make_centre(), "x@example.org", withdrawn_at=ago(45))
    result = services.run_retention()
    assert result.counts["one_time_links"] == 1
    assert result.counts["invitations"] == 1
    assert Invitation.select().count() == 0
    assert services.run_retention().deleted == 0


def test_wishes_nobody_reviewed_go_after_60_days_with_their_address(conn):
    centre = make_centre()
    now = utcnow()
    old = dt.timedelta(days=61)
    waiting_old = make_wish(
        centre,
        approved_at=None,
        created_at=now - old,
        email="eltern@example.org",
        email_consent_at=now - old,
    )
    waiting_new = make_wish(centre, approved_at=None, created_at=now - dt.timedelta(days=59))
    public_old = make_wish(centre, created_at=now - dt.timedelta(days=400))
    assert services.delete_unreviewed_wishes(now) == 1
    assert services.delete_unreviewed_wishes(now) == 0  # a second run deletes nothing more
    left = {w.id for w in Wish.select()}
    assert left == {waiting_new.id, public_old.id}
    assert waiting_old.id not in left
    assert Wish.select().where(Wish.email == "eltern@example.org").count() == 0
