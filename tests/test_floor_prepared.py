"""``db.Prepared`` keeps peewee's layout of the columns from its first call: later calls give
what the query itself gives, whatever rows they meet (outer joins with and without a row,
no row at all first)."""

from __future__ import annotations

from peewee import JOIN

from tests.factories import make_centre, make_user
from tests.factories_signups import make_activity, make_signup, make_slot
from volunteer_app.accounts.models import User
from volunteer_app.activities.models import Activity, Slot
from volunteer_app.db import Prepared
from volunteer_app.signups.models import Signup


def _slot_and_signup(slot_id):
    return (
        Slot.select(Slot, Activity, Signup, User)
        .join(Activity, on=(Slot.activity == Activity.id))
        .join_from(Slot, Signup, JOIN.LEFT_OUTER, on=(Signup.slot == Slot.id))
        .join_from(Signup, User, JOIN.LEFT_OUTER, on=(Signup.volunteer == User.id))
        .where(Slot.id == slot_id)
        .limit(1)
    )


def _same(got, want) -> None:
    assert got.__data__ == want.__data__
    assert got.activity.__data__ == want.activity.__data__
    got_signup, want_signup = getattr(got, "signup", None), getattr(want, "signup", None)
    if want_signup is None:
        assert got_signup is None
    else:
        assert got_signup.__data__ == want_signup.__data__
        assert got_signup.volunteer.__data__ == want_signup.volunteer.__data__


def test_later_calls_read_their_rows_as_the_query_does(conn):
    activity = make_activity(make_centre())
    empty, taken, other = (make_slot(activity) for _ in range(3))
    make_signup(taken, make_user(name="Ada"), status="confirmed")
    make_signup(other, make_user(name="Bo"), status="pending")
    prepared = Prepared(_slot_and_signup)
    assert prepared.first(999_999) is None  # no row: nothing to keep yet
    for slot in (taken, empty, other, empty, taken):
        _same(prepared.first(slot.id), _slot_and_signup(slot.id).first())
    assert prepared.first(other.id).signup.volunteer.name == "Bo"
    assert prepared.first(empty.id).signup is None


def test_rows_come_back_clean(conn):
    user = make_user(name="Clara")
    prepared = Prepared(lambda user_id: User.select().where(User.id == user_id).limit(1))
    for _ in range(2):
        found = prepared.first(user.id)
        assert found.name == "Clara" and not found.dirty_fields
