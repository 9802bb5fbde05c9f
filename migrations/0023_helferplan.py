"""The written plan (Helferplan, issue 13, part 4): an activity may be done at the
volunteer's home (baking for a festival, say). The plan marks such dates, because accident
insurance covers a task at home only when the centre demonstrably commissioned it. Who
assigned or approved a sign-up and when is already recorded (``signup.assigned_by``,
``decided_by``, ``decided_at``), so nothing else changes."""

from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_column("activity", "at_home", BooleanField(default=False)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column("activity", "at_home"))
