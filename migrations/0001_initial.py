"""Initial schema: accounts, centres, invitations and the mail outbox."""

from peewee import *


def up(migrator, db):
    class Operator(Model):
        name = CharField(unique=True, max_length=150)

        class Meta:
            database = db
            table_name = "operator"

    db.create_tables([Operator])

    class Centre(Model):
        operator = ForeignKeyField(Operator, null=True, on_delete="SET NULL")
        name = CharField(max_length=150)
        slug = CharField(unique=True, max_length=80)
        street = CharField(max_length=150, default="")
        postcode = CharField(max_length=10, default="")
        town = CharField(max_length=100)
        description = TextField(default="")
        contact_email = CharField(max_length=254, default="")
        contact_phone = CharField(max_length=40, default="")
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "centre"

    db.create_tables([Centre])

    class User(Model):
        email = CharField(unique=True, max_length=254)
        name = CharField(max_length=100)
        password_hash = CharField()
        role = CharField(index=True, max_length=20, default="volunteer")
        locale = CharField(max_length=5, default="de")
        phone = CharField(max_length=40, default="")
        email_confirmed_at = DateTimeField(null=True)
        session_token = CharField(max_length=64)
        is_active = BooleanField(default=True)
        totp_secret = CharField(null=True, max_length=64)
        totp_enabled_at = DateTimeField(null=True)
        totp_last_step = BigIntegerField(null=True)
        failed_logins = IntegerField(default=0)
        locked_until = DateTimeField(null=True)
        last_login_at = DateTimeField(null=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "user"
            constraints = [SQL("CHECK (role IN ('volunteer', 'coordinator', 'admin'))")]

    db.create_tables([User])

    class CentreMembership(Model):
        user = ForeignKeyField(User, on_delete="CASCADE")
        centre = ForeignKeyField(Centre, on_delete="CASCADE")
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "centre_membership"
            indexes = ((("user", "centre"), True),)

    db.create_tables([CentreMembership])

    class ClosingDay(Model):
        centre = ForeignKeyField(Centre, on_delete="CASCADE")
        day = DateField()
        reason = CharField(max_length=150, default="")

        class Meta:
            database = db
            table_name = "closing_day"
            indexes = ((("centre", "day"), True),)

    db.create_tables([ClosingDay])

    class Consent(Model):
        user = ForeignKeyField(User, on_delete="CASCADE")
        kind = CharField(max_length=40)
        version = CharField(max_length=40)
        given_at = DateTimeField()
        withdrawn_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "consent"

    db.create_tables([Consent])

    class Invitation(Model):
        email = CharField(max_length=254)
        name = CharField(max_length=100, default="")
        centre = ForeignKeyField(Centre, on_delete="CASCADE")
        invited_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        token_hash = CharField(unique=True, max_length=64)
        created_at = DateTimeField()
        expires_at = DateTimeField()
        accepted_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "invitation"

    db.create_tables([Invitation])

    class LoginToken(Model):
        user = ForeignKeyField(User, on_delete="CASCADE")
        purpose = CharField(max_length=20)
        token_hash = CharField(unique=True, max_length=64)
        new_email = CharField(null=True, max_length=254)
        created_at = DateTimeField()
        expires_at = DateTimeField()
        used_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "login_token"

    db.create_tables([LoginToken])

    class OutboxMessage(Model):
        recipient = CharField(max_length=254)
        locale = CharField(max_length=5, default="de")
        subject = CharField()
        body_text = TextField()
        body_html = TextField()
        status = CharField(max_length=10, default="pending")
        attempts = IntegerField(default=0)
        next_attempt_at = DateTimeField()
        claimed_at = DateTimeField(null=True)
        sent_at = DateTimeField(null=True)
        last_error = TextField(default="")
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "outbox_message"
            constraints = [SQL("CHECK (status IN ('pending', 'sending', 'sent', 'failed'))")]
            indexes = ((("status", "next_attempt_at"), False),)

    db.create_tables([OutboxMessage])

    class RecoveryCode(Model):
        user = ForeignKeyField(User, on_delete="CASCADE")
        code_hash = CharField()
        used_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "recovery_code"

    db.create_tables([RecoveryCode])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("recovery_code"))
    migrator.migrate(migrator.drop_table("outbox_message"))
    migrator.migrate(migrator.drop_table("login_token"))
    migrator.migrate(migrator.drop_table("invitation"))
    migrator.migrate(migrator.drop_table("consent"))
    migrator.migrate(migrator.drop_table("closing_day"))
    migrator.migrate(migrator.drop_table("centre_membership"))
    migrator.migrate(migrator.drop_table("user"))
    migrator.migrate(migrator.drop_table("centre"))
    migrator.migrate(migrator.drop_table("operator"))
