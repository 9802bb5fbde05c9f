"""The demo network (``flask seed demo``): operators, centres, closing days and accounts,
and a realistic month in each centre: activities with schedules, volunteer profiles,
checks, sign-ups (full, empty, waitlisted, pending) and a few weeks of history.

Every account's password is ``DEMO_PASSWORD``; the README lists them. Seeding is
idempotent: each row is looked up by its natural key (operator name, centre slug,
e-mail address, activity title, …) and only created when missing, so a second run
changes nothing. The month starts at today's date in Berlin and uses a fixed random
seed: the same date gives the same demo.
"""

from __future__ import annotations

import datetime as dt
import importlib
import itertools
import random
import secrets
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

import peewee as pw
from flask import current_app

from volunteer_app.accounts.models import Consent, User
from volunteer_app.accounts.passwords import hash_password
from volunteer_app.activities import queries as activity_queries
from volunteer_app.activities import recurrence
from volunteer_app.activities import services as activity_services
from volunteer_app.activities.models import Activity, Category, Slot
from volunteer_app.centres.models import Centre, CentreMembership, ClosingDay, Operator
from volunteer_app.centres.queries import today
from volunteer_app.checks import services as check_services
from volunteer_app.checks.models import CertificateCheck, MeaslesProof
from volunteer_app.common.errors import DomainError
from volunteer_app.db import utcnow, write_transaction
from volunteer_app.notifications.models import OutboxMessage
from volunteer_app.signups import services as signup_services
from volunteer_app.signups.models import ACTIVE, Signup
from volunteer_app.volunteers import services as volunteer_services
from volunteer_app.volunteers.models import VolunteerProfile

DEMO_PASSWORD = "Ehrenamt-Demo-2026"
DEMO_DOMAIN = "demo.thekiz.example"

OPERATORS = ("Stadt Erfurt – Jugendamt", "AWO Kreisverband Saalfeld-Rudolstadt")

CENTRES = (
    {
        "operator": "Stadt Erfurt – Jugendamt",
        "name": "ThEKiZ Regenbogenhaus",
        "slug": "regenbogenhaus-erfurt",
        "street": "Rigaer Straße 12",
        "postcode": "99091",
        "town": "Erfurt",
        "description": (
            "Das Regenbogenhaus im Erfurter Norden ist Kita und Treffpunkt für Familien aus "
            "dem Stadtteil. Wir laden ein zum Familiencafé, zur Vorlesestunde und zum "
            "gemeinsamen Gärtnern im Hof. Ehrenamtliche lesen vor, begleiten Ausflüge, helfen "
            "beim Kochen mit Eltern und Kindern und übersetzen bei Bedarf."
        ),
        "contact_email": f"regenbogenhaus@{DEMO_DOMAIN}",
        "contact_phone": "0361 26 12 340",
    },
    {
        "operator": "AWO Kreisverband Saalfeld-Rudolstadt",
        "name": "ThEKiZ Saaletal",
        "slug": "saaletal-rudolstadt",
        "street": "Schwarzburger Chaussee 14",
        "postcode": "07407",
        "town": "Rudolstadt",
        "description": (
            "Unser Eltern-Kind-Zentrum liegt nahe der Saale am Rand der Altstadt. Neben der "
            "Kita gibt es eine Elternberatung, eine Hebammensprechstunde und offene "
            "Nachmittage. Wir suchen Menschen jeden Alters, die mit Familien wandern, backen, "
            "basteln oder Kinderfahrräder reparieren."
        ),
        "contact_email": f"saaletal@{DEMO_DOMAIN}",
        "contact_phone": "03672 41 22 80",
    },
    {
        "operator": "AWO Kreisverband Saalfeld-Rudolstadt",
        "name": "ThEKiZ Dorfkinder",
        "slug": "dorfkinder-grossschwabhausen",
        "street": "Hauptstraße 23",
        "postcode": "99441",
        "town": "Großschwabhausen",
        "description": (
            "Die Dorfkinder sind die kleine Kita mitten im Dorf und zugleich Treffpunkt für "
            "Jung und Alt. Im Garten wachsen Kräuter und Kartoffeln, im Herbst wird gemeinsam "
            "gebacken. Ehrenamtliche aus dem Ort bringen ihr Wissen ein: vom Imkern bis zum "
            "Geschichtenerzählen."
        ),
        "contact_email": f"dorfkinder@{DEMO_DOMAIN}",
        "contact_phone": "036425 2 19 40",
    },
)

_CHRISTMAS = [
    (dt.date(2026, 12, 24) + dt.timedelta(days=n), "Weihnachtsschließzeit") for n in range(8)
]
_BRIDGE_DAY = [(dt.date(2027, 5, 7), "Brückentag nach Christi Himmelfahrt")]
CLOSING_DAYS = {
    "regenbogenhaus-erfurt": [
        *_CHRISTMAS,
        *_BRIDGE_DAY,
        (dt.date(2027, 2, 12), "Teamfortbildung"),
    ],
    "saaletal-rudolstadt": [*_CHRISTMAS, *_BRIDGE_DAY],
    "dorfkinder-grossschwabhausen": [
        *_CHRISTMAS,
        *_BRIDGE_DAY,
        (dt.date(2027, 3, 5), "Konzeptionstag des Teams"),
    ],
}

# (e-mail, name, role, centre slugs the coordinator belongs to)
STAFF = (
    (f"admin@{DEMO_DOMAIN}", "Andrea Admin", "admin", ()),
    (
        f"koordination.erfurt@{DEMO_DOMAIN}",
        "Katrin Vogel",
        "coordinator",
        ("regenbogenhaus-erfurt",),
    ),
    (
        f"koordination.saaletal@{DEMO_DOMAIN}",
        "Jens Köhler",
        "coordinator",
        ("saaletal-rudolstadt", "dorfkinder-grossschwabhausen"),
    ),
)

