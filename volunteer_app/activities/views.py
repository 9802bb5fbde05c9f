"""Routes of the activities feature (being built)."""

from flask import Blueprint

bp = Blueprint("activities", __name__)
