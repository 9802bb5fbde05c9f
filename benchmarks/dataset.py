"""A regional dataset for benchmarks, generated fast with bulk inserts.

    .venv/bin/python benchmarks/dataset.py --database-url sqlite:////tmp/regional.db
    .venv/bin/python benchmarks/dataset.py --database-url postgresql://postgres@127.0.0.1:5432/mydb

Into an EMPTY database (it runs the migrations first) it writes, from a seeded random
generator: operators, 100 centres in Thuringian towns with closing days, one admin, two
coordinators per centre, 5,000 volunteers with profiles, interests, weekly time windows,
reachable centres and (for some centres) certificate checks and measles proofs, about ten
activities per centre with weekly, fortnightly, monthly and one-off series, 50,000 slots
from 30 days ago to 60 days ahead, and 150,000 sign-ups.

The sign-ups keep the invariants the sign-up service keeps: ``slot.taken`` equals the
confirmed sign-ups and never exceeds the capacity; one row per slot and person; no person
has two active sign-ups at overlapping times; waitlisted people only on full slots;
child-facing activities only for people with a valid certificate check by that centre.
They are made by walking through the volunteers and picking slots at the centres each
one can reach, preferring their interests, skipping every slot that would overlap.

Everyone's password is ``PASSWORD`` (hashed once). Rows get explicit ids and are written
with ``Model.insert_many`` in batches of 1,000 rows, one transaction per table; on
PostgreSQL the id sequences are moved past them and the tables are analysed afterwards.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import math
import random
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import peewee as pw

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PASSWORD = "Regional-Benchmark-2026"
DOMAIN = "bench.thekiz.invalid"
BATCH = 1000


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# (town, postcode, latitude, longitude, number of centres): 100 centres in all, roughly by
# population, from the cities down to small towns.
TOWNS = (
    ("Erfurt", "99084", 50.978, 11.029, 13),
    ("Jena", "07743", 50.927, 11.589, 9),
    ("Gera", "07545", 50.880, 12.083, 7),
    ("Weimar", "99423", 50.980, 11.329, 5),
    ("Gotha", "99867", 50.949, 10.701, 4),
    ("Eisenach", "99817", 50.975, 10.320, 4),
    ("Nordhausen", "99734", 51.505, 10.791, 3),
    ("Suhl", "98527", 50.609, 10.692, 3),
    ("Mühlhausen", "99974", 51.209, 10.454, 3),
    ("Altenburg", "04600", 50.985, 12.433, 3),
    ("Ilmenau", "98693", 50.684, 10.919, 3),
    ("Saalfeld", "07318", 50.648, 11.365, 2),
    ("Rudolstadt", "07407", 50.718, 11.328, 2),
    ("Arnstadt", "99310", 50.834, 10.947, 2),
    ("Sonneberg", "96515", 50.359, 11.174, 2),
    ("Sömmerda", "99610", 51.159, 11.116, 2),
    ("Meiningen", "98617", 50.568, 10.415, 2),
    ("Apolda", "99510", 51.025, 11.514, 2),
    ("Greiz", "07973", 50.655, 12.199, 2),
    ("Bad Salzungen", "36433", 50.811, 10.233, 2),
    ("Sondershausen", "99706", 51.370, 10.871, 2),
    ("Leinefelde-Worbis", "37327", 51.388, 10.324, 2),
    ("Heilbad Heiligenstadt", "37308", 51.378, 10.138, 2),
    ("Pößneck", "07381", 50.692, 11.596, 2),
    ("Schmalkalden", "98574", 50.721, 10.447, 2),
    ("Zeulenroda-Triebes", "07937", 50.652, 11.981, 1),
    ("Hildburghausen", "98646", 50.426, 10.729, 1),
    ("Bad Langensalza", "99947", 51.108, 10.646, 1),
    ("Schleiz", "07907", 50.579, 11.810, 1),
    ("Artern", "06556", 51.366, 11.292, 1),
    ("Stadtroda", "07646", 50.857, 11.726, 1),
    ("Eisenberg", "07607", 50.968, 11.898, 1),
    ("Schmölln", "04626", 50.895, 12.356, 1),
    ("Bad Frankenhausen", "06567", 51.356, 11.099, 1),
    ("Zella-Mehlis", "98544", 50.655, 10.661, 1),
    ("Waltershausen", "99880", 50.898, 10.558, 1),
    ("Neustadt an der Orla", "07806", 50.736, 11.746, 1),
    ("Kahla", "07768", 50.806, 11.587, 1),
    ("Ronneburg", "07580", 50.863, 12.181, 1),
    ("Großschwabhausen", "99441", 50.927, 11.485, 1),
)

OPERATORS = (
    "Stadt Erfurt – Jugendamt",
    "Stadt Jena – Fachdienst Jugendhilfe",
    "Stadt Gera – Amt für Kinder und Jugend",
    "AWO Landesverband Thüringen",
    "AWO Kreisverband Saalfeld-Rudolstadt",
    "Diakonie Mitteldeutschland",
    "Caritasverband für das Bistum Erfurt",
    "DRK Landesverband Thüringen",
    "Volkssolidarität Thüringen",
    "Der Paritätische Thüringen",
    "Lebenshilfe Thüringen",
    "Johanniter-Unfall-Hilfe Regionalverband Thüringen",
)

CENTRE_NAMES = (
    "Regenbogenhaus",
    "Sonnenschein",
    "Pusteblume",
    "Kinderland",
    "Spatzennest",
    "Zwergenhaus",
    "Waldwichtel",
    "Löwenzahn",
    "Kunterbunt",
    "Sternschnuppe",
    "Rappelkiste",
    "Am Stadtpark",
    "Lindenhof",
    "Wirbelwind",
    "Schatzkiste",
    "Märchenland",
    "Villa Sonnenblume",
    "Haus der Familie",
    "Am Mühlgraben",
    "Farbklecks",
)
STREETS = (
    "Hauptstraße",
    "Schulstraße",
    "Bahnhofstraße",
    "Lindenallee",
    "Goethestraße",
    "Schillerstraße",
    "Am Anger",
    "Gartenweg",
    "Rosenstraße",
    "Friedrich-Ebert-Straße",
    "Karl-Marx-Allee",
    "Mühlweg",
    "Am Markt",
    "Kirchgasse",
)

FIRST_NAMES = _words(
    "Anna Gerda Sabine Marie Johanna Ingrid Lea Renate Anja Sophie Nadine Brigitte Hannelore "
    "Katrin Petra Monika Ursula Heike Claudia Susanne Karin Birgit Elke Julia Laura Lena Emma "
    "Mia Hannah Sarah Aylin Olena Emily Fatma Irina Ewa Lukas Tim Finn Paul Thomas Wolfgang "
    "Klaus Hans Jens Karl Uwe Frank Andreas Michael Stefan Jürgen Dieter Bernd Matthias Jan "
    "Felix Jonas Leon Max Ben Mehmet Ahmad Yusuf Oleksandr Tomasz Luca Henrik Rainer Gerd"
)
LAST_NAMES = _words(
    "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Koch Richter "
    "Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann Lange Schmitt "
    "Werner Krause Lehmann Köhler Vogel König Schubert Engel Friedrich Günther Seidel Heinrich "
    "Böhm Frank Kühn Jahn Pohl Sommer Ernst Thiele Voigt Fuchs Lorenz Ludwig Walther Demir "
    "Yılmaz Kovalenko Nowak Carter Rossi Popescu Haddad"
)

# Activities per built-in category: (title, audience).
ACTIVITIES = {
    "reading": (
        ("Vorlesestunde", "Kinder von 3 bis 6 Jahren"),
        ("Lesepatenschaft", "Grundschulkinder"),
        ("Bilderbuchkino", "Familien"),
        ("Vorlesen auf Englisch", "Kinder ab 4 Jahren"),
    ),
    "gardening": (
        ("Gemeinsam gärtnern im Hof", "Familien"),
        ("Hochbeete pflegen", "Kinder und Eltern"),
        ("Kräuterschnecke anlegen", "Familien"),
    ),
    "hiking": (
        ("Familienwanderung", "Familien mit Kindern"),
        ("Waldspaziergang mit Kita-Gruppe", "Kita-Gruppe"),
        ("Ausflug in den Stadtpark", "Kinder ab 3 Jahren"),
    ),
    "baking": (
        ("Backen mit Kindern", "Kinder ab 4 Jahren"),
        ("Plätzchenbacken", "Familien"),
        ("Brot backen im Lehmofen", "Familien"),
    ),
    "cooking": (
        ("Familiencafé", "Eltern mit Babys und Kleinkindern"),
        ("Gemeinsam kochen", "Eltern und Kinder"),
        ("Mittagstisch für Familien", "Familien"),
        ("Suppenküche am Freitag", "alle"),
    ),
}
CUSTOM_CATEGORIES = (
    ("Fahrradwerkstatt", "Kinderfahrräder reparieren"),
    ("Basteln", "Basteln mit Naturmaterialien"),
    ("Sprachcafé", "Sprachcafé Deutsch"),
    ("Hausaufgabenhilfe", "Hausaufgabenhilfe"),
    ("Musik", "Singen und Musizieren"),
)
# volunteers_needed: mean about 3.5
CAPACITY_WEIGHTS = {1: 5, 2: 25, 3: 25, 4: 20, 5: 15, 6: 10}
WAITLIST_MAX = 6
MAX_PER_PERSON = 80  # sign-ups of one person in the whole period

# The columns written per table, in the order of the planned row tuples.
FIELDS = {
    "operator": _words("id name"),
    "centre": _words(
        "id operator name slug street postcode town description contact_email contact_phone created_at"
    ),
    "closing_day": _words("id centre day reason"),
    "user": _words(
        "id email name password_hash role locale phone email_confirmed_at session_token is_active failed_logins last_login_at created_at"
    ),
    "consent": _words("id user kind version given_at withdrawn_at"),
    "centre_membership": _words("id user centre created_at"),
    "category": _words("id key name centre created_at"),
    "activity": _words(
        "id centre title category description place responsible audience is_public is_child_facing signup_mode cancel_deadline_hours volunteers_needed created_at updated_at"
    ),
    "series": _words(
        "id activity recurrence interval weekday nth start_date start_time end_time until_date count generated_until created_at"
    ),
    "slot": _words(
        "id activity series original_date starts_at ends_at capacity taken status detached sequence cancelled_at created_at updated_at"
    ),
    "volunteer_profile": _words(
        "id user open_to_anything max_per_week max_per_month languages reminder_hours updated_at"
    ),
    "interest": _words("id user category"),
    "availability_window": _words("id user weekday start_time end_time"),
    "reachable_centre": _words("id user centre"),
    "certificate_check": _words(
        "id volunteer centre certificate_date inspected_on inspected_by eligible created_at"
    ),
    "measles_proof": _words("id volunteer centre shown_on proof_ok recorded_by created_at"),
    "signup": _words(
        "id slot volunteer status created_at queued_at decided_at decided_by assigned_by attendance hours reminded_at"
    ),
}


@dataclass
class Sizes:
    centres: int = 100
    volunteers: int = 5_000
    slots: int = 50_000
    signups: int = 150_000
    days_back: int = 30
    days_ahead: int = 60


@dataclass
class Result:
    counts: dict[str, int] = field(default_factory=dict)
    planned_seconds: float = 0.0
    insert_seconds: float = 0.0
    total_seconds: float = 0.0
    now: dt.datetime | None = None


# --- Planning (pure Python, seeded) -----------------------------------------------------------


class _Plan:
    """Rows per table as tuples, with explicit ids; built before anything is written."""

    def __init__(self, sizes: Sizes, seed: int, now: dt.datetime, password_hash: str):
        from volunteer_app.activities.recurrence import Rule, occurrences
        from volunteer_app.common.time import to_berlin

        self._Rule, self._occurrences = Rule, occurrences
        self.sizes, self.rng, self.now = sizes, random.Random(seed), now
        self.today = to_berlin(now).date()
        self.first_day = self.today - dt.timedelta(days=sizes.days_back)
        self.last_day = self.today + dt.timedelta(days=sizes.days_ahead - 1)
        self.password_hash = password_hash
        self.rows: dict[str, list[tuple]] = defaultdict(list)
        self.fields: dict[str, tuple[str, ...]] = {}

    def add(self, table: str, fields: tuple[str, ...], row: tuple) -> int:
        self.fields.setdefault(table, fields)
        self.rows[table].append(row)
        return row[0]

    def next_id(self, table: str) -> int:
        return len(self.rows[table]) + 1

    # People ----------------------------------------------------------------------------------

    def _name(self) -> str:
        return f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"

    def user(self, email: str, name: str, role: str, locale: str = "de") -> int:
        rng = self.rng
        created = self.now - dt.timedelta(days=rng.randint(40, 900), minutes=rng.randint(0, 1439))
        phone = (
            ""
            if rng.random() < 0.4
            else f"0{rng.randint(151, 179)} {rng.randint(1000000, 9999999)}"
        )
        uid = self.add(
            "user",
            FIELDS["user"],
            (
                self.next_id("user"),
                email,
                name,
                self.password_hash,
                role,
                locale,
                phone,
                created + dt.timedelta(minutes=rng.randint(1, 120)),
                f"{rng.getrandbits(128):032x}",
                True,
                0,
                self.now - dt.timedelta(days=rng.randint(0, 30), minutes=rng.randint(0, 1439)),
                created,
            ),
        )
        self.add(
            "consent",
            FIELDS["consent"],
            (self.next_id("consent"), uid, "privacy", "2026-11", created, None),
        )
        return uid

    # Centres ---------------------------------------------------------------------------------

    def centres(self) -> None:
        rng = self.rng
        for n, name in enumerate(OPERATORS, start=1):
            self.add("operator", FIELDS["operator"], (n, name))
        towns = [t for t in TOWNS for _ in range(t[4])]
        while len(towns) < self.sizes.centres:  # larger runs: more centres in the cities
            towns.append(rng.choice(TOWNS))
        towns = towns[: self.sizes.centres]
        self.centre_towns: list[tuple] = []
        self.centre_ids: list[int] = []
        self.closed: dict[int, set[dt.date]] = {}
        used: Counter = Counter()
        for town, postcode, lat, lon, _count in towns:
            name = rng.choice([n for n in CENTRE_NAMES if (town, n) not in used] or CENTRE_NAMES)
            used[(town, name)] += 1
            slug = _slug(f"{name}-{town}")
            if used[(town, name)] > 1:
                slug += f"-{used[(town, name)]}"
            cid = self.next_id("centre")
            self.add(
                "centre",
                FIELDS["centre"],
                (
                    cid,
                    rng.randint(1, len(OPERATORS)),
                    f"ThEKiZ {name}",
                    slug,
                    f"{rng.choice(STREETS)} {rng.randint(1, 80)}",
                    postcode,
                    town,
                    f"Das ThEKiZ {name} in {town} ist Kita und Treffpunkt für Familien. "
                    "Ehrenamtliche lesen vor, gärtnern, backen und begleiten Ausflüge.",
                    f"{slug}@{DOMAIN}",
                    f"0{rng.randint(3601, 3699)} {rng.randint(100000, 999999)}",
                    self.now - dt.timedelta(days=rng.randint(100, 700)),
                ),
            )
            self.centre_ids.append(cid)
            self.centre_towns.append((town, lat, lon))
            closed = set()
            if rng.random() < 0.7:  # Christmas closure, entered for every year of the period
                for year in range(self.first_day.year, self.last_day.year + 1):
                    closed |= {dt.date(year, 12, 24) + dt.timedelta(d) for d in range(8)}
            for _ in range(rng.randint(0, 2)):  # team days
                closed.add(
                    self.first_day
                    + dt.timedelta(days=rng.randint(0, (self.last_day - self.first_day).days))
                )
            self.closed[cid] = closed
            reasons = ("Teamfortbildung", "Konzeptionstag des Teams", "Schließzeit")
            for day in sorted(closed):
                self.add(
                    "closing_day",
                    FIELDS["closing_day"],
                    (self.next_id("closing_day"), cid, day, rng.choice(reasons)),
                )

    def staff(self) -> None:
        self.admin_id = self.user(f"admin@{DOMAIN}", "Andrea Admin", "admin")
        self.coordinators: dict[int, list[int]] = {}
        n = 0
        for cid in self.centre_ids:
            self.coordinators[cid] = []
            for _ in range(2):
                n += 1
                uid = self.user(f"koordination{n:03d}@{DOMAIN}", self._name(), "coordinator")
                self.coordinators[cid].append(uid)
                self.add(
                    "centre_membership",
                    FIELDS["centre_membership"],
                    (self.next_id("centre_membership"), uid, cid, self.now),
                )

    # Activities and slots --------------------------------------------------------------------

    def activities(self, builtin: dict[str, int], first_category_id: int) -> None:
        rng, sizes = self.rng, self.sizes
        self.builtin = builtin
        self.slot_rows: list[list] = []  # mutable: taken is filled in by the sign-ups
        # activity id -> (centre id, child-facing, sign-up mode, volunteers needed)
        self.activity_info: dict[int, tuple[int, bool, str, int]] = {}
        per_centre = [sizes.slots // len(self.centre_ids)] * len(self.centre_ids)
        for i in range(sizes.slots - sum(per_centre)):
            per_centre[i] += 1
        category_id = first_category_id
        for cid, target in zip(self.centre_ids, per_centre, strict=True):
            options = [(builtin[key], key) for key in ACTIVITIES]
            if rng.random() < 0.3:  # a centre's own category
                name, title = rng.choice(CUSTOM_CATEGORIES)
                self.add(
                    "category",
                    FIELDS["category"],
                    (category_id, None, name, cid, self.now),
                )
                options.append((category_id, title))
                category_id += 1
            activities = []
            for _ in range(rng.randint(8, 12)):
                cat, key = rng.choice(options)
                title, audience = rng.choice(ACTIVITIES[key]) if key in ACTIVITIES else (key, "")
                activities.append(self._activity(cid, cat, title, audience))
            made = 0
            while made < target:
                made += self._series(cid, rng.choice(activities), target - made)

    def _activity(self, cid: int, cat: int, title: str, audience: str) -> int:
        rng = self.rng
        aid = self.next_id("activity")
        child = rng.random() < 0.35
        mode = "approval" if rng.random() < 0.15 else "open"
        needed = rng.choices(list(CAPACITY_WEIGHTS), weights=list(CAPACITY_WEIGHTS.values()))[0]
        back = self.sizes.days_back
        created = self.now - dt.timedelta(days=rng.randint(back + 5, back + 400))
        self.add(
            "activity",
            FIELDS["activity"],
            (
                aid,
                cid,
                title,
                cat,
                f"{title} im ThEKiZ. Wir freuen uns über Unterstützung!",
                rng.choice(("", "", "Gruppenraum", "Garten", "Küche", "Turnhalle")),
                rng.choice(self.coordinators[cid]),
                audience,
                rng.random() < 0.9,
                child,
                mode,
                rng.choice((12, 24, 24, 48)),
                needed,
                created,
                created,
            ),
        )
        self.activity_info[aid] = (cid, child, mode, needed)
        return aid

    def _series(self, cid: int, aid: int, room: int) -> int:
        """One series of the activity, with its slots (at most ``room``); returns how many."""
        rng = self.rng
        kind = rng.choices(("weekly", "fortnightly", "monthly", "once"), weights=(70, 12, 10, 8))[0]
        weekday = rng.choices(range(7), weights=(10, 10, 10, 10, 9, 4, 1))[0]
        start = self.first_day + dt.timedelta(days=(weekday - self.first_day.weekday()) % 7)
        if kind == "once":
            start = self.first_day + dt.timedelta(
                days=rng.randint(0, (self.last_day - self.first_day).days)
            )
        hour = rng.choice((9, 9.5, 10, 10.5, 14, 14.5, 15, 15.5, 16, 17))
        length = rng.choice((1.5, 2, 2, 2.5, 3))
        start_time = dt.time(int(hour), int(hour % 1 * 60))
        end_time = dt.time(int(hour + length), int((hour + length) % 1 * 60))
        rule = self._Rule(
            recurrence="weekly" if kind == "fortnightly" else kind,
            start_date=start,
            start_time=start_time,
            end_time=end_time,
            interval=2 if kind == "fortnightly" else 1,
        )
        found = self._occurrences(rule, self.last_day, closed=self.closed[cid])[:room]
        if not found:
            return 0
        sid = self.next_id("series")
        ended = len(found) == room  # the centre's quota is reached: the series ends here
        self.add(
            "series",
            FIELDS["series"],
            (
                sid,
                aid,
                rule.recurrence,
                rule.interval,
                None if kind == "once" else weekday,
                rule.monthly_nth if kind == "monthly" else None,
                start,
                start_time,
                end_time,
                found[-1].original_date if ended else None,
                None,
                self.last_day,
                self.now - dt.timedelta(days=self.sizes.days_back + 2),
            ),
        )
        _cid, _child, _mode, needed = self.activity_info[aid]
        for occ in found:
            cancelled = rng.random() < 0.015
            created = self.now - dt.timedelta(days=self.sizes.days_back + 2)
            # id, activity, series, original_date, starts_at, ends_at, capacity, taken, status,
            # detached, sequence, cancelled_at, created_at, updated_at
            self.slot_rows.append(
                [
                    len(self.slot_rows) + 1,
                    aid,
                    sid,
                    occ.original_date,
                    occ.starts_at,
                    occ.ends_at,
                    needed,
                    0,
                    "cancelled" if cancelled else "scheduled",
                    False,
                    1 if cancelled else 0,
                    min(occ.starts_at - dt.timedelta(days=2), self.now) if cancelled else None,
                    created,
                    created,
                ]
            )
        return len(found)

    # Volunteers ------------------------------------------------------------------------------

    def volunteers(self) -> None:
        rng = self.rng
        by_town: dict[str, list[int]] = defaultdict(list)
        for cid, (town, _lat, _lon) in zip(self.centre_ids, self.centre_towns, strict=True):
            by_town[town].append(cid)
        coords = {town: (lat, lon) for town, lat, lon in self.centre_towns}
        towns = list(by_town)
        weights = [len(by_town[t]) for t in towns]
        builtin_ids = list(self.builtin.values())
        self.volunteer_ids: list[int] = []
        self.reach: dict[int, list[int]] = {}
        self.likes: dict[int, set[int] | None] = {}
        self.certified: set[tuple[int, int]] = set()
        for n in range(1, self.sizes.volunteers + 1):
            locale = "en" if rng.random() < 0.06 else "de"
            uid = self.user(f"ehrenamt{n:04d}@{DOMAIN}", self._name(), "volunteer", locale)
            self.volunteer_ids.append(uid)
            open_to_anything = rng.random() < 0.15
            self.add(
                "volunteer_profile",
                FIELDS["volunteer_profile"],
                (
                    self.next_id("volunteer_profile"),
                    uid,
                    open_to_anything,
                    rng.randint(2, 5),
                    rng.randint(8, 20),
                    rng.choices(("de", "de,en", "de,uk", "de,ar", "de,tr"), (78, 14, 3, 3, 2))[0],
                    rng.choice((0, 24, 24, 48)),
                    self.now - dt.timedelta(days=rng.randint(0, 200)),
                ),
            )
            liked = rng.sample(builtin_ids, rng.randint(1, 3))
            for cat in liked:
                self.add(
                    "interest",
                    FIELDS["interest"],
                    (self.next_id("interest"), uid, cat),
                )
            self.likes[uid] = None if open_to_anything else set(liked)
            for weekday in rng.sample(range(7), rng.randint(1, 4)):
                start, end = rng.choice(((9, 12), (9, 13), (14, 18), (15, 19), (10, 16), (8, 20)))
                self.add(
                    "availability_window",
                    FIELDS["availability_window"],
                    (
                        self.next_id("availability_window"),
                        uid,
                        weekday,
                        dt.time(start),
                        dt.time(end),
                    ),
                )
            home = rng.choices(towns, weights)[0]
            near = sorted(towns, key=lambda t: _km(coords[home], coords[t]))
            reach = [c for t in near if _km(coords[home], coords[t]) <= 25 for c in by_town[t]]
            reach = rng.sample(reach, min(len(reach), rng.randint(2, 6)))
            if len(reach) < 2:  # a remote town: the next town's centres too
                reach += [c for c in by_town[near[1]] if c not in reach][:1]
            self.reach[uid] = reach
            for cid in reach:
                self.add(
                    "reachable_centre",
                    FIELDS["reachable_centre"],
                    (self.next_id("reachable_centre"), uid, cid),
                )
                if rng.random() < 0.45:
                    self._checks(uid, cid)

    def _checks(self, uid: int, cid: int) -> None:
        rng = self.rng
        # Inspected before the first slot; valid for five years, so through the last one.
        inspected = self.first_day - dt.timedelta(days=rng.randint(1, 700))
        eligible = rng.random() < 0.98
        self.add(
            "certificate_check",
            FIELDS["certificate_check"],
            (
                self.next_id("certificate_check"),
                uid,
                cid,
                inspected - dt.timedelta(days=rng.randint(3, 80)),
                inspected,
                rng.choice(self.coordinators[cid]),
                eligible,
                dt.datetime.combine(inspected, dt.time(10)),
            ),
        )
        if eligible:
            self.certified.add((uid, cid))
        if rng.random() < 0.7:
            self.add(
                "measles_proof",
                FIELDS["measles_proof"],
                (
                    self.next_id("measles_proof"),
                    uid,
                    cid,
                    inspected,
                    True,
                    rng.choice(self.coordinators[cid]),
                    dt.datetime.combine(inspected, dt.time(10)),
                ),
            )

    # Sign-ups --------------------------------------------------------------------------------

    def signups(self) -> None:
        rng, slots = self.rng, self.slot_rows
        by_centre: dict[int, list[int]] = defaultdict(list)  # centre -> slot indexes
        for i, row in enumerate(slots):
            by_centre[self.activity_info[row[1]][0]].append(i)
        category_of = {row[0]: row[3] for row in self.rows["activity"]}
        self.waiting: Counter = Counter()
        self.chosen: dict[int, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
        self.taken_pairs: set[tuple[int, int]] = set()
        # How busy each person is: a long tail of very active people, most do a few.
        weights = [rng.lognormvariate(0, 0.5) for _ in self.volunteer_ids]
        scale = self.sizes.signups / sum(weights)
        quota = {uid: w * scale for uid, w in zip(self.volunteer_ids, weights, strict=True)}
        target, made, carry = self.sizes.signups, 0, 0.0
        for uid in self.volunteer_ids:  # each person's share; what one misses, the next gets
            want = quota[uid] + carry
            count = min(int(want), MAX_PER_PERSON, target - made)
            got = self._pick(uid, count, by_centre, category_of) if count > 0 else 0
            made += got
            carry = want - got
        tries = 0
        while made < target and tries < 20 * (target - made) + 10_000:  # the rest, one by one
            tries += 1
            made += self._pick(rng.choice(self.volunteer_ids), 1, by_centre, category_of)
        if made != target:
            raise RuntimeError(f"could place only {made} of {target} sign-ups")

    def _pick(self, uid: int, count: int, by_centre, category_of) -> int:
        rng, slots = self.rng, self.slot_rows
        pool = [i for c in self.reach[uid] for i in by_centre[c]]
        liked = self.likes[uid]
        if liked is not None:
            preferred = [i for i in pool if category_of[slots[i][1]] in liked]
            if len(preferred) >= 3 * count:
                pool = preferred
        got = 0
        busy = self.chosen[uid]
        for i in rng.sample(pool, min(len(pool), 4 * count + 20)):
            if got >= count:
                break
            row = slots[i]
            sid, aid, starts, ends = row[0], row[1], row[4], row[5]
            if (sid, uid) in self.taken_pairs:
                continue
            cid, child, mode, _needed = self.activity_info[aid]
            if child and (uid, cid) not in self.certified:
                continue
            if _overlaps(busy, starts, ends):
                continue
            status = self._status(row, mode)
            if status is None:
                continue
            self._signup(row, uid, status)
            bisect.insort(busy, (starts, ends))
            self.taken_pairs.add((sid, uid))
            got += 1
        return got

    def _status(self, row: list, mode: str) -> str | None:
        """The sign-up's state, taking a seat when it is confirmed; None: pick another slot."""
        rng = self.rng
        past = row[4] <= self.now
        if row[8] == "cancelled" or rng.random() < 0.05:
            return "cancelled"  # the slot was called off, or the person cancelled in time
        free = row[7] < row[6]
        if mode == "approval":
            if not past and rng.random() < 0.45:
                return "pending"
            if rng.random() < 0.08:
                return "declined"
            if not free:
                return None
            row[7] += 1
            return "confirmed"
        if free:
            row[7] += 1
            return "confirmed"
        # Full: some join the waitlist, most look for another date.
        if past or self.waiting[row[0]] >= WAITLIST_MAX or rng.random() < 0.7:
            return None
        self.waiting[row[0]] += 1
        return "waitlisted"

    def _signup(self, row: list, uid: int, status: str) -> None:
        rng = self.rng
        starts, ends = row[4], row[5]
        lead = dt.timedelta(hours=rng.randint(30, 24 * 40), minutes=rng.randint(0, 59))
        created = min(starts - lead, self.now - dt.timedelta(minutes=rng.randint(5, 600)))
        past = starts <= self.now
        cid, _child, mode, _needed = self.activity_info[row[1]]
        coordinator = rng.choice(self.coordinators[cid])
        # Approval: a coordinator decided; open: now and then a coordinator assigned someone.
        assigned = mode == "open" and status == "confirmed" and rng.random() < 0.05
        decided = status == "declined" or (status == "confirmed" and mode == "approval") or assigned
        attendance = hours = reminded = None
        if status == "confirmed" and past:
            r = rng.random()
            if r < 0.82:
                attendance = "attended"
                hours = Decimal((ends - starts).total_seconds() / 3600).quantize(Decimal("0.01"))
            elif r < 0.89:
                attendance, hours = "no_show", Decimal("0.00")
        if status == "confirmed" and starts - dt.timedelta(hours=24) <= self.now:
            reminded = starts - dt.timedelta(hours=24)
        queued = created if status != "waitlisted" else created + dt.timedelta(seconds=rng.random())
        self.add(
            "signup",
            FIELDS["signup"],
            (
                self.next_id("signup"),
                row[0],
                uid,
                status,
                created,
                queued,
                created + dt.timedelta(hours=rng.randint(1, 48)) if decided else None,
                coordinator if decided else None,
                coordinator if assigned else None,
                attendance,
                hours,
                reminded,
            ),
        )

    def finish_slots(self) -> None:
        self.fields["slot"] = FIELDS["slot"]
        self.rows["slot"] = [tuple(r) for r in self.slot_rows]