# (name, language, phone): students, parents, grandparents; a few prefer English.
VOLUNTEERS = (
    ("Gerda Hoffmann", "de", "0361 73 45 12"),
    ("Lukas Schneider", "de", "0176 4412 0871"),
    ("Sabine Wagner", "de", ""),
    ("Hans-Jürgen Fischer", "de", "03672 42 19 07"),
    ("Aylin Demir", "de", "0157 3301 2288"),
    ("Olena Kovalenko", "en", ""),
    ("Marie Becker", "de", "0152 1987 3340"),
    ("Klaus-Dieter Schulz", "de", "036425 2 10 33"),
    ("Johanna Richter", "de", ""),
    ("Tim Neumann", "de", "0170 5521 9043"),
    ("Ingrid Krause", "de", "03672 35 88 14"),
    ("Mehmet Yılmaz", "de", "0162 7719 4405"),
    ("Lea Zimmermann", "de", ""),
    ("Thomas Braun", "de", "0361 55 20 981"),
    ("Renate Hartmann", "de", ""),
    ("Finn Lange", "de", "0159 0144 6728"),
    ("Anja Schmitt", "de", ""),
    ("Wolfgang Krüger", "de", "036425 2 03 58"),
    ("Sophie Werner", "de", "0151 2206 4419"),
    ("Karl-Heinz Lehmann", "de", ""),
    ("Nadine König", "de", "0173 8830 1126"),
    ("Emily Carter", "en", "0160 4478 2291"),
    ("Brigitte Schubert", "de", "03672 46 71 02"),
    ("Paul Friedrich", "de", ""),
    ("Hannelore Engel", "de", "0361 64 30 275"),
)


def volunteer_email(n: int) -> str:
    return f"ehrenamt{n:02d}@{DEMO_DOMAIN}"


@dataclass(frozen=True)
class DemoNetwork:
    """What the core demo created, for the features' own demo seeders."""

    centres: dict  # slug -> Centre
    staff: dict  # e-mail -> User (coordinators and admins)
    volunteers: dict  # n -> User


# Features with a ``demo.py`` whose ``seed(network) -> int`` adds what is missing and returns
# how many rows it created (0 on a second run).
FEATURE_DEMOS: tuple[str, ...] = ("rooms", "wishes", "reports", "proposals")


def seed_demo() -> bool:
    """Create whatever of the demo network is missing; True if anything was created.

    Needs an app context and an open connection (``flask seed demo`` provides both).
    """
    with write_transaction():
        seeder = _Seeder(current_app.config["PRIVACY_NOTICE_VERSION"])
        seeder.run()
    return seeder.created > 0


class _Seeder:
    def __init__(self, privacy_version: str):
        self.privacy_version = privacy_version
        self.created = 0
        self._hash: str | None = None

    def run(self) -> None:
        operators = {name: self._operator(name) for name in OPERATORS}
        centres = {c["slug"]: self._centre(c, operators[c["operator"]]) for c in CENTRES}
        for slug, days in CLOSING_DAYS.items():
            for day, reason in days:
                self._closing_day(centres[slug], day, reason)
        staff = {}
        for email, name, role, slugs in STAFF:
            user = staff[email] = self._user(email, name, role)
            for slug in slugs:
                self._membership(user, centres[slug])
        volunteers = {}
        for n, (name, locale, phone) in enumerate(VOLUNTEERS, start=1):
            volunteers[n] = self._user(
                volunteer_email(n), name, "volunteer", locale=locale, phone=phone
            )
        coordinators = {
            slug: staff[email] for email, _name, _role, slugs in STAFF for slug in slugs
        }
        self.created += _Month(centres, coordinators, volunteers).run()
        network = DemoNetwork(centres=centres, staff=staff, volunteers=volunteers)
        for feature in FEATURE_DEMOS:
            self.created += importlib.import_module(f"volunteer_app.{feature}.demo").seed(network)

    def _password_hash(self) -> str:
        # argon2 is slow on purpose: hash once, and only if an account is missing.
        if self._hash is None:
            self._hash = hash_password(DEMO_PASSWORD)
        return self._hash

    def _operator(self, name: str) -> Operator:
        operator = Operator.get_or_none(Operator.name == name)
        if operator is None:
            operator = Operator.create(name=name)
            self.created += 1
        return operator

    def _centre(self, data: dict, operator: Operator) -> Centre:
        centre = Centre.get_or_none(Centre.slug == data["slug"])
        if centre is None:
            fields = {k: v for k, v in data.items() if k != "operator"}
            centre = Centre.create(operator=operator, **fields)
            self.created += 1
        return centre

    def _closing_day(self, centre: Centre, day: dt.date, reason: str) -> None:
        exists = (
            ClosingDay.select()
            .where((ClosingDay.centre == centre) & (ClosingDay.day == day))
            .exists()
        )
        if not exists:
            ClosingDay.create(centre=centre, day=day, reason=reason)
            self.created += 1

    def _user(self, email: str, name: str, role: str, locale: str = "de", phone: str = "") -> User:
        user = User.get_or_none(User.email == email)
        if user is None:
            now = utcnow()
            user = User.create(
                email=email,
                name=name,
                password_hash=self._password_hash(),
                role=role,
                locale=locale,
                phone=phone,
                email_confirmed_at=now,
                session_token=secrets.token_hex(16),
                created_at=now,
            )
            Consent.create(user=user, kind="privacy", version=self.privacy_version, given_at=now)
            self.created += 1
        return user

    def _membership(self, user: User, centre: Centre) -> None:
        exists = (
            CentreMembership.select()
            .where((CentreMembership.user == user) & (CentreMembership.centre == centre))
            .exists()
        )
        if not exists:
            CentreMembership.create(user=user, centre=centre)
            self.created += 1


