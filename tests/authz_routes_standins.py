"""Authorization matrix entries of "I can't come" and stand-ins (see tests/test_authz_matrix.py)."""

from __future__ import annotations

import datetime as dt

from tests.factories_proposals import authz_proposals, make_activity, make_slot
from volunteer_app.db import utcnow

SUITS_YOU = "/mein-engagement/passt-zu-ihnen"
DASHBOARD_A = "/zentren/zentrum-a/planung"


def _late_slot(world):
    """Centre A's slot in three hours: the 24-hour cancellation deadline has passed."""
    found = getattr(world, "_late_slot", None)
    if found is None:
        activity = make_activity(world.centre_a, title="Kuchenbasar A", cancel_deadline_hours=24)
        found = make_slot(
            activity, starts_at=utcnow().replace(microsecond=0) + dt.timedelta(hours=3)
        )
        world._late_slot = found
    return found


def _signed_up_late(client, world) -> None:
    """``prepare``: whoever is logged in is confirmed for the late slot."""
    from volunteer_app.accounts.models import User
    from volunteer_app.signups import services

    with client.session_transaction() as sess:
        user_id = sess.get("_user_id")
    if user_id:
        user = User.get_by_id(int(user_id.split(":", 1)[0]))
        services.sign_up(_late_slot(world).id, actor=user)


def _notice(world):
    """An "I can't come" message on centre A's slot, nobody has dealt with it yet."""
    found = getattr(world, "_notice", None)
    if found is None:
        from volunteer_app.signups.models import CantCome, Signup

        slot = authz_proposals(world).slot
        signup = Signup.create(
            slot=slot, volunteer=authz_proposals(world).other, status="cancelled"
        )
        found = CantCome.create(signup=signup, reason="krank")
        world._notice = found
    return found


def _standin_request(world):
    """Centre A's coordinator has asked the world's volunteer to step in."""
    found = getattr(world, "_standin_request", None)
    if found is None:
        from volunteer_app.proposals.models import StandinRequest

        found = StandinRequest.create(
            slot=authz_proposals(world).slot,
            volunteer=world.volunteer,
            token_hash="1" * 64,
            asked_by=world.coordinator_a,
        )
        world._standin_request = found
    return found


def routes(m) -> dict:
    def changes(*tables):
        return m.Expect((302,), changes=frozenset(tables))

    return {
        # Every logged-in person says it only for their own sign-up.
        "signups.cant_come": m.Route(
            "/termine/<int:slot_id>/kann-nicht",
            post=m.logged_in(changes("Signup", "Slot", "CantCome", "OutboxMessage", "AuditEntry")),
            params=lambda w: {"slot_id": _late_slot(w).id},
            prepare=_signed_up_late,
            form=lambda w: {"reason": "krank"},
        ),
        "proposals.ask_standins": m.Route(
            "/termine/<int:slot_id>/einspringen",
            post=m.own_centre(changes("StandinRequest", "OutboxMessage", "AuditEntry")),
            params=lambda w: {"slot_id": authz_proposals(w).slot.id},
            form=lambda w: {"how": "one"},
        ),
        "proposals.cant_come_handled": m.Route(
            "/zentren/<slug>/kann-nicht/<int:notice_id>/erledigt",
            post=m.own_centre(m.done(DASHBOARD_A, "CantCome")),
            params=lambda w: {"slug": w.centre_a.slug, "notice_id": _notice(w).id},
        ),
        # Only the person asked answers in the app; for anybody else it does not exist.
        "proposals.answer_standin_in_app": m.Route(
            "/mein-engagement/einspringen/<int:request_id>",
            post={
                "anonymous": m.TO_LOGIN,
                "volunteer": m.done(SUITS_YOU, "StandinRequest", "OutboxMessage"),
                "coordinator_a": m.NO_INVITATION,
                "coordinator_b": m.NO_INVITATION,
                "admin": m.NO_INVITATION,
            },
            params=lambda w: {"request_id": _standin_request(w).id},
            form=lambda w: {"answer": "decline"},
        ),
        # The link is the proof: an unknown token is not found, whoever asks.
        "proposals.answer_standin": m.Route(
            "/einspringen/<token>",
            get=m.everyone(m.NO_INVITATION),
            post=m.everyone(m.NO_INVITATION),
            params=m._token,
            form=lambda w: {"answer": "accept"},
        ),
    }
