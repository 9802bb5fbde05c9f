"""Matching in the app: proposal runs, their proposals (and invitations), weekly suggestions."""

from peewee import *


def up(migrator, db):
    class Centre(Model):
        class Meta:
            database = db
            table_name = "centre"

    class Operator(Model):
        class Meta:
            database = db
            table_name = "operator"

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

    class MatchRun(Model):
        centre = ForeignKeyField(Centre, null=True, on_delete="CASCADE")
        operator = ForeignKeyField(Operator, null=True, on_delete="CASCADE")
        period_from = DateField()
        period_to = DateField()
        allow_same_day = BooleanField(default=False)
        same_person_for_series = BooleanField(default=False)
        status = CharField(max_length=10, default="queued")
        progress = IntegerField(default=0)
        message = CharField(default="")
        engine = CharField(max_length=10, default="")
        solve_status = CharField(max_length=10, default="")
        objective = BigIntegerField(null=True)
        gap = FloatField(null=True)
        seconds = FloatField(null=True)
        counts = TextField()
        funnels = TextField()
        candidates = TextField()
        created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        created_at = DateTimeField()
        started_at = DateTimeField(null=True)
        finished_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "match_run"
            indexes = ((("centre", "created_at"), False), (("operator", "created_at"), False))
            constraints = [
                SQL("CHECK ((centre_id IS NULL) <> (operator_id IS NULL))"),
                SQL("CHECK (status IN ('queued', 'running', 'done', 'failed'))"),
                SQL("CHECK (progress >= 0 AND progress <= 100)"),
                SQL("CHECK (period_to >= period_from)"),
            ]

    db.create_tables([MatchRun])

    class Proposal(Model):
        run = ForeignKeyField(MatchRun, on_delete="CASCADE")
        slot = ForeignKeyField(Slot, on_delete="CASCADE")
        volunteer = ForeignKeyField(User, on_delete="CASCADE")
        status = CharField(max_length=10, default="proposed")
        reasons = TextField()
        token_hash = CharField(unique=True, null=True, max_length=64)
        invited_at = DateTimeField(null=True)
        invited_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        answered_at = DateTimeField(null=True)
        signup = ForeignKeyField(Signup, null=True, on_delete="SET NULL")
        created_at = DateTimeField()
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = "proposal"
            indexes = (
                (("run", "slot", "volunteer"), True),
                (("slot", "status"), False),
                (("volunteer", "status"), False),
            )
            constraints = [
                SQL(
                    "CHECK (status IN ('proposed', 'invited', 'confirmed', 'accepted', "
                    "'declined', 'replaced', 'removed', 'expired'))"
                ),
            ]

    db.create_tables([Proposal])

    class WeeklySuggestions(Model):
        user = ForeignKeyField(User, unique=True, on_delete="CASCADE")
        created_at = DateTimeField()
        last_week = CharField(null=True, max_length=8)

        class Meta:
            database = db
            table_name = "weekly_suggestions"

    db.create_tables([WeeklySuggestions])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("weekly_suggestions"))
    migrator.migrate(migrator.drop_table("proposal"))
    migrator.migrate(migrator.drop_table("match_run"))
