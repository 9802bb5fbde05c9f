"""Factories for the wishes, hours and reports tests, and their objects in the authz world."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from types import SimpleNamespace

from tests.factories import make_activity, make_signup, make_slot
from volunteer_app.activities.recurrence import berlin_to_utc
from volunteer_app.common.security import hash_token
from volunteer_app.db import utcnow
from volunteer_app.reports.models import VolunteeringCertificate
from volunteer_app.wishes.models import Wish, WishSupport

_seq = itertools.count(1)


def make_wish(centre, title: str | None = None, supports: int = 0, **fields) -> Wish:
    """A public (approved) wish of ``centre`` with ``supports`` supports from different
    browsers; ``approved_at=None`` makes one awaiting approval."""
    data = {
        "centre": centre,
        "title": title or f"Babymassage {next(_seq)}",
        "description": "Für Eltern mit Babys bis ein Jahr.",
        "support_count": supports,
        "approved_at": fields.get("created_at") or utcnow(),
    }
    data.update(fields)
    wish = Wish.create(**data)
    for n in range(supports):
        WishSupport.create(wish=wish, browser_hash=hash_token(f"browser-{wish.id}-{n}"))
    return wish


def slot_on(activity, day: dt.date, start=dt.time(10), hours: float = 2, **fields):
    """A slot of ``activity`` on the Berlin ``day`` from ``start``, ``hours`` long."""
    starts_at = berlin_to_utc(day, start)
    return make_slot(activity, starts_at=starts_at, hours=hours, capacity=5, **fields)


def attended(slot, volunteer, hours) -> object:
    """A confirmed sign-up with attendance recorded and ``hours``."""
    return make_signup(slot, volunteer, attendance="attended", hours=Decimal(str(hours)))


# --- For the authorization matrix (tests/authz_routes_*.py) ---------------------------------


def authz_wishes(world):
    """Centre A's wish (with an e-mail address) and an activity, made on first use; plus an
    attended past slot of the matrix's volunteer and a requested certificate for centre A."""
    found = getattr(world, "_wishes", None)
    if found is None:
        activity = make_activity(
            world.centre_a, title="Eltern-Café", responsible=world.coordinator_a
        )
        wish = make_wish(
            world.centre_a,
            "Babymassage",
            supports=2,
            email="familie@example.org",
            email_consent_at=utcnow(),
        )
        wish_b = make_wish(world.centre_b, "Nähcafé", supports=1)
        # Awaiting approval, with an address for the reason of a rejection.
        pending = make_wish(
            world.centre_a,
            "Flohmarkt",
            supports=1,
            approved_at=None,
            email="flohmarkt@example.org",
            email_consent_at=utcnow(),
        )
        day = dt.date.today() - dt.timedelta(days=20)
        slot = slot_on(activity, day)
        attended(slot, world.volunteer, 2)
        cert = VolunteeringCertificate.create(
            volunteer=world.volunteer,
            centre=world.centre_a,
            period_start=day - dt.timedelta(days=5),
            period_end=day + dt.timedelta(days=5),
        )
        found = SimpleNamespace(
            activity=activity, wish=wish, wish_b=wish_b, pending=pending, cert=cert, day=day
        )
        world._wishes = found
    return found


# --- A hand-built year for the reports tests --------------------------------------------------


