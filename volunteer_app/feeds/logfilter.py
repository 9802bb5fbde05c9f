"""Keep private feed tokens out of every log line.

The access loggers of werkzeug (development server) and gunicorn write the request path, and
Flask's error log names the path of a failing request. A token in a log file would be a working
calendar link for whoever reads the logs, so each record is rewritten before it is written.
"""

from __future__ import annotations

import logging
import re

# /kalender/<token>.ics (also URL-encoded or inside a longer path or a referrer).
TOKEN_PATH = re.compile(r"(/kalender/)[^/\s?#\"']+?(\.ics)")
TOKEN_PATH_BYTES = re.compile(TOKEN_PATH.pattern.encode())
REDACTED = r"\1[redacted]\2"
LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error", "flask.app", "volunteer_app")


def redact(value):
    if isinstance(value, str):
        return TOKEN_PATH.sub(REDACTED, value)
    if isinstance(value, bytes):
        return TOKEN_PATH_BYTES.sub(REDACTED.encode(), value)
    return value


class RedactFeedTokens(logging.Filter):
    """Rewrites message and arguments (tuple or gunicorn's dict of atoms) of each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.msg)
        if isinstance(record.args, dict):
            record.args = {k: redact(v) for k, v in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(redact(v) for v in record.args)
        return True


_FILTER = RedactFeedTokens()


def install(app=None) -> None:
    """Attach the filter to the access and error loggers (idempotent)."""
    names = list(LOGGERS)
    if app is not None:
        names.append(app.logger.name)
    for name in names:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
