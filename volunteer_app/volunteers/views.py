"""Routes of the volunteers feature (being built)."""

from flask import Blueprint

bp = Blueprint("volunteers", __name__)