# --- A realistic month: activities, schedules, profiles, checks and sign-ups -------------
#
# Everything below goes through the services (activities, sign-ups, profiles, checks), so
# the invariants hold exactly as in real use. Only the slots of the recent past are written
# directly, because the services rightly refuse the past: there ``taken`` is set to the
# number of confirmed sign-ups and attendance is then recorded through the service.
#
# Idempotent like the rest: a profile, a check or an activity is only created when it is
# missing, and an activity's slots and sign-ups only in the run that creates the activity.

DEMO_SEED = 72  # fixed, so that the same date gives the same demo (§ 72a SGB VIII)
MONTH_DAYS = 31  # sign-ups are planned this far ahead; later slots stay empty
SOON_DAYS = 14  # slots this close fill up more than later ones
HISTORY_DAYS = 28  # slots of the recent past, with attendance, this far back

RB, ST, DK = "regenbogenhaus-erfurt", "saaletal-rudolstadt", "dorfkinder-grossschwabhausen"
MO, TU, WE, TH, FR, SA, SU = range(7)

# A centre's own categories: (centre, name).
CUSTOM_CATEGORIES = ((RB, "Handwerk"),)


@dataclass(frozen=True)
class VolunteerPlan:
    """One demo volunteer's profile. No interests means "open to anything"; no windows
    means "any time"."""

    centres: tuple[str, ...]
    interests: tuple[str, ...] = ()  # built-in keys, or a centre's own category name
    windows: tuple[tuple[int, str, str], ...] = ()
    languages: tuple[str, ...] = ("de",)
    per_week: int = 2
    per_month: int = 6
    reminder_hours: int = 24
    newcomer: bool = False  # just registered: a profile, but no checks and no sign-ups yet


# By volunteer number (ehrenamtNN). Erfurt people reach the Regenbogenhaus, people from
# Großschwabhausen and around reach the Dorfkinder (some also Saaletal), Rudolstadt people
# the Saaletal.
PROFILES = {
    1: VolunteerPlan(
        (RB,),
        ("reading", "baking"),
        ((TU, "14:00", "18:00"), (TH, "14:00", "18:00")),
        per_week=3,
        per_month=10,
    ),
    2: VolunteerPlan(
        (RB, ST),
        ("hiking", "gardening", "Handwerk"),
        ((WE, "16:00", "20:00"), (SA, "09:00", "15:00"), (SU, "09:00", "16:00")),
        languages=("de", "en"),
        per_month=5,
    ),
    3: VolunteerPlan(
        (ST,), ("cooking", "baking"), ((WE, "14:00", "18:00"), (FR, "11:00", "14:00"))
    ),
    4: VolunteerPlan((ST,), ("hiking", "gardening"), reminder_hours=0, per_month=4),
    5: VolunteerPlan(
        (RB,),
        ("cooking", "reading"),
        ((TU, "15:00", "17:00"), (TH, "15:30", "19:00")),
        languages=("de", "tr"),
    ),
    6: VolunteerPlan(
        (RB,),
        ("reading", "cooking", "baking"),
        ((TU, "15:00", "17:00"), (TH, "15:00", "19:00"), (FR, "14:00", "17:00")),
        languages=("de", "en", "uk", "ru"),
    ),
    7: VolunteerPlan((RB,), (), ((SA, "09:00", "14:00"),), languages=("de", "en"), newcomer=True),
    8: VolunteerPlan(
        (DK,), ("gardening", "hiking"), ((MO, "14:00", "17:00"), (SA, "09:00", "14:00"))
    ),
    9: VolunteerPlan(
        (DK,), ("baking", "reading"), ((MO, "14:30", "16:30"), (SA, "13:00", "18:00"))
    ),
    10: VolunteerPlan((RB,), (), (), languages=("de", "en"), per_week=1, per_month=4),
    11: VolunteerPlan(
        (ST,), ("baking", "reading"), ((WE, "14:00", "18:00"),), per_week=1, per_month=3
    ),
    12: VolunteerPlan(
        (RB,),
        ("cooking", "Handwerk"),
        ((WE, "16:00", "20:00"), (TH, "16:00", "19:00")),
        languages=("de", "tr"),
    ),
    13: VolunteerPlan(
        (DK, ST),
        ("reading", "hiking", "baking"),
        ((MO, "14:00", "17:00"), (SA, "09:00", "18:00"), (SU, "09:00", "15:00")),
        languages=("de", "en"),
    ),
    14: VolunteerPlan(
        (RB,), ("Handwerk", "gardening"), ((WE, "16:30", "20:00"), (FR, "14:00", "17:00"))
    ),
    15: VolunteerPlan(
        (ST,), ("cooking", "baking"), ((WE, "14:00", "18:00"), (FR, "10:00", "14:00"))
    ),
    16: VolunteerPlan(
        (ST,),
        ("hiking", "cooking"),
        ((FR, "11:00", "14:00"), (SU, "08:00", "16:00")),
        languages=("de", "en"),
    ),
    17: VolunteerPlan((DK,), ("gardening", "baking", "cooking"), ((SA, "09:00", "18:00"),)),
    18: VolunteerPlan((DK, ST), ("hiking", "gardening", "reading"), per_week=3, per_month=8),
    19: VolunteerPlan(
        (RB,),
        ("reading", "baking", "gardening"),
        ((TU, "14:00", "18:00"), (FR, "13:00", "17:00")),
        languages=("de", "en", "ar"),
    ),
    20: VolunteerPlan(
        (ST,), ("hiking",), ((SU, "08:00", "16:00"),), reminder_hours=48, per_month=3
    ),
    21: VolunteerPlan(
        (RB,), ("cooking", "baking"), ((TH, "15:30", "19:00"),), languages=("de", "ru")
    ),
    22: VolunteerPlan(
        (RB,), ("reading",), ((TU, "15:00", "17:00"),), languages=("en", "de"), reminder_hours=2
    ),
    23: VolunteerPlan(
        (ST,), ("baking", "reading", "hiking"), ((WE, "14:00", "18:00"), (SU, "09:00", "15:00"))
    ),
    24: VolunteerPlan((DK,), (), (), per_week=1, per_month=3),
    25: VolunteerPlan(
        (RB,),
        ("gardening", "reading"),
        ((TU, "14:00", "17:00"), (FR, "14:00", "17:00")),
        reminder_hours=48,
    ),
}

