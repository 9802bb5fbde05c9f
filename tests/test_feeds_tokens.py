"""Private feed links: secret, hashed, one active per person and feed, rotated and revoked;
authorization of staff and volunteer feeds; rate limits; tokens never in logs."""

from __future__ import annotations

import logging

import peewee as pw
import pytest

from tests.factories_feeds import (
    days_from_today,
    link_of,
    make_activity,
    make_centre,
    make_coordinator,
    make_signup,
    make_slot,
    make_user,
    private_url,
)
from tests.ical_check import assert_valid
from volunteer_app.accounts.models import User
from volunteer_app.centres.models import CentreMembership
from volunteer_app.common.errors import NotAllowed, NotFound
from volunteer_app.common.security import hash_token
from volunteer_app.db import db
from volunteer_app.feeds import logfilter, services
from volunteer_app.feeds.builders import slot_uid
from volunteer_app.feeds.models import FeedToken


@pytest.fixture
def centre(conn):
    return make_centre(name="Zentrum A", slug="zentrum-a")


@pytest.fixture
def slot(centre):
    return make_slot(make_activity(centre, title="Vorlesen"), days_from_today(3))


def test_token_is_long_random_and_only_its_hash_is_stored(conn):
    user = make_user()
    link, token = link_of(user)
    assert len(token) == 43  # 256 bits, URL-safe
    row = FeedToken.get_by_id(link.id)
    assert row.token_hash == hash_token(token)
    stored = " ".join(
        str(v) for v in FeedToken.select().where(FeedToken.id == link.id).tuples().get()
    )
    assert token not in stored
    _, other_token = link_of(make_user())
    assert other_token != token
    # The same link shows the same token again (the page can show it), without storing it.
    assert services.link_token(FeedToken.get_by_id(link.id)) == token


def test_one_active_link_per_person_kind_and_centre(centre):
    coordinator = make_coordinator(centre)
    first, _ = link_of(coordinator, "staff", centre)
    again, _ = link_of(coordinator, "staff", centre)
    assert first.id == again.id
    personal, _ = link_of(coordinator)
    assert personal.id != first.id
    with pytest.raises(pw.IntegrityError), db.atomic():
        FeedToken.create(
            user=coordinator, kind="staff", centre=centre, seed="x", token_hash="y" * 64
        )
    with pytest.raises(pw.IntegrityError), db.atomic():
        FeedToken.create(user=coordinator, kind="volunteer", seed="x", token_hash="z" * 64)


def test_unknown_and_malformed_tokens_are_404(client, conn):
    for token in ("x" * 43, "short", "a" * 200, "%00" * 15):
        assert client.get(private_url(token)).status_code == 404


def test_rotated_link_gives_the_replaced_calendar_and_the_new_one_works(client, slot):
    me = make_user(locale="de")
    make_signup(slot, me)
    old, old_token = link_of(me)
    assert slot_uid(slot.id).encode() in client.get(private_url(old_token)).data
    new = services.rotate_link(old.id, actor=me)
    new_token = services.link_token(new)
    assert new_token != old_token
    replaced = client.get(private_url(old_token))
    assert replaced.status_code == 200
    assert replaced.headers["Cache-Control"] == "private, no-cache"
    events = assert_valid(replaced.data)
    assert len(events) == 1 and slot_uid(slot.id) not in events[0][0]
    assert events[0][3].startswith("Dieser Kalender-Link wurde erneuert")
    assert [e[0] for e in assert_valid(client.get(private_url(new_token)).data)] == [
        slot_uid(slot.id)
    ]


def test_revoked_link_gives_the_replaced_calendar(client, slot):
    me = make_user(locale="en")
    link, token = link_of(me)
    services.revoke_link(link.id, actor=me)
    data = client.get(private_url(token)).data
    assert b"This calendar link was replaced or switched off" in data
    with pytest.raises(NotFound):
        services.revoke_link(link.id, actor=me)


def test_nobody_can_rotate_or_revoke_someone_elses_link(slot):
    owner, stranger = make_user(), make_user()
    link, _ = link_of(owner)
    with pytest.raises(NotFound):
        services.rotate_link(link.id, actor=stranger)
    with pytest.raises(NotFound):
        services.revoke_link(link.id, actor=stranger)


def test_staff_feed_only_for_coordinators_of_that_centre(client, login_as, centre):
    other_centre = make_centre()
    outsider = make_coordinator(other_centre)
    volunteer = make_user()
    for person in (outsider, volunteer):
        with pytest.raises(NotAllowed):
            services.create_link("staff", centre, actor=person)
    login_as(outsider)
    resp = client.post("/konto/kalender/neu", data={"kind": "staff", "centre_id": str(centre.id)})
    assert resp.status_code == 403
    assert FeedToken.select().count() == 0
    admin = make_user(role="admin")
    assert services.create_link("staff", centre, actor=admin).centre_id == centre.id


def test_coordinator_losing_membership_gets_the_no_access_calendar(client, slot, centre):
    coordinator = make_coordinator(centre, locale="de")
    make_signup(slot, make_user(name="Vera Freiwillig"))
    _, token = link_of(coordinator, "staff", centre)
    assert b"Vera" in client.get(private_url(token)).data
    CentreMembership.delete().where(CentreMembership.user == coordinator.id).execute()
    data = client.get(private_url(token)).data
    events = assert_valid(data)
    assert len(events) == 1 and "keinen Zugriff mehr" in events[0][3]
    assert b"Vera" not in data and b"Vorlesen" not in data
    # A deactivated account's links stop too.
    me = make_user()
    _, mine = link_of(me)
    User.update(is_active=False).where(User.id == me.id).execute()
    assert (
        b"keinen Zugriff mehr" in client.get(private_url(mine)).data
        or b"no longer" in client.get(private_url(mine)).data
    )


def test_volunteer_feed_shows_only_the_owners_slots(client, slot, centre):
    me, other = make_user(), make_user()
    make_signup(slot, other)
    _, token = link_of(me)
    assert assert_valid(client.get(private_url(token)).data) == []


def test_feeds_are_rate_limited(app, client, slot, centre):
    app.config["RATELIMIT_FEED_URL"] = "3 per minute"
    me = make_user()
    _, token = link_of(me)
    codes = [client.get(private_url(token)).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


def test_guessing_tokens_is_rate_limited_over_all_feed_urls(app, client, conn):
    app.config["RATELIMIT_FEEDS"] = "5 per minute"
    guesses = [client.get(private_url(f"{i:043d}")).status_code for i in range(6)]
    assert guesses == [404] * 5 + [429]


def test_tokens_never_reach_the_logs(client, slot, caplog):
    me = make_user()
    _, token = link_of(me)
    path = private_url(token)
    logger = logging.getLogger("werkzeug")
    with caplog.at_level(logging.INFO):
        logger.info('%s - - [%s] "%s" %s -', "127.0.0.1", "now", f"GET {path} HTTP/1.1", "200")
        logging.getLogger("gunicorn.access").info(
            '%(h)s "%(r)s"', {"h": "127.0.0.1", "r": f"GET {path}?x=1 HTTP/1.1", "U": path}
        )
        logging.getLogger("volunteer_app").error(f"Exception on {path} [GET]")
    text = caplog.text
    assert token not in text
    assert text.count("/kalender/[redacted].ics") == 3
    assert logfilter.redact(path.encode()) == b"/kalender/[redacted].ics"
