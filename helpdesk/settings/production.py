"""Production: DEBUG off, secrets and hosts from the environment, HTTPS hardening.

Missing or unsafe values stop the process at start with a message naming the variable.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import (
    ERP_AUTH_ENABLED,
    ERP_GATEWAY,
    ORACLE_DSN,
    ORACLE_HOST,
    ORACLE_SERVICE,
    env,
    env_bool,
    env_value,
)

DEBUG = False


def _required(name: str) -> None:
    if not (os.environ.get(name) or os.environ.get(f"{name}_FILE")):
        raise ImproperlyConfigured(f"{name} must be set in production")


# REDIS_URL too: without it WebSocket events would not cross processes and tasks would
# run inside web requests.
for _name in ("DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"):
    _required(_name)

# ERP sign-in needs its connection; the fake ERP (passwords in a JSON file) never runs here.
if ERP_AUTH_ENABLED:
    if ERP_GATEWAY != "accounts.erp.OracleERPGateway":
        raise ImproperlyConfigured(f"ERP_GATEWAY {ERP_GATEWAY!r} is for tests and demos only")
    _required("ORACLE_USER")
    _required("ORACLE_PASSWORD")
    # As read by base (NAME or NAME_FILE), not straight from the environment.
    if not ORACLE_DSN and not (ORACLE_HOST and ORACLE_SERVICE):
        raise ImproperlyConfigured(
            "ORACLE_DSN (or ORACLE_HOST and ORACLE_SERVICE) must be set when ERP_AUTH_ENABLED"
        )

SECRET_KEY = env.str("DJANGO_SECRET_KEY")
if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure"):
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is too weak: use at least 50 random characters "
        "(python -c 'import secrets; print(secrets.token_urlsafe(64))')"
    )
ALLOWED_HOSTS = env_value("DJANGO_ALLOWED_HOSTS", env.list)
if not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must list the site's host names, not '*'")

STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = False
WHITENOISE_AUTOREFRESH = False

# HTTPS: nginx terminates TLS and tells Django through X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env_value("DJANGO_SECURE_HSTS_SECONDS", env.int, default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Behind the proxy the health probe comes over plain HTTP from the load balancer.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
