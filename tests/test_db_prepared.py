"""``db.Prepared``: a read whose SQL is built once gives what the query itself gives."""

from __future__ import annotations

import peewee as pw
import pytest

from tests.factories import make_centre, make_user
from tests.factories_centres import count_queries
from tests.factories_signups import make_activity, make_slot
from volunteer_app.accounts.models import User
from volunteer_app.activities.models import Activity, Slot
from volunteer_app.centres.models import Centre
from volunteer_app.db import Prepared, db, is_sqlite


def _slot_query(slot_id):
    return (
        Slot.select(Slot, Activity, Centre)
        .join(Activity, on=(Slot.activity == Activity.id))
        .join(Centre, on=(Activity.centre == Centre.id))
        .where(Slot.id == slot_id)
        .limit(1)
    )


def test_rows_and_joined_models_are_those_of_the_query(conn):
    centre = make_centre(name="Haus am Park")
    slots = [make_slot(make_activity(centre, title=f"Lesen {n}")) for n in range(3)]
    prepared = Prepared(_slot_query)
    for slot in slots:
        with count_queries() as counter:
            got = prepared.first(slot.id)
        assert counter.count == 1
        want = _slot_query(slot.id).first()
        assert got.__data__ == want.__data__
        assert got.activity.__data__ == want.activity.__data__
        assert got.activity.centre.name == "Haus am Park"
    assert prepared.first(999_999) is None
    assert prepared.rows(slots[1].id)[0].id == slots[1].id


def test_one_statement_text_for_every_call(conn):
    users = [make_user(name=f"Person {n}") for n in range(3)]
    prepared = Prepared(lambda user_id: User.select().where(User.id == user_id))
    with count_queries() as counter:
        names = [prepared.first(u.id).name for u in users]
    assert names == ["Person 0", "Person 1", "Person 2"]
    # Logged as "(sql, params)": the same SQL text, three sets of parameters (on PostgreSQL
    # the first may prepare the statement on the server; then each only names it).
    assert len({_sent(logged) for logged in counter.queries}) == 1
    assert len(set(counter.queries)) == 3


def _sent(logged: str) -> str:
    text = logged.rsplit(", [", 1)[0]
    return text.split("EXECUTE ", 1)[-1] if "EXECUTE " in text else text


def test_postgresql_parses_and_plans_a_statement_once_per_connection(conn):
    users = [make_user(name=f"Person {n}") for n in range(3)]
    prepared = Prepared(lambda user_id: User.select().where(User.id == user_id), "person")
    with count_queries() as counter:
        names = [prepared.first(u.id).name for u in users]
    assert names == ["Person 0", "Person 1", "Person 2"]
    if is_sqlite():  # SQLite keeps its own cache of compiled statements: plain SQL each time
        assert len(counter.queries) == 3 and not any("PREPARE" in q for q in counter.queries)
        return
    first, *rest = counter.queries
    assert first.startswith("('PREPARE person_") and "; EXECUTE person_" in first
    assert all(logged.startswith("('EXECUTE person_") for logged in rest)
    held = db.execute_sql(
        "SELECT count(*) FROM pg_prepared_statements WHERE name LIKE %s", ("person_%",)
    )
    assert held.fetchone()[0] == 1
    # Planned once: a generic plan, not one per set of parameters.
    assert db.execute_sql("SHOW plan_cache_mode").fetchone()[0] == "force_generic_plan"
    plans = db.execute_sql(
        "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name LIKE %s",
        ("person_%",),
    ).fetchone()
    assert plans == (3, 0), plans


def test_a_failed_statement_is_prepared_anew_under_another_name(conn):
    """A ``PREPARE`` outlives a rollback: after an error the next call must not repeat it."""
    make_user(name="Person")
    prepared = Prepared(
        lambda user_id: User.update(failed_logins=User.failed_logins + 1).where(User.id == user_id),
        "count_failure",
    )
    if not is_sqlite():  # SQLite takes any value in any column: no error to recover from
        with pytest.raises(pw.DataError), db.atomic():
            prepared.execute("not a number")
    with db.atomic():
        assert prepared.execute(User.select(User.id).scalar()).rowcount == 1


def test_an_argument_must_become_exactly_one_parameter(conn):
    twice = Prepared(lambda n: User.select().where((User.id == n) | (User.failed_logins == n)))
    with pytest.raises(ValueError, match="exactly one parameter"):
        twice.first(1)
