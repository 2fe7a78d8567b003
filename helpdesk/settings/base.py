"""Settings shared by every environment, read once from the environment.

With nothing set you get the embedded default: SQLite under ``var/``, the in-memory
channel layer, Celery tasks run eagerly in the web process and e-mail printed to the
console. ``REDIS_URL`` and ``DATABASE_URL`` switch on the full stack. Every variable is
listed in ``.env.example`` and ``docs/configuration.md``.
"""

import os
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from environ.fileaware_mapping import FileAwareMapping

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"


class SecretFiles(FileAwareMapping):
    """``<NAME>_FILE`` points at a file holding NAME's value (Docker/Kubernetes secrets).

    The trailing newline editors and ``echo`` add is not part of the secret.
    """

    def __getitem__(self, key: str) -> str:
        key_file = self.env.get(key + "_FILE")
        if key_file:
            with open(key_file, encoding="utf-8") as secret:
                return secret.read().rstrip("\r\n")
        return self.env[key]


env = environ.Env()
env.ENVIRON = SecretFiles(cache=False)
# DJANGO_ENV_FILE names another file; set it empty to read none (the test runs do).
ENV_FILE = os.environ.get("DJANGO_ENV_FILE", str(BASE_DIR / ".env"))
if ENV_FILE and Path(ENV_FILE).is_file():
    environ.Env.read_env(ENV_FILE, overwrite=False)

_T = TypeVar("_T")

TRUE_VALUES = {"1", "true", "yes", "on"}
FALSE_VALUES = {"0", "false", "no", "off", ""}


def env_bool(name: str, *, default: bool) -> bool:
    """A strict boolean: a typo such as ``DJANGO_DEBUG=flase`` fails instead of meaning False."""
    raw = env.str(name, default=str(default)).strip().lower()
    if raw in TRUE_VALUES:
        return True
    if raw in FALSE_VALUES:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_value(name: str, cast: Callable[..., _T], **kwargs: Any) -> _T:
    """Read one variable; a malformed value fails at start and names the variable."""
    try:
        return cast(name, **kwargs)
    except ImproperlyConfigured:
        raise
    except Exception as exc:
        raise ImproperlyConfigured(f"{name} has an invalid value: {exc}") from exc


def env_positive_int(name: str, default: int) -> int:
    """A whole number of at least 1; anything else fails at start and names the variable."""
    value = env_value(name, env.int, default=default)
    if value < 1:
        raise ImproperlyConfigured(f"{name} must be at least 1, not {value}")
    return value


DATABASE_SCHEMES = {"sqlite", "mysql", "mysql2"}
# The full-text search runs on SQLite FTS5 and InnoDB FULLTEXT; no test runs PostgreSQL yet.
UNTESTED_SCHEMES = {"postgres", "postgresql", "pgsql"}


