"""Unbound extension objects; ``create_app`` binds them."""

from flask import current_app
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
babel = Babel()


def configured_limit(name: str):
    """A rate limit read from the configuration on each request, for ``limiter.limit``.

    ``name`` is a setting such as ``RATELIMIT_LOGIN``; its one default is in config.py
    (docs/configuration.md), and a change in ``app.config`` applies to the next request.
    """
    return lambda: current_app.config[name]
