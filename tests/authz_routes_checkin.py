"""Authorization matrix entries of the check-in (see tests/test_authz_matrix.py)."""

from __future__ import annotations

import datetime as dt

from config import TestingConfig

ARRIVE = "/ankommen/zentrum-a"
DESK = "/zentren/zentrum-a/ankunft"
KEY = TestingConfig.SECRET_KEY


def _point(w):
    """Centre A's check-in, switched on by its coordinator (made on first use)."""
    from volunteer_app.checkin import services
    from volunteer_app.checkin.models import CheckinPoint

    point = CheckinPoint.get_or_none(CheckinPoint.centre == w.centre_a.id)
    return point or services.set_up(w.centre_a, actor=w.coordinator_a)


def _arriving(client, w) -> None:
    """The world's volunteer has a confirmed slot at A starting in half an hour."""
    from tests.factories import make_activity, make_signup, make_slot
    from volunteer_app.db import utcnow

    _point(w)
    slot = make_slot(make_activity(w.centre_a), utcnow() + dt.timedelta(minutes=30))
    make_signup(slot, w.volunteer)


def _poster_code(w) -> dict:
    from volunteer_app.checkin import codes

    return {"slug": w.centre_a.slug, "code": codes.poster_code(KEY, _point(w).poster_seed)}


def _tablet_token(w) -> dict:
    from volunteer_app.checkin import codes

    return {"slug": w.centre_a.slug, "token": codes.tablet_token(KEY, _point(w).tablet_seed)}


def _grant(w) -> dict:
    from volunteer_app.checkin import codes

    return {"grant": codes.make_grant(KEY, codes.Grant(w.centre_a.id, "tablet"))}


def routes(m) -> dict:
    slug_a = lambda w: {"slug": w.centre_a.slug}  # noqa: E731
    switched_on = lambda client, w: _point(w)  # noqa: E731
    codes_changed = m.done(DESK, "CheckinPoint", "AuditEntry")
    return {
        # The volunteer at the door: a scanned code leads on (anonymous: through the log-in).
        "checkin.scan": m.Route(
            "/ankommen/<slug>/<code>",
            get={
                **m.everyone(m.Expect((302,), ARRIVE)),
                "anonymous": m.Expect((302,), "/konto/anmelden"),
            },
            params=_poster_code,
        ),
        "checkin.arrive": m.Route("/ankommen/<slug>", get=m.logged_in(m.OK), params=slug_a),
        # Anyone logged in may press the button; only who has a date here now is checked in.
        "checkin.check_in": m.Route(
            "/ankommen/<slug>",
            post=m.logged_in(
                m.done(ARRIVE), volunteer=m.done(ARRIVE, "Checkin", "Signup", "AuditEntry")
            ),
            params=slug_a,
            form=_grant,
            prepare=_arriving,
        ),
        # The tablet page: its secret address is the key, with or without a log-in.
        "checkin.tablet": m.Route(
            "/zentren/<slug>/eingang/<token>",
            get=m.everyone(m.OK),
            params=_tablet_token,
        ),
        "checkin.tablet_code": m.Route(
            "/zentren/<slug>/eingang/<token>/code",
            get=m.everyone(m.OK),
            params=_tablet_token,
        ),
        # The desk: centre A's coordinators and admins only.
        "checkin.desk": m.Route(
            "/zentren/<slug>/ankunft", get=m.own_centre(m.OK), params=slug_a, prepare=switched_on
        ),
        "checkin.poster": m.Route(
            "/zentren/<slug>/ankunft/aushang",
            get=m.own_centre(m.OK),
            params=slug_a,
            prepare=switched_on,
        ),
        "checkin.set_up": m.Route(
            "/zentren/<slug>/ankunft/einschalten",
            post=m.own_centre(codes_changed),
            params=slug_a,
        ),
        "checkin.renew_tablet_link": m.Route(
            "/zentren/<slug>/ankunft/tablet-link",
            post=m.own_centre(codes_changed),
            params=slug_a,
            prepare=switched_on,
        ),
        "checkin.switch_off_tablet_link": m.Route(
            "/zentren/<slug>/ankunft/tablet-link/aus",
            post=m.own_centre(codes_changed),
            params=slug_a,
            prepare=switched_on,
        ),
        "checkin.renew_poster_code": m.Route(
            "/zentren/<slug>/ankunft/aushang/neu",
            post=m.own_centre(codes_changed),
            params=slug_a,
            prepare=switched_on,
        ),
    }