def _overlaps(busy: list[tuple[dt.datetime, dt.datetime]], starts, ends) -> bool:
    """Whether [starts, ends) meets one of ``busy`` (sorted; no slot is longer than a day)."""
    first = bisect.bisect_left(busy, (starts - dt.timedelta(days=1),))
    last = bisect.bisect_left(busy, (ends,))
    return any(b_end > starts for _b_start, b_end in busy[first:last])


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat = math.radians((a[0] + b[0]) / 2)
    return math.hypot((a[0] - b[0]) * 111.2, (a[1] - b[1]) * 111.2 * math.cos(lat))


def _slug(text: str) -> str:
    table = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", " ": "-"})
    out = text.lower().translate(table)
    return "".join(ch for ch in out if ch.isalnum() or ch == "-").strip("-")[:80]


# --- Writing ------------------------------------------------------------------------------------

TABLE_ORDER = tuple(FIELDS)  # foreign-key order


def _write(plan: _Plan, log) -> dict[str, int]:
    from volunteer_app.db import db, is_sqlite
    from volunteer_app.models import all_models

    models = {m._meta.table_name: m for m in all_models()}
    counts = {}
    for table in TABLE_ORDER:
        rows = plan.rows.get(table, [])
        if not rows:
            continue
        model = models[table]
        fields = [model._meta.fields[name] for name in plan.fields[table]]
        started = time.perf_counter()
        with db.atomic():
            for start in range(0, len(rows), BATCH):
                model.insert_many(rows[start : start + BATCH], fields=fields).execute()
        counts[table] = len(rows)
        log(f"  {table:20} {len(rows):>8} rows  {time.perf_counter() - started:6.2f} s")
    if not is_sqlite():
        for table in counts:
            # The table names are this module's own constants.
            db.execute_sql(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "  # noqa: S608
                f'(SELECT MAX(id) FROM "{table}"))'
            )
        started = time.perf_counter()
        db.execute_sql("ANALYZE")
        log(f"  ANALYZE {time.perf_counter() - started:6.2f} s")
    return counts


