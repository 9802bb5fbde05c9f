"""Models of programme."""

from __future__ import annotations

# Every model of this feature; volunteer_app/models.py collects them.
MODELS: list = []
