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


def _list(name: str) -> list[str]:
    return [v.strip() for v in os.environ.get(name, "").split(",") if v.strip()]


def _hours(first: str, last: str, default: tuple[int, int]) -> tuple[int, int]:
    """Two whole hours of a day, ``first`` before ``last``; anything else stops the start."""
    hours = (_int(first, default[0]), _int(last, default[1]))
    if not 0 <= hours[0] < hours[1] <= 24:
        raise ValueError(f"{first} and {last} must be hours with 0 <= {first} < {last} <= 24.")
    return hours


# Privacy notice and imprint: who runs this installation (docs/configuration.md, "Controller").
# Development and testing show these clearly marked examples when nothing is set.
EXAMPLE_CONTROLLER = {
    "CONTROLLER_NAME": "Beispiel-Träger e. V. (Beispielangabe)",
    "CONTROLLER_ADDRESS": "Musterstraße 1, 99084 Erfurt",
    "CONTROLLER_EMAIL": "kontakt@traeger.example",
    "CONTROLLER_PHONE": "0361 000000",
    "CONTROLLER_REPRESENTATIVE": "Erika Musterfrau (Vorstand)",
    "DPO_NAME": "Max Mustermann (Beispielangabe)",
    "DPO_EMAIL": "datenschutz@traeger.example",
    "PRIVACY_RECIPIENTS": "hosting=Beispiel-Hosting GmbH, Musterweg 2, 99084 Erfurt; "
    "mail=Beispiel-Mail GmbH, Musterweg 3, 10115 Berlin",
}
# Legal bases per purpose ("Art. 6(1)(b)", several with ", ", national law after " + ").
LEGAL_BASES = {
    "account": "Art. 6(1)(b)",
    "certificate": "Art. 6(1)(c) + § 72a SGB VIII",
    "measles": "Art. 6(1)(c), Art. 9(2)(i) + § 20 IfSG",
    "consent": "Art. 6(1)(a)",
    "audit": "Art. 6(1)(f)",
    "partners": "Art. 6(1)(f)",
    "security": "Art. 6(1)(f)",
}
TLFDI = (
    "Thüringer Landesbeauftragter für den Datenschutz und die Informationsfreiheit (TLfDI), "
    "Häßlerstraße 8, 99096 Erfurt, poststelle@datenschutz.thueringen.de"
)


def _example_controller(always: bool = False):
    """Class decorator: the marked example controller when none is set (or ``always``)."""

    def apply(cls):
        if always or not cls.CONTROLLER_NAME:
            for name, value in EXAMPLE_CONTROLLER.items():
                setattr(cls, name, value)
            cls.CONTROLLER_IS_EXAMPLE = True
        return cls

    return apply