# Certificate inspections and measles notes, only at centres with child-facing activities:
# (volunteer, centre, inspected days ago, certificate's age in days when inspected,
#  measles note days ago or None).
CHECKS = (
    (1, RB, 420, 21, 420),
    (5, RB, 200, 30, 200),
    (6, RB, 95, 12, 95),
    (19, RB, 60, 45, None),
    (22, RB, 150, 20, 150),
    (25, RB, 900, 35, 900),
    (3, ST, 130, 16, 130),
    (11, ST, 300, 14, 300),
    (15, ST, 120, 25, 120),
    (23, ST, 700, 40, 700),
    (9, DK, 250, 18, 250),
    (13, DK, 75, 30, 75),
    (17, DK, 180, 22, 180),
    (18, DK, 500, 10, 500),
    (24, DK, 50, 9, 50),
)


@dataclass(frozen=True)
class SchedulePlan:
    """weekly (every ``interval`` weeks), monthly on the ``nth`` weekday, or once on the
    ``nth`` weekday of the coming December."""

    recurrence: str
    weekday: int
    start: str
    end: str
    interval: int = 1
    nth: int | None = None


@dataclass(frozen=True)
class ActivityPlan:
    centre: str
    title: str
    category: str  # built-in key, or a centre's own category name
    description: str
    place: str
    audience: str
    schedule: SchedulePlan
    needed: int = 2
    child_facing: bool = False
    public: bool = True
    approval: bool = False
    deadline_hours: int = 24


READING_HOUR = "Vorlesestunde"
COOKING_CLUB = "Kochtreff für Familien"
COURTYARD_GARDEN = "Gärtnern im Hof"

