"""Time zones: store naive UTC, show Europe/Berlin."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")
UTC = dt.UTC


def to_berlin(value: dt.datetime) -> dt.datetime:
    """A naive-UTC timestamp from the database as an aware Europe/Berlin one."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(BERLIN)


def berlin_to_utc(value: dt.datetime) -> dt.datetime:
    """A naive wall-clock time in Berlin as naive UTC for storage."""
    return value.replace(tzinfo=BERLIN).astimezone(UTC).replace(tzinfo=None)
