"""Settings read from the environment: embedded default, switches, production guards."""

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "k3y-" + "x7Qp9zL2mN4vB8cR1tY6uW0eA5sD3fG" * 2
PRODUCTION_ENV = {
    "DJANGO_SECRET_KEY": STRONG_KEY,
    "DJANGO_ALLOWED_HOSTS": "helpdesk.example.com",
    "DATABASE_URL": "mysql://helpdesk:secret@db.example.com:3306/helpdesk",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}
ENV_NAMES = {
    "DJANGO_DEBUG",
    "DJANGO_SECRET_KEY",
    "DJANGO_ALLOWED_HOSTS",
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "EMAIL_URL",
    "LOG_FORMAT",
    "DJANGO_SECURE_HSTS_SECONDS",
    "ERP_AUTH_ENABLED",
    "ERP_GATEWAY",
    "ORACLE_DSN",
    "ORACLE_HOST",
    "ORACLE_SERVICE",
    "ORACLE_USER",
    "ORACLE_PASSWORD",
    "LOGIN_FAILURE_LIMIT",
    "LOGIN_PAUSE_MINUTES",
    "LOGIN_FAILURE_MEMORY_HOURS",
    "ORACLE_DRIVER_MODE",
    "ORACLE_CLIENT_LIB_DIR",
    "ERP_VALIDATE_FUNCTION",
}


def load_settings(module: str, monkeypatch, **env) -> dict:
    """Import a settings module afresh under the given environment; returns its names."""
    for name in ENV_NAMES | {f"{n}_FILE" for n in ENV_NAMES}:
        # setenv first so that teardown also removes what a .env file may add.
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    monkeypatch.setenv("DJANGO_ENV_FILE", env.pop("DJANGO_ENV_FILE", ""))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    names = ("helpdesk.settings.base", f"helpdesk.settings.{module}")
    saved = {name: sys.modules.pop(name, None) for name in names}
    try:
        loaded = importlib.import_module(f"helpdesk.settings.{module}")
        return {key: getattr(loaded, key) for key in dir(loaded) if key.isupper()}
    finally:
        for name, previous in saved.items():
            sys.modules.pop(name, None)
            if previous is not None:
                sys.modules[name] = previous


def test_embedded_default_needs_no_servers(monkeypatch):
    values = load_settings("base", monkeypatch)
    assert values["DATABASES"]["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert str(values["DATABASES"]["default"]["NAME"]).endswith("var/helpdesk.sqlite3")
    assert values["CHANNEL_LAYERS"]["default"]["BACKEND"] == "channels.layers.InMemoryChannelLayer"
    assert values["CELERY_TASK_ALWAYS_EAGER"] is True
    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert values["LANGUAGE_CODE"] == "ru"


def test_redis_url_switches_on_the_redis_stack(monkeypatch):
    values = load_settings("base", monkeypatch, REDIS_URL="redis://127.0.0.1:6379/3")
    backend = values["CHANNEL_LAYERS"]["default"]["BACKEND"]
    assert backend == "helpdesk.channel_layer.RedisChannelLayer"
    assert values["CACHES"]["default"]["BACKEND"].endswith("RedisCache")
    assert values["CELERY_BROKER_URL"] == "redis://127.0.0.1:6379/3"
    assert values["CELERY_TASK_ALWAYS_EAGER"] is False


@pytest.mark.parametrize(
    ("url", "engine"),
    [
        ("sqlite:////tmp/x.sqlite3", "django.db.backends.sqlite3"),
        ("mysql://root@127.0.0.1:3306/helpdesk", "django.db.backends.mysql"),
    ],
)
def test_database_url_schemes(monkeypatch, url, engine):
    values = load_settings("base", monkeypatch, DATABASE_URL=url)
    assert values["DATABASES"]["default"]["ENGINE"] == engine


@pytest.mark.parametrize("scheme", ["postgres", "postgresql", "pgsql"])
def test_postgres_is_refused_until_the_search_is_tested_on_it(monkeypatch, scheme):
    with pytest.raises(ImproperlyConfigured, match="PostgreSQL is not supported yet"):
        load_settings("base", monkeypatch, DATABASE_URL=f"{scheme}://u:p@127.0.0.1:5432/helpdesk")


def test_mysql_gets_utf8mb4(monkeypatch):
    values = load_settings("base", monkeypatch, DATABASE_URL="mysql://root@127.0.0.1:3306/helpdesk")
    database = values["DATABASES"]["default"]
    assert database["OPTIONS"]["charset"] == "utf8mb4"
    assert database["TEST"]["COLLATION"] == "utf8mb4_unicode_ci"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DATABASE_URL": "oracle://x@y/z"}, "DATABASE_URL"),
        ({"DJANGO_DEBUG": "perhaps"}, "DJANGO_DEBUG"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT"),
        ({"LOGIN_FAILURE_LIMIT": "0"}, "LOGIN_FAILURE_LIMIT"),
        ({"LOGIN_PAUSE_MINUTES": "1,five"}, "LOGIN_PAUSE_MINUTES"),
        ({"LOGIN_PAUSE_MINUTES": "0,5"}, "LOGIN_PAUSE_MINUTES"),
        ({"LOGIN_FAILURE_MEMORY_HOURS": "0"}, "LOGIN_FAILURE_MEMORY_HOURS"),
        ({"API_TOKEN_FAILURE_LIMIT": "many"}, "API_TOKEN_FAILURE_LIMIT"),
        ({"API_TOKEN_FAILURE_WINDOW": "0"}, "API_TOKEN_FAILURE_WINDOW"),
    ],
)
def test_bad_values_name_the_variable(monkeypatch, env, named):
    with pytest.raises(ImproperlyConfigured, match=named):
        load_settings("base", monkeypatch, **env)


