"""What a test changes in the settings or in shared state: its own media directory, the
fake ERP switched on, and a cache cleared before every test."""

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pytest_django.fixtures import Settings

if TYPE_CHECKING:
    from accounts.erp_fake import FakeDirectory


@pytest.fixture
def media_root(settings: Settings, tmp_path: Path) -> Path:
    """Uploaded files go to a directory of the test's own."""
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.fixture
def fake_erp(settings: Settings, tmp_path: Path) -> "FakeDirectory":
    """ERP sign-in switched on against the fake ERP, whose directory the test fills."""
    from accounts.erp_fake import FakeDirectory

    directory = FakeDirectory(tmp_path / "erp-directory.json")
    settings.ERP_AUTH_ENABLED = True
    settings.ERP_GATEWAY = "accounts.erp_fake.FakeERPGateway"
    settings.ERP_FAKE_DIRECTORY = str(directory.path)
    settings.AUTHENTICATION_BACKENDS = [
        *settings.AUTHENTICATION_BACKENDS,
        "accounts.backends.OracleERPBackend",
    ]
    return directory


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    # The workflow (statuses, priorities, queues) is cached; a flushed or rolled-back
    # database must not be answered from an earlier test's cache.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _broker_not_known_away(monkeypatch: pytest.MonkeyPatch) -> None:
    # A test that stopped the broker must not leave the next one's tasks unoffered
    # (helpdesk/outbox.py BrokerBreaker is per process).
    from helpdesk import outbox

    monkeypatch.setattr(outbox, "broker", outbox.BrokerBreaker())