class Config:
    ENV_NAME = "base"
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET)
    # Earlier keys, comma-separated, newest first: they only decrypt what was encrypted
    # under them (TOTP secrets) until `flask db reencrypt-secrets` (docs/operations.md).
    SECRET_KEY_FALLBACKS = _list("SECRET_KEY_FALLBACKS")
    DATABASE_URL = os.environ.get(
        "DATABASE_URL", "sqlite:///" + os.path.join(INSTANCE_DIR, "volunteer.db")
    )
    DATABASE_POOL_SIZE = _int("DATABASE_POOL_SIZE", 10)
    # The public address every absolute link starts with. Unset, it is the development
    # server's address on PORT (what `make run` serves on; production refuses it).
    BASE_URL = (os.environ.get("BASE_URL") or f"http://127.0.0.1:{_int('PORT', 5000)}").rstrip("/")
    # Development without BASE_URL: links follow the address a request came in on
    # (common/urls.py: base_url()); jobs, which have no request, use BASE_URL.
    BASE_URL_FROM_REQUEST = False

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
    # At most this many mails a minute (shared mail hosts refuse more per session); 0: no limit.
    MAIL_RATE_PER_MINUTE = _int("MAIL_RATE_PER_MINUTE", 30)

    # Background jobs: a SQLite file by default, redis://… in production.
    HUEY_URL = os.environ.get("HUEY_URL", "sqlite:///" + os.path.join(INSTANCE_DIR, "huey.db"))
    HUEY_IMMEDIATE = False
    # /healthz reports a mail backlog when a mail has been due this long (0: not checked).
    HEALTH_MAIL_OVERDUE_MINUTES = _int("HEALTH_MAIL_OVERDUE_MINUTES", 15)

    # Rate limits: memory:// is per process; use redis://… with several workers.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_ENABLED = True
    # While the limit storage (Redis) is unreachable, count in this process's memory instead of
    # answering 500: limits stay on, per worker, until the storage is back.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_MAX_FAILURES = _int("LOGIN_MAX_FAILURES", 5)
    LOGIN_LOCK_MINUTES = _int("LOGIN_LOCK_MINUTES", 15)
    RATELIMIT_LOGIN = os.environ.get("RATELIMIT_LOGIN", "10 per minute")
    RATELIMIT_ACCOUNT_MAIL = os.environ.get("RATELIMIT_ACCOUNT_MAIL", "5 per minute;20 per hour")
    RATELIMIT_SECOND_FACTOR = os.environ.get("RATELIMIT_SECOND_FACTOR", "10 per minute")
    # Calendar feeds per address: all feed URLs together (token guessing), and one URL.
    RATELIMIT_FEEDS = os.environ.get("RATELIMIT_FEEDS", "300 per minute")
    RATELIMIT_FEED_URL = os.environ.get("RATELIMIT_FEED_URL", "30 per minute")
    # The JSON API (api/): per token, per address without one, over all its routes together.
    RATELIMIT_API = os.environ.get("RATELIMIT_API", "120 per minute;3000 per hour")
    # Scanned check-in codes per address: the volunteers at a centre share its Wi-Fi.
    RATELIMIT_CHECKIN = os.environ.get("RATELIMIT_CHECKIN", "60 per minute")
    # Families' wishes, new suggestions and one-click support: per address generous (the
    # families at a centre share its Wi-Fi), per browser (its session, else its wish cookie)
    # tight.
    RATELIMIT_WISHES = os.environ.get("RATELIMIT_WISHES", "60 per hour")
    RATELIMIT_WISHES_BROWSER = os.environ.get("RATELIMIT_WISHES_BROWSER", "10 per hour")
    RATELIMIT_WISH_SUPPORT = os.environ.get(
        "RATELIMIT_WISH_SUPPORT", "120 per minute;1000 per hour"
    )
    RATELIMIT_WISH_SUPPORT_BROWSER = os.environ.get(
        "RATELIMIT_WISH_SUPPORT_BROWSER", "10 per minute;60 per hour"
    )
    # Hours (Berlin) within which a refused room booking is offered free times.
    ROOM_OPENING_HOURS = _hours("ROOM_OPENING_FROM", "ROOM_OPENING_UNTIL", (8, 18))
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

    # Privacy notice (/datenschutz) and imprint (/impressum), generated from these settings;
    # production refuses to start without name, address and e-mail (docs/configuration.md).
    CONTROLLER_NAME = os.environ.get("CONTROLLER_NAME", "").strip()
    CONTROLLER_ADDRESS = os.environ.get("CONTROLLER_ADDRESS", "").strip()
    CONTROLLER_EMAIL = os.environ.get("CONTROLLER_EMAIL", "").strip()
    CONTROLLER_PHONE = os.environ.get("CONTROLLER_PHONE", "").strip()
    CONTROLLER_REPRESENTATIVE = os.environ.get("CONTROLLER_REPRESENTATIVE", "").strip()
    CONTROLLER_REGISTER = os.environ.get("CONTROLLER_REGISTER", "").strip()
    CONTROLLER_VAT_ID = os.environ.get("CONTROLLER_VAT_ID", "").strip()
    CONTROLLER_SUPERVISORY_AUTHORITY = os.environ.get("CONTROLLER_SUPERVISORY_AUTHORITY", "")
    CONTROLLER_IS_EXAMPLE = False
    DPO_NAME = os.environ.get("DPO_NAME", "").strip()
    DPO_EMAIL = os.environ.get("DPO_EMAIL", "").strip()
    # Processors: "role=Name, address; role=…" with role hosting, mail, backup, support, other.
    PRIVACY_RECIPIENTS = os.environ.get("PRIVACY_RECIPIENTS", "")
    PRIVACY_LEGAL_BASES = {
        key: os.environ.get(f"PRIVACY_LEGAL_BASIS_{key.upper()}", value)
        for key, value in LEGAL_BASES.items()
    }
    PRIVACY_SUPERVISORY_AUTHORITY = os.environ.get("PRIVACY_SUPERVISORY_AUTHORITY", TLFDI)
    # Web-server access logs (nginx's logrotate): shown in the notice, applied by the server.
    SERVER_LOG_RETENTION_DAYS = _int("SERVER_LOG_RETENTION_DAYS", 14)

    # Development only: demo staff may skip the second factor.
    DEMO_STAFF_SKIP_2FA = _bool("DEMO_STAFF_SKIP_2FA")

    # Slots of recurring activities are generated this many days ahead (a daily job extends it).
    SLOT_HORIZON_DAYS = _int("SLOT_HORIZON_DAYS", 90)

    # Calendar feeds: a cached feed is rendered again after this long even when the rows it
    # shows have not changed (a renamed centre or category; docs/feeds.md).
    FEED_CACHE_MAX_AGE = timedelta(minutes=_int("FEED_CACHE_MAX_AGE_MINUTES", 60))
    # The families' public pages kept rendered per ETag in each process, at most this many
    # bytes (0: none kept; revisions/conditional.py, docs/deployment.md).
    PUBLIC_PAGE_CACHE_BYTES = _int("PUBLIC_PAGE_CACHE_BYTES", 32 * 1024 * 1024)

    # Extended police certificate: at most this old when inspected (docs/domain.md).
    CERTIFICATE_MAX_AGE_MONTHS = _int("CERTIFICATE_MAX_AGE_MONTHS", 3)
    # An inspection counts for this many years, then the certificate must be shown again.
    CERTIFICATE_VALID_YEARS = _int("CERTIFICATE_VALID_YEARS", 5)

    # Retention (`flask jobs retention`, daily; docs/privacy.md). Certificate and measles
    # records of a person at a centre go when they have not started there within
    # RETENTION_CHECK_START_MONTHS of the inspection, else RETENTION_CHECK_END_MONTHS after
    # their last slot there (§ 72a (5) SGB VIII: at the latest 3 months), never while booked.
    RETENTION_CHECK_START_MONTHS = _int("RETENTION_CHECK_START_MONTHS", 3)
    RETENTION_CHECK_END_MONTHS = _int("RETENTION_CHECK_END_MONTHS", 3)
    # Outbox rows (recipient, subject, status, times; bodies are cleared once sent or failed)
    # and the markers of coordinators' daily digests.
    RETENTION_OUTBOX_DAYS = _int("RETENTION_OUTBOX_DAYS", 90)
    RETENTION_MESSAGE_DAYS = _int("RETENTION_MESSAGE_DAYS", 365)
    # One-time links (confirmation, reset, e-mail change) and coordinator invitations:
    # deleted this many days after they expired, were used, accepted or withdrawn.
    RETENTION_LINK_DAYS = _int("RETENTION_LINK_DAYS", 30)
    # Matching runs with their proposals: deleted this many days after their period ended.
    RETENTION_MATCH_RUN_DAYS = _int("RETENTION_MATCH_RUN_DAYS", 90)
    # Audit log: kept for accident-insurance questions, then deleted.
    AUDIT_RETENTION_YEARS = _int("AUDIT_RETENTION_YEARS", 3)
    # Allowance payments (booking records, § 147 AO): deleted this many years after the end
    # of the calendar year they were paid in, pseudonymised meanwhile if the account goes.
    RETENTION_ALLOWANCE_YEARS = _int("RETENTION_ALLOWANCE_YEARS", 10)
    # Families' wishes that no coordinator approved or rejected: deleted (with the wisher's
    # address) this many days after they were written.
    RETENTION_UNREVIEWED_WISH_DAYS = _int("RETENTION_UNREVIEWED_WISH_DAYS", 60)
    # API tokens (tokens/): revoked or expired tokens are deleted this many days later.
    RETENTION_API_TOKEN_DAYS = _int("RETENTION_API_TOKEN_DAYS", 90)
    # Deleting one's account takes effect after this many days (0: at once); signing in or
    # the link in the confirmation mail cancels it (erasure/services.py, docs/privacy.md).
    DELETION_GRACE_DAYS = _int("DELETION_GRACE_DAYS", 14)
    # Accounts without sign-in or booking: a mail with a "keep my account" link one month
    # before, erased after this many months. Registrations never confirmed: erased after days.
    RETENTION_INACTIVE_MONTHS = _int("RETENTION_INACTIVE_MONTHS", 12)
    RETENTION_UNCONFIRMED_DAYS = _int("RETENTION_UNCONFIRMED_DAYS", 7)
    # Importing lists (imports/): the largest file and most rows accepted, and how long the
    # invitation of an imported person is valid (then name and address are deleted).
    IMPORT_MAX_BYTES = _int("IMPORT_MAX_BYTES", 2_000_000)
    IMPORT_MAX_ROWS = _int("IMPORT_MAX_ROWS", 5000)
    IMPORT_INVITATION_DAYS = _int("IMPORT_INVITATION_DAYS", 14)
    # API tokens: at most this many active tokens per person, centre or operator.
    API_TOKENS_MAX_ACTIVE = _int("API_TOKENS_MAX_ACTIVE", 20)

    PROXY_COUNT = _int("PROXY_COUNT", 0)
    HSTS = False
    WTF_CSRF_TIME_LIMIT = None
    BABEL_DEFAULT_LOCALE = "de"
    BABEL_DEFAULT_TIMEZONE = "Europe/Berlin"
    # Family and volunteer pages speak all of these (Babel's spelling: fa_AF is Dari);
    # staff pages only STAFF_LANGUAGES (docs/translations.md).
    LANGUAGES = ("de", "en", "uk", "ar", "ru", "pl", "ro", "fa_AF")
    STAFF_LANGUAGES = ("de", "en")
    BABEL_TRANSLATION_DIRECTORIES = os.path.join(BASE_DIR, "volunteer_app", "translations")
    TEMPLATES_DIR = os.path.join(BASE_DIR, "templates")
    MIGRATIONS_DIR = os.path.join(BASE_DIR, "migrations")

    @classmethod
    def check(cls) -> None:
        """Refuse settings that are unsafe for this environment."""


@_example_controller()
class DevelopmentConfig(Config):
    ENV_NAME = "development"
    DEBUG = False
    BASE_URL_FROM_REQUEST = not os.environ.get("BASE_URL")
    DEMO_STAFF_SKIP_2FA = _bool("DEMO_STAFF_SKIP_2FA", True)


@_example_controller(always=True)
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
        # The privacy notice and the imprint (§ 5 DDG) must name who is responsible.
        wrong = [
            name
            for name in ("CONTROLLER_NAME", "CONTROLLER_ADDRESS", "CONTROLLER_EMAIL")
            if not getattr(cls, name, "") or getattr(cls, name) == EXAMPLE_CONTROLLER[name]
        ]
        if "@" not in cls.CONTROLLER_EMAIL and "CONTROLLER_EMAIL" not in wrong:
            wrong.append("CONTROLLER_EMAIL")
        if wrong:
            raise RuntimeError(
                "Production needs the controller's details for the privacy notice and imprint "
                f"(docs/configuration.md): set {', '.join(wrong)}."
            )


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env():
    return CONFIGS[os.environ.get("APP_ENV", "development")]
