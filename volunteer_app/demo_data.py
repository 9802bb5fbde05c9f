"""The demo network as plain data (``flask seed demo`` writes it, see ``demo.py``).

Operators, centres and their closing days, staff and volunteers, the volunteers' profiles
and checks, and the activities with their schedules. Every account's password is
``DEMO_PASSWORD``; the README lists them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

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
    # Title and short description in other languages: (language, title, description).
    texts: tuple[tuple[str, str, str], ...] = ()


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
        texts=(
            (
                "uk",
                "Година читання вголос",
                "Щовівторка волонтери читають у куточку читання книжки з картинками – "
                "німецькою, а охоче й іншими мовами родин. Потім є час роздивитися книжки, "
                "поставити запитання й узяти їх додому. Вихователька дитсадка завжди поруч.",
            ),
            (
                "ar",
                "ساعة القراءة بصوت عالٍ",
                "كل يوم ثلاثاء يقرأ متطوعون في ركن القراءة كتبًا مصوّرة بالألمانية، وبكل سرور "
                "بلغات العائلات الأخرى أيضًا. بعد ذلك يوجد وقت لتصفّح الكتب وطرح الأسئلة "
                "واستعارتها. ترافقنا دائمًا مربية من الروضة.",
            ),
            (
                "en",
                "Story time",
                "Every Tuesday volunteers read picture books aloud in the reading corner – in "
                "German, and gladly in the families' other languages too. Afterwards there is "
                "time to look, ask and borrow books. A member of the day-care staff is always "
                "there.",
            ),
        ),
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
        texts=(
            (
                "uk",
                "Кулінарні зустрічі для родин",
                "Батьки й діти разом готують просту й недорогу вечерю – часто за рецептами з "
                "рідних країн родин – і потім вечеряють разом.",
            ),
            (
                "ar",
                "لقاء الطبخ للعائلات",
                "يطبخ الآباء والأطفال معًا عشاءً بسيطًا وغير مكلف – غالبًا حسب وصفات من بلدان "
                "العائلات الأصلية – ثم يتناولونه معًا.",
            ),
            (
                "en",
                "Family cooking club",
                "Parents and children cook a simple, inexpensive dinner together – often from "
                "recipes from the families' home countries – and then eat together.",
            ),
        ),
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
        texts=(
            (
                "uk",
                "Садівництво у дворі",
                "У дворі є шість високих грядок, равлик із травами та ягідні кущі. Узимку ми "
                "вкриваємо грядки й майструємо шпаківні, навесні сіємо й садимо. Рукавички й "
                "інструменти є на місці.",
            ),
            (
                "en",
                "Gardening in the courtyard",
                "Six raised beds, a herb spiral and berry bushes in the courtyard. In winter we "
                "cover the beds and build nest boxes, in spring we sow and plant. Gloves and "
                "tools are there.",
            ),
        ),
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