def database_from_env(name: str = "DATABASE_URL", default: str = "") -> dict:
    """Parse a database URL (sqlite or mysql/MariaDB) into Django's form."""
    url = env.str(name, default=default)
    scheme = url.split(":", 1)[0].lower()
    if scheme in UNTESTED_SCHEMES:
        raise ImproperlyConfigured(
            f"{name}: PostgreSQL is not supported yet (the full-text search is built and "
            "tested on SQLite and MariaDB/MySQL only); use a sqlite:// or mysql:// URL."
        )
    if scheme not in DATABASE_SCHEMES:
        raise ImproperlyConfigured(
            f"{name} must be a sqlite:// or mysql:// URL, not {scheme or url!r}"
        )
    config = env_value(name, env.db_url, default=default)
    # Persistent connections leak under ASGI (each request may run on a new thread).
    config["CONN_MAX_AGE"] = env_value("DATABASE_CONN_MAX_AGE", env.int, default=0)
    config["CONN_HEALTH_CHECKS"] = True
    engine = config["ENGINE"]
    if engine.endswith("mysql"):
        config.setdefault("OPTIONS", {})
        config["OPTIONS"].setdefault("charset", "utf8mb4")
        config["OPTIONS"].setdefault("init_command", "SET sql_mode='STRICT_TRANS_TABLES'")
        config["OPTIONS"].setdefault("connect_timeout", 5)
        config["OPTIONS"].setdefault("isolation_level", "read committed")
        config["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
    elif engine.endswith("sqlite3"):
        # Daphne, the eager Celery tasks and the admin write from several threads:
        # WAL plus IMMEDIATE transactions avoid "database is locked" under that load.
        config["CONN_MAX_AGE"] = 0
        if config["NAME"] and config["NAME"] != ":memory:":
            Path(config["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        config.setdefault("OPTIONS", {}).update(
            {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            }
        )
    return config


# --- Core -----------------------------------------------------------------------------

DEBUG = env_bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env.str(
    "DJANGO_SECRET_KEY",
    default="django-insecure-embedded-default-only-for-local-use-never-in-production",
)
ALLOWED_HOSTS = env_value(
    "DJANGO_ALLOWED_HOSTS", env.list, default=["localhost", "127.0.0.1", "[::1]"]
)
CSRF_TRUSTED_ORIGINS = env_value("DJANGO_CSRF_TRUSTED_ORIGINS", env.list, default=[])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    # Their own app configurations under translated names (helpdesk/third_party_apps.py).
    "helpdesk.third_party_apps.BeatConfig",
    "helpdesk.third_party_apps.WebPushConfig",
    "helpdesk.third_party_apps.AxesConfig",
    "accounts",
    "tickets",
    "notifications",
    "integrations",
    "sla",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "helpdesk.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.LanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so it sees the lockout flag the sign-in left on the request.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "helpdesk.urls"
WSGI_APPLICATION = "helpdesk.wsgi.application"
ASGI_APPLICATION = "helpdesk.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "accounts.context_processors.preferences",
                "helpdesk.context_processors.script_urls",
            ],
            # Project tags: the admin index shows the integrations' warnings.
            "libraries": {"admin_extras": "helpdesk.admin_extras"},
        },
    },
]

# --- Database -------------------------------------------------------------------------

DATABASES = {
    "default": database_from_env(default=f"sqlite:///{VAR_DIR / 'helpdesk.sqlite3'}"),
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, channel layer, Celery broker ---------------------------------------

REDIS_URL = env.str("REDIS_URL", default="")
# A socket waits for its messages with a blocking read of 5 s (BZPOPMIN, channels_redis'
# brpop_timeout): the read timeout must outlast it, or every socket idle for 5 s ends
# (redis-py 8 defaults to 5 s). Requests only send (a few fast commands); a stopped Redis
# fails at connect.
CHANNEL_LAYER_REDIS_OPTIONS = {"socket_timeout": 10, "socket_connect_timeout": 2}

if REDIS_URL:
    CACHES = {
        "default": {
            # Redis, and a per-process cache while Redis is away (helpdesk/cache.py).
            "BACKEND": "helpdesk.cache.TolerantRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="helpdesk"),
            "TIMEOUT": 300,
            "OPTIONS": {
                # Fail fast when Redis is away instead of hanging a request.
                "socket_connect_timeout": 2,
                "socket_timeout": 2,
                "FALLBACK_TIMEOUT": env_positive_int("CACHE_FALLBACK_SECONDS", default=10),
                "RETRY_AFTER": env_positive_int("CACHE_RETRY_SECONDS", default=5),
            },
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "helpdesk.channel_layer.RedisChannelLayer",
            # Several sites (or test runs) can share one Redis with their own prefixes.
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, **CHANNEL_LAYER_REDIS_OPTIONS}],
                "prefix": env.str("CHANNEL_LAYER_PREFIX", default="helpdesk:asgi"),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Celery ---------------------------------------------------------------------------

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL) or None
# Without a broker the tasks run inside the web process (embedded default).
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_value("CELERY_TASK_TIME_LIMIT", env.int, default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env_value("CELERY_TASK_SOFT_TIME_LIMIT", env.int, default=240)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 3
# Socket timeouts so that a hung Redis cannot hang a request that queues a task.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "socket_timeout": 5,
    "socket_connect_timeout": 5,
}
CELERY_REDIS_SOCKET_TIMEOUT = 5
# After the broker refused a task, tasks wait in their outboxes this long before one is
# offered again (helpdesk/outbox.py BrokerBreaker); the sweep starts the waiting ones.
BROKER_RETRY_SECONDS = env_positive_int("BROKER_RETRY_SECONDS", default=5)
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 5
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_IMPORTS = ["helpdesk.tasks"]
CELERY_BEAT_SCHEDULER = "integrations.schedule:Scheduler"
# Periodic jobs are declared here; ``migrate`` (and beat at start) create the missing ones
# in the admin's "Periodic tasks", which owns them from then on: operators pause them or
# change the interval there (integrations/schedule.py).
CELERY_BEAT_SCHEDULE = {}

