"""Helpers for the volunteer profile, reminder and digest tests: activities, slots, sign-ups."""

from __future__ import annotations

from tests.factories import (  # noqa: F401 (re-exported)
    builtin,
    make_activity,
    make_category,
    make_signup,
    make_slot,
)
from volunteer_app.volunteers.models import ReachableCentre, VolunteerProfile


def set_reminder(user, hours: int) -> VolunteerProfile:
    profile, _ = VolunteerProfile.get_or_create(user=user)
    profile.reminder_hours = hours
    profile.save()
    return profile


def choose(user, *centres) -> None:
    """The person chose these centres as reachable: staff of those centres may now see
    them (``volunteers.queries.visible_volunteers``)."""
    for centre in centres:
        ReachableCentre.create(user=user, centre=centre)
