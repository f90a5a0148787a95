"""One settings module, driven by environment variables only.

INMINBAN_DATABASE_URL  database (default: SQLite file in the data directory)
INMINBAN_DATA_DIR      where the SQLite file, the generated secret key and signing keys live (default ./var)
INMINBAN_SECRET_KEY    or INMINBAN_SECRET_KEY_FILE; generated and stored in the data directory on first start
INMINBAN_DEBUG         off unless "1"/"true"
INMINBAN_ALLOWED_HOSTS comma-separated (default: localhost names)
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
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
# The data directory holds the database, the secret key and the signing keys: the service's user only (0700), and
# every file in it created for that user alone (0600).
DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)


def _secret_key() -> str:
    """Explicit key, then a key file, then one generated on first start and kept in the data directory."""
    if os.environ.get("INMINBAN_SECRET_KEY"):
        return os.environ["INMINBAN_SECRET_KEY"]
    key_file = Path(os.environ.get("INMINBAN_SECRET_KEY_FILE", DATA_DIR / "secret_key"))
    if not key_file.exists():
        key_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("INMINBAN_DEBUG")
# Django's test set-up adds "testserver" for the test client; it has no place in a running deployment.
ALLOWED_HOSTS = env_list("INMINBAN_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("INMINBAN_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "axes",
    "csp",
    "ninja",  # its templates and static files: the API docs page served from here, not from a CDN
    "inminban.areas",
    "inminban.audit",
    "inminban.registry",
    "inminban.duties",
    "inminban.stamps",
    "inminban.jobs",
    "inminban.entitlements",
    "inminban.governance",
    "inminban.health",
    "inminban.integrity",
    "inminban.api",
    "inminban.synth",
    "inminban.ops",
    "inminban.web",
    "inminban.accounts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # Before the others: it sees every answer under /api/, Django's own for an exception in a middleware included.
    "inminban.api.errors.ApiErrorMiddleware",
    "inminban.web.middleware.UploadSizeMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "inminban.common.database.BusyDatabaseTimeoutMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "inminban.accounts.middleware.SessionIdleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "inminban.audit.middleware.RequestOriginMiddleware",
    "inminban.api.idempotency.IdempotencyMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes requires: it turns a refused login into the lockout page
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
        # Created empty (SQLite takes that as a new database) before SQLite first opens it, so that it is 0600:
        # SQLite gives the -wal and -shm files it makes beside it the database file's mode.
        if _name.parent.is_dir():
            try:
                os.close(os.open(_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            except FileExistsError:
                pass

# A web request waits this long for SQLite's write lock, then answers 503 with Retry-After; commands wait 20 s.
WEB_LOCK_WAIT_MS = env_int("INMINBAN_LOCK_WAIT_MS", 2000)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
]

# Login protection (django-axes): INMINBAN_LOGIN_FAILURE_LIMIT wrong passwords for one account, or from one address,
# refuse every login to that account and from that address (the right password too) for
# INMINBAN_LOGIN_LOCKOUT_MINUTES after the last of them. `inminban lockouts` lists them, `inminban unlock` lifts one.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("INMINBAN_LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("INMINBAN_LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# Attempts refused while locked out do not extend the lockout: it ends when announced.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# The address is the connection's: X-Forwarded-For is whatever the client says unless a proxy sets it.
AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)
AXES_LOCKOUT_CALLABLE = "inminban.accounts.views.locked_out"
AXES_SENSITIVE_PARAMETERS = ["csrfmiddlewaretoken"]
# Unlocking is audited (inminban.accounts.admin), so axes' own admin, which deletes records unaudited, is off.
AXES_ENABLE_ADMIN = False
# Axes would also keep every successful login and logout, unshown and never purged.
AXES_DISABLE_ACCESS_LOG = True

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ko", _("Korean"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
# One date format per language, ours over Django's (formats/ko, formats/en): never month/day/year.
FORMAT_MODULE_PATH = ["inminban.formats"]
# Times are stored in UTC and shown, and "today" taken (timezone.localdate()), in this one zone: the pages, the
# PDFs, the verifier and the date checks of the services all agree on what day it is.
TIME_ZONE = os.environ.get("INMINBAN_TIME_ZONE", "").strip() or "Asia/Pyongyang"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# Uploaded files (appeal attachments). Never served as static files: a view checks who may read each one.
MEDIA_ROOT = DATA_DIR / "media"
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
# How long after a cycle's last day its vouchers can still be redeemed.
VOUCHER_GRACE_DAYS = env_int("INMINBAN_VOUCHER_GRACE_DAYS", 10)
WHITENOISE_USE_FINDERS = True

LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

SESSION_COOKIE_HTTPONLY = True
# A session ends after this long without a request (inminban.accounts.middleware moves its expiry forward).
SESSION_COOKIE_AGE = env_int("INMINBAN_SESSION_IDLE_MINUTES", 30) * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
X_FRAME_OPTIONS = "DENY"

# INMINBAN_HTTPS=1: served over HTTPS (directly, or behind a proxy that sets X-Forwarded-Proto: https and strips
# it from clients). Cookies are then sent over HTTPS only, and browsers are told to use nothing else (HSTS).
HTTPS = env_bool("INMINBAN_HTTPS")
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("INMINBAN_HSTS_SECONDS", 365 * 24 * 3600)

# No inline script or style except with the request's nonce; nothing from other sites (django-csp).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# An API token answers 401 from this many days after it was made; `inminban token create` makes a new one.
TOKEN_LIFETIME_DAYS = env_int("INMINBAN_TOKEN_LIFETIME_DAYS", 90)

# A request body larger than this is refused (413) before it is parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("INMINBAN_MAX_BODY_BYTES", 256 * 1024)
# Any request body, files included (an appeal's document is at most 2 MB): larger ones answer 413 unread.
MAX_UPLOAD_BYTES = env_int("INMINBAN_MAX_UPLOAD_BYTES", 4 * 1024 * 1024)

# Idempotency-Key: how long a key is kept (a retry within it gets the first answer), and how long a retry waits for
# a first request still running before it answers 409 with Retry-After.
IDEMPOTENCY_HOURS = env_int("INMINBAN_IDEMPOTENCY_HOURS", 24)
IDEMPOTENCY_WAIT_SECONDS = env_int("INMINBAN_IDEMPOTENCY_WAIT_SECONDS", 10)

# Overnight guests: their details are erased this many days after departure (`inminban stays purge`), and a stay
# may be registered at most this many days before the guest arrives.
STAY_RETENTION_DAYS = env_int("INMINBAN_STAY_RETENTION_DAYS", 30)
STAY_ADVANCE_DAYS = env_int("INMINBAN_STAY_ADVANCE_DAYS", 30)

# The integrity scan (hourly, and `inminban integrity scan`) looks at the records made or dated in the last this many
# days: a repeat scan costs what the window holds, not the whole history (`integrity scan --all` reads that). Weeks,
# so that a worker stopped for days, or a restore, still leaves every record inside some scan's window.
INTEGRITY_SCAN_DAYS = env_int("INMINBAN_INTEGRITY_SCAN_DAYS", 35)

# The audit log's name in its signed checkpoints (and the name of its key); default "inminban.audit/<key id>".
AUDIT_ORIGIN = os.environ.get("INMINBAN_AUDIT_ORIGIN", "").strip()

# Effective dates (since, until, on, starts_on …) may lie at most this many days ahead: a record dated further would
# sit after every correction and every later record, and lock its history (common/validators.py).
DATE_HORIZON_DAYS = env_int("INMINBAN_DATE_HORIZON_DAYS", 365)
# An offline verifier refuses to call a stamp valid from status lists older than this: a revocation since then
# would go unseen (`inminban stamp verify`, the exported verifier page).
STAMP_STATUS_MAX_AGE_DAYS = env_int("INMINBAN_STAMP_STATUS_MAX_AGE_DAYS", 7)
# A leader who tapped "acknowledge" on the wrong household may take it back for this many minutes (an audited
# correction); after that the acknowledgement stands.
ACK_UNDO_MINUTES = env_int("INMINBAN_ACK_UNDO_MINUTES", 5)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("INMINBAN_LOG_LEVEL", "WARNING")},
}
