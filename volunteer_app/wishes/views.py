"""Routes of wishes."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("wishes", __name__)
