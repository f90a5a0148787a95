"""One settings module, driven by environment variables only.

INMINBAN_DATABASE_URL  database (default: SQLite file in the data directory)
INMINBAN_DATA_DIR      where the SQLite file, the generated secret key and signing keys live (default ./var)
INMINBAN_SECRET_KEY    or INMINBAN_SECRET_KEY_FILE; generated and stored in the data directory on first start
INMINBAN_DEBUG         off unless "1"/"true"
INMINBAN_ALLOWED_HOSTS comma-separated (default: localhost names)
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    return [item.strip() for item in value.split(",") if item.strip()] if value else default


DATA_DIR = Path(os.environ.get("INMINBAN_DATA_DIR", Path.cwd() / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """Explicit key, then a key file, then one generated on first start and kept in the data directory."""
    if os.environ.get("INMINBAN_SECRET_KEY"):
        return os.environ["INMINBAN_SECRET_KEY"]
    key_file = Path(os.environ.get("INMINBAN_SECRET_KEY_FILE", DATA_DIR / "secret_key"))
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("INMINBAN_DEBUG")
ALLOWED_HOSTS = env_list("INMINBAN_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("INMINBAN_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "inminban.areas",
    "inminban.audit",
    "inminban.registry",
    "inminban.duties",
    "inminban.stamps",
    "inminban.jobs",
    "inminban.entitlements",
    "inminban.api",
    "inminban.synth",
    "inminban.ops",
    "inminban.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "inminban.audit.middleware.RequestOriginMiddleware",
    "inminban.api.idempotency.IdempotencyMiddleware",
]

ROOT_URLCONF = "inminban.urls"
WSGI_APPLICATION = "inminban.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("INMINBAN_DATABASE_URL", f"sqlite:///{DATA_DIR / 'inminban.sqlite3'}"),
        conn_max_age=env_int("INMINBAN_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at BEGIN, which also
    # serialises audit-chain appends the way the advisory lock does on PostgreSQL.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    if DATABASES["default"]["NAME"] not in ("", ":memory:"):
        # The test database is a file beside the configured one (test_<name>, as on PostgreSQL), not Django's
        # in-memory default: the job tests start `inminban tick` subprocesses that must open the same database.
        _name = Path(DATABASES["default"]["NAME"])
        DATABASES["default"]["TEST"] = {"NAME": str(_name.with_name(f"test_{_name.name}"))}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ko", _("Korean"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = os.environ.get("INMINBAN_TIME_ZONE", "Asia/Pyongyang")
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = True

LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("INMINBAN_SECURE_COOKIES")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"

# A request body larger than this is refused (413) before it is parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("INMINBAN_MAX_BODY_BYTES", 256 * 1024)

# Idempotency-Key: how long a key is kept (a retry within it gets the first answer), and how long a retry waits for
# a first request still running before it answers 409 with Retry-After.
IDEMPOTENCY_HOURS = env_int("INMINBAN_IDEMPOTENCY_HOURS", 24)
IDEMPOTENCY_WAIT_SECONDS = env_int("INMINBAN_IDEMPOTENCY_WAIT_SECONDS", 10)

# The audit log's name in its signed checkpoints (and the name of its key); default "inminban.audit/<key id>".
AUDIT_ORIGIN = os.environ.get("INMINBAN_AUDIT_ORIGIN", "").strip()

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("INMINBAN_LOG_LEVEL", "WARNING")},
}