# --- Health (/healthz, helpdesk/health.py) --------------------------------------------

# A static file every page links: /healthz checks it is in the manifest (production).
HEALTHZ_STATIC_ENTRY = env.str("HEALTHZ_STATIC_ENTRY", default="css/app.css")
# A notification delivery due this long means no worker works (the sweep restarts due
# ones every minute after 30 s). Redmine pushes are not counted: they wait out a Redmine
# outage, which /healthz reports under "integrations".
HEALTHZ_WORKER_LAG_SECONDS = env_positive_int("HEALTHZ_WORKER_LAG_SECONDS", default=120)
HEALTHZ_WORKER_OUTBOXES = ["notifications.Delivery"]
# Beat has not run this every-minute job for this long: beat is down.
HEALTHZ_BEAT_TASK = "notifications-sweep"
HEALTHZ_BEAT_LAG_SECONDS = env_positive_int("HEALTHZ_BEAT_LAG_SECONDS", default=180)

# --- Auth -----------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
# Sign-in with Oracle E-Business Suite accounts (docs/integrations.md).
ERP_AUTH_ENABLED = env_bool("ERP_AUTH_ENABLED", default=False)
# Axes refuses locked-out attempts first; local accounts (administrators, break-glass)
# are tried before the ERP so they keep working while the ERP is down.
AUTHENTICATION_BACKENDS = [
    "accounts.lockout.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
    *(["accounts.backends.OracleERPBackend"] if ERP_AUTH_ENABLED else []),
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Oracle EBS gateway: a class path (tests and demos use the fake one) and the connection.
ERP_GATEWAY = env.str("ERP_GATEWAY", default="accounts.erp.OracleERPGateway")
ERP_FAKE_DIRECTORY = env.str("ERP_FAKE_DIRECTORY", default="")
ORACLE_DSN = env.str("ORACLE_DSN", default="")
ORACLE_HOST = env.str("ORACLE_HOST", default="")
ORACLE_PORT = env_value("ORACLE_PORT", env.int, default=1521)
ORACLE_SERVICE = env.str("ORACLE_SERVICE", default="")
ORACLE_USER = env.str("ORACLE_USER", default="")
ORACLE_PASSWORD = env.str("ORACLE_PASSWORD", default="")
# python-oracledb's thin mode needs no Oracle software but connects only to Oracle
# Database 12.1 or later and without native network encryption; thick mode uses Oracle
# Instant Client, installed by the operator (docs/integrations.md).
ORACLE_CLIENT_LIB_DIR = env.str("ORACLE_CLIENT_LIB_DIR", default="")
ORACLE_DRIVER_MODE = env.str(
    "ORACLE_DRIVER_MODE", default="thick" if ORACLE_CLIENT_LIB_DIR else "thin"
).lower()
if ORACLE_DRIVER_MODE not in ("thin", "thick"):
    raise ImproperlyConfigured(
        f"ORACLE_DRIVER_MODE must be thin or thick, not {ORACLE_DRIVER_MODE!r}"
    )
if ORACLE_DRIVER_MODE == "thin" and ORACLE_CLIENT_LIB_DIR:
    raise ImproperlyConfigured("ORACLE_CLIENT_LIB_DIR is only used with ORACLE_DRIVER_MODE=thick")
ORACLE_CONNECT_TIMEOUT = env_value("ORACLE_CONNECT_TIMEOUT", env.float, default=5.0)
ORACLE_CALL_TIMEOUT = env_value("ORACLE_CALL_TIMEOUT", env.float, default=10.0)
ORACLE_POOL_MAX = env_value("ORACLE_POOL_MAX", env.int, default=4)
# Schema of the EBS objects (the APPS synonyms) and the APPS-owned wrapper package that
# checks passwords with definer's rights (docs/integrations.md).
ERP_SCHEMA = env.str("ERP_SCHEMA", default="APPS")
ERP_AUTH_PACKAGE = env.str("ERP_AUTH_PACKAGE", default="APPS.XX_HELPDESK_AUTH")
if env.str("ERP_VALIDATE_FUNCTION", default=""):
    raise ImproperlyConfigured(
        "ERP_VALIDATE_FUNCTION is gone: install the wrapper package of docs/integrations.md "
        "and name it in ERP_AUTH_PACKAGE"
    )
# Wrong EBS passwords per user that Helpdesk lets through in this window: one fewer than
# EBS's SIGNON_PASSWORD_FAILURE_LIMIT, so Helpdesk never locks an EBS account.
ERP_FAILURE_WINDOW_HOURS = env_value("ERP_FAILURE_WINDOW_HOURS", env.int, default=24)
# Refuse (and deactivate) users whose person is no longer a current employee or
# contingent worker, even while their FND_USER account is still open.
ERP_REFUSE_TERMINATED = env_bool("ERP_REFUSE_TERMINATED", default=False)
# How often the directory sync refreshes ERP users, and the overlap of its windows.
ERP_SYNC_INTERVAL_MINUTES = env_value("ERP_SYNC_INTERVAL_MINUTES", env.int, default=60)
if ERP_AUTH_ENABLED:
    CELERY_BEAT_SCHEDULE["erp-directory-sync"] = {
        "task": "integrations.erp_directory_sync",
        "schedule": timedelta(minutes=ERP_SYNC_INTERVAL_MINUTES),
    }

# --- Redmine (I1, I2, I5) ----------------------------------------------------------------

REDMINE_URL = env.str("REDMINE_URL", default="").rstrip("/")
REDMINE_API_KEY = env.str("REDMINE_API_KEY", default="")
REDMINE_SYNC_ENABLED = env_bool("REDMINE_SYNC_ENABLED", default=False)
REDMINE_SYNC_INTERVAL_MINUTES = env_value("REDMINE_SYNC_INTERVAL_MINUTES", env.int, default=5)
# Redmine's updated_on filter is second-precise and commit times differ from clocks.
REDMINE_SYNC_OVERLAP_SECONDS = env_value("REDMINE_SYNC_OVERLAP_SECONDS", env.int, default=120)
# Deleted issues only show as ids missing from a project's full list, read this often.
REDMINE_DELETED_CHECK_MINUTES = env_value("REDMINE_DELETED_CHECK_MINUTES", env.int, default=60)
REDMINE_TIMEOUT = env_value("REDMINE_TIMEOUT", env.float, default=15.0)
REDMINE_VERIFY_TLS = env_bool("REDMINE_VERIFY_TLS", default=True)
REDMINE_PUSH_MAX_ATTEMPTS = env_value("REDMINE_PUSH_MAX_ATTEMPTS", env.int, default=10)
if REDMINE_SYNC_ENABLED:
    CELERY_BEAT_SCHEDULE["redmine-pull"] = {
        "task": "integrations.redmine_pull",
        "schedule": timedelta(minutes=REDMINE_SYNC_INTERVAL_MINUTES),
    }
    # Pushes whose task was lost (broker down) or is waiting out a Redmine outage.
    CELERY_BEAT_SCHEDULE["redmine-push-sweep"] = {
        "task": "integrations.redmine_push_sweep",
        "schedule": timedelta(minutes=1),
    }

# --- Tickets by e-mail (integrations/mail, docs/integrations.md) -------------------------

MAIL_FETCH_ENABLED = env_bool("MAIL_FETCH_ENABLED", default=False)
MAIL_FETCH_INTERVAL_SECONDS = env_value("MAIL_FETCH_INTERVAL_SECONDS", env.int, default=60)
# Seconds for connecting to an IMAP server and for each of its answers.
MAIL_IMAP_TIMEOUT = env_value("MAIL_IMAP_TIMEOUT", env.float, default=20.0)
# More mails than this from one sender in an hour are ignored (a loop or a flood).
MAIL_SENDER_MAX_PER_HOUR = env_value("MAIL_SENDER_MAX_PER_HOUR", env.int, default=20)
if MAIL_FETCH_ENABLED:
    CELERY_BEAT_SCHEDULE["mail-fetch"] = {
        "task": "integrations.mail_fetch",
        "schedule": timedelta(seconds=MAIL_FETCH_INTERVAL_SECONDS),
    }

# Redmine's own database, read-only, for the first import of a large Redmine.
if env.str("REDMINE_DATABASE_URL", default=""):
    DATABASES["redmine"] = database_from_env("REDMINE_DATABASE_URL")
    DATABASES["redmine"]["OPTIONS"]["init_command"] = "SET SESSION TRANSACTION READ ONLY"
DATABASE_ROUTERS = ["integrations.redmine.router.RedmineRouter"]
# A failing receiver of a tickets signal is logged and never undoes the change; the test
# settings make it raise, so that a broken receiver fails its test.
RAISE_RECEIVER_ERRORS = False
# A running integration job holds its lock for this long and renews it while it is alive;
# a killed run frees it within this time.
INTEGRATION_LOCK_LEASE_SECONDS = env_value("INTEGRATION_LOCK_LEASE_SECONDS", env.int, default=60)
if INTEGRATION_LOCK_LEASE_SECONDS < 10:
    raise ImproperlyConfigured("INTEGRATION_LOCK_LEASE_SECONDS must be at least 10")

# Pause sign-in after wrong passwords (EBS does not count failures of its API); the rule is
# in accounts/lockout.py and docs/configuration.md. Counted per (user name, address) pair:
# nobody can lock someone else out, and an office behind one NAT address is not locked
# by one person's typos. The LOGIN_FAILURE_LIMIT-th failure pauses the pair for the first
# step of LOGIN_PAUSE_MINUTES; each failure after a pause takes the next step.
AXES_ENABLED = env_bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env_value("LOGIN_FAILURE_LIMIT", env.int, default=5)
LOGIN_PAUSE_MINUTES = env_value(
    "LOGIN_PAUSE_MINUTES", lambda name, **kw: env.list(name, cast=int, **kw), default=[1, 5, 15, 60]
)
LOGIN_FAILURE_MEMORY_HOURS = env_value("LOGIN_FAILURE_MEMORY_HOURS", env.int, default=24)
if AXES_FAILURE_LIMIT < 1:
    raise ImproperlyConfigured("LOGIN_FAILURE_LIMIT must be at least 1")
if not LOGIN_PAUSE_MINUTES or min(LOGIN_PAUSE_MINUTES) < 1:
    raise ImproperlyConfigured("LOGIN_PAUSE_MINUTES must list whole minutes, e.g. 1,5,15,60")
if max(LOGIN_PAUSE_MINUTES) > LOGIN_FAILURE_MEMORY_HOURS * 60:
    raise ImproperlyConfigured("LOGIN_FAILURE_MEMORY_HOURS must outlast the longest pause")
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_COOLOFF_TIME = "accounts.lockout.cool_off"
# Attempts while paused are refused unchecked and do not count (they would lengthen it).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_HANDLER = "accounts.lockout.LoginAttemptsHandler"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_USERNAME_CALLABLE = "accounts.lockout.attempted_username"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_HTTP_RESPONSE_CODE = 429
# Pauses and failures are shown by accounts/admin.py, with our labels and actions.
AXES_ENABLE_ADMIN = False

# --- Content-Security-Policy (django-csp) ----------------------------------------------

# Every script, style, font and image comes from this site; no inline script or style, no
# eval, no framing, no plugins. Colours that are data (statuses, priorities) come from a
# stylesheet generated by tickets (tickets/colours.py). helpdesk/csp.py adds this host's
# WebSocket address to connect-src. A view that truly needs more relaxes its own policy.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # Bootstrap draws its form controls' arrows and close buttons with data: SVGs.
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "worker-src": [SELF],
        "manifest-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Internationalisation -------------------------------------------------------------

LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "helpdesk_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Moscow")
USE_I18N = True
USE_TZ = True

