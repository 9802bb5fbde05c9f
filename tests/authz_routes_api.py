"""Authorization matrix entries of the JSON API (/api/v1; see tests/test_authz_matrix.py).

The matrix's roles act through the session cookie, which the API ignores: token routes
answer every role 401 (a problem with ``WWW-Authenticate: Bearer``) and change nothing, and
the public routes answer everyone. Who may do what with which token is
tests/test_api.py's and tests/test_api_writes.py's (and ``tests/factories_api.py`` makes a
token of each kind for a token × scope × route matrix).
"""

from __future__ import annotations


def _slug(w) -> dict:
    return {"slug": w.centre_a.slug}


def _slot(w) -> dict:
    from tests.factories_coordination import authz_slot

    return authz_slot(w)


def _signup(w) -> dict:
    from tests.factories_coordination import authz_desk

    return {"signup_id": authz_desk(w).confirmed.id}


def _assignment(w) -> dict:
    from tests.factories_coordination import authz_desk

    return {"volunteer_id": str(authz_desk(w).newcomer.id)}


def routes(m) -> dict:
    public = m.everyone(m.OK)
    # Every role, logged in or not: the session authorises nothing here.
    token_only = m.everyone(m.Expect((401,), refused=True))
    return {
        "api.centres": m.Route("/api/v1/centres", get=public),
        "api.centre": m.Route("/api/v1/centres/<slug>", get=public, params=_slug),
        "api.programme": m.Route("/api/v1/centres/<slug>/programme", get=public, params=_slug),
        "api.programme_html": m.Route(
            "/api/v1/centres/<slug>/programme.html", get=public, params=_slug
        ),
        "api.openapi_json": m.Route("/api/v1/openapi.json", get=public),
        "api.docs": m.Route("/api/v1/docs", get=public),
        "api.activities": m.Route(
            "/api/v1/centres/<slug>/activities", get=token_only, params=_slug
        ),
        "api.slots": m.Route("/api/v1/centres/<slug>/slots", get=token_only, params=_slug),
        "api.me": m.Route("/api/v1/me", get=token_only),
        "api.my_signups": m.Route("/api/v1/me/signups", get=token_only),
        "api.my_hours": m.Route("/api/v1/me/hours", get=token_only),
        "api.sign_up": m.Route(
            "/api/v1/slots/<int:slot_id>/signups", post=token_only, params=_slot
        ),
        "api.cancel_signup": m.Route(
            "/api/v1/signups/<int:signup_id>", delete=token_only, params=_signup
        ),
        "api.assign": m.Route(
            "/api/v1/slots/<int:slot_id>/assignments",
            post=token_only,
            params=_slot,
            form=_assignment,
        ),
        "api.unassign": m.Route(
            "/api/v1/assignments/<int:signup_id>", delete=token_only, params=_signup
        ),
    }
