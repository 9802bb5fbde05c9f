"""Routes of programme."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("programme", __name__)
