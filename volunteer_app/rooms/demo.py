"""Demo partners, rooms and bookings of the demo centres (``flask seed demo``).

Idempotent: partners and rooms are found by name, a booking series by its room and title;
only what is missing is created. Partners live in ``partners``, but rooms book them, so
both are seeded here (``partners.demo`` delegates).
"""

from __future__ import annotations

import datetime as dt
import uuid

from volunteer_app.activities import recurrence
from volunteer_app.activities.queries import closing_days_of
from volunteer_app.centres.queries import today
from volunteer_app.partners.models import Partner
from volunteer_app.rooms.models import Booking, Room

PARTNERS = {
    "regenbogenhaus-erfurt": [
        dict(
            kind="midwife",
            name="Hebammenpraxis Nordlicht",
            is_public=True,
            languages="de,en,ar",
            offer="Sprechstunde für Schwangere und junge Eltern: Stillen, Schlaf, Beikost. "
            "Ohne Anmeldung, jeden 2. Dienstag im Monat im Beratungszimmer.",
            contact_name="Praxisteam",
            contact_phone="0361 55 40 12",
            website="https://hebammen-nordlicht.example",
            internal_contact="Frau Sommer (Praxisleitung), direkt 0361 55 40 19",
            internal_notes="Bringt eigene Waage mit. Kooperationsvertrag bis 12/2027.",
        ),
        dict(
            kind="counselling",
            name="Erziehungs- und Familienberatung Erfurt",
            is_public=True,
            languages="de,ru,uk",
            offer="Offene Beratung zu Erziehung, Trennung und Familienalltag.",
            contact_name="Beratungsstelle Nord",
            contact_email="beratung@erfurt.example",
            contact_phone="0361 65 51 00",
            website="https://erfurt.example/familienberatung",
        ),
        dict(
            kind="health_office",
            name="Gesundheitsamt Erfurt – Kinder- und Jugendärztlicher Dienst",
            is_public=True,
            offer="Impfberatung und Entwicklungsfragen, zweimal im Jahr vor Ort.",
            contact_phone="0361 655 42 01",
            website="https://erfurt.example/gesundheitsamt",
        ),
        dict(
            kind="education",
            name="Stadtteilbibliothek Rieth",
            is_public=True,
            languages="de",
            offer="Bücherkisten für die Vorlesestunde, Bibliotheksführungen für Familien.",
        ),
        dict(
            kind="association",
            name="SV Concordia Erfurt – Kinderturnen",
            is_public=False,
            offer="Eltern-Kind-Turnen für 2- bis 5-Jährige.",
            internal_notes="Hallenschlüssel bei der Kita-Leitung. Abrechnung über den Verein.",
        ),
    ],
    "saaletal-rudolstadt": [
        dict(
            kind="midwife",
            name="Hebammen im Saaletal",
            is_public=True,
            languages="de,pl",
            offer="Hebammensprechstunde und Rückbildungskurs.",
            contact_phone="03672 40 11 22",
        ),
        dict(
            kind="counselling",
            name="AWO Elternberatung Rudolstadt",
            is_public=True,
            offer="Beratung in Erziehungsfragen, auch auf Arabisch.",
            languages="de,ar",
            contact_email="elternberatung@awo-saalfeld.example",
        ),
        dict(
            kind="leisure",
            name="Naturfreunde Rudolstadt",
            is_public=True,
            offer="Familienwanderungen und Naturerlebnistage an der Saale.",
        ),
    ],
    "dorfkinder-grossschwabhausen": [
        dict(
            kind="association",
            name="Heimatverein Großschwabhausen",
            is_public=True,
            offer="Backtag im Gemeindebackhaus, Dorffeste mit Kinderprogramm.",
        ),
    ],
}

ROOMS = {
    "regenbogenhaus-erfurt": [
        dict(
            name="Familiencafé",
            capacity=20,
            accessible=True,
            equipment="Küchenzeile, Spielecke, Wickeltisch",
        ),
        dict(
            name="Beratungszimmer",
            capacity=6,
            accessible=True,
            equipment="Tisch, 6 Stühle, Babywaage, abschließbarer Schrank",
        ),
        dict(
            name="Bewegungsraum",
            capacity=25,
            accessible=False,
            equipment="Matten, Bällebad, Musikanlage",
        ),
    ],
    "saaletal-rudolstadt": [
        dict(
            name="Gruppenraum Saale", capacity=15, accessible=True, equipment="Beamer, Stuhlkreis"
        ),
        dict(name="Elternzimmer", capacity=5, accessible=True, equipment="Sofa, Wickeltisch"),
    ],
    "dorfkinder-grossschwabhausen": [
        dict(name="Mehrzweckraum", capacity=30, accessible=True, equipment="Küche, Bühne"),
    ],
}

