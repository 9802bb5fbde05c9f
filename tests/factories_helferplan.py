"""A week at a centre for the written plan's tests (tests/test_helferplan.py and the browser
flow): made through the real services, so that the plan shows what they recorded."""

from __future__ import annotations

import datetime as dt

from tests.factories import (
    make_activity,
    make_centre,
    make_coordinator,
    make_operator,
    make_slot,
    make_user,
)
from volunteer_app.activities import slots as slot_services
from volunteer_app.centres.models import ClosingDay
from volunteer_app.centres.queries import today
from volunteer_app.common.time import berlin_to_utc
from volunteer_app.reports.plan import week_start
from volunteer_app.signups import services as signups
from volunteer_app.volunteers.models import ReachableCentre


def at(day: dt.date, hour: int) -> dt.datetime:
    return berlin_to_utc(dt.datetime.combine(day, dt.time(hour)))


class Week:
    """Next week at a centre: an assignment, an own sign-up, an approval of a task at home,
    a request still waiting, a cancelled date, a closing day, and another centre's date."""

    def __init__(self):
        self.monday = week_start(today()) + dt.timedelta(days=7)
        day = lambda n: self.monday + dt.timedelta(days=n)  # noqa: E731
        operator = make_operator(name="Stadt Erfurt")
        self.centre = make_centre(
            name="ThEKiZ Sonnenschein", slug="sonnenschein", operator=operator,
            street="Sonnenweg 1", postcode="99084",
        )  # fmt: skip
        self.other = make_centre(name="ThEKiZ Nebenan", slug="nebenan")
        self.clara = make_coordinator(self.centre, name="Clara Auerbach")
        self.bodo = make_coordinator(self.other, name="Bodo Birkner")
        self.vera = make_user(name="Vera Vogel")
        self.otto = make_user(name="Otto Ohnesorg")
        self.paula = make_user(name="Paula Pause")
        self.petra = make_user(name="Petra Wartend")
        ReachableCentre.create(user=self.vera, centre=self.centre)
        reading = make_activity(self.centre, title="Vorlesestunde", responsible=self.clara)
        baking = make_activity(
            self.centre, title="Kuchen backen", category_key="baking", place="",
            at_home=True, signup_mode="approval",
        )  # fmt: skip
        garden = make_activity(self.centre, title="Gartentag", category_key="gardening")
        self.reading = make_slot(reading, at(day(1), 10), capacity=3)
        self.baking = make_slot(baking, at(day(2), 14))
        self.garden = make_slot(garden, at(day(3), 9))
        make_slot(reading, at(day(8), 10))  # the week after
        make_slot(make_activity(self.other, title="Fremdtermin"), at(day(1), 10))
        ClosingDay.create(centre=self.centre, day=day(4), reason="Teamtag")

        signups.assign(self.reading.id, self.vera.id, actor=self.clara)
        signups.sign_up(self.reading.id, actor=self.otto)
        pending = signups.sign_up(self.baking.id, actor=self.paula).signup
        signups.approve(pending.id, actor=self.clara)
        signups.sign_up(self.baking.id, actor=self.petra)  # still waits for approval
        signups.assign(self.garden.id, self.vera.id, actor=self.clara)
        slot_services.cancel_slot(self.garden, actor=self.clara, reason="Regen")
