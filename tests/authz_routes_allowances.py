"""Authorization matrix entries of allowances (see tests/test_authz_matrix.py)."""

from __future__ import annotations

from tests.factories_coordination import authz_volunteer
from volunteer_app.centres.queries import today

BASE = "/zentren/<slug>/ehrenamtliche/<int:user_id>/pauschalen"


def _payment(world):
    """A payment of centre A's operator to the world's volunteer, made on first use."""
    found = getattr(world, "_allowance", None)
    if found is None:
        from volunteer_app.allowances.models import AllowancePayment

        authz_volunteer(world)
        found = AllowancePayment.create(
            volunteer=world.volunteer,
            payee_ref="AB12CD34",
            operator=world.operator_a,
            centre=world.centre_a,
            paid_on=today(),
            kind="ehrenamt",
            amount_cents=40_00,
            recorded_by=world.coordinator_a,
        )
        world._allowance = found
    return found


def _person(w) -> dict:
    _payment(w)
    return authz_volunteer(w)


def _prepared(w) -> dict:
    """No URL parameters; the payment is made before the snapshot."""
    _payment(w)
    return {}


def _one(w) -> dict:
    return {**authz_volunteer(w), "payment_id": _payment(w).id}


def _year(w) -> dict:
    return {**authz_volunteer(w), "year": _payment(w).paid_on.year}


def _own_year(w) -> dict:
    return {"operator_id": w.operator_a.id, "year": _payment(w).paid_on.year}


def _payment_form(w) -> dict:
    return {"paid_on": today().isoformat(), "kind": "ehrenamt", "amount": "40,50", "note": ""}


def routes(m) -> dict:
    recorded = m.Expect((302,), None, frozenset({"AllowancePayment", "AuditEntry"}))
    return {
        "allowances.person": m.Route(BASE, get=m.own_centre(m.OK), params=_person),
        "allowances.record": m.Route(
            BASE, post=m.own_centre(recorded), params=_person, form=_payment_form
        ),
        "allowances.correct": m.Route(
            BASE + "/<int:payment_id>/korrigieren",
            get=m.own_centre(m.OK),
            post=m.own_centre(recorded),
            params=_one,
            form=lambda w: {**_payment_form(w), "reason": "Tippfehler"},
        ),
        "allowances.cancel": m.Route(
            BASE + "/<int:payment_id>/stornieren",
            post=m.own_centre(recorded),
            params=_one,
            form=lambda w: {"reason": "doppelt erfasst"},
        ),
        "allowances.statement": m.Route(
            BASE + "/<int:year>/bescheinigung", get=m.own_centre(m.OK), params=_year
        ),
        # The person's own: everybody logged in may open the list; a statement only exists
        # for the person paid (anyone else: not found).
        "allowances.mine": m.Route(
            "/mein-engagement/pauschalen", get=m.logged_in(m.OK), params=_prepared
        ),
        "allowances.my_statement": m.Route(
            "/mein-engagement/pauschalen/<int:operator_id>/<int:year>",
            get=m.logged_in(m.NOT_YOURS, volunteer=m.OK),
            params=_own_year,
        ),
    }