def generate(sizes: Sizes | None = None, seed: int = 2026, log=print) -> Result:
    """Migrate the bound (empty) database and fill it. Needs an app context."""
    from volunteer_app import migrate
    from volunteer_app.accounts.passwords import hash_password
    from volunteer_app.activities.models import Category
    from volunteer_app.db import db, utcnow

    sizes = sizes or Sizes()
    result = Result(now=utcnow())
    started = time.perf_counter()
    with db.connection_context():
        migrate.upgrade()
        if db.execute_sql('SELECT COUNT(*) FROM "user"').fetchone()[0]:
            raise RuntimeError("the database is not empty: the dataset needs a new one")
        builtin = {c.key: c.id for c in Category.select().where(Category.key.is_null(False))}
        first_category = (Category.select(Category.id).order_by(Category.id.desc()).scalar()) + 1
        plan = _Plan(sizes, seed, result.now, hash_password(PASSWORD))
        plan.centres()
        plan.staff()
        plan.activities(builtin, first_category)
        plan.volunteers()
        plan.signups()
        plan.finish_slots()
        result.planned_seconds = time.perf_counter() - started
        log(f"planned in {result.planned_seconds:.1f} s; writing:")
        written = time.perf_counter()
        result.counts = _write(plan, log)
        result.insert_seconds = time.perf_counter() - written
    result.total_seconds = time.perf_counter() - started
    log(
        f"generated {sum(result.counts.values())} rows in {result.total_seconds:.1f} s "
        f"(planning {result.planned_seconds:.1f} s, inserting {result.insert_seconds:.1f} s)"
    )
    return result


