"""Authorization matrix entries of recognition in Thuringia (see tests/test_authz_matrix.py)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from types import SimpleNamespace

from tests.factories import make_activity
from tests.factories_wishes import attended, slot_on

MINE = "/mein-engagement/anerkennung"
OVERVIEW_A = "/zentren/zentrum-a/anerkennung"


def authz_recognition(world):
    """The matrix's volunteer: a year of birth, a date attended at centre A 400 days ago, a
    signed certificate and a card recorded at centre A; made on first use."""
    found = getattr(world, "_recognition", None)
    if found is None:
        from volunteer_app.recognition.models import BirthYear, CardHolding, EhrenamtsZertifikat

        today = dt.date.today()
        activity = make_activity(world.centre_a, title="Lesepaten")
        attended(slot_on(activity, today - dt.timedelta(days=400)), world.volunteer, 3)
        BirthYear.create(user=world.volunteer, year=today.year - 30)
        cert = EhrenamtsZertifikat.create(
            volunteer=world.volunteer, centre=world.centre_a,
            period_start=today - dt.timedelta(days=500), period_end=today - dt.timedelta(days=300),
            function="Lesepatin", areas=json.dumps(["Vorlesen"]), total_hours=Decimal("3"),
            dates_count=1, signed_by=world.coordinator_a, signed_by_name="Leitung Zentrum A",
            signed_on=today - dt.timedelta(days=290),
        )  # fmt: skip
        card = CardHolding.create(
            volunteer=world.volunteer, centre=world.centre_a, kind="ehrenamtscard",
            expires_on=today + dt.timedelta(days=30),
        )  # fmt: skip
        found = SimpleNamespace(cert=cert, card=card)
        world._recognition = found
    return found


def _prepared(w) -> dict:
    authz_recognition(w)
    return {}


def _centre(w) -> dict:
    authz_recognition(w)
    return {"slug": w.centre_a.slug}


def _person(w) -> dict:
    authz_recognition(w)
    return {"slug": w.centre_a.slug, "user_id": w.volunteer.id}


def _zertifikat_form(w) -> dict:
    today = dt.date.today()
    return {
        "period_start": (today - dt.timedelta(days=420)).isoformat(),
        "period_end": (today - dt.timedelta(days=1)).isoformat(),
        "function": "Lesepatin",
        "skills": "Vorlesen",
        "trainings": "",
        "signer_name": "Clara Auerbach",
        "signed_on": today.isoformat(),
    }


def routes(m) -> dict:
    to_person = m.Expect((302,), None, frozenset({"EhrenamtsZertifikat", "AuditEntry"}))
    return {
        "recognition.my_progress": m.Route(MINE, get=m.logged_in(m.OK), params=_prepared),
        # Everyone gives or deletes only their own year of birth.
        "recognition.save_birth_year": m.Route(
            MINE + "/geburtsjahr",
            post=m.logged_in(m.done(MINE, "BirthYear")),
            params=_prepared,
            form=lambda w: {"year": "1980"},
        ),
        "recognition.forget_birth_year": m.Route(
            MINE + "/geburtsjahr/loeschen",
            post=m.logged_in(m.done(MINE), volunteer=m.done(MINE, "BirthYear")),
            params=_prepared,
        ),
        "recognition.my_certificate": m.Route(
            MINE + "/zertifikate/<int:certificate_id>",
            get=m.logged_in(m.NOT_YOURS, volunteer=m.OK),
            params=lambda w: {"certificate_id": authz_recognition(w).cert.id},
        ),
        "recognition.centre_overview": m.Route(
            "/zentren/<slug>/anerkennung", get=m.own_centre(m.OK), params=_centre
        ),
        "recognition.volunteer": m.Route(
            "/zentren/<slug>/anerkennung/<int:user_id>", get=m.own_centre(m.OK), params=_person
        ),
        "recognition.card_letter": m.Route(
            "/zentren/<slug>/anerkennung/<int:user_id>/ehrenamtscard",
            get=m.own_centre(m.OK),
            params=_person,
        ),
        "recognition.sign_zertifikat": m.Route(
            "/zentren/<slug>/anerkennung/<int:user_id>/zertifikate",
            post=m.own_centre(to_person),
            params=_person,
            form=_zertifikat_form,
        ),
        "recognition.zertifikat": m.Route(
            "/zentren/<slug>/anerkennung/zertifikate/<int:certificate_id>",
            get=m.own_centre(m.OK),
            params=lambda w: {
                "slug": w.centre_a.slug,
                "certificate_id": authz_recognition(w).cert.id,
            },
        ),
        "recognition.record_card": m.Route(
            "/zentren/<slug>/anerkennung/<int:user_id>/ausweise",
            post=m.own_centre(m.done(OVERVIEW_A, "CardHolding", "AuditEntry")),
            params=_person,
            form=lambda w: {
                "kind": "juleica",
                "number": "J-123",
                "expires_on": (dt.date.today() + dt.timedelta(days=700)).isoformat(),
            },
        ),
        "recognition.delete_card": m.Route(
            "/zentren/<slug>/anerkennung/ausweise/<int:card_id>/loeschen",
            post=m.own_centre(m.done(OVERVIEW_A, "CardHolding", "AuditEntry")),
            params=lambda w: {"slug": w.centre_a.slug, "card_id": authz_recognition(w).card.id},
        ),
    }