def report_dataset():
    """Last year (Berlin) in two centres of one operator and a third centre elsewhere.

    Centre A: reading (3 dates held, one cancelled, one on the evening before the year),
    gardening (1 date held); hours 2 + 2 + 1.5 (reading) and 3 (gardening) by two
    volunteers, a no-show of a third. Rooms: 2 + 3 + 1 (cut at New Year) hours in the
    movement room, 1 hour in the group room, one cancelled booking; partners: a midwife
    (two bookings) and a counselling service, and a health office without bookings.
    Wishes: two received in the year, two realised in it. Centre B: one date, 4 hours.
    """
    from tests.factories import make_centre, make_coordinator, make_operator, make_user
    from volunteer_app.partners.models import Partner
    from volunteer_app.rooms.models import Booking, Room

    year = dt.date.today().year - 1
    d = lambda m, day: dt.date(year, m, day)  # noqa: E731
    operator = make_operator(name="Träger Report")
    a = make_centre(name="Zentrum Anger", slug="anger", operator=operator,
                    street="Anger 1", postcode="99084")  # fmt: skip
    b = make_centre(name="Zentrum Brühl", slug="bruehl", operator=operator)
    c = make_centre(name="Zentrum Fern", slug="fern")
    people = {
        "v1": make_user(name="Vera Vorleserin", email="vera@example.org"),
        "v2": make_user(name="Gustav Gärtner", email="gustav@example.org"),
        "v3": make_user(name="Nina Nichtda", email="nina@example.org"),
    }
    coord_a = make_coordinator(a, name="Clara Anger")
    coord_b = make_coordinator(b, name="Bruno Brühl")
    reading = make_activity(a, "reading", title="Vorlesestunde")
    garden = make_activity(a, "gardening", title="Gartentag")
    cooking = make_activity(b, "cooking", title="Kochen")
    s1 = slot_on(reading, d(3, 10))
    s2 = slot_on(reading, d(6, 15))
    s3 = slot_on(reading, d(1, 1), start=dt.time(0, 30), hours=1)
    slot_on(reading, d(5, 5), status="cancelled")
    s5 = slot_on(reading, dt.date(year - 1, 12, 31), start=dt.time(23, 0), hours=0.5)
    g1 = slot_on(garden, d(9, 1), start=dt.time(14), hours=3)
    k1 = slot_on(cooking, d(4, 20))
    attended(s1, people["v1"], 2)
    attended(s1, people["v2"], 2)
    attended(s2, people["v1"], 1.5)
    make_signup(s3, people["v3"], attendance="no_show", hours=Decimal("0"))
    attended(s5, people["v3"], 0.5)
    attended(g1, people["v2"], 3)
    attended(k1, people["v1"], 4)

    midwife = Partner.create(centre=a, kind="midwife", name="Hebamme Anna Schmidt",
                             contact_name="Anna Schmidt", contact_email="anna@hebamme.example")  # fmt: skip
    counselling = Partner.create(centre=a, kind="counselling", name="Beratung Lotte Lind")
    Partner.create(centre=a, kind="health_office", name="Gesundheitsamt")
    movement = Room.create(centre=a, name="Bewegungsraum")
    group = Room.create(centre=a, name="Gruppenraum")
    Room.create(centre=c, name="Fremdraum")

    def book(room, day, start, end, partner=None, **fields):
        return Booking.create(
            room=room, title="Sprechstunde", partner=partner,
            starts_at=berlin_to_utc(day, start), ends_at=berlin_to_utc(day, end), **fields,
        )  # fmt: skip

    book(movement, d(2, 2), dt.time(9), dt.time(11), midwife)
    book(movement, d(3, 3), dt.time(9), dt.time(12), midwife)
    book(movement, d(4, 4), dt.time(9), dt.time(14), counselling, status="cancelled")
    Booking.create(
        room=movement, title="Silvester",
        starts_at=berlin_to_utc(dt.date(year - 1, 12, 31), dt.time(23)),
        ends_at=berlin_to_utc(d(1, 1), dt.time(1)),
    )  # fmt: skip
    book(group, d(7, 7), dt.time(10), dt.time(11), counselling)

    def at(day):
        return berlin_to_utc(day, dt.time(12))

    make_wish(a, "Nähcafé", created_at=at(d(2, 1)))
    make_wish(a, "Babymassage", created_at=at(d(3, 1)), status="realised",
              activity=reading, realised_at=at(d(4, 1)))  # fmt: skip
    make_wish(a, "Reparaturcafé", created_at=at(dt.date(year - 1, 6, 1)), status="realised",
              activity=garden, realised_at=at(d(5, 1)))  # fmt: skip
    make_wish(a, "Spieleabend", created_at=at(dt.date(year + 1, 1, 2)))
    make_wish(c, "Fremder Wunsch", created_at=at(d(2, 1)))
    return SimpleNamespace(
        year=year,
        operator=operator,
        a=a,
        b=b,
        c=c,
        coord_a=coord_a,
        coord_b=coord_b,
        people=people,
        partners=(midwife, counselling),
    )