def check_invariants() -> list[str]:
    """What is wrong with the sign-ups (empty when every invariant holds). Needs a connection."""
    from volunteer_app.activities.models import Slot
    from volunteer_app.signups.models import ACTIVE, Signup

    problems = []
    confirmed = (
        Signup.select(Signup.slot, pw.fn.COUNT(Signup.id).alias("n"))
        .where(Signup.status == "confirmed")
        .group_by(Signup.slot)
    )
    counted = {row.slot_id: row.n for row in confirmed}
    for slot in Slot.select(Slot.id, Slot.taken, Slot.capacity, Slot.status):
        if slot.taken != counted.get(slot.id, 0) or slot.taken > slot.capacity:
            problems.append(
                f"slot {slot.id}: taken {slot.taken}, confirmed {counted.get(slot.id, 0)}"
            )
    duplicates = (
        Signup.select(Signup.slot, Signup.volunteer)
        .group_by(Signup.slot, Signup.volunteer)
        .having(pw.fn.COUNT(Signup.id) > 1)
        .count()
    )
    if duplicates:
        problems.append(f"{duplicates} duplicate (slot, volunteer) pairs")
    active = (
        Signup.select(Signup.volunteer, Slot.starts_at, Slot.ends_at)
        .join(Slot)
        .where(Signup.status.in_(ACTIVE) & (Slot.status == "scheduled"))
        .order_by(Signup.volunteer, Slot.starts_at)
        .tuples()
    )
    previous = (None, None, None)
    for volunteer, starts, ends in active:
        if volunteer == previous[0] and starts < previous[2]:
            problems.append(f"volunteer {volunteer}: overlapping sign-ups at {starts}")
        previous = (volunteer, starts, max(ends, previous[2]) if volunteer == previous[0] else ends)
    return problems[:20]


