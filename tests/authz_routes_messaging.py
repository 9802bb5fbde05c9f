"""Authorization matrix entries of messages to volunteers (see tests/test_authz_matrix.py)."""

from __future__ import annotations

SETTINGS = "/konto/nachrichten"


def _reachable(client, world) -> None:
    """``prepare``: the world's volunteer can reach centre A, so a message has a recipient."""
    from volunteer_app.volunteers.models import ReachableCentre

    ReachableCentre.get_or_create(user=world.volunteer, centre=world.centre_a)


def _message(world) -> dict:
    """A message centre A's coordinator sent to the whole centre."""
    found = getattr(world, "_centre_message", None)
    if found is None:
        from volunteer_app.messaging.models import CentreMessage

        found = CentreMessage.create(
            centre=world.centre_a,
            author=world.coordinator_a,
            audience="centre",
            audience_label=world.centre_a.name,
            essential=False,
            subject="Sommerfest",
            body="Am Samstag feiern wir.",
            recipient_count=0,
        )
        world._centre_message = found
    return {"slug": world.centre_a.slug, "message_id": found.id}


def _form(world) -> dict:
    return {
        "audience": "centre",
        "slot": "0",
        "activity": "0",
        "category": "0",
        "subject": "Sommerfest",
        "body": "Am Samstag feiern wir.",
    }


def routes(m) -> dict:
    sent = m.Expect(
        (302,), changes=frozenset({"CentreMessage", "MessageRecipient", "OutboxMessage"})
    )
    return {
        # Writing and checking: the centre's own coordinators and admins; checking writes nothing.
        "messaging.compose": m.Route(
            "/zentren/<slug>/nachrichten",
            get=m.own_centre(m.OK),
            post=m.own_centre(m.OK),
            params=m._slug_a,
            form=_form,
        ),
        "messaging.send": m.Route(
            "/zentren/<slug>/nachrichten/senden",
            post=m.own_centre(sent),
            params=m._slug_a,
            form=_form,
            prepare=_reachable,
        ),
        "messaging.show": m.Route(
            "/zentren/<slug>/nachrichten/<int:message_id>",
            get=m.own_centre(m.OK),
            params=_message,
        ),
        # Every person decides for themself whether news reach them.
        "messaging.settings": m.Route(
            SETTINGS,
            get=m.logged_in(m.OK),
            post=m.logged_in(m.done(SETTINGS, "MessageOptOut")),
        ),
        # The link is the proof: an unknown token is not found, whoever asks.
        "messaging.opt_out": m.Route(
            "/nachrichten/abbestellen/<token>",
            get=m.everyone(m.NO_INVITATION),
            post=m.everyone(m.NO_INVITATION),
            params=m._token,
        ),
    }
