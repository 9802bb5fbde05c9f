"""Revisions: every write a feed shows moves its revision (and so its ETag); an unchanged feed
costs one or two indexed lookups and never reads a slot; a new revision is rendered once
however many workers ask for it at the same moment (volunteer_app/revisions/,
volunteer_app/feeds/cache.py, docs/feeds.md)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from types import SimpleNamespace

import pytest

from tests.factories import make_category
from tests.factories_feeds import (
    count_queries,
    days_from_today,
    family_url,
    link_of,
    make_activity,
    make_centre,
    make_coordinator,
    make_slot,
    make_user,
    private_url,
)
from tests.factories_hub import make_booking, make_room
from volunteer_app.accounts.models import User
from volunteer_app.activities import slots as slot_services
from volunteer_app.activities.models import Activity, ActivityText, Category, Slot
from volunteer_app.centres import services as centre_services
from volunteer_app.centres.models import Operator
from volunteer_app.db import db, utcnow
from volunteer_app.erasure import services as erasure_services
from volunteer_app.feeds import content
from volunteer_app.feeds.models import FeedCache
from volunteer_app.revisions import triggers
from volunteer_app.revisions.models import ContentRevision
from volunteer_app.signups import services as signup_services
from volunteer_app.signups.models import Signup

pytestmark = pytest.mark.dates  # depends on today: CI reruns it at fixed days


def test_every_revision_trigger_is_installed(conn):
    """The migrations install them; a later migration that rebuilds a watched table on
    SQLite must install them again (volunteer_app/revisions/triggers.py)."""
    assert triggers.installed(db.obj) == triggers.trigger_names(db.obj)
    assert len(triggers.trigger_names(db.obj)) >= len(triggers.WATCHED)


# --- every write a feed shows moves its ETag ----------------------------------------------------


@pytest.fixture
def world(app, conn):
    # The walk asks for each feed some forty times a minute (the limit stops client loops).
    app.config["RATELIMIT_FEED_URL"] = "1000 per minute"
    operator = Operator.create(name="Träger e. V.")
    centre = make_centre(name="Zentrum Anger", slug="anger", town="Erfurt", operator=operator)
    other = make_centre(name="Zentrum Rieth", slug="rieth", town="Erfurt")
    coordinator = make_coordinator(centre, name="Clara Koordina")
    volunteer = make_user(name="Vera Freiwillig")
    category = make_category(centre, "Basteln")
    activity = make_activity(
        centre, title="Bastelnachmittag", category=category, responsible=coordinator
    )
    slots = [make_slot(activity, day=days_from_today(d)) for d in (5, 6, 7, 8)]
    return SimpleNamespace(
        centre=centre,
        other=other,
        coordinator=coordinator,
        volunteer=volunteer,
        category=category,
        activity=activity,
        slots=slots,
        room=make_room(centre, name="Beratungsraum"),
        staff=private_url(link_of(coordinator, "staff", centre)[1]),
        mine=private_url(link_of(volunteer)[1]),
        family=family_url(centre),
        family_uk=family_url(centre, lang="uk"),
    )


def _etags(client, w) -> dict[str, str | None]:
    found = {}
    for name in ("family", "family_uk", "staff", "mine"):
        response = client.get(getattr(w, name))
        found[name] = response.headers.get("ETag") if response.status_code == 200 else None
    return found


def _touch(model, row_id: int, **fields):
    model.update(**fields).where(model.id == row_id).execute()


def _steps(w):
    """(what, the write, the feeds whose bytes it changes). Services where the app has one,
    plain writes where only a trigger can notice (an admin's SQL, a cascade)."""
    now = utcnow().replace(microsecond=0)
    first, second, _third, fourth = w.slots
    return [
        (
            "a new date",
            lambda: make_slot(w.activity, day=days_from_today(9)),
            {"family", "family_uk", "staff"},
        ),
        (
            "a sign-up",
            lambda: signup_services.sign_up(first.id, actor=w.volunteer),
            {"staff", "mine"},
        ),
        (
            "a second sign-up",
            lambda: signup_services.sign_up(second.id, actor=w.volunteer),
            {"staff", "mine"},
        ),
        (
            "a date moved",
            lambda: _touch(
                Slot,
                first.id,
                starts_at=first.starts_at + dt.timedelta(hours=1),
                ends_at=first.ends_at + dt.timedelta(hours=1),
                sequence=Slot.sequence + 1,
                updated_at=now + dt.timedelta(seconds=1),
            ),
            {"family", "family_uk", "staff", "mine"},
        ),
        (
            "the activity retitled",
            lambda: _touch(
                Activity,
                w.activity.id,
                title="Basteln am Nachmittag",
                updated_at=now + dt.timedelta(seconds=2),
            ),
            {"family", "family_uk", "staff", "mine"},
        ),
        (
            "a text in Ukrainian",
            lambda: ActivityText.create(activity=w.activity, language="uk", title="Майстерня"),
            {"family_uk"},
        ),
        (
            "the category renamed",
            lambda: _touch(Category, w.category.id, name="Werken"),
            {"family", "family_uk", "staff"},
        ),
        (
            "the centre renamed (service)",
            lambda: centre_services.update_centre(
                w.centre, {"name": "Zentrum am Anger"}, actor=w.coordinator
            ),
            {"family", "family_uk", "staff", "mine"},
        ),
        (
            "the centre's phone (service)",
            lambda: centre_services.update_centre(
                w.centre, {"contact_phone": "0361 12345"}, actor=w.coordinator
            ),
            {"mine"},
        ),
        (
            "the responsible person renamed",
            lambda: _touch(User, w.coordinator.id, name="Clara Neu"),
            {"mine"},
        ),
        (
            "the volunteer renamed",
            lambda: _touch(User, w.volunteer.id, name="Verena Freiwillig"),
            {"staff"},
        ),
        (
            "a consultation hour",
            lambda: make_booking(w.room, day=days_from_today(10), is_public=True),
            {"family", "family_uk"},
        ),
        (
            "a sign-up cancelled (service)",
            lambda: signup_services.cancel_signup(
                Signup.get((Signup.slot == second.id) & (Signup.volunteer == w.volunteer.id)).id,
                actor=w.volunteer,
            ),
            {"staff", "mine"},
        ),
        (
            "a date cancelled (service)",
            lambda: slot_services.cancel_slot(
                Slot.get_by_id(first.id), actor=w.coordinator, reason="Krankheit"
            ),
            {"family", "family_uk", "staff", "mine"},
        ),
        (
            "a closing day that cancels a date (service)",
            lambda: centre_services.add_closure(
                w.centre,
                actor=w.coordinator,
                first=days_from_today(7),
                reason="Teamtag",
                cancel=True,
            ),
            {"family", "family_uk", "staff"},
        ),
        (
            "a date deleted",
            lambda: Slot.delete().where(Slot.id == fourth.id).execute(),
            {"family", "family_uk", "staff"},
        ),
        (
            "the operator renamed",
            lambda: _touch(Operator, w.centre.operator_id, name="Neuer Träger"),
            set(),
        ),
        (
            "the activity no longer public",
            lambda: _touch(Activity, w.activity.id, is_public=False),
            {"family", "family_uk"},
        ),
    ]


def test_every_write_a_feed_shows_changes_its_etag(client, world):
    w = world
    before = _etags(client, w)
    assert all(before.values()), before
    for what, write, changes in _steps(w):
        revisions = _revisions(w)
        write()
        after = _etags(client, w)
        changed = {name for name in after if after[name] != before[name]}
        assert changes <= changed, f"{what}: {sorted(changes - changed)} kept their ETag"
        if changes:
            assert _revisions(w) != revisions, what
        before = after
    # Nothing written: nothing moves.
    assert _etags(client, w) == before


def _revisions(w) -> list[tuple]:
    return list(
        ContentRevision.select(
            ContentRevision.scope, ContentRevision.owner_id, ContentRevision.value
        )
        .order_by(ContentRevision.scope, ContentRevision.owner_id)
        .tuples()
    )


def test_erasing_a_volunteer_takes_their_name_out_of_the_staff_feed(client, world):
    w = world
    signup_services.sign_up(w.slots[0].id, actor=w.volunteer)
    assert b"Vera" in client.get(w.staff).data
    etag = client.get(w.staff).headers["ETag"]
    erasure_services.erase_account(User.get_by_id(w.volunteer.id))
    response = client.get(w.staff)
    assert response.headers["ETag"] != etag
    assert b"Vera" not in response.data
    assert client.get(w.mine).status_code == 404  # the link went with the account


def test_a_write_elsewhere_leaves_the_family_feed_alone(client, world):
    w = world
    etag = client.get(w.family).headers["ETag"]
    revision = FeedCache.get(FeedCache.key.startswith(f"family:{w.centre.id}:")).revision
    make_slot(make_activity(w.other, title="Anderswo"), day=days_from_today(5))
    signup_services.sign_up(w.slots[0].id, actor=w.volunteer)  # seats: families never see them
    assert client.get(w.family, headers={"If-None-Match": etag}).status_code == 304
    assert FeedCache.get(FeedCache.key.startswith(f"family:{w.centre.id}:")).revision == revision


# --- the 304 path --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("feed", "most"), [("family", 1), ("family_uk", 1), ("staff", 2), ("mine", 2)]
)
def test_an_unchanged_feed_is_answered_from_one_or_two_lookups(client, world, feed, most):
    url = getattr(world, feed)
    etag = client.get(url).headers["ETag"]
    with count_queries() as counted:
        response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert counted.count == most, counted.queries
    for sql in counted.queries:
        assert '"slot"' not in sql and '"signup"' not in sql and '"body"' not in sql, sql


