"""Factories and helpers of the feed tests: centres with public slots, links, parsed feeds."""

from __future__ import annotations

import datetime as dt

from tests.factories import (  # noqa: F401 (re-exported)
    builtin,
    make_activity,
    make_centre,
    make_coordinator,
    make_signup,
    make_user,
    reload,
)
from tests.factories_activities import make_slot, next_dst_change, next_weekday  # noqa: F401
from tests.factories_centres import count_queries  # noqa: F401 (re-exported)
from volunteer_app.feeds import services
from volunteer_app.feeds.models import FeedToken


def link_of(user, kind: str = "volunteer", centre=None) -> tuple[FeedToken, str]:
    """The user's active link (created if needed) and its token."""
    link = services.create_link(kind, centre, actor=user)
    return link, services.link_token(link)


def private_url(token: str) -> str:
    return f"/kalender/{token}.ics"


def family_url(centre, *category_ids: int, **args) -> str:
    query = "&".join(
        [f"kategorie={i}" for i in category_ids] + [f"{k}={v}" for k, v in args.items()]
    )
    return f"/zentren/{centre.slug}/kalender.ics" + (f"?{query}" if query else "")


def days_from_today(n: int) -> dt.date:
    from volunteer_app.centres.queries import today

    return today() + dt.timedelta(days=n)
