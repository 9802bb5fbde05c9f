"""Calendar feeds (issue 4): private feed links and the shared cache of rendered feeds."""

from peewee import *


def up(migrator, db):
    class Centre(Model):
        class Meta:
            database = db
            table_name = "centre"

    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class FeedToken(Model):
        user = ForeignKeyField(User, on_delete="CASCADE")
        kind = CharField(max_length=10)
        centre = ForeignKeyField(Centre, null=True, on_delete="CASCADE")
        seed = CharField(max_length=64)
        token_hash = CharField(max_length=64, unique=True)
        alarm_minutes = IntegerField(null=True)
        created_at = DateTimeField()
        revoked_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "feed_token"
            constraints = [
                SQL("CHECK (kind IN ('volunteer', 'staff'))"),
                SQL("CHECK ((kind = 'staff') = (centre_id IS NOT NULL))"),
                SQL(
                    "CHECK (alarm_minutes IS NULL OR "
                    "(alarm_minutes >= 0 AND alarm_minutes <= 10080))"
                ),
            ]

    FeedToken.add_index(
        FeedToken.index(
            FeedToken.user,
            FeedToken.kind,
            unique=True,
            where=FeedToken.centre.is_null() & FeedToken.revoked_at.is_null(),
            name="feedtoken_active_personal",
        )
    )
    FeedToken.add_index(
        FeedToken.index(
            FeedToken.user,
            FeedToken.kind,
            FeedToken.centre,
            unique=True,
            where=FeedToken.centre.is_null(False) & FeedToken.revoked_at.is_null(),
            name="feedtoken_active_centre",
        )
    )

    class FeedCache(Model):
        key = CharField(max_length=200, unique=True)
        revision = CharField(max_length=64)
        etag = CharField(max_length=80)
        body = BlobField()
        last_modified = DateTimeField()
        rendered_at = DateTimeField()

        class Meta:
            database = db
            table_name = "feed_cache"

    db.create_tables([FeedToken, FeedCache])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("feed_cache"))
    migrator.migrate(migrator.drop_table("feed_token"))