# --- Static and media files -----------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Embedded mode serves static files straight from the source folders (no collectstatic).
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# --- Tickets --------------------------------------------------------------------------

TICKET_ATTACHMENT_MAX_SIZE = (
    env_value("TICKET_ATTACHMENT_MAX_SIZE_MB", env.int, default=20) * 1024 * 1024
)
TICKET_ATTACHMENT_MAX_FILES = env_value("TICKET_ATTACHMENT_MAX_FILES", env.int, default=10)
TICKET_ATTACHMENT_EXTENSIONS = env_value(
    "TICKET_ATTACHMENT_EXTENSIONS",
    env.list,
    default=[
        "png", "jpg", "jpeg", "gif", "webp", "bmp", "pdf", "txt", "log", "csv", "json", "xml",
        "doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods", "rtf", "zip", "7z", "rar",
        "gz", "eml", "msg",
    ],
)  # fmt: skip
# Uploads bigger than this are streamed to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
TICKETS_PER_PAGE = env_value("TICKETS_PER_PAGE", env.int, default=25)
# The board shows closed tickets of the last this many days, and at most so many cards
# per column (the list has the rest).
BOARD_CLOSED_DAYS = env_value("BOARD_CLOSED_DAYS", env.int, default=14)
BOARD_COLUMN_LIMIT = env_value("BOARD_COLUMN_LIMIT", env.int, default=50)
# Authors may change their own comments for this long; later only staff redact, with a reason.
COMMENT_EDIT_MINUTES = env_positive_int("COMMENT_EDIT_MINUTES", default=15)

