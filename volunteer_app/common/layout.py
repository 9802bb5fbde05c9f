"""The layout's fixed parts (templates/base.html), rendered once instead of on every page.

The header (navigation, language switch), the footer and the head's links are the same for
everyone who reads the same language with the same role on the same kind of page: about
thirty texts and links that every page would otherwise translate and build anew. In the
template such a part is a call block::

    {% call layout_part("footer") %} … {% endcall %}

It is rendered the first time and kept under the block's compiled code (so a changed or
reloaded template is rendered anew), its name, the page's language, the reader's role
(``None`` before logging in), the languages the page is offered in (``i18n.languages_here``)
and the application's root path (the links). Nothing per person or per request may be in
it, except through ``late(name)``: a mark that is replaced on every page, after the part is
taken from the store, by the request's own value (``LATE``): the CSRF token of the logout
and language forms, the page's address for the language switch. A part without a mark asks
for nothing (a visitor's page gets no CSRF token, so no session cookie).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import request
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from volunteer_app.i18n import here_without_lang, languages_here, page_locale

#: The request's own values a part may hold: ``{{ late("csrf_token") }}``.
LATE: dict[str, Callable[[], str]] = {
    "csrf_token": generate_csrf,
    "here_without_lang": here_without_lang,
}
_MARKS = {name: f"\x00late:{name}\x00" for name in LATE}
#: More keys than languages × roles × kinds of page × parts means something varies that
#: should not: the store starts over rather than grow.
MAX_PARTS = 512


def late(name: str) -> Markup:
    """The mark ``layout_part`` replaces by the request's value of ``name``."""
    return Markup(_MARKS[name])  # noqa: S704 -- a constant of ours; never left in a page


def role_key() -> str | None:
    """Who the layout is for: the role of the person logged in, else None."""
    user = current_user._get_current_object()
    return user.role if user.is_authenticated else None


def _fill(text: str) -> Markup:
    for name, mark in _MARKS.items():
        if mark in text:
            text = text.replace(mark, str(escape(LATE[name]())))
    return Markup(text)  # noqa: S704 -- rendered by Jinja with autoescape, values escaped


def init_app(app) -> None:
    store: dict[tuple, str] = {}

    def layout_part(name: str, caller) -> Markup:
        code = getattr(getattr(caller, "_func", None), "__code__", None)  # Jinja's Macro
        if code is None:
            return _fill(str(caller()))
        key = (code, name, page_locale(), role_key(), tuple(languages_here()), request.script_root)
        text = store.get(key)
        if text is None:
            text = str(caller())
            if len(store) >= MAX_PARTS:
                store.clear()
            store[key] = text
        return _fill(text)

    app.jinja_env.globals.update(layout_part=layout_part, late=late)
