"""Mail written when it is sent (issue 16, sign-ups): an outbox row may hold only the name of
its template and a few parameters (``outbox_message.template``, ``params``) until the job
that sends it writes it; rows of older code, which leave both empty, go out as before.

Also: the person-scope revision counters (``content_revision``, scope ``person``) that
erasures before this release left behind are deleted (the erasure now deletes its own)."""

from peewee import *


def up(migrator, db):
    for column, kind in (("template", "VARCHAR(60)"), ("params", "TEXT")):
        db.execute_sql(f"ALTER TABLE outbox_message ADD COLUMN {column} {kind} NOT NULL DEFAULT ''")
    db.execute_sql(
        "DELETE FROM content_revision WHERE scope = 'person' AND NOT EXISTS "
        '(SELECT 1 FROM "user" WHERE "user".id = content_revision.owner_id)'
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column("outbox_message", "template"),
        migrator.drop_column("outbox_message", "params"),
    )
