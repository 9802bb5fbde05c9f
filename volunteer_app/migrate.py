"""Schema migrations with peewee's own ``playhouse.migrations`` runner."""

from __future__ import annotations

from flask import current_app
from playhouse.migrations import Runner, template
from playhouse.schema_diff import diff_models

from volunteer_app.db import db
from volunteer_app.models import all_models


def runner() -> Runner:
    return Runner(db.obj, directory=current_app.config["MIGRATIONS_DIR"])


def upgrade() -> list[str]:
    """Apply every pending migration; returns their names."""
    return runner().up()


def status():
    return runner().status()


def pending_diff():
    """What the models have that the database lacks (empty when in sync)."""
    return diff_models(db.obj, all_models())


def new(name: str) -> str:
    """Write a migration for the difference between models and database (or a skeleton)."""
    diff = pending_diff()
    body = template(diff) if diff else None
    return runner().create(name, body=body)
