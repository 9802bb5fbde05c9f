"""Routes of partners."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("partners", __name__)
