"""Ids from clients: checked where they come in, so that no malformed or huge id reaches a query.

The URL converter (``common/urls.py``: every ``<int:…>`` is 1 to ``MAX_ID``), the one guard for
ids in forms and query strings (``common/forms.py``: ``row_id``, ``RowIdField``) and the last
resort for a value the database still refuses (``common/handlers.py``: 400/409, logged).
``tests/test_fuzz_routes.py`` throws bad input at every route; these are the cases it found.
"""

from __future__ import annotations

import logging

import peewee as pw
import pytest
from flask import Blueprint

from tests.factories import make_centre, make_coordinator, make_user
from tests.factories_authz import changed_tables, snapshot
from tests.factories_signups import make_activity, make_slot
from volunteer_app.common.forms import row_id
from volunteer_app.common.handlers import REFUSED_BY_DATABASE
from volunteer_app.common.urls import IdConverter
from volunteer_app.db import MAX_ID
from volunteer_app.feeds.models import FeedToken

BAD_IDS = ["0", str(MAX_ID + 1), str(2**63), "9" * 400, "-1", "١٢", "²", "1.0", "0x1"]


def test_every_int_in_a_route_is_a_bounded_id(app):
    assert app.url_map.converters["int"] is IdConverter
    int_rules = [rule for rule in app.url_map.iter_rules() if "<int:" in rule.rule]
    assert len(int_rules) > 40
    for rule in int_rules:
        for name, converter in rule._converters.items():
            if f"<int:{name}>" in rule.rule:
                assert isinstance(converter, IdConverter), rule.rule
                assert (converter.min, converter.max) == (1, MAX_ID), rule.rule


@pytest.mark.parametrize("bad", BAD_IDS)
def test_an_id_out_of_range_in_the_url_is_not_found(client, login_as, conn, bad):
    admin = make_user(role="admin")
    slot = make_slot(make_activity(make_centre()))
    login_as(admin)
    assert client.get(f"/termine/{slot.id}").status_code == 200
    assert client.get(f"/termine/{MAX_ID}").status_code == 404  # the largest id: looked up
    before = snapshot()
    assert client.get(f"/termine/{bad}").status_code == 404
    assert client.post(f"/termine/{bad}/anmelden").status_code == 404
    assert client.post(f"/termine/{slot.id}/besetzung/{bad}/bestaetigen").status_code == 404
    assert changed_tables(before, snapshot()) == set()


def test_row_id_takes_ascii_ids_in_the_databases_range():
    assert [row_id(v) for v in ("1", " 42 ", str(MAX_ID), 7)] == [1, 42, MAX_ID, 7]
    for bad in [*BAD_IDS, "", " ", "1 2", "+1", None, True, "١"]:
        with pytest.raises(ValueError):
            row_id(bad)


def test_a_blank_centre_for_a_staff_feed_is_refused(client, login_as, conn):
    centre = make_centre()
    login_as(make_coordinator(centre))
    for bad in (" ", "\t", "abc", str(2**63), str(MAX_ID + 1)):
        response = client.post("/konto/kalender/neu", data={"kind": "staff", "centre_id": bad})
        assert response.status_code == 400, bad
    assert FeedToken.select().count() == 0
    assert (
        client.post(
            "/konto/kalender/neu", data={"kind": "staff", "centre_id": str(MAX_ID)}
        ).status_code
        == 404
    )


def test_a_blank_reminder_is_refused_with_a_message(client, login_as, conn):
    login_as(make_user())
    before = snapshot()
    response = client.post("/konto/kalender/erinnerung", data={"alarm": " "}, follow_redirects=True)
    assert response.status_code == 200
    assert "flash-error" in response.get_data(as_text=True)
    assert changed_tables(before, snapshot()) == set()


@pytest.mark.own_app
@pytest.mark.parametrize(
    ("error", "status"),
    [
        (pw.DataError("integer out of range"), 400),
        (OverflowError("Python int too large to convert to SQLite INTEGER"), 400),
        (pw.IntegrityError("UNIQUE constraint failed"), 409),
    ],
)
def test_a_value_the_database_refuses_is_the_clients_error_and_logged(
    app, client, caplog, error, status
):
    """The last resort: not a 500, but logged with its traceback, to be fixed at the cause."""
    bp = Blueprint("_ids_test", __name__)

    @bp.route("/_test/refused")
    def refused():
        raise error

    app.register_blueprint(bp)
    with caplog.at_level(logging.ERROR):
        response = client.get("/_test/refused")
    assert response.status_code == status
    assert str(error) not in response.get_data(as_text=True)
    [record] = [r for r in caplog.records if r.getMessage() == REFUSED_BY_DATABASE]
    assert record.exc_info[1] is error
