"""Demo wishes: a few suggestions per centre, supported, some answered, one realised, and
one new wish waiting for a coordinator's approval."""

from __future__ import annotations

import datetime as dt

from volunteer_app.activities.models import Activity
from volunteer_app.common.security import hash_token
from volunteer_app.db import utcnow
from volunteer_app.wishes.models import Wish, WishSupport

WISHES = (
    # title, description, supports, status, answer
    ("Babymassage", "Ein Kurs für Eltern mit Babys bis ein Jahr, gern vormittags.", 14, "planned",
     "Wir sprechen gerade mit unserer Hebamme über einen Kurs im Frühjahr."),
    ("Reparaturcafé für Kinderfahrräder", "Einmal im Monat am Samstag.", 9, "new", ""),
    ("Vorlesen auf Arabisch", "Für Kinder, die zu Hause Arabisch sprechen.", 7, "new", ""),
    ("Vater-Kind-Wanderung", "Am Wochenende, mit Picknick.", 5, "realised", ""),
    ("Schwimmkurs", "Für Kinder ab 4 Jahren.", 3, "declined",
     "Leider haben wir kein Schwimmbad in der Nähe. Die Stadt bietet Kurse im Nordbad an."),
)  # fmt: skip
# Sent by a family, not public yet: the coordinators approve or reject it on the wishes desk.
PENDING = ("Flohmarkt für Kindersachen", "Zweimal im Jahr, gern im Hof des Zentrums.")


def seed(network) -> int:
    """Create the demo wishes of each centre that are missing (by title); rows created."""
    created = 0
    now = utcnow()
    for n, centre in enumerate(network.centres.values()):
        hike = Activity.get_or_none(Activity.centre == centre.id)
        for i, (title, text, supports, status, answer) in enumerate(WISHES):
            if Wish.get_or_none((Wish.centre == centre.id) & (Wish.title == title)):
                continue
            realised = status == "realised" and hike is not None
            when = now - dt.timedelta(days=40 - 6 * i + n)
            wish = Wish.create(
                centre=centre.id, title=title, description=text,
                status=status if realised or status != "realised" else "planned",
                answer=answer or ("Gibt es jetzt!" if realised else ""),
                answered_at=when + dt.timedelta(days=3) if (answer or realised) else None,
                activity=hike.id if realised else None,
                realised_at=when + dt.timedelta(days=3) if realised else None,
                support_count=supports, approved_at=when, created_at=when, updated_at=when,
            )  # fmt: skip
            WishSupport.insert_many(
                [{"wish": wish.id, "browser_hash": hash_token(f"demo-{wish.id}-{k}"),
                  "created_at": when} for k in range(supports)]
            ).execute()  # fmt: skip
            created += 1 + supports
        created += _seed_pending(centre, now - dt.timedelta(hours=5 + n))
    return created


def _seed_pending(centre, when) -> int:
    title, text = PENDING
    if Wish.get_or_none((Wish.centre == centre.id) & (Wish.title == title)):
        return 0
    wish = Wish.create(
        centre=centre.id, title=title, description=text, support_count=1,
        approved_at=None, created_at=when, updated_at=when,
    )  # fmt: skip
    WishSupport.create(wish=wish.id, browser_hash=hash_token(f"demo-{wish.id}-0"), created_at=when)
    return 2
