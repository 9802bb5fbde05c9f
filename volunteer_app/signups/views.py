"""Routes of the signups feature (being built)."""

from flask import Blueprint

bp = Blueprint("signups", __name__)
