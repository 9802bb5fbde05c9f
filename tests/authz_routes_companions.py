"""Authorization matrix entries of families who volunteer together (see
tests/test_authz_matrix.py): only the person whose sign-up or link it is acts on it."""

from __future__ import annotations

FAMILY = "/konto/familie"


def _slot(world):
    """Centre A's date in three days of an activity open to children, adults and minors."""
    found = getattr(world, "_companion_slot", None)
    if found is None:
        from tests.factories import make_activity, make_slot

        activity = make_activity(
            world.centre_a,
            title="Gartentag A",
            companion_children=True,
            companion_adults=True,
            minors_from_age=14,
        )
        found = world._companion_slot = make_slot(activity)
    return found


def _signed_up(client, world) -> None:
    """``prepare``: whoever is logged in is signed up for the date."""
    from volunteer_app.accounts.models import User
    from volunteer_app.signups import services

    with client.session_transaction() as sess:
        user_id = sess.get("_user_id")
    if user_id:
        services.sign_up(_slot(world).id, actor=User.get_by_id(int(user_id.split(":", 1)[0])))


def _person(world, attr: str, name: str):
    found = getattr(world, attr, None)
    if found is None:
        from tests.factories import make_user

        found = make_user(name=name)
        setattr(world, attr, found)
    return found


def _link_to_volunteer(world):
    """A parent (not in the world's roles) asked to link the world's volunteer's account."""
    found = getattr(world, "_link_asked", None)
    if found is None:
        from volunteer_app.companions.models import FamilyLink

        parent = _person(world, "_parent", "Paula Parent")
        found = world._link_asked = FamilyLink.create(parent=parent, child=world.volunteer)
    return found


def _child_of_volunteer(world):
    """The world's volunteer's confirmed link to their 15-year-old child's account."""
    found = getattr(world, "_child_link", None)
    if found is None:
        from volunteer_app.centres.queries import today
        from volunteer_app.companions.models import FamilyLink
        from volunteer_app.db import utcnow

        child = _person(world, "_child", "Kim Kind")
        found = world._child_link = FamilyLink.create(
            parent=world.volunteer,
            child=child,
            birth_year=today().year - 16,
            confirmed_at=utcnow(),
        )
    return found


def _child_signup(world):
    found = getattr(world, "_child_signup", None)
    if found is None:
        from volunteer_app.signups import services

        link = _child_of_volunteer(world)
        found = world._child_signup = services.sign_up(_slot(world).id, actor=link.child).signup
    return found


def routes(m) -> dict:
    def only_volunteer(expect):
        return {
            "anonymous": m.TO_LOGIN,
            "volunteer": expect,
            "coordinator_a": m.NO_INVITATION,
            "coordinator_b": m.NO_INVITATION,
            "admin": m.NO_INVITATION,
        }

    return {
        # Each logged-in person for their own sign-up only.
        "companions.update": m.Route(
            "/termine/<int:slot_id>/begleitung",
            post=m.logged_in(m.Expect((302,), changes=frozenset({"ComingAlong"}))),
            params=lambda w: {"slot_id": _slot(w).id},
            prepare=_signed_up,
            form=lambda w: {"children": "2", "email": ""},
        ),
        # The link is the proof: an unknown token is not found, whoever asks.
        "companions.invitation": m.Route(
            "/begleitung/<token>", get=m.everyone(m.NO_INVITATION), params=m._token
        ),
        "companions.family": m.Route(FAMILY, get=m.logged_in(m.OK)),
        "companions.ask_link": m.Route(
            "/konto/familie/verknuepfen",
            post=m.logged_in(m.done(FAMILY, "FamilyLink", "OutboxMessage")),
            prepare=lambda client, w: _person(w, "_child", "Kim Kind"),
            form=lambda w: {"email": _person(w, "_child", "Kim Kind").email},
        ),
        # Only the child confirms; only the two people of a link end it.
        "companions.confirm_link": m.Route(
            "/konto/familie/<int:link_id>/bestaetigen",
            post=only_volunteer(m.done(FAMILY, "FamilyLink", "OutboxMessage")),
            params=lambda w: {"link_id": _link_to_volunteer(w).id},
            form=lambda w: {"birth_year": str(_birth_year())},
        ),
        "companions.unlink": m.Route(
            "/konto/familie/<int:link_id>/loesen",
            post=only_volunteer(m.done(FAMILY, "FamilyLink")),
            params=lambda w: {"link_id": _link_to_volunteer(w).id},
        ),
        # Only the parent of a confirmed link acts for the child.
        "companions.sign_up_child": m.Route(
            "/termine/<int:slot_id>/kind/<int:child_id>/anmelden",
            post=only_volunteer(
                m.Expect((302,), changes=frozenset({"Signup", "Slot", "OutboxMessage"}))
            ),
            params=lambda w: {"slot_id": _slot(w).id, "child_id": _child_of_volunteer(w).child_id},
        ),
        "companions.cancel_child": m.Route(
            "/konto/familie/anmeldungen/<int:signup_id>/absagen",
            post=only_volunteer(m.done(FAMILY, "Signup", "Slot", "OutboxMessage", "AuditEntry")),
            params=lambda w: {"signup_id": _child_signup(w).id},
        ),
    }


def _birth_year() -> int:
    from volunteer_app.centres.queries import today

    return today().year - 16
