"""Is a service usable? Used by the Makefile (the MariaDB pass, `make stack`) and by
scripts/suite_servers.py.

It tells apart what needs different fixes: nothing answers (start the server), the server
refuses the credentials (fix the user or the URL) and a URL that cannot work (fix the URL).

Exit codes: 0 usable; 3 not usable (skip on a laptop); 2 not usable while CI=true.
With --create, a MySQL/MariaDB database named in the URL is created when missing.
"""

import argparse
import os
import sys
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

UNREACHABLE, UNREACHABLE_IN_CI = 3, 2

NOT_RUNNING, ACCESS_DENIED, WRONG_URL = "not running", "access denied", "wrong URL"

# MySQL client and server error codes (mysqld_error.h, errmsg.h).
MYSQL_ACCESS_DENIED = {1044, 1045, 1698}
MYSQL_UNKNOWN_HOST = 2005
MYSQL_NOT_RUNNING = {2002, 2003, 2006, 2013}


@dataclass
class Probe:
    """What trying the URL found; ``problem`` is None when the service is usable."""

    url: str
    problem: str | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def where(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.hostname}:{parts.port or default_port(parts.scheme)}"

    def explain(self) -> str:
        """One paragraph: what is wrong and what fixes it."""
        name = service_name(self.url)
        if self.problem == NOT_RUNNING:
            return f"{name}: nothing answers on {self.where} ({self.detail})."
        if self.problem == ACCESS_DENIED:
            user = unquote(urlsplit(self.url).username or "root")
            if name == "MariaDB":
                why = (
                    "Debian's MariaDB lets root in only through the unix socket. Give"
                    if user == "root"
                    else "Check the password in the URL and that the user may connect from "
                    "this host, or give"
                )
                return (
                    f"MariaDB on {self.where} denies {user!r} ({self.detail}). {why} "
                    "the tests a user of their own:\n"
                    "  sudo mariadb -e \"CREATE USER 'helpdesk'@'127.0.0.1' IDENTIFIED BY "
                    "'helpdesk'; GRANT ALL ON *.* TO 'helpdesk'@'127.0.0.1' WITH GRANT OPTION\"\n"
                    "  make test MARIADB_URL=mysql://helpdesk:helpdesk@127.0.0.1:3306/helpdesk"
                )
            return (
                f"Redis on {self.where} refuses the connection's credentials ({self.detail}): "
                "put the password in the URL, redis://:PASSWORD@host:port/db."
            )
        if self.problem == WRONG_URL:
            return f"{name}: the URL {self.url!r} cannot work: {self.detail}."
        return f"{name} on {self.where} is usable."


def service_name(url: str) -> str:
    scheme = urlsplit(url).scheme
    return {"mysql": "MariaDB", "mysql2": "MariaDB", "redis": "Redis", "rediss": "Redis"}.get(
        scheme, scheme or "service"
    )


def default_port(scheme: str) -> int | None:
    return {"mysql": 3306, "mysql2": 3306, "redis": 6379, "rediss": 6379}.get(scheme)


def probe_mysql(url: str, *, create: bool = False) -> Probe:
    import MySQLdb

    parts = urlsplit(url)
    try:
        connection = MySQLdb.connect(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 3306,
            user=unquote(parts.username or "root"),
            password=unquote(parts.password or ""),
            connect_timeout=3,
            charset="utf8mb4",
        )
    except MySQLdb.OperationalError as exc:
        code, message = exc.args[0], exc.args[-1]
        if code in MYSQL_ACCESS_DENIED:
            return Probe(url, ACCESS_DENIED, message)
        if code == MYSQL_UNKNOWN_HOST:
            return Probe(url, WRONG_URL, f"unknown host {parts.hostname!r}")
        if code in MYSQL_NOT_RUNNING:
            return Probe(url, NOT_RUNNING, message)
        return Probe(url, NOT_RUNNING, f"{code}: {message}")
    name = parts.path.lstrip("/")
    if create and name:
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE DATABASE IF NOT EXISTS `{name}` "
                "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
            )
    connection.close()
    return Probe(url)


def probe_redis(url: str) -> Probe:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=5).ping()
    except redis.AuthenticationError as exc:
        return Probe(url, ACCESS_DENIED, str(exc))
    except redis.ResponseError as exc:
        if "NOAUTH" in str(exc) or "WRONGPASS" in str(exc):
            return Probe(url, ACCESS_DENIED, str(exc))
        return Probe(url, WRONG_URL, str(exc))  # e.g. a database number the server lacks
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        text = str(exc)
        if "Name or service not known" in text or "Temporary failure in name" in text:
            return Probe(url, WRONG_URL, f"unknown host {urlsplit(url).hostname!r}")
        return Probe(url, NOT_RUNNING, text)
    return Probe(url)


def probe(url: str, *, create: bool = False) -> Probe:
    """Try the service a URL names; never raises for what a wrong setup can cause."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError on a port that is not a number)
    except ValueError as exc:
        return Probe(url, WRONG_URL, str(exc))
    if parts.scheme in {"mysql", "mysql2"}:
        return probe_mysql(url, create=create)
    if parts.scheme in {"redis", "rediss"}:
        return probe_redis(url)
    return Probe(url, WRONG_URL, f"unsupported scheme {parts.scheme!r} (mysql:// or redis://)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--create", action="store_true")
    args = parser.parse_args()
    result = probe(args.url, create=args.create)
    if result.ok:
        return 0
    print(result.explain(), file=sys.stderr)
    if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
        print("CI=true: this service must be available", file=sys.stderr)
        return UNREACHABLE_IN_CI
    return UNREACHABLE


if __name__ == "__main__":
    sys.exit(main())
