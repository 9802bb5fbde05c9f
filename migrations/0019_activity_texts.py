"""Activity texts in several languages (issue 12, part 4): coordinators give an activity's
title and short description in the families' languages; the German original stays on
``activity``. One row per activity and language, gone with the activity."""

from peewee import *


def up(migrator, db):
    class Activity(Model):
        class Meta:
            database = db
            table_name = "activity"

    class ActivityText(Model):
        activity = ForeignKeyField(Activity, on_delete="CASCADE")
        language = CharField(max_length=10)
        title = CharField(max_length=120)
        description = TextField(default="")

        class Meta:
            database = db
            table_name = "activity_text"
            indexes = ((("activity", "language"), True),)

    db.create_tables([ActivityText])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("activity_text"))
