"""The coordinators' dashboard kept rendered: its content is the same for everyone who may
see it in the same language, and changes only on a write (the centre's ``staff`` revision,
moved by database triggers: volunteer_app/revisions/triggers.py), on a new Berlin day, or
when one of the centre's slots starts (it leaves the approvals and joins the attendance
still to record) or an unrecorded one passes the thirty days of that list.

So it is rendered once per (centre, revision, language, day) until that moment, and kept in
the process, bounded. Nothing personal is in it: the CSRF token of its forms is a
placeholder filled on each request.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable

from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

#: Where a form of a kept fragment takes the CSRF token: markup no escaped text can contain.
CSRF_PLACEHOLDER = Markup("<!--csrf-token-->")
#: Dashboards kept per process (a centre in a language is one; one is some 100 kB, 350 kB for a
#: centre with 300 dates in its fourteen days).
KEPT = 128


class Kept:
    """Rendered HTML per key, with the stamp it was rendered for and the moment it stops
    being good (None: no such moment); the least recently used go first when full."""

    def __init__(self, size: int = KEPT):
        self.size = size
        self.items: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(
        self,
        key,
        stamp,
        now: dt.datetime,
        render: Callable[[], tuple[str, dt.datetime | None]],
    ) -> str:
        with self.lock:
            found = self.items.get(key)
            if found is not None and found[0] == stamp and (found[1] is None or now < found[1]):
                self.items.move_to_end(key)
                return found[2]
        html, until = render()
        with self.lock:
            self.items[key] = (stamp, until, html)
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return html

    def clear(self) -> None:
        with self.lock:
            self.items.clear()


dashboards = Kept()


def with_csrf(html: str) -> Markup:
    """A kept fragment with this request's CSRF token in its forms."""
    if CSRF_PLACEHOLDER in html:
        html = html.replace(CSRF_PLACEHOLDER, str(escape(generate_csrf())))
    # The fragment is our own templates' autoescaped output, so it is safe to embed.
    return Markup(html)  # noqa: S704
