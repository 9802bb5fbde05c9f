"""Recognition in Thuringia (issue 14, part 4): the volunteer's year of birth for the age
limits (``birth_year``), the Thüringer Ehrenamtszertifikat as signed (``ehrenamts_zertifikat``)
and the Ehrenamtsausweise a centre recorded (``card_holding``)."""

from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class Centre(Model):
        class Meta:
            database = db
            table_name = "centre"

    class BirthYear(Model):
        user = ForeignKeyField(User, on_delete="CASCADE", unique=True)
        year = SmallIntegerField()
        given_at = DateTimeField()

        class Meta:
            database = db
            table_name = "birth_year"
            constraints = [SQL("CHECK (year >= 1900 AND year <= 2100)")]

    class EhrenamtsZertifikat(Model):
        volunteer = ForeignKeyField(User, on_delete="CASCADE")
        centre = ForeignKeyField(Centre, on_delete="CASCADE")
        period_start = DateField()
        period_end = DateField()
        function = CharField(max_length=150)
        skills = TextField(default="")
        trainings = TextField(default="")
        areas = TextField(default="[]")
        total_hours = DecimalField(max_digits=8, decimal_places=2)
        dates_count = IntegerField()
        signed_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        signed_by_name = CharField(max_length=100)
        signed_on = DateField()
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "ehrenamts_zertifikat"
            indexes = ((("volunteer", "centre", "period_start", "period_end"), True),)
            constraints = [SQL("CHECK (period_end >= period_start)")]

    class CardHolding(Model):
        volunteer = ForeignKeyField(User, on_delete="CASCADE")
        centre = ForeignKeyField(Centre, on_delete="CASCADE")
        kind = CharField(max_length=15)
        number = CharField(max_length=40, default="")
        expires_on = DateField()
        recorded_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "card_holding"
            indexes = ((("centre", "expires_on"), False),)
            constraints = [SQL("CHECK (kind IN ('ehrenamtscard', 'juleica'))")]

    db.create_tables([BirthYear, EhrenamtsZertifikat, CardHolding])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("card_holding"))
    migrator.migrate(migrator.drop_table("ehrenamts_zertifikat"))
    migrator.migrate(migrator.drop_table("birth_year"))
