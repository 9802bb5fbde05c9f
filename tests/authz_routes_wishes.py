"""Authorization matrix entries of the wishes routes (see tests/test_authz_matrix.py)."""

from __future__ import annotations

from tests.factories_wishes import authz_wishes

LIST_A = "/zentren/zentrum-a/wuensche"
MANAGE_A = "/zentren/zentrum-a/wuensche/verwaltung"


def _wish(w) -> dict:
    return {"slug": w.centre_a.slug, "wish_id": authz_wishes(w).wish.id}


def _pending(w) -> dict:
    return {"slug": w.centre_a.slug, "wish_id": authz_wishes(w).pending.id}


def _centre_with_wishes(w) -> dict:
    authz_wishes(w)
    return {"slug": w.centre_a.slug}


def _activity_form(w) -> dict:
    activity = authz_wishes(w).activity
    return {
        "title": "Babymassage am Dienstag",
        "category_id": str(activity.category_id),
        "place": "Bewegungsraum",
        "responsible_id": str(w.coordinator_a.id),
        "signup_mode": "open",
        "cancel_deadline_hours": "24",
        "volunteers_needed": "1",
        "is_public": "y",
    }


def routes(m) -> dict:
    created = m.Expect((302,), None, frozenset({"Activity", "Wish", "OutboxMessage"}))
    return {
        "wishes.centre_wishes": m.Route(
            "/zentren/<slug>/wuensche",
            get=m.everyone(m.OK),
            post=m.everyone(m.done(LIST_A, "Wish", "WishSupport")),
            params=lambda w: {"slug": w.centre_a.slug},
            form=lambda w: {"title": "Vater-Kind-Wanderung", "description": "Samstags."},
        ),
        "wishes.support": m.Route(
            "/zentren/<slug>/wuensche/<int:wish_id>/unterstuetzen",
            post=m.everyone(m.done(LIST_A, "Wish", "WishSupport")),
            params=_wish,
        ),
        "wishes.manage": m.Route(
            "/zentren/<slug>/wuensche/verwaltung",
            get=m.own_centre(m.OK),
            params=_centre_with_wishes,
        ),
        "wishes.answer": m.Route(
            "/zentren/<slug>/wuensche/<int:wish_id>",
            get=m.own_centre(m.OK),
            post=m.own_centre(m.done(MANAGE_A, "Wish", "OutboxMessage")),
            params=_wish,
            form=lambda w: {"status": "planned", "answer": "Wir fragen eine Hebamme."},
        ),
        "wishes.realise": m.Route(
            "/zentren/<slug>/wuensche/<int:wish_id>/angebot",
            get=m.own_centre(m.OK),
            post=m.own_centre(created),
            params=_wish,
            form=_activity_form,
        ),
        "wishes.set_approval": m.Route(
            "/zentren/<slug>/wuensche/einstellungen",
            post=m.own_centre(m.done(MANAGE_A, "Centre")),
            params=_centre_with_wishes,
            form=lambda w: {"approval": "publish"},
        ),
        "wishes.approve": m.Route(
            "/zentren/<slug>/wuensche/<int:wish_id>/freigeben",
            post=m.own_centre(m.done(MANAGE_A, "Wish")),
            params=_pending,
        ),
        "wishes.reject": m.Route(
            "/zentren/<slug>/wuensche/<int:wish_id>/ablehnen",
            get=m.own_centre(m.OK),
            post=m.own_centre(m.done(MANAGE_A, "Wish", "WishSupport", "OutboxMessage")),
            params=_pending,
            form=lambda w: {"reason": "Bitte keine Namen auf der öffentlichen Seite."},
        ),
        "wishes.delete": m.Route(
            "/zentren/<slug>/wuensche/<int:wish_id>/loeschen",
            post=m.own_centre(m.done(MANAGE_A, "Wish", "WishSupport")),
            params=_wish,
        ),
    }
