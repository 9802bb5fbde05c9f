"""Authorization matrix entries of the families' programme (public pages)."""

from __future__ import annotations

from tests.factories_activities import authz_planning


def _activity_a(world) -> dict:
    return {"slug": world.centre_a.slug, "activity_id": authz_planning(world).activity.id}


def routes(m) -> dict:
    return {
        # Public: families need no account. Centre A's public activity, seen by everyone;
        # the page itself never names the responsible coordinator (the matrix checks names).
        "programme.show_activity": m.Route(
            "/zentren/<slug>/programm/<int:activity_id>",
            get=m.everyone(m.OK),
            params=_activity_a,
        ),
        # Public and framed by the centre's own website: the same page for every role (no
        # session is read, so nobody is "logged in" on it).
        "programme.embed": m.Route(
            "/zentren/<slug>/einbetten",
            get=m.everyone(m.OK),
            params=lambda world: {"slug": world.centre_a.slug},
        ),
    }
