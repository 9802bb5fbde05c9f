"""The retry schedule of the outbox (pure, no app)."""

from __future__ import annotations

import datetime as dt

import pytest

from volunteer_app.notifications import delivery


@pytest.mark.parametrize(
    ("attempts", "minutes"),
    [(0, 1), (1, 1), (2, 2), (3, 4), (4, 8), (8, 128), (9, 256), (10, 360), (60, 360)],
)
def test_backoff_doubles_up_to_six_hours(attempts, minutes):
    assert delivery.backoff(attempts) == dt.timedelta(minutes=minutes)