ACTIVITIES = (
    ActivityPlan(
        RB,
        READING_HOUR,
        "reading",
        "Jeden Dienstag lesen Ehrenamtliche in der Leseecke Bilderbücher vor – auf Deutsch "
        "und gern auch in den anderen Sprachen der Familien. Danach ist Zeit zum Anschauen, "
        "Nachfragen und Ausleihen; die Bücher stellt die Stadtteilbibliothek. Eine Fachkraft "
        "der Kita ist immer dabei.",
        "Leseecke im Gruppenraum „Sonnenblume“, Erdgeschoss",
        "Kinder von 3 bis 6 Jahren mit ihren Eltern",
        SchedulePlan("weekly", TU, "15:30", "16:30"),
        needed=2,
        child_facing=True,
    ),
    ActivityPlan(
        RB,
        COOKING_CLUB,
        "cooking",
        "Eltern und Kinder kochen gemeinsam ein einfaches, günstiges Abendessen – oft nach "
        "Rezepten aus den Herkunftsländern der Familien – und essen danach zusammen. "
        "Ehrenamtliche helfen beim Schnippeln, erklären Rezepte und übersetzen bei Bedarf. "
        "Weil die Küche klein ist, bestätigt das Team jede Anmeldung.",
        "Familienküche im Erdgeschoss",
        "Familien aus dem Stadtteil, Eltern mit Kindern jeden Alters",
        SchedulePlan("weekly", TH, "16:00", "18:30"),
        needed=3,
        approval=True,
        deadline_hours=48,
    ),
    ActivityPlan(
        RB,
        COURTYARD_GARDEN,
        "gardening",
        "Im Hof stehen sechs Hochbeete, eine Kräuterschnecke und Beerensträucher. Im Winter "
        "decken wir die Beete ab, bauen Nistkästen und planen die Aussaat, im Frühjahr wird "
        "gesät und gepflanzt. Kita-Kinder und Eltern machen mit; Handschuhe und Werkzeug "
        "sind da.",
        "Innenhof, Treffpunkt am Geräteschuppen",
        "Kita-Kinder mit ihren Eltern, Nachbarinnen und Nachbarn",
        SchedulePlan("weekly", FR, "14:30", "16:30", interval=2),
        needed=3,
    ),
    ActivityPlan(
        RB,
        "Reparaturcafé",
        "Handwerk",
        "Ein Stuhl wackelt, das Laufrad quietscht, am Puppenwagen fehlt eine Schraube? Im "
        "Reparaturcafé reparieren Ehrenamtliche gemeinsam mit Familien Spielzeug, "
        "Kinderfahrräder und kleine Möbel. Werkzeug und Material sind da, Ersatzteile "
        "bringen die Familien mit.",
        "Werkraum im Untergeschoss (Eingang über den Hof)",
        "Familien und Nachbarschaft",
        SchedulePlan("monthly", WE, "17:00", "19:30", nth=3),
        needed=2,
    ),
    ActivityPlan(
        ST,
        "Familienwanderung",
        "hiking",
        "Einmal im Monat wandern wir mit Familien rund um Rudolstadt: zur Heidecksburg, an "
        "der Saale entlang oder hinauf zum Kulm. Die Wege sind fünf bis acht Kilometer lang "
        "und, wo es geht, kinderwagentauglich. Ehrenamtliche kennen die Strecken, gehen vorn "
        "und hinten mit und achten auf Pausen. Bitte Proviant und wetterfeste Kleidung "
        "mitbringen.",
        "Treffpunkt: Parkplatz am Saaleufer, Schwarzburger Chaussee",
        "Familien mit Kindern ab 4 Jahren",
        SchedulePlan("monthly", SU, "10:00", "14:00", nth=1),
        needed=3,
        deadline_hours=48,
    ),
    ActivityPlan(
        ST,
        "Backnachmittag mit Großeltern",
        "baking",
        "Alle zwei Wochen backen Kita-Kinder mit Seniorinnen und Senioren aus der "
        "Nachbarschaft: Hefezopf, Apfelkuchen, im Advent Stollenkonfekt. Ehrenamtliche "
        "leiten eine Backgruppe an und geben Rezepte und Erfahrung weiter. Das Gebäck gibt "
        "es danach im Elterncafé.",
        "Lehrküche im Erdgeschoss",
        "Kita-Kinder ab 4 Jahren, Großeltern, Seniorinnen und Senioren",
        SchedulePlan("weekly", WE, "15:00", "17:30", interval=2),
        needed=2,
        child_facing=True,
    ),
    ActivityPlan(
        ST,
        "Mittagstisch im Elterncafé",
        "cooking",
        "Freitags kochen wir nach der Hebammensprechstunde eine Suppe oder einen Eintopf "
        "für das Elterncafé. Ehrenamtliche bereiten das Essen mit einer Fachkraft vor, "
        "decken ein und räumen mit auf. Das Angebot richtet sich an die Eltern, die das "
        "Zentrum ohnehin besuchen, und steht deshalb nicht im öffentlichen Programm.",
        "Küche des Elterncafés, 1. Obergeschoss",
        "Eltern mit Babys und Kleinkindern",
        SchedulePlan("weekly", FR, "11:30", "13:30"),
        needed=2,
        public=False,
    ),
    ActivityPlan(
        DK,
        "Gartentag",
        "gardening",
        "Im Kita-Garten wachsen Kräuter, Kartoffeln, Kürbisse und Sonnenblumen. Alle zwei "
        "Wochen arbeiten Familien und Ehrenamtliche aus dem Dorf zusammen: umgraben, "
        "pflanzen, ernten, im Winter Obstbäume schneiden und Beete mulchen. Wer Erfahrung "
        "hat, gibt sie weiter – wer keine hat, lernt es hier.",
        "Kita-Garten hinter dem Haus, Zugang über die Gartenpforte",
        "Familien, Kita-Kinder, Jung und Alt aus dem Dorf",
        SchedulePlan("weekly", SA, "10:00", "13:00", interval=2),
        needed=3,
    ),
    ActivityPlan(
        DK,
        "Geschichtenzeit",
        "reading",
        "Montags nach dem Mittagsschlaf lesen Ehrenamtliche aus dem Dorf den Kita-Kindern "
        "vor oder erzählen Geschichten von früher. Eine Erzieherin ist dabei; die Kinder "
        "suchen sich die Bücher selbst aus.",
        "Kuschelecke im Gruppenraum „Igel“",
        "Kita-Kinder von 2 bis 6 Jahren",
        SchedulePlan("weekly", MO, "15:00", "16:00"),
        needed=1,
        child_facing=True,
    ),
    ActivityPlan(
        DK,
        "Plätzchenbacken im Advent",
        "baking",
        "Einmal im Jahr wird die Kita zur Weihnachtsbäckerei: Wir backen Butterplätzchen, "
        "Lebkuchen und Zimtsterne, verzieren sie und packen Tüten für den Weihnachtsmarkt "
        "im Dorf. Ehrenamtliche betreuen je einen Backtisch und helfen am Ofen.",
        "Kita-Küche und Gemeinderaum im Erdgeschoss",
        "Kita-Kinder mit ihren Eltern und Großeltern",
        SchedulePlan("once", SA, "14:00", "17:00", nth=2),
        needed=4,
        child_facing=True,
    ),
)


def _next_weekday(after: dt.date, weekday: int) -> dt.date:
    """The first date after ``after`` that falls on ``weekday``."""
    return after + dt.timedelta(days=(weekday - after.weekday() - 1) % 7 + 1)


def _months_from(year: int, month: int):
    while True:
        yield year, month
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def first_date(schedule: SchedulePlan, after: dt.date) -> dt.date:
    """The schedule's first date after ``after`` (tomorrow at the earliest, so that no
    time of the first date has passed yet)."""
    if schedule.recurrence == "weekly":
        return _next_weekday(after, schedule.weekday)
    if schedule.recurrence == "monthly":
        for year, month in _months_from(after.year, after.month):
            day = recurrence.nth_weekday(year, month, schedule.weekday, schedule.nth)
            if day is not None and day > after:
                return day
    for year in (after.year, after.year + 1):  # once, in the coming December
        day = recurrence.nth_weekday(year, 12, schedule.weekday, schedule.nth)
        if day > after:
            return day
    raise AssertionError("unreachable")  # pragma: no cover


def past_dates(
    schedule: SchedulePlan, first: dt.date, on: dt.date, closed: set[dt.date]
) -> list[dt.date]:
    """The dates the schedule had in the ``HISTORY_DAYS`` before ``on`` (holidays and
    closing days skipped), as if it had run before."""
    since = on - dt.timedelta(days=HISTORY_DAYS)
    days: list[dt.date] = []
    if schedule.recurrence == "weekly":
        step = dt.timedelta(weeks=schedule.interval)
        day = first - step
        while day >= since:
            days.append(day)
            day -= step
    elif schedule.recurrence == "monthly":
        for year, month in itertools.islice(_months_from(since.year, since.month), 3):
            day = recurrence.nth_weekday(year, month, schedule.weekday, schedule.nth)
            if day is not None:
                days.append(day)
    return sorted(
        d for d in set(days) if since <= d < on and d not in closed and not recurrence.is_holiday(d)
    )


