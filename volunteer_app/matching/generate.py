"""Seeded synthetic Thuringia-like instances: towns with family centres, four weeks of slots.

Same arguments (and seed) → the same instance, byte for byte. Figures loosely follow the
ThEKiZ network: centres in towns weighted by population, volunteers who reach the centres of
their own town (some also one of a neighbouring town), weekday windows in the morning or
afternoon, caps of a few slots a month, certificates for child-facing activities, and
language cafés that need Arabic, Ukrainian, Russian or English.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from .problem import Options, Problem, Slot, Volunteer, Window

TOWNS = (  # (name, population in thousands)
    ("Erfurt", 214), ("Jena", 111), ("Gera", 93), ("Weimar", 65), ("Gotha", 46), ("Nordhausen", 41),
    ("Eisenach", 42), ("Suhl", 36), ("Mühlhausen", 36), ("Altenburg", 31), ("Ilmenau", 38),
    ("Saalfeld", 28), ("Arnstadt", 28), ("Sonneberg", 23), ("Meiningen", 25), ("Apolda", 22),
    ("Sondershausen", 21), ("Rudolstadt", 25), ("Greiz", 20), ("Pößneck", 12), ("Bad Salzungen", 24),
    ("Schmalkalden", 19), ("Sömmerda", 19), ("Zeulenroda", 16), ("Leinefelde", 18), ("Heiligenstadt", 17),
)  # fmt: skip
CATEGORIES = (  # (id, name, child-facing, weight)
    (1, "Vorlesen", True, 3), (2, "Hausaufgabenhilfe", True, 3), (3, "Elterncafé", False, 3),
    (4, "Sprachcafé", False, 1), (5, "Kreativwerkstatt", True, 2), (6, "Bewegung", True, 2),
    (7, "Begleitung zu Ämtern", False, 1), (8, "Garten und Küche", False, 2),
)  # fmt: skip
LANGUAGES = ("ar", "uk", "ru", "en")
PERIOD_START = date(2026, 3, 2)  # a Monday; four weeks inside March
PERIOD_DAYS = 28


def generate(volunteers: int, slots: int, seed: int = 1, options: Options | None = None) -> Problem:
    rng = random.Random(seed)
    n_centres = max(3, round(slots / 170))
    weights = [pop for _, pop in TOWNS]
    town_of_centre = [rng.choices(range(len(TOWNS)), weights)[0] for _ in range(n_centres)]
    centres_in_town: dict[int, list[int]] = {}
    for c, t in enumerate(town_of_centre, start=1):
        centres_in_town.setdefault(t, []).append(c)
    towns = sorted(centres_in_town)
    cat_weights = [w for *_, w in CATEGORIES]

    slot_list: list[Slot] = []
    series_id = 0
    sid = 0
    while len(slot_list) < slots:
        centre = rng.randint(1, n_centres)
        cat_id, _, child, _ = rng.choices(CATEGORIES, cat_weights)[0]
        weekday = rng.choices(range(7), (5, 5, 5, 5, 4, 1, 0.5))[0]
        start_min = rng.choice(range(8 * 60, 17 * 60 + 1, 30))
        length = rng.choice((90, 120, 120, 180))
        seats = rng.choices((1, 2, 3), (6, 3, 1))[0]
        language = (
            rng.choice(LANGUAGES)
            if cat_id == 4
            else (rng.choice(LANGUAGES) if rng.random() < 0.02 else None)
        )
        weekly = rng.random() < 0.5
        series = None
        if weekly:
            series_id += 1
            series = series_id
        weeks = range(PERIOD_DAYS // 7) if weekly else [rng.randrange(PERIOD_DAYS // 7)]
        for week in weeks:
            day = PERIOD_START + timedelta(days=7 * week + weekday)
            sid += 1
            start = datetime.combine(day, datetime.min.time()) + timedelta(minutes=start_min)
            slot_list.append(
                Slot(
                    sid,
                    centre,
                    cat_id,
                    start,
                    start + timedelta(minutes=length),
                    seats,
                    child,
                    language,
                    series,
                )
            )
            if len(slot_list) >= slots:
                break

    people: list[Volunteer] = []
    for vid in range(1, volunteers + 1):
        town = rng.choices(towns, [TOWNS[t][1] for t in towns])[0]
        own = centres_in_town[town]
        reach = set(rng.sample(own, min(len(own), rng.randint(2, 4))))
        if rng.random() < 0.4:
            other = rng.choice(towns)
            reach.add(rng.choice(centres_in_town[other]))
        open_any = rng.random() < 0.12
        interests = frozenset(rng.sample([c for c, *_ in CATEGORIES], rng.randint(2, 4)))
        windows = []
        for weekday in sorted(rng.sample(range(7), rng.choices((2, 3, 4, 5), (2, 4, 3, 1))[0])):
            part = rng.choice(("morning", "afternoon", "day", "day"))
            start, end = {
                "morning": (8 * 60, 13 * 60),
                "afternoon": (13 * 60, 19 * 60),
                "day": (8 * 60, 20 * 60),
            }[part]
            windows.append(Window(weekday, start, end))
        cert = None
        if rng.random() < 0.65:
            cert = PERIOD_START + timedelta(days=rng.randint(-30, 900))
        langs = {"de"} | ({rng.choice(LANGUAGES)} if rng.random() < 0.2 else set())
        cap_month = rng.choices((2, 4, 6, 8, 12, None), (2, 4, 3, 2, 1, 1))[0]
        cap_week = rng.choices((1, 2, 3, None), (3, 4, 1, 2))[0]
        history = frozenset(rng.sample(sorted(reach), 1)) if rng.random() < 0.4 else frozenset()
        people.append(
            Volunteer(
                id=vid,
                interests=interests,
                open_to_anything=open_any,
                windows=tuple(windows),
                centres=frozenset(reach),
                certificate_valid_until=cert,
                languages=frozenset(langs),
                cap_month=cap_month,
                cap_week=cap_week,
                cap_day=1,
                history_centres=history,
                history_series=frozenset(rng.sample(range(1, series_id + 1), 1))
                if series_id and rng.random() < 0.1
                else frozenset(),
            )
        )
    return Problem(volunteers=tuple(people), slots=tuple(slot_list), options=options or Options())
