"""Families' wishes and their supports; certificates of volunteering (issue 6, parts 3–5)."""

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

    class Activity(Model):
        class Meta:
            database = db
            table_name = "activity"

    class Wish(Model):
        centre = ForeignKeyField(Centre, on_delete="CASCADE")
        title = CharField(max_length=120)
        description = TextField(default="")
        status = CharField(max_length=10, default="new")
        answer = TextField(default="")
        answered_at = DateTimeField(null=True)
        answered_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        activity = ForeignKeyField(Activity, null=True, on_delete="SET NULL")
        realised_at = DateTimeField(null=True)
        email = CharField(max_length=254, null=True)
        email_consent_at = DateTimeField(null=True)
        locale = CharField(max_length=5, default="de")
        support_count = IntegerField(default=0)
        created_at = DateTimeField()
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = "wish"
            indexes = ((("centre", "status", "support_count"), False),)
            constraints = [
                SQL("CHECK (status IN ('new', 'planned', 'realised', 'declined'))"),
                SQL("CHECK (support_count >= 0)"),
                SQL("CHECK (email IS NULL OR email_consent_at IS NOT NULL)"),
            ]

    class WishSupport(Model):
        wish = ForeignKeyField(Wish, on_delete="CASCADE")
        browser_hash = CharField(max_length=64)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "wish_support"
            indexes = ((("wish", "browser_hash"), True),)

    class VolunteeringCertificate(Model):
        volunteer = ForeignKeyField(User, on_delete="CASCADE")
        centre = ForeignKeyField(Centre, on_delete="CASCADE")
        period_start = DateField()
        period_end = DateField()
        status = CharField(max_length=10, default="requested")
        requested_at = DateTimeField()
        signed_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        signed_by_name = CharField(max_length=100, default="")
        signed_on = DateField(null=True)
        total_hours = DecimalField(max_digits=8, decimal_places=2, null=True)
        dates_count = IntegerField(null=True)
        details = TextField(default="[]")

        class Meta:
            database = db
            table_name = "volunteering_certificate"
            indexes = ((("volunteer", "centre", "period_start", "period_end"), True),)
            constraints = [
                SQL("CHECK (status IN ('requested', 'signed'))"),
                SQL("CHECK (period_end >= period_start)"),
                SQL(
                    "CHECK (status = 'requested' OR "
                    "(signed_on IS NOT NULL AND signed_by_name <> ''))"
                ),
            ]

    db.create_tables([Wish, WishSupport, VolunteeringCertificate])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("volunteering_certificate"))
    migrator.migrate(migrator.drop_table("wish_support"))
    migrator.migrate(migrator.drop_table("wish"))
