"""Authorization matrix entries of the partner directory (see tests/test_authz_matrix.py)."""

from __future__ import annotations

from tests.factories_hub import make_partner


def authz_partner(world):
    """Centre A's partner (with internal notes) and one of centre B, made on first use."""
    found = getattr(world, "_partner", None)
    if found is None:
        found = make_partner(world.centre_a, name="Hebammenpraxis A")
        make_partner(world.centre_b, name="Hebammenpraxis B", internal_notes="Notiz B")
        world._partner = found
    return found


def _slug(world) -> dict:
    authz_partner(world)
    return {"slug": world.centre_a.slug}


def _none(world) -> dict:
    authz_partner(world)
    return {}


def _partner(world) -> dict:
    return {"slug": world.centre_a.slug, "partner_id": authz_partner(world).id}


def _form(world) -> dict:
    return {
        "kind": "counselling",
        "name": "Familienberatung am Anger",
        "offer": "Beratung",
        "languages": ["de", "ar"],
        "is_public": "y",
        "internal_notes": "intern",
    }


def routes(m) -> dict:
    list_a = "/zentren/zentrum-a/partner/"
    return {
        "partners.list_partners": m.Route(
            "/zentren/<slug>/partner/", get=m.own_centre(m.OK), params=_slug
        ),
        "partners.network": m.Route("/partner/", get=m.staff(m.OK), params=_none),
        "partners.create_partner": m.Route(
            "/zentren/<slug>/partner/neu",
            get=m.own_centre(m.OK),
            post=m.own_centre(m.done(list_a, "Partner")),
            params=_slug,
            form=_form,
        ),
        "partners.edit_partner": m.Route(
            "/zentren/<slug>/partner/<int:partner_id>/bearbeiten",
            get=m.own_centre(m.OK),
            post=m.own_centre(m.done(list_a, "Partner")),
            params=_partner,
            form=_form,
        ),
        "partners.delete_partner": m.Route(
            "/zentren/<slug>/partner/<int:partner_id>/entfernen",
            get=m.own_centre(m.OK),
            post=m.own_centre(m.done(list_a, "Partner")),
            params=_partner,
        ),
    }
