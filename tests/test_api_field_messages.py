"""Invalid input to the API is explained in the caller's language, marshmallow's messages too.

marshmallow and webargs write their own field messages in English ("Unknown field.",
"Missing data for required field.", "Not a valid integer."); the API's input schemas
(``api.schemas.ArgsSchema``) swap each for a translated one, so that a problem's ``errors``
follow ``?lang=``/``Accept-Language`` like its ``detail`` (German by default; the public and
own routes in all eight languages of the family pages, the staff routes in German and
English).
"""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from tests.factories import make_activity, make_centre, make_slot
from tests.factories_api import bearer, service_token
from volunteer_app.api import schemas

LANGUAGES = ("de", "en", "uk", "ar", "ru", "pl", "ro", "fa_AF")
INPUT_SCHEMAS = [
    cls
    for cls in vars(schemas).values()
    if isinstance(cls, type)
    and issubclass(cls, schemas.ArgsSchema)
    and cls is not schemas.ArgsSchema
]


def test_every_input_schema_is_an_args_schema():
    """A new input schema that is a plain marshmallow Schema would answer in English."""
    from volunteer_app.api.views import bp

    used = set()
    for endpoint_docs in bp._docs.values():
        for method, doc in endpoint_docs.items():
            if method == "parameters":
                continue
            for argument in doc.get("arguments", {}).get("parameters", []):
                schema = argument["schema"]
                used.add(schema if isinstance(schema, type) else type(schema))
    assert used, "no input schemas found"
    assert used <= set(INPUT_SCHEMAS), used - set(INPUT_SCHEMAS)


# Messages no input can cause: a date's when it is written, a time zone's of a time.
NEVER_FOR_INPUT = {"format", "invalid_awareness"}


def on_postgres(params: dict) -> bool:
    """The requests run on both backends; the catalogue check needs no database."""
    return "lang" in params


def test_no_input_field_message_stays_english(app):
    """Every message an input field or schema can give is translated (none is a plain
    English string, and each has its own text in every language)."""
    english = []
    for cls, lang in ((cls, lang) for cls in INPUT_SCHEMAS for lang in LANGUAGES):
        schema = cls()
        messages = [("schema", key, text) for key, text in schema.error_messages.items()]
        for name, field in schema.fields.items():
            messages += [(name, key, text) for key, text in field.error_messages.items()]
        for where, key, text in messages:
            if key in NEVER_FOR_INPUT:
                continue
            if isinstance(text, str):
                english.append(f"{cls.__name__}.{where} {key}: {text!r} (English)")
                continue
            with force_locale("en"):
                source = str(text)
            with force_locale(lang):
                shown = str(text)
            if lang != "en" and shown == source:
                english.append(f"{cls.__name__}.{where} {key}: no {lang} for {source!r}")
    assert not english, "\n".join(english)


@pytest.fixture
def assignment(conn):
    centre = make_centre(slug="zentrum-a")
    slot = make_slot(make_activity(centre))
    return f"/api/v1/slots/{slot.id}/assignments", bearer(service_token(centre=centre)[1])


@pytest.mark.parametrize(
    ("lang", "unknown", "not_an_object", "missing"),
    [
        ("de", "Unbekanntes Feld.", "Ungültiger Eingabetyp.", "Bitte füllen Sie dieses Feld aus."),
        ("en", "Unknown field.", "Invalid input type.", "Please fill in this field."),
    ],
)
def test_marshmallows_own_messages_follow_the_callers_language(
    client, assignment, lang, unknown, not_an_object, missing
):
    url, headers = assignment
    headers = headers | {"Accept-Language": lang}
    body = client.post(url, json={"volunteer_id": 7, "wer": 1}, headers=headers).get_json(
        force=True
    )
    assert body["status"] == 422 and body["errors"] == {"wer": [unknown]}, body
    body = client.post(url, json=[7], headers=headers).get_json(force=True)
    assert body["errors"] == {"_schema": [not_an_object]}, body
    body = client.post(url, json={}, headers=headers).get_json(force=True)
    assert body["errors"] == {"volunteer_id": [missing]}, body


def test_staff_routes_answer_a_family_language_in_german(client, assignment):
    url, headers = assignment
    response = client.post(f"{url}?lang=uk", json={"volunteer_id": 7, "wer": 1}, headers=headers)
    assert response.get_json(force=True)["errors"] == {"wer": ["Unbekanntes Feld."]}
    assert response.headers["Content-Language"] == "de"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_public_routes_explain_bad_input_in_all_eight_languages(client, conn, lang):
    with force_locale(lang):
        expected = str(schemas.LangArgs().fields["lang"].validators[0].error)
    response = client.get(
        "/api/v1/centres?lang=viel-zu-lang&limit=x", headers={"Accept-Language": lang}
    )
    body = response.get_json(force=True)
    assert response.status_code == 422
    assert response.headers["Content-Language"] == lang.replace("_", "-")
    assert body["errors"]["lang"] == [expected]
    with force_locale(lang):
        assert body["errors"]["limit"] == [str(schemas._l("Please give a whole number."))]
    if lang != "en":
        assert expected != "Please give a language code like de or uk."
