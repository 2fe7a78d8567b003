"""Checks that only mean something on the production database (MariaDB/MySQL)."""

import pytest
from django.db import connection

from accounts.models import User
from accounts.tests.factories import UserFactory

pytestmark = [pytest.mark.mariadb, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _on_mysql():
    if connection.vendor != "mysql":
        pytest.skip("MariaDB-only check: runs in the MariaDB pass (DATABASE_URL=mysql://...)")


def test_connection_is_utf8mb4_and_strict():
    with connection.cursor() as cursor:
        cursor.execute("SELECT @@character_set_connection, @@sql_mode, @@tx_isolation")
        charset, sql_mode, isolation = cursor.fetchone()
    assert charset == "utf8mb4"
    assert "STRICT_TRANS_TABLES" in sql_mode
    assert isolation == "READ-COMMITTED"


def test_cyrillic_and_emoji_round_trip():
    user = UserFactory(display_name="Ёлкина Наталья 🎄")
    assert User.objects.get(pk=user.pk).display_name == "Ёлкина Наталья 🎄"


def test_tables_use_a_utf8mb4_collation():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT TABLE_COLLATION FROM information_schema.TABLES "
            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'accounts_user'"
        )
        (collation,) = cursor.fetchone()
    assert collation.startswith("utf8mb4")
