"""Is a service reachable? Used by the Makefile before the MariaDB pass and `make stack`.

Exit codes: 0 reachable; 3 unreachable (skip on a laptop); 2 unreachable while CI=true.
With --create, a MySQL/MariaDB database named in the URL is created when missing.
"""

import argparse
import os
import sys
from urllib.parse import unquote, urlsplit

UNREACHABLE, UNREACHABLE_IN_CI = 3, 2


def check_mysql(url, create: bool) -> None:
    import MySQLdb

    connection = MySQLdb.connect(
        host=url.hostname or "127.0.0.1",
        port=url.port or 3306,
        user=unquote(url.username or "root"),
        password=unquote(url.password or ""),
        connect_timeout=3,
        charset="utf8mb4",
    )
    name = url.path.lstrip("/")
    if create and name:
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE DATABASE IF NOT EXISTS `{name}` "
                "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
            )
    connection.close()


def check_redis(url) -> None:
    import redis

    redis.Redis.from_url(url.geturl(), socket_connect_timeout=3).ping()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--create", action="store_true")
    args = parser.parse_args()
    url = urlsplit(args.url)
    try:
        if url.scheme in {"mysql", "mysql2"}:
            check_mysql(url, args.create)
        elif url.scheme in {"redis", "rediss"}:
            check_redis(url)
        else:
            print(f"check_service: unsupported URL scheme {url.scheme!r}", file=sys.stderr)
            return 1
    except Exception as exc:
        in_ci = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
        where = f"{url.scheme}://{url.hostname}:{url.port or ''}"
        print(f"{where} is not reachable: {exc}", file=sys.stderr)
        if in_ci:
            print("CI=true: this service must be available", file=sys.stderr)
            return UNREACHABLE_IN_CI
        return UNREACHABLE
    return 0


if __name__ == "__main__":
    sys.exit(main())
