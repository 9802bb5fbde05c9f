"""Cooperation partners of a centre, its rooms and their bookings (issue 6, parts 1 and 2)."""

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

    class Partner(Model):
        centre = ForeignKeyField(Centre, on_delete="CASCADE")
        kind = CharField(max_length=20, default="other")
        name = CharField(max_length=150)
        offer = TextField(default="")
        contact_name = CharField(max_length=100, default="")
        contact_email = CharField(max_length=254, default="")
        contact_phone = CharField(max_length=40, default="")
        website = CharField(max_length=300, default="")
        languages = CharField(max_length=200, default="")
        is_public = BooleanField(default=False)
        internal_notes = TextField(default="")
        internal_contact = TextField(default="")
        created_at = DateTimeField()
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = "partner"
            indexes = ((("centre", "name"), False),)
            constraints = [
                SQL(
                    "CHECK (kind IN ('midwife', 'counselling', 'health_office', 'education', "
                    "'leisure', 'association', 'other'))"
                )
            ]

    class Room(Model):
        centre = ForeignKeyField(Centre, on_delete="CASCADE")
        name = CharField(max_length=100)
        capacity = IntegerField(default=10)
        accessible = BooleanField(default=False)
        equipment = TextField(default="")
        is_active = BooleanField(default=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = "room"
            indexes = ((("centre", "name"), True),)
            constraints = [SQL("CHECK (capacity >= 1 AND capacity <= 1000)")]

    class Booking(Model):
        room = ForeignKeyField(Room, on_delete="CASCADE")
        title = CharField(max_length=120)
        partner = ForeignKeyField(Partner, null=True, on_delete="SET NULL")
        activity = ForeignKeyField(Activity, null=True, on_delete="SET NULL")
        series_key = CharField(max_length=32, null=True, index=True)
        starts_at = DateTimeField()
        ends_at = DateTimeField()
        is_public = BooleanField(default=False)
        status = CharField(max_length=10, default="booked")
        note = TextField(default="")
        created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        cancelled_at = DateTimeField(null=True)
        sequence = IntegerField(default=0)
        created_at = DateTimeField()
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = "booking"
            indexes = ((("room", "starts_at"), False),)
            constraints = [
                SQL("CHECK (ends_at > starts_at)"),
                SQL("CHECK (status IN ('booked', 'cancelled'))"),
            ]

    db.create_tables([Partner, Room, Booking])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("booking"))
    migrator.migrate(migrator.drop_table("room"))
    migrator.migrate(migrator.drop_table("partner"))
