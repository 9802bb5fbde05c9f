"""Invitations can be withdrawn; at most one open invitation per address and centre."""

from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("invitation", "withdrawn_at", DateTimeField(null=True)),
        migrator.add_index(
            "invitation",
            ("centre_id", "email"),
            unique=True,
            where=SQL("accepted_at IS NULL AND withdrawn_at IS NULL"),
            name="invitation_open_centre_email",
        ),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index("invitation", "invitation_open_centre_email"),
        migrator.drop_column("invitation", "withdrawn_at"),
    )