def test_dot_env_file_is_honoured_but_the_environment_wins(monkeypatch, tmp_path):
    dot_env = tmp_path / ".env"
    dot_env.write_text("LOG_FORMAT=json\nREDIS_URL=redis://127.0.0.1:6379/7\n")
    values = load_settings(
        "base", monkeypatch, DJANGO_ENV_FILE=str(dot_env), REDIS_URL="redis://127.0.0.1:6379/8"
    )
    assert values["LOG_FORMAT"] == "json"
    assert values["REDIS_URL"] == "redis://127.0.0.1:6379/8"


def test_secret_from_file(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text(STRONG_KEY)
    env = {**PRODUCTION_ENV, "DJANGO_SECRET_KEY_FILE": str(secret)}
    del env["DJANGO_SECRET_KEY"]
    values = load_settings("production", monkeypatch, **env)
    assert values["SECRET_KEY"] == STRONG_KEY


def test_production_settings_are_hardened(monkeypatch):
    values = load_settings("production", monkeypatch, **PRODUCTION_ENV)
    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"]
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["ALLOWED_HOSTS"] == ["helpdesk.example.com"]


@pytest.mark.parametrize(
    "missing", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"]
)
def test_production_refuses_missing_values(monkeypatch, missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    with pytest.raises(ImproperlyConfigured, match=missing):
        load_settings("production", monkeypatch, **env)


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ({"DJANGO_SECRET_KEY": "short"}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_ALLOWED_HOSTS": "*"}, "DJANGO_ALLOWED_HOSTS"),
        ({"DJANGO_SECURE_HSTS_SECONDS": "a year"}, "DJANGO_SECURE_HSTS_SECONDS"),
    ],
)
def test_production_refuses_bad_values(monkeypatch, override, named):
    with pytest.raises(ImproperlyConfigured, match=named):
        load_settings("production", monkeypatch, **{**PRODUCTION_ENV, **override})


FAKE_ERP = "accounts.erp_fake.FakeERPGateway"
ERP_ENV = {"ERP_AUTH_ENABLED": "true", "ORACLE_USER": "XX_HELPDESK_RO", "ORACLE_PASSWORD": "pw"}


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ({}, "ORACLE_DSN"),
        ({"ORACLE_DSN": "db:1521/EBS", "ORACLE_USER": ""}, "ORACLE_USER"),
        ({"ORACLE_HOST": "db", "ORACLE_PASSWORD": ""}, "ORACLE_PASSWORD"),
        ({"ORACLE_DSN": "db:1521/EBS", "ERP_GATEWAY": FAKE_ERP}, "ERP_GATEWAY"),
    ],
)
def test_production_erp_sign_in_needs_its_connection(monkeypatch, override, named):
    env = {**PRODUCTION_ENV, **ERP_ENV, **override}
    with pytest.raises(ImproperlyConfigured, match=named):
        load_settings("production", monkeypatch, **{k: v for k, v in env.items() if v})


def test_production_erp_sign_in_installs_the_backend_and_the_schedule(monkeypatch):
    env = {**PRODUCTION_ENV, **ERP_ENV, "ORACLE_HOST": "db", "ORACLE_SERVICE": "EBS"}
    values = load_settings("production", monkeypatch, **env)
    assert values["AUTHENTICATION_BACKENDS"] == [
        "accounts.lockout.LockoutBackend",
        "django.contrib.auth.backends.ModelBackend",
        "accounts.backends.OracleERPBackend",
    ]
    assert "erp-directory-sync" in values["CELERY_BEAT_SCHEDULE"]
    assert "OracleERPBackend" not in str(
        load_settings("base", monkeypatch)["AUTHENTICATION_BACKENDS"]
    )


@pytest.mark.parametrize(
    ("env", "mode"),
    [
        ({}, "thin"),
        ({"ORACLE_DRIVER_MODE": "THICK"}, "thick"),
        ({"ORACLE_CLIENT_LIB_DIR": "/opt/oracle/instantclient_19_25"}, "thick"),
    ],
)
def test_the_oracle_driver_mode(monkeypatch, env, mode):
    assert load_settings("base", monkeypatch, **env)["ORACLE_DRIVER_MODE"] == mode


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"ORACLE_DRIVER_MODE": "thik"}, "ORACLE_DRIVER_MODE"),
        (
            {"ORACLE_DRIVER_MODE": "thin", "ORACLE_CLIENT_LIB_DIR": "/opt/ic"},
            "ORACLE_CLIENT_LIB_DIR",
        ),
        ({"ERP_VALIDATE_FUNCTION": "APPS.FND_USER_PKG.VALIDATELOGIN"}, "ERP_AUTH_PACKAGE"),
    ],
)
def test_bad_oracle_settings_stop_the_start(monkeypatch, env, named):
    with pytest.raises(ImproperlyConfigured, match=named):
        load_settings("base", monkeypatch, **env)


def _manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ENV_NAMES}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "DJANGO_ENV_FILE": "", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={**PRODUCTION_ENV, "DJANGO_SETTINGS_MODULE": "helpdesk.settings.production"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_start_fails_with_the_variable_name():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "DJANGO_SECRET_KEY"}
    result = _manage("check", env={**env, "DJANGO_SETTINGS_MODULE": "helpdesk.settings.production"})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set in production" in result.stderr
