"""Authorization matrix entries of hours, certificates and reports (see test_authz_matrix.py)."""

from __future__ import annotations

import datetime as dt

from tests.factories_wishes import authz_wishes

HOURS = "/mein-engagement/stunden"


def _centre(w) -> dict:
    authz_wishes(w)
    return {"slug": w.centre_a.slug}


def _prepared(w) -> dict:
    """No URL parameters; the world's objects are made before the snapshot."""
    authz_wishes(w)
    return {}


def _cert(w) -> dict:
    return {"certificate_id": authz_wishes(w).cert.id}


def _centre_cert(w) -> dict:
    return {"slug": w.centre_a.slug, "certificate_id": authz_wishes(w).cert.id}


def _operator(w) -> dict:
    authz_wishes(w)
    return {"operator_id": w.operator_a.id}


def _request_form(w) -> dict:
    day = authz_wishes(w).day
    return {
        "centre_id": str(w.centre_a.id),
        "period_start": (day - dt.timedelta(days=1)).isoformat(),
        "period_end": (day + dt.timedelta(days=1)).isoformat(),
    }


def routes(m) -> dict:
    mine = m.logged_in(m.NOT_YOURS, volunteer=m.OK)
    signed = m.Expect((302,), None, frozenset({"VolunteeringCertificate", "AuditEntry"}))
    operator = {
        "anonymous": m.TO_LOGIN,
        "volunteer": m.FORBIDDEN,
        "coordinator_a": m.OK,
        "coordinator_b": m.FORBIDDEN,
        "admin": m.OK,
    }
    return {
        "reports.my_hours": m.Route(HOURS, get=m.logged_in(m.OK), params=_prepared),
        "reports.request_certificate": m.Route(
            "/mein-engagement/nachweise",
            post=m.logged_in(
                m.OK, volunteer=m.done(HOURS, "VolunteeringCertificate", "OutboxMessage")
            ),
            params=_prepared,
            form=_request_form,
        ),
        "reports.my_certificate": m.Route(
            "/mein-engagement/nachweise/<int:certificate_id>", get=mine, params=_cert
        ),
        "reports.withdraw_certificate": m.Route(
            "/mein-engagement/nachweise/<int:certificate_id>/zurueckziehen",
            post=m.logged_in(m.NOT_YOURS, volunteer=m.done(HOURS, "VolunteeringCertificate")),
            params=_cert,
        ),
        "reports.centre_certificates": m.Route(
            "/zentren/<slug>/nachweise", get=m.own_centre(m.OK), params=_centre
        ),
        "reports.sign_certificate": m.Route(
            "/zentren/<slug>/nachweise/<int:certificate_id>",
            get=m.own_centre(m.OK),
            post=m.own_centre(signed),
            params=_centre_cert,
            form=lambda w: {
                "signer_name": "Clara Auerbach",
                "signed_on": dt.date.today().isoformat(),
            },
        ),
        "reports.helferplan": m.Route(
            "/zentren/<slug>/helferplan", get=m.own_centre(m.OK), params=_centre
        ),
        "reports.centre_report": m.Route(
            "/zentren/<slug>/bericht", get=m.own_centre(m.OK), params=_centre
        ),
        "reports.centre_report_csv": m.Route(
            "/zentren/<slug>/bericht.csv", get=m.own_centre(m.OK), params=_centre
        ),
        "reports.operator_report": m.Route(
            "/traeger/<int:operator_id>/bericht", get=operator, params=_operator
        ),
        "reports.operator_report_csv": m.Route(
            "/traeger/<int:operator_id>/bericht.csv", get=operator, params=_operator
        ),
    }
