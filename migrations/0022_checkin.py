"""Arrival at the door (issue 13, part 3): a centre's check-in (``checkin_point``: the
random seeds its tablet codes, poster code and tablet link are derived from) and the
volunteers' check-ins (``checkin``: one per sign-up, when and by which code)."""

from peewee import *


def up(migrator, db):
    class Centre(Model):
        class Meta:
            database = db
            table_name = "centre"

    class Signup(Model):
        class Meta:
            database = db
            table_name = "signup"

    class CheckinPoint(Model):
        centre = ForeignKeyField(Centre, unique=True, on_delete="CASCADE")
        code_seed = CharField(max_length=64)
        poster_seed = CharField(max_length=64)
        tablet_seed = CharField(max_length=64, null=True)
        tablet_since = DateTimeField(null=True)
        poster_since = DateTimeField()
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "checkin_point"

    class Checkin(Model):
        signup = ForeignKeyField(Signup, unique=True, on_delete="CASCADE")
        checked_in_at = DateTimeField()
        method = CharField(max_length=10)

        class Meta:
            database = db
            table_name = "checkin"
            constraints = [SQL("CHECK (method IN ('tablet', 'poster'))")]

    db.create_tables([CheckinPoint, Checkin])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("checkin"))
    migrator.migrate(migrator.drop_table("checkin_point"))