# --- E-mail ---------------------------------------------------------------------------

EMAIL_CONFIG = env_value("EMAIL_URL", env.email_url, default="consolemail://")
globals().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Helpdesk <helpdesk@localhost>")
# Seconds an SMTP connection may take before a notification counts as not sent (retried).
EMAIL_TIMEOUT = env_value("EMAIL_TIMEOUT", env.int, default=10)
# Where people open Helpdesk: absolute links in e-mails and push messages.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- REST framework -------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.SessionAuthentication",
        "accounts.authentication.ApiTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # Bodies are JSON (uploads: multipart, set on their view): a form cannot say null,
    # an empty list or a number, so it would not mean what the schema says.
    "DEFAULT_PARSER_CLASSES": ["helpdesk.api.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "helpdesk.api.ApiPagination",
    "DEFAULT_FILTER_BACKENDS": ["helpdesk.api.FilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "helpdesk.api_schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "helpdesk.api.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["helpdesk.api.UserRateThrottle", "helpdesk.api.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "user": env.str("API_RATE_PER_USER", default="1200/min"),
        "token": env.str("API_RATE_PER_TOKEN", default="600/min"),
    },
    "PAGE_SIZE": 50,
}
# Wrong API tokens from one address: after this many within the window (seconds, from the
# first failure), token requests from there are refused (429) until the window ends.
API_TOKEN_FAILURE_LIMIT = env_positive_int("API_TOKEN_FAILURE_LIMIT", default=20)
API_TOKEN_FAILURE_WINDOW = env_positive_int("API_TOKEN_FAILURE_WINDOW", default=300)
SPECTACULAR_SETTINGS = {
    "TITLE": "Helpdesk API",
    "DESCRIPTION": "Tickets, comments, history, attachments and reference data of Helpdesk.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Signed-in users only; without a session or token the schema answers 401 (the token
    # scheme is announced), the docs page sends people to sign in (helpdesk/urls.py).
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SERVE_AUTHENTICATION": [
        "accounts.authentication.ApiTokenAuthentication",
        "accounts.authentication.SessionAuthentication",
    ],
    "COMPONENT_SPLIT_REQUEST": True,
    # PATCH bodies keep their required fields (a ticket's PATCH needs its version).
    "COMPONENT_SPLIT_PATCH": False,
    # The schema lists the workflow's codes from the database, which `check --deploy` (run
    # where there may be none) cannot read; the tests validate the schema instead.
    "ENABLE_DJANGO_DEPLOY_CHECK": False,
    # Swagger UI and ReDoc from drf-spectacular-sidecar's static files, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Notifications --------------------------------------------------------------------

