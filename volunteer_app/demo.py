"""The demo network (``flask seed demo``): operators, centres, closing days and accounts.

Every account's password is ``DEMO_PASSWORD``; the README lists them. Seeding is
idempotent: each row is looked up by its natural key (operator name, centre slug,
e-mail address, …) and only created when missing, so a second run changes nothing.
"""

from __future__ import annotations

import datetime as dt
import secrets

from flask import current_app

from volunteer_app.accounts.models import Consent, User
from volunteer_app.accounts.passwords import hash_password
from volunteer_app.centres.models import Centre, CentreMembership, ClosingDay, Operator
from volunteer_app.db import utcnow, write_transaction

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
        for email, name, role, slugs in STAFF:
            user = self._user(email, name, role)
            for slug in slugs:
                self._membership(user, centres[slug])
        for n, (name, locale, phone) in enumerate(VOLUNTEERS, start=1):
            self._user(volunteer_email(n), name, "volunteer", locale=locale, phone=phone)

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