# (room, title, partner, recurrence, weekday, nth, start, end, count, public)
BOOKINGS = {
    "regenbogenhaus-erfurt": [
        (
            "Beratungszimmer",
            "Hebammensprechstunde",
            "Hebammenpraxis Nordlicht",
            "monthly",
            1,
            2,
            dt.time(9),
            dt.time(11),
            12,
            True,
        ),
        (
            "Beratungszimmer",
            "Offene Familienberatung",
            "Erziehungs- und Familienberatung Erfurt",
            "weekly",
            3,
            None,
            dt.time(14),
            dt.time(16),
            20,
            True,
        ),
        (
            "Bewegungsraum",
            "Eltern-Kind-Turnen",
            "SV Concordia Erfurt – Kinderturnen",
            "weekly",
            2,
            None,
            dt.time(15, 30),
            dt.time(17),
            20,
            False,
        ),
        (
            "Familiencafé",
            "Elterncafé",
            None,
            "weekly",
            4,
            None,
            dt.time(9),
            dt.time(11, 30),
            20,
            False,
        ),
        (
            "Familiencafé",
            "Teamsitzung",
            None,
            "weekly",
            0,
            None,
            dt.time(13),
            dt.time(14, 30),
            20,
            False,
        ),
    ],
    "saaletal-rudolstadt": [
        (
            "Elternzimmer",
            "Hebammensprechstunde",
            "Hebammen im Saaletal",
            "weekly",
            1,
            None,
            dt.time(10),
            dt.time(12),
            20,
            True,
        ),
        (
            "Gruppenraum Saale",
            "Elternberatung",
            "AWO Elternberatung Rudolstadt",
            "monthly",
            3,
            1,
            dt.time(15),
            dt.time(17),
            12,
            True,
        ),
    ],
    "dorfkinder-grossschwabhausen": [],
}


def _first(weekday: int, nth: int | None, start: dt.date) -> dt.date:
    day = start + dt.timedelta(days=(weekday - start.weekday()) % 7)
    if nth is None:
        return day
    year, month = day.year, day.month
    for _ in range(3):
        found = recurrence.nth_weekday(year, month, weekday, nth)
        if found and found >= start:
            return found
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return day


def seed(network) -> int:
    created = 0
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    for slug, centre in network.centres.items():
        partners = {p.name: p for p in Partner.select().where(Partner.centre == centre.id)}
        for data in PARTNERS.get(slug, []):
            if data["name"] not in partners:
                partners[data["name"]] = Partner.create(centre=centre.id, **data)
                created += 1
        rooms = {r.name: r for r in Room.select().where(Room.centre == centre.id)}
        for data in ROOMS.get(slug, []):
            if data["name"] not in rooms:
                rooms[data["name"]] = Room.create(centre=centre.id, **data)
                created += 1
        closing = closing_days_of(centre.id)
        author = next((u for u in network.staff.values() if u.role == "coordinator"), None)
        for (
            room_name,
            title,
            partner,
            kind,
            weekday,
            nth,
            start,
            end,
            count,
            public,
        ) in BOOKINGS.get(slug, []):
            room = rooms[room_name]
            if (
                Booking.select()
                .where((Booking.room == room.id) & (Booking.title == title))
                .exists()
            ):
                continue
            first = _first(weekday, nth, today() - dt.timedelta(days=14))
            rule = recurrence.Rule(kind, first, start, end, 1, nth, None, count)
            key = uuid.uuid4().hex
            rows = []
            for occurrence in recurrence.occurrences(rule, dt.date.max, closing):
                rows.append(
                    {
                        "room": room.id,
                        "title": title,
                        "partner": partners[partner].id if partner else None,
                        "series_key": key,
                        "starts_at": occurrence.starts_at,
                        "ends_at": occurrence.ends_at,
                        "is_public": public,
                        "created_by": author.id if author else None,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            if rows:
                Booking.insert_many(rows).execute()
                created += len(rows)
    return created
