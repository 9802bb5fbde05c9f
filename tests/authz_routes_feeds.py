"""Authorization matrix entries of the calendar feeds (see tests/test_authz_matrix.py)."""

from __future__ import annotations

MY_CALENDARS = "/konto/kalender"


def _own_link(w) -> dict:
    """Coordinator A's own volunteer-feed link: only its owner may replace or switch it off."""
    from volunteer_app.feeds import services

    return {"link_id": services.create_link("volunteer", None, actor=w.coordinator_a).id}


def _warm_cache(client, w) -> None:
    """The first request of a feed revision fills the shared cache (a table write): done
    before the snapshot, so that the request under test reads from the cache only."""
    assert client.get(f"/zentren/{w.centre_a.slug}/kalender.ics").status_code == 200


def routes(m) -> dict:
    slug_a = lambda w: {"slug": w.centre_a.slug}  # noqa: E731
    not_found = m.Expect((404,), refused=True)
    only_owner = lambda expect: {  # noqa: E731
        **dict.fromkeys(("volunteer", "coordinator_b", "admin"), not_found),
        "anonymous": m.TO_LOGIN,
        "coordinator_a": expect,
    }
    return {
        # Public: the family calendar of centre A, its subscribe page, QR code and poster.
        "feeds.family_feed": m.Route(
            "/zentren/<slug>/kalender.ics",
            get=m.everyone(m.OK),
            params=slug_a,
            prepare=_warm_cache,
        ),
        "feeds.family_subscribe": m.Route(
            "/zentren/<slug>/kalender", get=m.everyone(m.OK), params=slug_a
        ),
        "feeds.family_qr": m.Route(
            "/zentren/<slug>/kalender/qr.svg", get=m.everyone(m.OK), params=slug_a
        ),
        "feeds.poster": m.Route("/zentren/<slug>/aushang", get=m.everyone(m.OK), params=slug_a),
        # A private feed is reached by its token alone (no session): an unknown one is a 404.
        "feeds.private_feed": m.Route(
            "/kalender/<token>.ics",
            get=m.everyone(not_found),
            params=lambda w: {"token": m.UNKNOWN_TOKEN},
        ),
        "feeds.my_calendars": m.Route(MY_CALENDARS, get=m.logged_in(m.OK)),
        # The staff feed of centre A: its coordinators and admins only.
        "feeds.create_link": m.Route(
            "/konto/kalender/neu",
            post=m.own_centre(m.done(MY_CALENDARS, "FeedToken")),
            form=lambda w: {"kind": "staff", "centre_id": str(w.centre_a.id)},
        ),
        "feeds.rotate_link": m.Route(
            "/konto/kalender/<int:link_id>/erneuern",
            get=only_owner(m.OK),
            post=only_owner(m.done(MY_CALENDARS, "FeedToken")),
            params=_own_link,
        ),
        "feeds.revoke_link": m.Route(
            "/konto/kalender/<int:link_id>/abschalten",
            get=only_owner(m.OK),
            post=only_owner(m.done(MY_CALENDARS, "FeedToken")),
            params=_own_link,
        ),
        "feeds.set_reminder": m.Route(
            "/konto/kalender/erinnerung",
            post=m.logged_in(m.done(MY_CALENDARS, "FeedToken")),
            form=lambda w: {"alarm": "60"},
        ),
    }
