"""PostgreSQL: a database's rows saved once and put back for later tests, instead of built
again by the factories (the authorization world, the API world, the demo network).

``save()`` reads every row of every table of ``all_models()`` (as JSON, which PostgreSQL reads
back into the same values) and where each id sequence stands, and makes them into one script
(one round trip). ``restore(saved)`` runs it: a database emptied by conftest's ``_truncate_pg``
is then exactly as it was when saved: the same rows (the seeded categories and the revisions
the triggers wrote included), ids going on from the same numbers.

The rows go in with ``session_replication_role = replica``: no trigger writes revisions of
its own, no foreign key is checked again (the rows were consistent when read). Only a
superuser may set it (CI and the dev setup connect as ``postgres``); ``can_restore()`` tells,
and without it the callers build their data anew for every test.
"""

from __future__ import annotations

import dataclasses
import json

import peewee as pw

from volunteer_app.db import db
from volunteer_app.models import all_models


@dataclasses.dataclass(frozen=True)
class Saved:
    script: str
    params: list


def can_restore() -> bool:
    """Whether this connection may set ``session_replication_role`` (a superuser)."""
    row = db.execute_sql("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()
    return bool(row and row[0])


def _sequence(model) -> str:
    table, pk = model._meta.table_name, model._meta.primary_key.column_name
    return f"pg_get_serial_sequence('\"{table}\"', '{pk}')"


def save() -> Saved:
    models = all_models()
    # Table names come from the models, not from input.
    tables = ", ".join(
        f"(SELECT coalesce(json_agg(t), '[]')::text FROM \"{m._meta.table_name}\" t)"  # noqa: S608
        for m in models
    )
    dumps = db.execute_sql(f"SELECT {tables}").fetchone()
    serial = [m for m in models if isinstance(m._meta.primary_key, pw.AutoField)]
    positions = ", ".join(f"pg_sequence_last_value({_sequence(m)}::regclass)" for m in serial)
    last = db.execute_sql(f"SELECT {positions}").fetchone()
    script = ["SET LOCAL session_replication_role = replica"]
    script += [f'DELETE FROM "{m._meta.table_name}"' for m in reversed(models)]  # noqa: S608
    params = []
    for model, rows in zip(models, dumps, strict=True):
        if json.loads(rows):
            table = model._meta.table_name
            script.append(
                f'INSERT INTO "{table}" SELECT * FROM json_populate_recordset(NULL::"{table}", %s)'  # noqa: S608
            )
            params.append(rows)
    moved = [f"setval({_sequence(m)}, {int(v)})" for m, v in zip(serial, last, strict=True) if v]
    if moved:
        script.append("SELECT " + ", ".join(moved))
    script.append("SET LOCAL session_replication_role = DEFAULT")
    return Saved(";\n".join(script), params)


def restore(saved: Saved) -> None:
    with db.atomic():
        db.execute_sql(saved.script, saved.params)
