"""Models of retention."""

from __future__ import annotations

MODELS: list = []