# A claimed delivery's lease, renewed every third of it while its worker sends: a killed
# worker's deliveries are due again this long after, and the sweep (every
# NOTIFICATION_SWEEP_SECONDS) hands them to another worker: all out within a minute.
NOTIFICATION_DELIVERY_LEASE = env_value("NOTIFICATION_DELIVERY_LEASE", env.int, default=30)
if NOTIFICATION_DELIVERY_LEASE < 2:
    raise ImproperlyConfigured("NOTIFICATION_DELIVERY_LEASE must be at least 2 (seconds)")
NOTIFICATION_MAX_ATTEMPTS = env_value("NOTIFICATION_MAX_ATTEMPTS", env.int, default=8)
NOTIFICATION_SWEEP_BATCH = 500
NOTIFICATION_SWEEP_SECONDS = 15
CELERY_BEAT_SCHEDULE["notifications-sweep"] = {
    "task": "notifications.sweep",
    "schedule": timedelta(seconds=NOTIFICATION_SWEEP_SECONDS),
}
CELERY_BEAT_SCHEDULE["notifications-deadlines"] = {
    "task": "notifications.remind_deadlines",
    "schedule": timedelta(minutes=15),
}
# Service levels (sla): the check that announces warnings and breaches (docs/sla.md).
SLA_CHECK_SECONDS = env_positive_int("SLA_CHECK_SECONDS", default=60)
CELERY_BEAT_SCHEDULE["sla-check"] = {
    "task": "sla.check",
    "schedule": timedelta(seconds=SLA_CHECK_SECONDS),
}
# Due-soon reminders go out this many days before the due date (once per ticket).
NOTIFICATION_DUE_SOON_DAYS = env_value("NOTIFICATION_DUE_SOON_DAYS", env.int, default=1)

