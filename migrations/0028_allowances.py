"""Allowances, lawfully (issue 14, part 5): payments of the Ehrenamtspauschale and the
Übungsleiterpauschale per volunteer (``allowance_payment``), never bank details."""

from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class Operator(Model):
        class Meta:
            database = db
            table_name = "operator"

    class Centre(Model):
        class Meta:
            database = db
            table_name = "centre"

    class AllowancePayment(Model):
        volunteer = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
        payee_ref = CharField(max_length=12)
        operator = ForeignKeyField(Operator, on_delete="CASCADE", backref="+")
        centre = ForeignKeyField(Centre, on_delete="CASCADE", backref="+")
        paid_on = DateField()
        kind = CharField(max_length=20)
        amount_cents = IntegerField()
        note = CharField(max_length=200, default="")
        recorded_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
        recorded_at = DateTimeField()
        cancelled_at = DateTimeField(null=True)
        cancelled_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
        cancel_reason = CharField(max_length=200, default="")
        corrects = ForeignKeyField("self", null=True, on_delete="SET NULL", backref="+")

        class Meta:
            database = db
            table_name = "allowance_payment"
            indexes = ((("volunteer", "operator", "paid_on"), False), (("paid_on",), False))
            constraints = [
                SQL("CHECK (kind IN ('ehrenamt', 'uebungsleiter'))"),
                SQL("CHECK (amount_cents > 0)"),
            ]

    db.create_tables([AllowancePayment])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("allowance_payment"))