class _Bookings:
    """Who is busy when, to keep the demo within each volunteer's limits and free of
    overlaps (the services refuse overlaps anyway; limits are for matching, not enforced)."""

    def __init__(self):
        self.spans: dict[int, list[tuple[dt.datetime, dt.datetime, dt.date]]] = defaultdict(list)

    def fits(self, n: int, slot: Slot, plan: VolunteerPlan) -> bool:
        spans = self.spans[n]
        if any(s < slot.ends_at and slot.starts_at < e for s, e, _ in spans):
            return False
        day = _berlin_date(slot.starts_at)
        week = sum(1 for *_, d in spans if d.isocalendar()[:2] == day.isocalendar()[:2])
        month = sum(1 for *_, d in spans if (d.year, d.month) == (day.year, day.month))
        return week < plan.per_week and month < plan.per_month

    def add(self, n: int, starts_at: dt.datetime, ends_at: dt.datetime) -> None:
        self.spans[n].append((starts_at, ends_at, _berlin_date(starts_at)))

    def remove(self, n: int, starts_at: dt.datetime) -> None:
        self.spans[n] = [span for span in self.spans[n] if span[0] != starts_at]


def _berlin_date(value: dt.datetime) -> dt.date:
    return recurrence.utc_to_berlin(value).date()


@dataclass
class _NewActivity:
    plan: ActivityPlan
    activity: Activity
    slots: list[Slot]  # upcoming, from the schedule, by time