# django-webpush's release lacks a migration; ours adds it (notifications/webpush_migrations).
MIGRATION_MODULES = {"webpush": "notifications.webpush_migrations"}

# --- Web push (VAPID) -----------------------------------------------------------------

# How long a push service keeps a message for an offline device, and how long we wait.
WEBPUSH_TTL = env_value("WEBPUSH_TTL", env.int, default=24 * 3600)
WEBPUSH_TIMEOUT = env_value("WEBPUSH_TIMEOUT", env.float, default=10.0)
# Push services subscriptions may point at (a leading dot: any subdomain). Anything else
# is refused, so a subscription cannot make the server call arbitrary addresses.
WEBPUSH_ENDPOINT_HOSTS = env_value(
    "WEBPUSH_ENDPOINT_HOSTS",
    env.list,
    default=[
        "fcm.googleapis.com",
        "updates.push.services.mozilla.com",
        ".push.apple.com",
        ".notify.windows.com",
    ],
)
WEBPUSH_SETTINGS = {
    "VAPID_PUBLIC_KEY": env.str("VAPID_PUBLIC_KEY", default=""),
    "VAPID_PRIVATE_KEY": env.str("VAPID_PRIVATE_KEY", default=""),
    "VAPID_ADMIN_EMAIL": env.str("VAPID_ADMIN_EMAIL", default="helpdesk@localhost"),
}

# --- Logging --------------------------------------------------------------------------

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
LOG_FORMAT = env.str("LOG_FORMAT", default="text")
if LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be 'text' or 'json', not {LOG_FORMAT!r}")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {
            "()": "helpdesk.logging.TextFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s: %(message)s",
            "time_zone": TIME_ZONE,
        },
        "json": {"()": "helpdesk.logging.JsonFormatter", "time_zone": TIME_ZONE},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's own console handler (active with DEBUG) would print every warning a
        # second time: everything goes through the root handler once.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.db.backends": {"level": "INFO"},
        "daphne": {"level": "WARNING"},
        # accounts.lockout logs failures and pauses with the user name and address; axes'
        # own lines say the same with both masked.
        "axes": {"level": "ERROR"},
    },
}