def test_a_compressing_proxys_weak_etag_still_matches(client, world):
    etag = client.get(world.family).headers["ETag"]
    response = client.get(world.family, headers={"If-None-Match": f"W/{etag}"})
    assert response.status_code == 304


# --- one rendering per revision --------------------------------------------------------------------


@pytest.mark.parametrize("feed", ["family", "staff"])
def test_concurrent_first_requests_render_once(app, world, monkeypatch, feed):
    """Six workers ask for a revision nobody has rendered: one renders it (slowly), the others
    wait for it and answer with the same bytes."""
    url = getattr(world, feed)
    FeedCache.delete().execute()
    renders = []
    build = content.build_calendar

    def slow_build(*args, **kwargs):
        renders.append(threading.get_ident())
        threading.Event().wait(0.4)
        return build(*args, **kwargs)

    monkeypatch.setattr(content, "build_calendar", slow_build)
    start = threading.Barrier(6)
    answers, errors = [], []

    def ask():
        try:
            start.wait()
            response = app.test_client().get(url)
            answers.append((response.status_code, response.headers.get("ETag"), len(response.data)))
        except Exception as exc:  # reported below
            errors.append(repr(exc))
        finally:
            if not db.is_closed():
                db.close()

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    assert len(renders) == 1, renders
    assert len(answers) == 6 and len(set(answers)) == 1 and answers[0][0] == 200, answers


def test_a_render_lock_is_given_back(app, world):
    from volunteer_app.feeds.cache import render_lock

    with app.test_request_context("/"):
        with render_lock("family:x") as try_lock:
            assert try_lock()
        with render_lock("family:x") as try_lock:
            assert try_lock()  # released at the end of the first block


def test_revision_value_is_read_from_the_link(client, world):
    """The private link's query brings its revision along (not 0)."""
    from volunteer_app.common.security import hash_token
    from volunteer_app.feeds import queries

    token = world.staff.rsplit("/", 1)[1].removesuffix(".ics")
    link = queries.link_by_hash(hash_token(token))
    assert link.revision.value > 0 and link.revision.changed_at is not None
    assert link.is_member
    assert dataclasses.is_dataclass(link.revision)
