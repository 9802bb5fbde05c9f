"""The erasure deletes the person's own revision counter (``content_revision``, scope
``person``: how often and when their sign-ups last changed), though the revision triggers
move it while the cascade deletes their sign-ups (at COMMIT on PostgreSQL); the centres'
counters stay and move on."""

from __future__ import annotations

import pytest

from tests.factories_erasure import future_slot, rich_world
from volunteer_app.db import is_sqlite, write_transaction
from volunteer_app.erasure import services
from volunteer_app.revisions.models import ContentRevision
from volunteer_app.signups import services as signups

pytestmark = pytest.mark.dates  # depends on today: CI reruns it at fixed days


def _value(scope: str, owner_id: int) -> int | None:
    row = ContentRevision.get_or_none(
        (ContentRevision.scope == scope) & (ContentRevision.owner_id == owner_id)
    )
    return None if row is None else row.value


@pytest.fixture
def w(conn):
    return rich_world()


def test_the_erasure_deletes_the_persons_revision(w):
    assert _value("person", w.person.id) is not None  # her sign-ups moved it
    other = _value("person", w.other.id)
    staff = _value("staff", w.centre.id)
    services.erase_account(w.person)
    assert _value("person", w.person.id) is None
    # Otto moved up into her seat: his counter and the centre's moved, and stay.
    assert _value("person", w.other.id) > other
    assert _value("staff", w.centre.id) > staff


def test_revisions_after_the_erasure_in_the_same_transaction_still_move_at_commit(w):
    """The erasure runs the sign-ups' triggers early on PostgreSQL and defers them again:
    a later change in the same transaction moves its counters at COMMIT, as before."""
    slot = future_slot(w.garden, 8, capacity=3)
    before = _value("person", w.third.id)
    with write_transaction():
        services.erase_account(w.person)
        signups.sign_up(slot.id, actor=w.third)
        if not is_sqlite():
            assert _value("person", w.third.id) == before  # deferred to COMMIT
    assert _value("person", w.third.id) > before
    assert _value("person", w.person.id) is None
