"""Closures after planning (issue 13, part 1): a cancelled slot keeps the reason the centre
gave ("Weihnachtsschließzeit", "Krankheit"), which the volunteers' mail, the family programme
and the calendar feeds show. Empty for slots cancelled without one."""

from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("slot", "cancel_reason", CharField(max_length=150, default=""))
    )


def down(migrator, db):
    migrator.migrate(migrator.drop_column("slot", "cancel_reason"))
