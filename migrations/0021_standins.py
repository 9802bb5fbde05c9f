"""I can't come ("Ich kann nicht") and a stand-in (issue 13, part 2): a volunteer who
cannot come after the cancellation deadline says so (``cant_come``: the optional reason,
and when a coordinator dealt with it); coordinators ask volunteers to step in on a slot
short of people (``standin_request``: one per slot and person, the first to accept gets
the place, a no is remembered)."""

from peewee import *


def up(migrator, db):
    class Signup(Model):
        class Meta:
            database = db
            table_name = "signup"

    class Slot(Model):
        class Meta:
            database = db
            table_name = "slot"

    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class CantCome(Model):
        signup = ForeignKeyField(Signup, on_delete="CASCADE")
        reason = CharField(max_length=300, default="")
        created_at = DateTimeField()
        handled_at = DateTimeField(null=True)
        handled_by = ForeignKeyField(User, null=True, on_delete="SET NULL")

        class Meta:
            database = db
            table_name = "cant_come"

    class StandinRequest(Model):
        slot = ForeignKeyField(Slot, on_delete="CASCADE")
        volunteer = ForeignKeyField(User, on_delete="CASCADE")
        status = CharField(max_length=10, default="asked")
        reasons = TextField()
        token_hash = CharField(max_length=64, unique=True)
        asked_at = DateTimeField()
        asked_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        answered_at = DateTimeField(null=True)
        signup = ForeignKeyField(Signup, null=True, on_delete="SET NULL")

        class Meta:
            database = db
            table_name = "standin_request"
            indexes = ((("slot", "volunteer"), True), (("volunteer", "status"), False))
            constraints = [
                SQL("CHECK (status IN ('asked', 'accepted', 'declined', 'taken', 'lapsed'))"),
            ]

    db.create_tables([CantCome, StandinRequest])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("standin_request"))
    migrator.migrate(migrator.drop_table("cant_come"))
