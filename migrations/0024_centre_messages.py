"""Messages to volunteers (issue 14, part 1): a coordinator's message to the people of a
slot, an activity, a category or the whole centre (``centre_message``), who got it
(``message_recipient``, with the outbox row that carries it) and who turned the centres'
news off (``message_opt_out``)."""

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

    class OutboxMessage(Model):
        class Meta:
            database = db
            table_name = "outbox_message"

    class CentreMessage(Model):
        centre = ForeignKeyField(Centre, on_delete="CASCADE")
        author = ForeignKeyField(User, null=True, on_delete="SET NULL")
        audience = CharField(max_length=10)
        audience_ref = IntegerField(null=True)
        audience_label = CharField(max_length=255)
        essential = BooleanField()
        subject = CharField(max_length=120)
        body = TextField()
        recipient_count = IntegerField(default=0)
        opted_out_count = IntegerField(default=0)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "centre_message"
            indexes = ((("centre", "created_at"), False),)
            constraints = [
                SQL("CHECK (audience IN ('slot', 'activity', 'category', 'centre'))"),
            ]

    class MessageRecipient(Model):
        message = ForeignKeyField(CentreMessage, on_delete="CASCADE")
        user = ForeignKeyField(User, on_delete="CASCADE")
        outbox = ForeignKeyField(OutboxMessage, null=True, on_delete="SET NULL")

        class Meta:
            database = db
            table_name = "message_recipient"
            indexes = ((("message", "user"), True),)

    class MessageOptOut(Model):
        user = ForeignKeyField(User, unique=True, on_delete="CASCADE")
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "message_opt_out"

    db.create_tables([CentreMessage, MessageRecipient, MessageOptOut])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("message_opt_out"))
    migrator.migrate(migrator.drop_table("message_recipient"))
    migrator.migrate(migrator.drop_table("centre_message"))
