"""Authorization matrix entries for deleting check records (see test_authz_matrix.py).

The volunteer of the matrix has a certificate record and a measles note at centre A, and no
booking there unless the coordinator desk's objects are made (``authz_desk``).
"""

from __future__ import annotations

from tests.factories import make_check
from tests.factories_coordination import authz_volunteer
from volunteer_app.centres.queries import today
from volunteer_app.checks.models import MeaslesProof

MINE = "/konto/pruefvermerke"


def _records(w) -> None:
    make_check(w.volunteer, w.centre_a)
    MeaslesProof.create(volunteer=w.volunteer, centre=w.centre_a, shown_on=today(), proof_ok=True)


def _desk_record(w) -> dict:
    _records(w)
    return {**authz_volunteer(w), "record": "fuehrungszeugnis"}


def _own_record(w) -> dict:
    _records(w)
    return {"centre_id": w.centre_a.id, "record": "masernschutz"}


def routes(m) -> dict:
    deleted = m.Expect((302,), None, frozenset({"CertificateCheck", "AuditEntry"}))
    return {
        "coordination.delete_check": m.Route(
            "/zentren/<slug>/ehrenamtliche/<int:user_id>/"
            "<any(fuehrungszeugnis, masernschutz):record>/loeschen",
            post=m.own_centre(deleted),
            params=_desk_record,
        ),
        "checks.my_records": m.Route(
            MINE, get=m.logged_in(m.OK), params=lambda w: _records(w) or {}
        ),
        # Everyone may ask for their own record only: the others have none at centre A.
        "checks.delete_my_record": m.Route(
            "/konto/pruefvermerke/<int:centre_id>/"
            "<any(fuehrungszeugnis, masernschutz):record>/loeschen",
            post=m.logged_in(m.done(MINE), volunteer=m.done(MINE, "MeaslesProof", "AuditEntry")),
            params=_own_record,
        ),
    }
