"""SQLite's real limit of variables per statement, for Django's batch sizes.

Django 5.2 assumes 999 variables per statement on SQLite (the limit before SQLite 3.32),
so ``bulk_create`` splits 200 notifications into two INSERTs and their deliveries into
four. The library states its own limit (32,766 since 3.32); reading it when a connection
opens keeps a batch in one statement for a few thousand rows (Django 6 does the same).
"""

import sqlite3
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper


def use_real_variable_limit(sender: object, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """``connection_created`` receiver: tell the connection's features the real limit."""
    if connection.vendor != "sqlite":
        return
    limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    if limit > connection.features.max_query_params:
        connection.features.max_query_params = limit