def summary() -> dict[str, int]:
    """Sign-ups per status. Needs a connection."""
    from volunteer_app.signups.models import Signup

    query = Signup.select(Signup.status, pw.fn.COUNT(Signup.id)).group_by(Signup.status)
    return dict(sorted(query.tuples()))


def add_size_arguments(parser: argparse.ArgumentParser, signups_flag: str = "--signups") -> None:
    """The dataset's sizes and seed as options; read them back with ``sizes_from``."""
    defaults = Sizes()
    parser.add_argument("--centres", type=int, default=defaults.centres)
    parser.add_argument("--volunteers", type=int, default=defaults.volunteers)
    parser.add_argument("--slots", type=int, default=defaults.slots)
    parser.add_argument(
        signups_flag, dest="dataset_signups", type=int, default=defaults.signups, metavar="N"
    )
    parser.add_argument("--days-back", type=int, default=defaults.days_back, metavar="DAYS")
    parser.add_argument("--days-ahead", type=int, default=defaults.days_ahead, metavar="DAYS")
    parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")


def sizes_from(parser: argparse.ArgumentParser, args) -> Sizes:
    sizes = Sizes(
        centres=args.centres,
        volunteers=args.volunteers,
        slots=args.slots,
        signups=args.dataset_signups,
        days_back=args.days_back,
        days_ahead=args.days_ahead,
    )
    if not 1 <= sizes.centres <= 1000 or not 1 <= sizes.volunteers <= 100_000:
        parser.error("--centres must be 1..1000 and --volunteers 1..100000")
    if not sizes.centres <= sizes.slots <= 1_000_000 or not 0 <= sizes.signups <= 3_000_000:
        parser.error("the slots must be 1 per centre to 1000000, the sign-ups 0..3000000")
    if not 0 <= sizes.days_back <= 700 or not 1 <= sizes.days_ahead <= 400:
        parser.error("--days-back must be 0..700 and --days-ahead 1..400")
    return sizes


