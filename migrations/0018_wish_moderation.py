"""Families' wishes are moderated (issue 11, part 4): a new wish is public only once a
coordinator approved it (``wish.approved_at``), unless its centre publishes new wishes at
once (``centre.wishes_need_approval`` false). Every centre starts with "approve first";
the wishes published so far stay public (approved when they were suggested)."""

from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("centre", "wishes_need_approval", BooleanField(default=True)),
        migrator.add_column("wish", "approved_at", DateTimeField(null=True)),
    )
    wish = Table("wish", ("id", "created_at", "approved_at")).bind(db)
    wish.update(approved_at=wish.created_at).where(wish.approved_at.is_null()).execute()


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column("wish", "approved_at"),
        migrator.drop_column("centre", "wishes_need_approval"),
    )
