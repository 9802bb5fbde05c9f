"""Every error under /api/ as RFC 9457 problem details (``application/problem+json``).

``{"type", "title", "status", "detail"}`` and, for field errors, ``"errors": {field:
[messages]}``. ``detail`` is the message the web pages show for the same refusal (the domain
error's, already translated by the service) in the caller's language (``?lang=`` or
``Accept-Language``: ``i18n.select_locale``). ``type`` is ``about:blank`` for a plain HTTP
error, else a link to the problem's entry on the reference page
(``/api/v1/docs#problem-slot-full``), so that a program can tell a full slot from an overlap
without reading the text.

The app's error handlers (``common/handlers.py``, ``common/outage.py``, ``common/refusal.py``)
answer HTML pages; ``init_app`` wraps each of them once they are registered, so that a
request under /api/ gets a problem instead, whatever went wrong: a routing 404 or 405, a
webargs 422, a domain error, a rate limit, a database outage, a 500.
"""

from __future__ import annotations

import json
import re
import time

import peewee as pw
from flask import current_app, request
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from volunteer_app.common.errors import Conflict, DomainError, InvalidToken, NotAllowed, NotFound
from volunteer_app.i18n import is_api_request

PROBLEM_MIMETYPE = "application/problem+json"
# As the 503 page (common/outage.py).
RETRY_AFTER_SECONDS = 30


class ApiProblem(Exception):
    """A refusal of the API itself (no token, a scope missing, a bad cursor …): the status,
    the translated detail and the problem's kind (its ``type`` link), plus headers."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        kind: str | None = None,
        errors: dict | None = None,
        headers: dict | None = None,
    ):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.kind = kind
        self.errors = errors
        self.headers = headers or {}


def _titles() -> dict[int, str]:
    return {
        400: _("Bad request"),
        401: _("Authentication needed"),
        403: _("Not allowed"),
        404: _("Not found"),
        405: _("Method not allowed"),
        406: _("Not acceptable"),
        409: _("Conflict"),
        413: _("Request too large"),
        415: _("Unsupported media type"),
        422: _("Invalid input"),
        429: _("Too many requests"),
        500: _("Internal error"),
        503: _("Service unavailable"),
    }


def _details() -> dict[int, str]:
    return {
        400: _("The request could not be understood."),
        404: _("There is nothing at this address."),
        405: _("This method is not allowed here."),
        422: _("Some values are not valid."),
        429: _("Please wait a moment before you try again."),
        500: _("The error has been logged. Please try again in a few minutes."),
        503: _("The service is temporarily unavailable. Please try again in a minute."),
    }


def title_of(status: int) -> str:
    return _titles().get(status) or _titles()[500 if status >= 500 else 400]


def type_uri(kind: str | None) -> str:
    """``about:blank`` for a plain HTTP error, else the problem's entry on the reference page."""
    if not kind:
        return "about:blank"
    from volunteer_app.common.urls import external_url

    return external_url("api.docs") + f"#problem-{kind}"


def response(
    status: int,
    detail: str,
    *,
    kind: str | None = None,
    errors: dict | None = None,
    headers: dict | None = None,
):
    body = {"type": type_uri(kind), "title": title_of(status), "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    result = current_app.response_class(
        json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_MIMETYPE
    )
    result.headers["Content-Language"] = str(get_locale()).replace("_", "-")
    for name, value in (headers or {}).items():
        result.headers[name] = value
    return result


# --- From exceptions ---------------------------------------------------------------------------

# The status of a domain error the API lets escape (its services' refusals): as the pages'
# (common/handlers.DOMAIN_STATUS), with a field error 422 and any other refusal a conflict
# with the current state (a certificate missing, a deadline passed …).
DOMAIN_STATUS = ((NotFound, 404), (NotAllowed, 403), (Conflict, 409), (InvalidToken, 400))


