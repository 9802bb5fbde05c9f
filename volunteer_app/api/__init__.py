"""The JSON API (/api/v1): programme, staffing and sign-ups for other programs.

``init_app(app)`` is called by ``create_app`` after the error handlers: it builds the
flask-smorest ``Api`` (the OpenAPI 3.1 document is generated from the routes and schemas),
registers the blueprint, makes API requests ignore the session (``auth.init_app``), turns
every error under /api/ into a problem (``problems.init_app``) and adds the CORS header of
the public routes. docs/api.md describes the API; ``docs.py`` its reference page.
"""

from __future__ import annotations

from flask import request
from flask_smorest import Api

from volunteer_app.api.schemas import DecimalString, ProblemSchema

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1"
TITLE = "ThEKiZ Ehrenamt API"
PROBLEM_MIMETYPE = "application/problem+json"


class ProblemApi(Api):
    """flask-smorest's ``Api`` with our errors: its own JSON error handler for every
    ``HTTPException`` (which would answer the web pages' 404s in JSON) is not registered,
    and its documented error responses are problems (``application/problem+json``)."""

    ERROR_SCHEMA = ProblemSchema
    DEFAULT_RESPONSE_CONTENT_TYPE = "application/json"

    def _register_error_handlers(self):
        pass  # problems.init_app wraps the app's handlers instead

    def _register_responses(self):
        import http

        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if status >= 400:
                response["content"] = {PROBLEM_MIMETYPE: {"schema": "Problem"}}
            self.spec.components.response(status.name, response, lazy=True)
        self.spec.components.response(
            "DEFAULT_ERROR",
            {
                "description": "A problem (RFC 9457)",
                "content": {PROBLEM_MIMETYPE: {"schema": "Problem"}},
            },
            lazy=True,
        )


def _cors(response):
    """Public routes may be read from any web page; nothing else is shared."""
    from volunteer_app.api.views import PUBLIC_ENDPOINTS

    if request.endpoint in PUBLIC_ENDPOINTS and request.method in ("GET", "HEAD", "OPTIONS"):
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = "ETag, Retry-After, Content-Language"
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET"
            response.headers["Access-Control-Max-Age"] = "86400"
    return response


def init_app(app) -> None:
    """Call after ``common.handlers.init_app``: the API's problems wrap the pages' handlers."""
    from volunteer_app.api import auth, problems
    from volunteer_app.api.views import TAGS, bp

    api = ProblemApi(
        app,
        spec_kwargs={
            "title": TITLE,
            "version": API_VERSION,
            "openapi_version": OPENAPI_VERSION,
            "info": {
                "description": "See docs/api.md. Errors are RFC 9457 problems.",
                "license": {"name": "Proprietary"},
            },
            "servers": [{"url": "/"}],
        },
    )
    api.register_field(DecimalString, "string", "decimal")
    api.spec.components.schema("Problem", schema=ProblemSchema)
    api.spec.components.security_scheme(
        "bearerAuth",
        {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token (thekiz_…), made on the account's or centre's page",
        },
    )
    api.register_blueprint(bp)
    # The blueprint's own tag ("api") says nothing: the routes are grouped by their tags.
    api.spec._tags[:] = [{"name": name, "description": text} for name, text in TAGS]
    auth.init_app(app)
    problems.init_app(app)
    app.after_request(_cors)
