"""Routes of rooms."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("rooms", __name__)