def kind_of(error: DomainError) -> str:
    """``SlotFull`` → ``slot-full``: the problem's ``type`` anchor."""
    return re.sub(r"(?<!^)(?=[A-Z])", "-", type(error).__name__).lower()


def domain_status(error: DomainError) -> int:
    status = next((code for cls, code in DOMAIN_STATUS if isinstance(error, cls)), None)
    if status is not None:
        return status
    return 422 if error.field else 409


def from_domain_error(error: DomainError):
    status = domain_status(error)
    errors = {error.field: [error.message]} if error.field else None
    return response(status, error.message, kind=kind_of(error), errors=errors)


def _field_errors(messages) -> dict:
    """webargs' ``{"json": {"field": [...]}, "query": {...}}`` as ``{"field": [...]}``."""
    errors: dict = {}
    if not isinstance(messages, dict):
        return errors
    for location in messages.values():
        if not isinstance(location, dict):
            continue
        for field, texts in location.items():
            if isinstance(texts, dict):  # a nested or list field: its own messages, flattened
                texts = [str(text) for value in texts.values() for text in _as_list(value)]
            errors.setdefault(str(field), []).extend(str(text) for text in _as_list(texts))
    return errors


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def from_http_exception(error: HTTPException):
    status = error.code or 500
    headers = {}
    if status == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods)
    data = getattr(error, "data", None) or {}
    errors = _field_errors(data.get("messages")) if status == 422 else None
    headers.update(data.get("headers") or {})
    detail = _details().get(status) or title_of(status)
    return response(status, detail, errors=errors, headers=headers)


def _retry_after() -> int:
    from volunteer_app.extensions import limiter

    limit = limiter.current_limit
    if limit is None:
        return 60
    return max(1, int(limit.reset_at - time.time()))


def problem_for(error: Exception):
    """The problem answering ``error`` under /api/."""
    from flask_limiter.errors import RateLimitExceeded

    from volunteer_app.db import database_unavailable

    if isinstance(error, ApiProblem):
        return response(
            error.status, error.detail, kind=error.kind, errors=error.errors, headers=error.headers
        )
    if isinstance(error, DomainError):
        return from_domain_error(error)
    if isinstance(error, RateLimitExceeded):
        return response(429, _details()[429], headers={"Retry-After": str(_retry_after())})
    if isinstance(error, HTTPException):
        original = getattr(error, "original_exception", None)
        if error.code == 500 and original is not None and database_unavailable(original):
            return _unavailable(original)
        return from_http_exception(error)
    if database_unavailable(error):
        return _unavailable(error)
    if isinstance(error, pw.IntegrityError | pw.DataError | OverflowError):
        # As the pages' last resort (common/handlers.py): the client's value, logged to be
        # refused where it comes in.
        from volunteer_app.common.handlers import REFUSED_BY_DATABASE

        current_app.logger.error(REFUSED_BY_DATABASE, exc_info=error)
        if isinstance(error, pw.IntegrityError):
            return response(409, title_of(409))
        return response(400, _details()[400])
    current_app.logger.error("Unhandled error under /api/", exc_info=error)
    return response(500, _details()[500])


def _unavailable(error: Exception):
    reason = " ".join(str(error).split())[:200]
    current_app.logger.warning(
        "Database unavailable, answered 503 to %s %s: %s", request.method, request.endpoint, reason
    )
    return response(503, _details()[503], headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def _api_aware(handler):
    """The app's handler for pages, a problem under /api/."""

    def handle(error):
        if is_api_request():
            return problem_for(error)
        return handler(error)

    handle.__wrapped__ = handler
    return handle


def init_app(app) -> None:
    """Call after every other error handler is registered."""
    for by_class in app.error_handler_spec[None].values():
        for cls, handler in list(by_class.items()):
            by_class[cls] = _api_aware(handler)
    # Raised by the API's own code only; anything else unhandled becomes Flask's 500, whose
    # handler is wrapped above.
    app.register_error_handler(ApiProblem, problem_for)
