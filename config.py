"""Configuration classes, read from environment variables.

Pick one with ``APP_ENV`` (development, testing, production); ``create_app``
accepts a class directly, as the tests do.
"""

import os
from datetime import timedelta

BASE_DIR = os.path.abspath(os.path.dirname(__file__))
INSTANCE_DIR = os.path.join(BASE_DIR, "instance")
DEV_SECRET = "dev-only-secret-change-me"


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


class Config:
    ENV_NAME = "base"
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET)
    DATABASE_URL = os.environ.get(
        "DATABASE_URL", "sqlite:///" + os.path.join(INSTANCE_DIR, "volunteer.db")
    )
    DATABASE_POOL_SIZE = _int("DATABASE_POOL_SIZE", 10)
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/")

    # Mail: "log" writes messages to the log, "smtp" delivers them.
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "log")
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = _int("MAIL_PORT", 25)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_USE_TLS = _bool("MAIL_USE_TLS")
    MAIL_USE_SSL = _bool("MAIL_USE_SSL")
    MAIL_TIMEOUT = _int("MAIL_TIMEOUT", 10)
    MAIL_FROM = os.environ.get("MAIL_FROM", "ThEKiZ Ehrenamt <noreply@thekiz.example>")
    MAIL_MAX_ATTEMPTS = _int("MAIL_MAX_ATTEMPTS", 14)

    # Background jobs: a SQLite file by default, redis://… in production.
    HUEY_URL = os.environ.get("HUEY_URL", "sqlite:///" + os.path.join(INSTANCE_DIR, "huey.db"))
    HUEY_IMMEDIATE = False

    # Rate limits: memory:// is per process; use redis://… with several workers.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_MAX_FAILURES = _int("LOGIN_MAX_FAILURES", 5)
    LOGIN_LOCK_MINUTES = _int("LOGIN_LOCK_MINUTES", 15)
    RATELIMIT_LOGIN = os.environ.get("RATELIMIT_LOGIN", "10 per minute")
    RATELIMIT_ACCOUNT_MAIL = os.environ.get("RATELIMIT_ACCOUNT_MAIL", "5 per minute;20 per hour")
    RATELIMIT_SECOND_FACTOR = os.environ.get("RATELIMIT_SECOND_FACTOR", "10 per minute")
    # Calendar feeds per address: all feed URLs together (token guessing), and one URL.
    RATELIMIT_FEEDS = os.environ.get("RATELIMIT_FEEDS", "300 per minute")
    RATELIMIT_FEED_URL = os.environ.get("RATELIMIT_FEED_URL", "30 per minute")
    # Families' wishes per address: new suggestions, and one-click support.
    RATELIMIT_WISHES = os.environ.get("RATELIMIT_WISHES", "10 per hour")
    RATELIMIT_WISH_SUPPORT = os.environ.get("RATELIMIT_WISH_SUPPORT", "20 per minute;100 per hour")
    # Hours (Berlin) within which a refused room booking is offered free times.
    ROOM_OPENING_HOURS = (
        int(os.environ.get("ROOM_OPENING_FROM", "8")),
        int(os.environ.get("ROOM_OPENING_UNTIL", "18")),
    )
    # Answers that must not reveal whether an address has an account take at least this long.
    ACCOUNT_RESPONSE_FLOOR_SECONDS = float(os.environ.get("ACCOUNT_RESPONSE_FLOOR_SECONDS", "0.3"))

    # Sessions: idle timeout via the permanent session lifetime, absolute via the login time.
    PERMANENT_SESSION_LIFETIME = timedelta(minutes=_int("SESSION_IDLE_MINUTES", 60))
    SESSION_ABSOLUTE_HOURS = _int("SESSION_ABSOLUTE_HOURS", 12)
    SESSION_REFRESH_EACH_REQUEST = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE")
    REMEMBER_COOKIE_DURATION = timedelta(days=0)
    FRESH_LOGIN_MINUTES = _int("FRESH_LOGIN_MINUTES", 10)

    TOKEN_TTL_MINUTES = _int("TOKEN_TTL_MINUTES", 60)
    INVITATION_TTL_MINUTES = _int("INVITATION_TTL_MINUTES", 60)
    PRIVACY_NOTICE_VERSION = os.environ.get("PRIVACY_NOTICE_VERSION", "2026-11")

    # Development only: demo staff may skip the second factor.
    DEMO_STAFF_SKIP_2FA = _bool("DEMO_STAFF_SKIP_2FA")

    # Slots of recurring activities are generated this many days ahead (a daily job extends it).
    SLOT_HORIZON_DAYS = _int("SLOT_HORIZON_DAYS", 90)

    # Extended police certificate: at most this old when inspected (DOMAIN.md).
    CERTIFICATE_MAX_AGE_MONTHS = _int("CERTIFICATE_MAX_AGE_MONTHS", 3)

    PROXY_COUNT = _int("PROXY_COUNT", 0)
    HSTS = False
    WTF_CSRF_TIME_LIMIT = None
    BABEL_DEFAULT_LOCALE = "de"
    BABEL_DEFAULT_TIMEZONE = "Europe/Berlin"
    LANGUAGES = ("de", "en")
    BABEL_TRANSLATION_DIRECTORIES = os.path.join(BASE_DIR, "volunteer_app", "translations")
    TEMPLATES_DIR = os.path.join(BASE_DIR, "templates")
    MIGRATIONS_DIR = os.path.join(BASE_DIR, "migrations")

    @classmethod
    def check(cls) -> None:
        """Refuse settings that are unsafe for this environment."""


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    DEBUG = False
    DEMO_STAFF_SKIP_2FA = _bool("DEMO_STAFF_SKIP_2FA", True)


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret"
    DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "sqlite:///:memory:")
    MAIL_BACKEND = "outbox-only"
    HUEY_URL = "memory://"
    HUEY_IMMEDIATE = True
    RATELIMIT_STORAGE_URI = "memory://"
    BASE_URL = "http://localhost"
    DEMO_STAFF_SKIP_2FA = False
    WTF_CSRF_ENABLED = False
    ACCOUNT_RESPONSE_FLOOR_SECONDS = 0


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    HSTS = True
    DEMO_STAFF_SKIP_2FA = False
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "smtp")

    @classmethod
    def check(cls) -> None:
        if not cls.SECRET_KEY or cls.SECRET_KEY == DEV_SECRET or len(cls.SECRET_KEY) < 32:
            raise RuntimeError(
                "Production needs SECRET_KEY set to a random value of 32+ characters."
            )
        if cls.BASE_URL.startswith("http://127.0.0.1") or not cls.BASE_URL.startswith("https://"):
            raise RuntimeError("Production needs BASE_URL set to the public https:// address.")
        if cls.MAIL_BACKEND != "smtp":
            # The log backend would write reset and invitation links into the logs.
            raise RuntimeError("Production needs MAIL_BACKEND=smtp.")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env():
    return CONFIGS[os.environ.get("APP_ENV", "development")]