class _Month:
    """A month of activity in the three demo centres, from today (Berlin) on."""

    def __init__(self, centres: dict, coordinators: dict, volunteers: dict):
        self.centres = centres
        self.coordinators = coordinators
        self.volunteers = volunteers
        self.today = today()
        self.rng = random.Random(DEMO_SEED)
        self.bookings = _Bookings()
        self.created = 0

    def run(self) -> int:
        first_mail = OutboxMessage.select(pw.fn.MAX(OutboxMessage.id)).scalar() or 0
        categories = self._categories()
        for n, plan in PROFILES.items():
            self._profile(n, plan, categories)
        for check in CHECKS:
            self._checks(*check)
        new = [
            self._activity(plan, categories)
            for plan in ACTIVITIES
            if not Activity.select()
            .where(
                (Activity.centre == self.centres[plan.centre].id) & (Activity.title == plan.title)
            )
            .exists()
        ]
        if new:
            self._load_bookings()
            for item in new:
                self._history(item)
            self._showcase({item.plan.title: item for item in new})
            self._fill(new)
        self._quiet_outbox(first_mail)
        return self.created

    # --- Categories, profiles, checks ------------------------------------------------------

    def _categories(self) -> dict[tuple[str | None, str], Category]:
        """(centre slug or None, key or name) -> category."""
        found = {(None, c.key): c for c in Category.select().where(Category.key.is_null(False))}
        for slug, name in CUSTOM_CATEGORIES:
            centre = self.centres[slug]
            category = Category.get_or_none(
                (Category.centre == centre.id) & (Category.name == name)
            )
            if category is None:
                category = activity_services.add_category(
                    centre, name, actor=self.coordinators[slug]
                )
                self.created += 1
            found[(slug, name)] = category
        return found

    def _category(self, categories: dict, slug: str, name: str) -> Category:
        return categories.get((None, name)) or categories[(slug, name)]

    def _interest(self, categories: dict, slugs: tuple[str, ...], name: str) -> Category:
        """A built-in, or the own category of one of the volunteer's centres."""
        if (None, name) in categories:
            return categories[(None, name)]
        return next(categories[(slug, name)] for slug in slugs if (slug, name) in categories)

    def _profile(self, n: int, plan: VolunteerPlan, categories: dict) -> None:
        user = self.volunteers[n]
        if VolunteerProfile.select().where(VolunteerProfile.user == user.id).exists():
            return  # the volunteer's own choices win over the demo's
        interests = [self._interest(categories, plan.centres, name).id for name in plan.interests]
        volunteer_services.update_preferences(
            user,
            volunteer_services.PreferencesInput(
                open_to_anything=not plan.interests,
                interest_ids=interests,
                windows=[volunteer_services.window(*w) for w in plan.windows],
                centre_ids=[self.centres[slug].id for slug in plan.centres],
                max_per_week=plan.per_week,
                max_per_month=plan.per_month,
                languages=list(plan.languages),
                reminder_hours=plan.reminder_hours,
            ),
        )
        self.created += 1

    def _checks(self, n: int, slug: str, inspected_ago: int, age: int, measles_ago) -> None:
        volunteer, centre, coordinator = (
            self.volunteers[n],
            self.centres[slug],
            self.coordinators[slug],
        )
        mine = (CertificateCheck.volunteer == volunteer.id) & (CertificateCheck.centre == centre.id)
        if not CertificateCheck.select().where(mine).exists():
            inspected = self.today - dt.timedelta(days=inspected_ago)
            check_services.record_certificate_check(
                centre,
                volunteer.id,
                certificate_date=inspected - dt.timedelta(days=age),
                inspected_on=inspected,
                eligible=True,
                actor=coordinator,
                now=self.today,
            )
            self.created += 1
        noted = (MeaslesProof.volunteer == volunteer.id) & (MeaslesProof.centre == centre.id)
        if measles_ago is not None and not MeaslesProof.select().where(noted).exists():
            check_services.record_measles_proof(
                centre,
                volunteer.id,
                shown_on=self.today - dt.timedelta(days=measles_ago),
                proof_ok=True,
                actor=coordinator,
                now=self.today,
            )
            self.created += 1

    # --- Activities and their schedules ----------------------------------------------------

    def _activity(self, plan: ActivityPlan, categories: dict) -> _NewActivity:
        centre, coordinator = self.centres[plan.centre], self.coordinators[plan.centre]
        activity = activity_services.create_activity(
            centre,
            {
                "title": plan.title,
                "description": plan.description,
                "place": plan.place,
                "audience": plan.audience,
                "category_id": self._category(categories, plan.centre, plan.category).id,
                "responsible_id": coordinator.id,
                "signup_mode": "approval" if plan.approval else "open",
                "is_public": plan.public,
                "is_child_facing": plan.child_facing,
                "cancel_deadline_hours": plan.deadline_hours,
                "volunteers_needed": plan.needed,
            },
            actor=coordinator,
        )
        schedule = plan.schedule
        result = activity_services.add_schedule(
            activity,
            {
                "recurrence": schedule.recurrence,
                "start_date": first_date(schedule, self.today),
                "start_time": dt.time.fromisoformat(schedule.start),
                "end_time": dt.time.fromisoformat(schedule.end),
                "interval": schedule.interval,
                "nth": schedule.nth,
                "ends": "never",
            },
            actor=coordinator,
            on=self.today,
        )
        self.created += 1
        slots = list(Slot.select().where(Slot.series == result.series.id).order_by(Slot.starts_at))
        return _NewActivity(plan, activity, slots)

    # --- Sign-ups ---------------------------------------------------------------------------

    def _load_bookings(self) -> None:
        """Active sign-ups the demo volunteers have already (when only part is re-created)."""
        number = {user.id: n for n, user in self.volunteers.items()}
        rows = (
            Signup.select(Signup.volunteer, Slot.starts_at, Slot.ends_at)
            .join(Slot, on=(Signup.slot == Slot.id))
            .where(
                Signup.volunteer.in_(list(number))
                & Signup.status.in_(ACTIVE)
                & (Slot.status == "scheduled")
            )
        )
        for row in rows:
            self.bookings.add(number[row.volunteer_id], row.slot.starts_at, row.slot.ends_at)

    def _candidates(self, item: _NewActivity, slot: Slot) -> list[int]:
        """Volunteers who would really sign up: they reach the centre, like the category,
        have the time, a valid certificate if needed, and room within their limits."""
        plan = item.plan
        local_start = recurrence.utc_to_berlin(slot.starts_at)
        local_end = recurrence.utc_to_berlin(slot.ends_at)
        day = local_start.date()
        found = []
        for n, person in PROFILES.items():
            if person.newcomer or plan.centre not in person.centres:
                continue
            if person.interests and plan.category not in person.interests:
                continue
            if person.windows and not any(
                weekday == day.weekday()
                and dt.time.fromisoformat(start) <= local_start.time()
                and local_end.time() <= dt.time.fromisoformat(end)
                for weekday, start, end in person.windows
            ):
                continue
            if plan.child_facing and not self._certified(n, plan.centre, day):
                continue
            if self.bookings.fits(n, slot, person):
                found.append(n)
        self.rng.shuffle(found)
        return found

    def _number(self, user_id: int) -> int:
        return next(n for n, user in self.volunteers.items() if user.id == user_id)

    def _certified(self, n: int, slug: str, day: dt.date) -> bool:
        return any(
            c[0] == n and c[1] == slug and self.today - dt.timedelta(days=c[2]) <= day
            for c in CHECKS
        )

    def _sign_up(self, slot: Slot, n: int) -> Signup | None:
        """The volunteer signs up through the service; None if it refuses."""
        try:
            result = signup_services.sign_up(slot.id, actor=self.volunteers[n])
        except DomainError:
            return None
        self.bookings.add(n, slot.starts_at, slot.ends_at)
        return result.signup

    def _assign(self, slot: Slot, n: int, coordinator: User) -> Signup | None:
        """A coordinator assigns the volunteer through the service; None if it refuses."""
        try:
            signup = signup_services.assign(slot.id, self.volunteers[n].id, actor=coordinator)
        except DomainError:
            return None
        self.bookings.add(n, slot.starts_at, slot.ends_at)
        return signup

    def _fill_slot(
        self, item: _NewActivity, slot: Slot, wanted: int, assign_share: float = 0.0
    ) -> list[Signup]:
        """Up to ``wanted`` sign-ups: beyond the free seats people land on the waitlist
        (or wait for approval). Some are assigned by the coordinator instead."""
        coordinator = self.coordinators[item.plan.centre]
        free = slot.capacity - Slot.get_by_id(slot.id).taken
        done: list[Signup] = []
        for n in self._candidates(item, slot):
            if len(done) >= wanted:
                break
            if free > 0 and self.rng.random() < assign_share:
                signup = self._assign(slot, n, coordinator)
            else:
                signup = self._sign_up(slot, n)
            if signup is not None:
                done.append(signup)
                free -= signup.status == "confirmed"
        return done

    def _history(self, item: _NewActivity) -> None:
        """Slots of the recent past, with confirmed volunteers and their attendance.

        The services refuse the past, so the slot and its sign-ups are written directly,
        with ``taken`` equal to the number of confirmed sign-ups; attendance and hours are
        then recorded through the sign-up service (and so audited), as a coordinator would.
        """
        plan = item.plan
        schedule = plan.schedule
        centre = self.centres[plan.centre]
        coordinator = self.coordinators[plan.centre]
        closed = set(activity_queries.closing_days_of(centre.id))
        first = first_date(schedule, self.today)
        start, end = dt.time.fromisoformat(schedule.start), dt.time.fromisoformat(schedule.end)
        for day in past_dates(schedule, first, self.today, closed):
            starts_at = recurrence.berlin_to_utc(day, start)
            ends_at = recurrence.berlin_to_utc(day, end)
            planned = starts_at - dt.timedelta(days=21)
            slot = Slot.create(
                activity=item.activity.id,
                original_date=day,
                starts_at=starts_at,
                ends_at=ends_at,
                capacity=plan.needed,
                created_at=planned,
                updated_at=planned,
            )
            wanted = plan.needed - (self.rng.random() < 0.3)
            chosen = self._candidates(item, slot)[: max(wanted, 1)]
            signups = []
            for offset, n in enumerate(chosen):
                when = starts_at - dt.timedelta(days=14 - offset, hours=self.rng.randint(1, 9))
                decided = (
                    {"decided_at": when, "decided_by": coordinator.id} if plan.approval else {}
                )
                signups.append(
                    Signup.create(
                        slot=slot.id,
                        volunteer=self.volunteers[n].id,
                        status="confirmed",
                        created_at=when,
                        queued_at=when,
                        **decided,
                    )
                )
                self.bookings.add(n, starts_at, ends_at)
            Slot.update(taken=len(signups)).where(Slot.id == slot.id).execute()
            length = Decimal((ends_at - starts_at).total_seconds()) / 3600
            for position, signup in enumerate(signups):
                roll = self.rng.random()
                if position and roll < 0.1:
                    attendance, hours = "no_show", None
                elif roll < 0.35:
                    attendance, hours = "attended", length + Decimal("0.5")  # stayed to tidy up
                else:
                    attendance, hours = "attended", None  # the slot's length
                signup_services.record_attendance(signup.id, attendance, hours, actor=coordinator)

    def _showcase(self, new: dict[str, _NewActivity]) -> None:
        """What the demo must show whatever the date: a full slot with a waitlist, a move-up
        from the waitlist after a cancellation, sign-ups waiting for approval and a slot
        called off."""
        reading = new.get(READING_HOUR)
        if reading is not None and len(reading.slots) >= 2:
            first, second = reading.slots[:2]
            self._fill_slot(reading, first, first.capacity + 2)  # full, two on the waitlist
            signups = self._fill_slot(reading, second, second.capacity + 1)
            confirmed = [s for s in signups if s.status == "confirmed"]
            if confirmed and len(signups) > second.capacity:
                # One cancels in time: the first on the waitlist moves up and is told.
                leaving = confirmed[0]
                signup_services.cancel_signup(leaving.id, actor=leaving.volunteer)
                self.bookings.remove(self._number(leaving.volunteer_id), second.starts_at)
            reading.slots = reading.slots[2:]
        cooking = new.get(COOKING_CLUB)
        if cooking is not None and cooking.slots:
            first = cooking.slots[0]
            pending = self._fill_slot(cooking, first, 3)
            if pending:  # the coordinator has approved the first request so far
                signup_services.approve(pending[0].id, actor=self.coordinators[cooking.plan.centre])
            cooking.slots = cooking.slots[1:]
        garden = new.get(COURTYARD_GARDEN)
        if garden is not None and len(garden.slots) >= 2:
            # A slot called off after people signed up: kept and shown as cancelled, the
            # people on it are told.
            called_off = garden.slots[1]
            for signup in self._fill_slot(garden, called_off, 2):
                self.bookings.remove(self._number(signup.volunteer_id), called_off.starts_at)
            activity_services.cancel_slot(
                Slot.get_by_id(called_off.id), actor=self.coordinators[garden.plan.centre]
            )
            del garden.slots[1]

    def _fill(self, new: list[_NewActivity]) -> None:
        """The rest of the month: some slots full, some half, some empty, some with a
        waitlist, in the order of time (as people sign up for what comes next)."""
        last = self.today + dt.timedelta(days=MONTH_DAYS)
        month = sorted(
            (
                (slot.starts_at, index, slot)
                for index, item in enumerate(new)
                for slot in item.slots
                if _berlin_date(slot.starts_at) <= last
            ),
            key=lambda row: (row[0], row[1]),
        )
        soon = self.today + dt.timedelta(days=SOON_DAYS)
        for _starts, index, slot in month:
            item = new[index]
            weights = (40, 30, 10, 20) if _berlin_date(slot.starts_at) <= soon else (20, 40, 30, 10)
            mode = self.rng.choices(("full", "partial", "empty", "waitlist"), weights)[0]
            wanted = {
                "full": slot.capacity,
                "partial": self.rng.randint(1, max(slot.capacity - 1, 1)),
                "empty": 0,
                "waitlist": slot.capacity + self.rng.randint(1, 2),
            }[mode]
            signups = self._fill_slot(item, slot, wanted, assign_share=0.15)
            if item.plan.approval:
                coordinator = self.coordinators[item.plan.centre]
                for signup in signups:
                    if signup.status == "pending" and self.rng.random() < 0.6:
                        signup_services.approve(signup.id, actor=coordinator)

    # --- Mail -------------------------------------------------------------------------------

    def _quiet_outbox(self, first_mail: int) -> None:
        """The services queue a mail for every sign-up, approval, cancellation and move-up,
        as they must. Nobody waits for the demo's mail, and ``make run`` would otherwise
        write every one of them to the log on its first start: they are marked as sent
        (and kept, so that a developer can read what the app writes)."""
        OutboxMessage.update(status="sent", sent_at=utcnow()).where(
            (OutboxMessage.id > first_mail)
            & (OutboxMessage.status == "pending")
            & OutboxMessage.recipient.endswith(f"@{DEMO_DOMAIN}")
        ).execute()
