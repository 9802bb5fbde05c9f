"""Small reads kept for a few seconds per app process: lists that change rarely and that
pages read on every visit (the slot list's centres and categories).

``kept(name, seconds, read)`` answers from this process's copy while it is younger than
``seconds``, else reads anew. The services that change what a name holds call
``forget(name)``, so this process shows a change at once; the other processes of a
deployment show it within ``seconds``. Each app has its own copies (``app.extensions``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from flask import current_app

T = TypeVar("T")

FILTER_CHOICES = "filter choices"  # signups.queries.filter_choices: centres and categories


def _store() -> dict[str, tuple[float, object]]:
    return current_app.extensions.setdefault("volunteer_app.kept", {})


def kept(name: str, seconds: float, read: Callable[[], T]) -> T:
    store = _store()
    now = time.monotonic()
    found = store.get(name)
    if found is not None and now - found[0] < seconds:
        return found[1]  # type: ignore[return-value]
    value = read()
    store[name] = (now, value)
    return value


def forget(name: str) -> None:
    _store().pop(name, None)
