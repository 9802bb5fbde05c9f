"""Models of feeds."""

from __future__ import annotations

# Every model of this feature; db.all_models() collects them.
MODELS: list = []
