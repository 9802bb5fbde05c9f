"""The import's preview on a 5,000-row list: parse (CSV and Excel) and check every row.

Builds a list of volunteers with what real lists have: broken rows (no address, an invalid
one, no name), duplicates (the same address in another spelling), formula-like cells
(``=HYPERLINK(…)``, ``+cmd|…``), too long names, people who already have an account or an
invitation; and a list of activities with dates (unknown categories, past dates, bad times,
duplicates). Times ``files.read_table`` + ``checks.check_table`` (what the preview page does
besides rendering), median of ``--runs``, wall and CPU time, against the 3-second goal.
No database: what the database knows is built in memory (``--accounts`` addresses).

    .venv/bin/python benchmarks/import_preview.py [--rows 5000] [--runs 5] [--accounts 5000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

GOAL_SECONDS = 3.0


def volunteers_csv(rows: int, rng: random.Random) -> str:
    lines = ["Vorname;Nachname;E-Mail-Adresse;Telefon;Bemerkung"]
    for n in range(rows):
        first, last, email = f"Vorname{n}", f"Nachname{n}", f"person{n}@example.org"
        kind = n % 20
        if kind == 1:
            email = ""  # no address
        elif kind == 2:
            email = f"person{n}.example.org"  # invalid
        elif kind == 3:
            first = last = ""  # no name
        elif kind == 4 and n > 20:
            email = f"PERSON{n - 20}@Example.org"  # duplicate of an earlier row
        elif kind == 5:
            first = f'=HYPERLINK("http://x.invalid/{n}","klick")'  # formula
        elif kind == 6:
            last = "+cmd|' /C calc'!A0"
        elif kind == 7:
            last = "L" * 150  # too long
        elif kind == 8:
            email = f"account{n}@example.org"  # already has an account
        elif kind == 9:
            email = f"invited{n}@example.org"  # already invited
        note = rng.choice(["", "kann Mo+Mi", "Ã¼ber Elternbeirat", "hilft beim Sommerfest"])
        lines.append(f"{first};{last};{email};0361 {n:06d};{note}")
    return "\r\n".join(lines) + "\r\n"


def activities_csv(rows: int, today: dt.date) -> str:
    lines = ["Titel;Kategorie;Ort;Beschreibung;Datum;Beginn;Ende;Plätze"]
    for n in range(rows):
        day = today + dt.timedelta(days=1 + n % 300)
        title, category, date, start, end, places = (
            f"Angebot {n // 3}",
            "Vorlesen",
            f"{day:%d.%m.%Y}",
            "10:00",
            "12:00",
            "3",
        )
        kind = n % 25
        if kind == 1:
            category = "Unbekannt"
        elif kind == 2:
            date = "01.01.2000"
        elif kind == 3:
            start = "25:99"
        elif kind == 4:
            end = "09:00"
        elif kind == 5:
            places = "viele"
        elif kind == 6:
            title = "=1+1"
        lines.append(f"{title};{category};Saal;Beschreibung {n};{date};{start};{end};{places}")
    return "\n".join(lines) + "\n"


def to_xlsx(text: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    for line in text.splitlines():
        sheet.append(line.split(";"))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000, choices=range(1, 100_001), metavar="N")
    parser.add_argument("--runs", type=int, default=5, choices=range(1, 51), metavar="N")
    parser.add_argument(
        "--accounts", type=int, default=5000, choices=range(0, 1_000_001), metavar="N"
    )
    args = parser.parse_args()

    from config import TestingConfig
    from volunteer_app import create_app
    from volunteer_app.imports import checks, files

    app = create_app(TestingConfig, DATABASE_URL="sqlite:///:memory:")
    rng = random.Random(14)
    today = dt.date.today()
    accounts = frozenset(f"account{n}@example.org" for n in range(args.accounts))
    accounts |= frozenset(f"account{n}@example.org" for n in range(8, args.rows, 20))
    invited = {f"invited{n}@example.org": today for n in range(9, args.rows, 20)}
    known = {
        "volunteers": checks.Known(accounts=accounts, invited=invited),
        "activities": checks.Known(
            categories={"vorlesen": 1, "readingaloud": 1, "kochen": 2},
            activities={f"angebot {n}": (n, f"Angebot {n}") for n in range(0, 50)},
            closed=frozenset({today + dt.timedelta(days=30)}),
            today=today,
        ),
    }
    texts = {
        "volunteers": volunteers_csv(args.rows, rng),
        "activities": activities_csv(args.rows, today),
    }
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        f"{'list':<11} {'format':<5} {'bytes':>9} {'good':>5} {'bad':>5} {'wall s':>7} {'cpu s':>6} {'of goal':>7}"
    )
    worst = 0.0
    with app.test_request_context(headers={"Accept-Language": "de"}):
        for kind, text in texts.items():
            for fmt, data in (
                ("csv", text.encode("cp1252", errors="replace")),
                ("xlsx", to_xlsx(text)),
            ):
                walls, cpus = [], []
                for _ in range(args.runs):
                    wall, cpu = time.perf_counter(), time.process_time()
                    table = files.read_table(data, f"liste.{fmt}", max_rows=args.rows)
                    mapping = checks.guess_mapping(kind, table.header)
                    checked = checks.check_table(kind, table, mapping, known[kind])
                    walls.append(time.perf_counter() - wall)
                    cpus.append(time.process_time() - cpu)
                assert len(checked.rows) == args.rows, len(checked.rows)
                wall, cpu = statistics.median(walls), statistics.median(cpus)
                worst = max(worst, wall)
                print(
                    f"{kind:<11} {fmt:<5} {len(data):>9} {len(checked.good):>5} "
                    f"{len(checked.bad):>5} {wall:>7.3f} {cpu:>6.3f} {wall / GOAL_SECONDS:>6.0%}"
                )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        f"slowest median {worst:.3f} s: {'within' if worst < GOAL_SECONDS else 'OVER'} the {GOAL_SECONDS:.0f} s goal"
    )
    return 0 if worst < GOAL_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
