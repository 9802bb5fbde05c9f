"""Authorization matrix entries of proposals (see tests/test_authz_matrix.py)."""

from __future__ import annotations

from tests.factories_proposals import authz_proposal, authz_proposals, authz_run

SUITS_YOU = "/mein-engagement/passt-zu-ihnen"


def routes(m) -> dict:
    def changes(*tables):
        return m.Expect((302,), changes=frozenset(tables))

    return {
        "proposals.new_run": m.Route(
            "/zentren/<slug>/vorschlaege",
            get=m.own_centre(m.OK),
            # Solved at once in tests (immediate mode); nobody in the world fits: no proposals.
            post=m.own_centre(changes("MatchRun")),
            params=lambda w: {"slug": w.centre_a.slug},
            form=lambda w: {
                "scope": "centre",
                "period_from": m._day(1),
                "period_to": m._day(14),
            },
        ),
        "proposals.show_run": m.Route(
            "/vorschlaege/<int:run_id>", get=m.own_centre(m.OK), params=authz_run
        ),
        "proposals.confirm": m.Route(
            "/vorschlaege/<int:run_id>/bestaetigen",
            post=m.own_centre(changes("Proposal", "OutboxMessage", "AuditEntry")),
            params=authz_run,
            form=lambda w: {"mode": "invite", "scope": "all", "confirmed": "y"},
        ),
        "proposals.replace": m.Route(
            "/vorschlaege/<int:run_id>/vorschlag/<int:proposal_id>/ersetzen",
            post=m.own_centre(changes("Proposal")),
            params=authz_proposal,
            form=lambda w: {"volunteer_id": str(authz_proposals(w).other.id)},
        ),
        "proposals.remove": m.Route(
            "/vorschlaege/<int:run_id>/vorschlag/<int:proposal_id>/entfernen",
            post=m.own_centre(changes("Proposal")),
            params=authz_proposal,
        ),
        "proposals.slot_funnel": m.Route(
            "/termine/<int:slot_id>/warum-leer",
            get=m.own_centre(m.OK),
            params=lambda w: {"slot_id": authz_proposals(w).slot.id},
        ),
        "proposals.suggestions": m.Route(SUITS_YOU, get=m.logged_in(m.OK)),
        "proposals.weekly_mail": m.Route(
            "/mein-engagement/passt-zu-ihnen/wochenmail",
            post=m.logged_in(m.done(SUITS_YOU, "WeeklySuggestions")),
            form=lambda w: {"enabled": "y"},
        ),
        # Only the invited person answers in the app; for anybody else it does not exist.
        "proposals.answer_in_app": m.Route(
            "/mein-engagement/einladungen/<int:proposal_id>",
            post={
                "anonymous": m.TO_LOGIN,
                "volunteer": m.done(SUITS_YOU, "Proposal", "OutboxMessage"),
                "coordinator_a": m.NO_INVITATION,
                "coordinator_b": m.NO_INVITATION,
                "admin": m.NO_INVITATION,
            },
            params=lambda w: {"proposal_id": authz_proposals(w).invitation.id},
            form=lambda w: {"answer": "decline"},
        ),
        # The link is the proof: an unknown token is not found, whoever asks.
        "proposals.answer_invitation": m.Route(
            "/termin-einladung/<token>",
            get=m.everyone(m.NO_INVITATION),
            post=m.everyone(m.NO_INVITATION),
            params=m._token,
            form=lambda w: {"answer": "accept"},
        ),
    }
