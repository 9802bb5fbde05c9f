"""Activities, series, slots, sign-ups, volunteer profiles, checks, audit log, digests."""

import datetime

from peewee import *

BUILTIN_CATEGORIES = [
    ("gardening", "Gärtnern"),
    ("reading", "Vorlesen"),
    ("hiking", "Wandern"),
    ("baking", "Backen"),
    ("cooking", "Kochen"),
]


def up(migrator, db):
    class Centre(Model):
        class Meta:
            database = db
            table_name = "centre"

    class User(Model):
        class Meta:
            database = db
            table_name = "user"
            constraints = [SQL("CHECK (role IN ('volunteer', 'coordinator', 'admin'))")]

    class Category(Model):
        key = CharField(unique=True, null=True, max_length=30)
        name = CharField(max_length=60)
        centre = ForeignKeyField(Centre, null=True, on_delete="CASCADE")
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "category"
            indexes = ((("centre", "name"), True),)

    db.create_tables([Category])

    class Activity(Model):
        centre = ForeignKeyField(Centre, on_delete="CASCADE")
        title = CharField(max_length=120)
        category = ForeignKeyField(Category, on_delete="RESTRICT")
        description = TextField(default="")
        place = CharField(max_length=150, default="")
        responsible = ForeignKeyField(User, null=True, on_delete="SET NULL")
        audience = CharField(max_length=120, default="")
        is_public = BooleanField(default=True)
        is_child_facing = BooleanField(default=False)
        signup_mode = CharField(max_length=10, default="open")
        cancel_deadline_hours = IntegerField(default=24)
        volunteers_needed = IntegerField(default=2)
        created_at = DateTimeField()
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = "activity"
            constraints = [
                SQL("CHECK (signup_mode IN ('open', 'approval'))"),
                SQL("CHECK (volunteers_needed >= 1 AND volunteers_needed <= 50)"),
                SQL("CHECK (cancel_deadline_hours >= 0)"),
            ]

    db.create_tables([Activity])

    class AuditEntry(Model):
        centre = ForeignKeyField(Centre, on_delete="CASCADE")
        actor = ForeignKeyField(User, null=True, on_delete="SET NULL")
        action = CharField(max_length=40)
        subject = ForeignKeyField(User, null=True, on_delete="SET NULL")
        slot_id = IntegerField(null=True)
        detail = CharField(default="")
        created_at = DateTimeField(index=True)

        class Meta:
            database = db
            table_name = "audit_entry"

    db.create_tables([AuditEntry])

    class AvailabilityWindow(Model):
        user = ForeignKeyField(User, on_delete="CASCADE")
        weekday = IntegerField()
        start_time = TimeField()
        end_time = TimeField()

        class Meta:
            database = db
            table_name = "availability_window"
            constraints = [SQL("CHECK (weekday >= 0 AND weekday <= 6)")]

    db.create_tables([AvailabilityWindow])

    class CertificateCheck(Model):
        volunteer = ForeignKeyField(User, on_delete="CASCADE")
        centre = ForeignKeyField(Centre, on_delete="CASCADE")
        certificate_date = DateField()
        inspected_on = DateField()
        inspected_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        eligible = BooleanField()
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "certificate_check"
            indexes = ((("volunteer", "centre"), True),)

    db.create_tables([CertificateCheck])

    class DigestSent(Model):
        user = ForeignKeyField(User, on_delete="CASCADE")
        day = DateField()
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "digest_sent"
            indexes = ((("user", "day"), True),)

    db.create_tables([DigestSent])

    class Interest(Model):
        user = ForeignKeyField(User, on_delete="CASCADE")
        category = ForeignKeyField(Category, on_delete="CASCADE")

        class Meta:
            database = db
            table_name = "interest"
            indexes = ((("user", "category"), True),)

    db.create_tables([Interest])

    class MeaslesProof(Model):
        volunteer = ForeignKeyField(User, on_delete="CASCADE")
        centre = ForeignKeyField(Centre, on_delete="CASCADE")
        shown_on = DateField()
        proof_ok = BooleanField()
        recorded_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "measles_proof"
            indexes = ((("volunteer", "centre"), True),)

    db.create_tables([MeaslesProof])

    class ReachableCentre(Model):
        user = ForeignKeyField(User, on_delete="CASCADE")
        centre = ForeignKeyField(Centre, on_delete="CASCADE")

        class Meta:
            database = db
            table_name = "reachable_centre"
            indexes = ((("user", "centre"), True),)

    db.create_tables([ReachableCentre])

    class Series(Model):
        activity = ForeignKeyField(Activity, on_delete="CASCADE")
        recurrence = CharField(max_length=10, default="once")
        interval = IntegerField(default=1)
        weekday = IntegerField(null=True)
        nth = IntegerField(null=True)
        start_date = DateField()
        start_time = TimeField()
        end_time = TimeField()
        until_date = DateField(null=True)
        count = IntegerField(null=True)
        generated_until = DateField(null=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "series"
            constraints = [SQL("CHECK (recurrence IN ('once', 'weekly', 'monthly'))")]

    db.create_tables([Series])

    class Slot(Model):
        activity = ForeignKeyField(Activity, on_delete="CASCADE")
        series = ForeignKeyField(Series, null=True, on_delete="SET NULL")
        original_date = DateField(null=True)
        starts_at = DateTimeField(index=True)
        ends_at = DateTimeField()
        capacity = IntegerField()
        taken = IntegerField(default=0)
        status = CharField(max_length=10, default="scheduled")
        detached = BooleanField(default=False)
        sequence = IntegerField(default=0)
        cancelled_at = DateTimeField(null=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = "slot"
            constraints = [
                SQL("CHECK (taken >= 0 AND taken <= capacity)"),
                SQL("CHECK (capacity >= 0)"),
                SQL("CHECK (ends_at > starts_at)"),
                SQL("CHECK (status IN ('scheduled', 'cancelled'))"),
            ]
            indexes = ((("series", "original_date"), True),)

    db.create_tables([Slot])

    class Signup(Model):
        slot = ForeignKeyField(Slot, on_delete="CASCADE")
        volunteer = ForeignKeyField(User, on_delete="CASCADE")
        status = CharField(max_length=12)
        created_at = DateTimeField()
        queued_at = DateTimeField()
        decided_at = DateTimeField(null=True)
        decided_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        assigned_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        attendance = CharField(null=True, max_length=10)
        hours = DecimalField(null=True, max_digits=5, decimal_places=2)
        reminded_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "signup"
            constraints = [
                SQL(
                    "CHECK (status IN ('confirmed', 'pending', 'waitlisted', 'cancelled', 'declined'))"
                ),
                SQL("CHECK (attendance IS NULL OR attendance IN ('attended', 'no_show'))"),
                SQL("CHECK (hours IS NULL OR (hours >= 0 AND hours <= 24))"),
            ]
            indexes = ((("slot", "volunteer"), True), (("volunteer", "status"), False))

    db.create_tables([Signup])

    class VolunteerProfile(Model):
        user = ForeignKeyField(User, unique=True, on_delete="CASCADE")
        open_to_anything = BooleanField(default=False)
        max_per_week = IntegerField(default=2)
        max_per_month = IntegerField(default=6)
        languages = CharField(max_length=100, default="de")
        reminder_hours = IntegerField(default=24)
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = "volunteer_profile"
            constraints = [
                SQL("CHECK (max_per_week >= 0 AND max_per_week <= 21)"),
                SQL("CHECK (max_per_month >= 0 AND max_per_month <= 60)"),
                SQL("CHECK (reminder_hours >= 0 AND reminder_hours <= 168)"),
            ]

    db.create_tables([VolunteerProfile])

    # The built-in categories; centres add their own later.
    for key, name in BUILTIN_CATEGORIES:
        Category.insert(key=key, name=name, created_at=datetime.datetime(2026, 11, 25)).execute()


def down(migrator, db):
    migrator.migrate(migrator.drop_table("volunteer_profile"))
    migrator.migrate(migrator.drop_table("signup"))
    migrator.migrate(migrator.drop_table("slot"))
    migrator.migrate(migrator.drop_table("series"))
    migrator.migrate(migrator.drop_table("reachable_centre"))
    migrator.migrate(migrator.drop_table("measles_proof"))
    migrator.migrate(migrator.drop_table("interest"))
    migrator.migrate(migrator.drop_table("digest_sent"))
    migrator.migrate(migrator.drop_table("certificate_check"))
    migrator.migrate(migrator.drop_table("availability_window"))
    migrator.migrate(migrator.drop_table("audit_entry"))
    migrator.migrate(migrator.drop_table("activity"))
    migrator.migrate(migrator.drop_table("category"))
