"""Every message a form can show is ours, in the person's language, and one per field.

The test walks every form class of the app (it finds them by itself: a new form is covered
without anyone remembering), submits empty and malformed values for every field in German and
English, and checks each message against the German catalogue: in English it must be one of
the catalogue's texts (a msgid with a translation), in German one of their translations.
WTForms' own texts ("Not a valid time value.") are neither. No field may show two messages,
and no message may appear both above the form and at a field.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from functools import cache

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import FieldList, Form, FormField

import volunteer_app
from tests.test_i18n import GERMAN_PO
from volunteer_app.common.forms import AppForm, SubForm

# One submission per value: every field gets it at once (empty, blank, words, numbers out of
# range, impossible dates and times, huge and invisible input, markup, a header injection).
BAD_VALUES = [
    "",
    "   ",
    "abc",
    "-1",
    "0",
    "1,2,3",
    "99999999999999999999",
    "1e999",
    "31.02.2026",
    "2026-02-31",
    "25:61",
    "ab\x00c",
    "x" * 5000,
    "<b>fett</b>",
    "a@b.example\r\nBcc: c@d.example",
]


def _modules():
    for info in pkgutil.walk_packages(volunteer_app.__path__, "volunteer_app."):
        if info.name.rsplit(".", 1)[-1] == "forms":
            yield importlib.import_module(info.name)


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


@cache
def app_forms() -> list[type]:
    list(_modules())
    found = {
        cls
        for base in (FlaskForm, Form)
        for cls in _subclasses(base)
        if cls.__module__.startswith("volunteer_app.") and cls not in (AppForm, SubForm)
    }
    return sorted(found, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


def _pattern(text: str) -> str:
    """A catalogue text as a regular expression: placeholders match any value."""
    parts = re.split(r"%\([a-z_]+\)[sd]|%[sd]", text)
    return ".+?".join(re.escape(part) for part in parts)


def _wordy(text: str) -> bool:
    """Enough words besides placeholders ("%(name)s" alone would match any message)."""
    return len(re.findall(r"[^\W\d_]", re.sub(r"%\([a-z_]+\)[sd]", "", text or ""))) >= 8


@cache
def catalogue() -> tuple[re.Pattern, re.Pattern]:
    """(English msgids, German msgstrs) of every translated entry, as two patterns."""
    with open(GERMAN_PO, "rb") as po:
        entries = [m for m in read_po(po, locale="de") if m.id and m.string]
    english, german = [], []
    for entry in entries:
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        english += [_pattern(text) for text in ids if _wordy(text)]
        german += [_pattern(text) for text in strings if _wordy(text)]
    return (
        re.compile("(?:" + "|".join(english) + ")", re.S),
        re.compile("(?:" + "|".join(german) + ")", re.S),
    )


def _new_form(cls, formdata: MultiDict):
    """An instance as the views make it; extra constructor arguments get empty values."""
    params = inspect.signature(cls.__init__).parameters
    args, kwargs = [], {}
    for name, param in list(params.items())[1:]:
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        value = formdata if name == "formdata" else ()
        if param.default is param.empty and param.kind == param.POSITIONAL_OR_KEYWORD:
            args.append(value)
        elif name == "formdata":
            kwargs[name] = value
    if "formdata" not in params:
        kwargs["formdata"] = formdata
    return cls(*args, **kwargs)


def _names(form, prefix: str = "") -> list[str]:
    """Every input name of the form, with the first row of each repeated group."""
    names = []
    for field in form:
        if isinstance(field, FormField):
            names += _names(field.form)
        elif isinstance(field, FieldList):
            entry = field.entries[0] if field.entries else field.append_entry()
            names += _names(entry.form) if isinstance(entry, FormField) else [entry.name]
        else:
            names.append(field.name)
    return names


def _leaf_errors(form) -> dict[str, list]:
    found = {}
    for field in form:
        if isinstance(field, FormField):
            found.update(_leaf_errors(field.form))
        elif isinstance(field, FieldList):
            for entry in field.entries:
                if isinstance(entry, FormField):
                    found.update(_leaf_errors(entry.form))
                else:
                    found[entry.name] = list(entry.errors)
        else:
            found[field.name] = list(field.errors)
    return found


def _submit(app, cls, value: str, lang: str):
    with app.test_request_context("/", method="POST"), force_locale(lang):
        names = _names(_new_form(cls, MultiDict()))
    data = MultiDict([(name, value) for name in names])
    with app.test_request_context("/", method="POST", data=data), force_locale(lang):
        form = _new_form(cls, data)
        form.validate()
        fields = {name: [str(m) for m in errors] for name, errors in _leaf_errors(form).items()}
        return fields, [str(m) for m in form.form_errors]


def test_the_walk_finds_the_forms():
    names = {cls.__name__ for cls in app_forms()}
    assert {"LoginForm", "ScheduleForm", "WishForm", "WindowForm", "ActionForm"} <= names
    assert len(names) >= 40


def test_every_form_is_built_on_the_common_base():
    """AppForm (or SubForm for repeated groups) brings our messages and the refusal rules."""
    strays = [
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in app_forms()
        if not issubclass(cls, AppForm | SubForm)
    ]
    assert not strays, "forms not built on common.forms.AppForm/SubForm: " + ", ".join(strays)


def test_library_messages_are_all_ours():
    from volunteer_app.common.forms import DEFAULT_MESSAGES, LIBRARY_MESSAGES

    english, _german = catalogue()
    for library, ours in DEFAULT_MESSAGES.items():
        assert english.fullmatch(str(ours)), ours
        assert LIBRARY_MESSAGES.gettext(library) == str(ours)
    # A message the table does not know yet is not shown in English either.
    assert LIBRARY_MESSAGES.gettext("Some new check failed.") == "Please check this entry."
    assert LIBRARY_MESSAGES.gettext("Csrf Token") == "Csrf Token"  # a default label


@pytest.mark.parametrize("lang", ["de", "en"])
def test_every_message_of_every_form_is_translated_and_alone(app, conn, lang):
    english, german = catalogue()
    expected = german if lang == "de" else english
    problems, seen = [], set()
    for cls in app_forms():
        if issubclass(cls, SubForm):
            continue  # walked inside the form that repeats it
        for value in BAD_VALUES:
            fields, above = _submit(app, cls, value, lang)
            where = f"{cls.__name__} with {value[:20]!r}"
            for name, messages in fields.items():
                if len(messages) > 1:
                    problems.append(f"{where}: {name} shows {len(messages)} messages {messages}")
                for message in messages:
                    if message in above:
                        problems.append(f"{where}: {message!r} above the form and at {name}")
            for message in {m for ms in fields.values() for m in ms} | set(above):
                seen.add(message)
                if not expected.fullmatch(message):
                    problems.append(f"{where}: not from the catalogue in {lang}: {message!r}")
    assert not problems, "\n".join(sorted(set(problems)))
    assert len(seen) >= 30  # the walk reached the forms' messages
