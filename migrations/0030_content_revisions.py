"""Revisions (issue "speed where people feel it"): ``content_revision``, one counter per
centre (``public``, ``staff``) and person (``person``) that database triggers move on every
write the public pages and the calendar feeds show (volunteer_app/revisions/triggers.py).
A conditional request then needs one indexed lookup instead of aggregates over the rows."""

import datetime as dt

from peewee import *


def up(migrator, db):
    from volunteer_app.revisions import triggers

    class ContentRevision(Model):
        scope = CharField(max_length=10)
        owner_id = IntegerField()
        value = BigIntegerField(default=0)
        changed_at = DateTimeField()

        class Meta:
            database = db
            table_name = "content_revision"
            indexes = ((("scope", "owner_id"), True),)
            constraints = [SQL("CHECK (scope IN ('public', 'staff', 'person'))")]

    db.create_tables([ContentRevision])
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    insert = (
        "INSERT INTO content_revision (scope, owner_id, value, changed_at) "  # noqa: S608
        f"SELECT {db.param}, id, 1, {db.param} FROM centre"
    )
    for scope in ("public", "staff"):
        db.execute_sql(insert, (scope, now.isoformat(" ")))
    triggers.install(db)


def down(migrator, db):
    from volunteer_app.revisions import triggers

    triggers.uninstall(db)
    migrator.migrate(migrator.drop_table("content_revision"))
