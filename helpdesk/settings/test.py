"""Test settings: the embedded default plus fast hashing and captured e-mail.

``DATABASE_URL`` still chooses the database, so the same suite runs on SQLite and on
MariaDB. The SQLite test database is a file so the live daphne server used by the
browser tests (a separate process) sees the same data.
"""

import os

from .base import *  # noqa: F403
from .base import DATABASES, VAR_DIR

# Lets two test runs on one machine keep separate test databases.
_SUFFIX = os.environ.get("TEST_DB_SUFFIX", "")

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = ""
CELERY_RESULT_BACKEND = None
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Messages go through JSON as they would to a browser: a payload JSON cannot carry fails.
CHANNEL_LAYERS = {"default": {"BACKEND": "helpdesk.testing.JsonRoundTripChannelLayer"}}
RAISE_RECEIVER_ERRORS = True
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    VAR_DIR.mkdir(exist_ok=True)
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test{_SUFFIX}.sqlite3")}
else:
    DATABASES["default"].setdefault("TEST", {})["NAME"] = f"test_helpdesk{_SUFFIX}"