def app_for(database_url: str):
    """An app bound to the database, for generating outside a request."""
    import os

    # The job queue of this in-process app stays in memory (nothing is enqueued anyway).
    os.environ.setdefault("HUEY_URL", "memory://")
    from config import DevelopmentConfig
    from volunteer_app import create_app

    return create_app(DevelopmentConfig, DATABASE_URL=database_url)


def close_database() -> None:
    from volunteer_app.db import db

    if db.obj is None:
        return
    if hasattr(db.obj, "close_all"):
        db.obj.close_all()
    elif not db.obj.is_closed():
        db.obj.close()


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="an empty database")
    parser.add_argument("--check", action="store_true", help="verify the invariants afterwards")
    add_size_arguments(parser)
    args = parser.parse_args(list(argv) if argv is not None else None)
    sizes = sizes_from(parser, args)
    app = app_for(args.database_url)
    with app.app_context():
        try:
            generate(sizes, args.seed)
            if args.check:
                from volunteer_app.db import db

                with db.connection_context():
                    problems = check_invariants()
                    print("sign-ups:", summary())
                if problems:
                    print("invariants broken:", *problems, sep="\n  ")
                    return 1
                print("invariants hold")
        finally:
            close_database()
    return 0


if __name__ == "__main__":
    sys.exit(main())
