"""Routes of the coordination feature (being built)."""

from flask import Blueprint

bp = Blueprint("coordination", __name__)
