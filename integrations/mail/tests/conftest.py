from collections.abc import Callable

import pytest

from helpdesk.testing.dovecot import PASSWORD, PASSWORD_ENV, DovecotServer
from integrations.models import Mailbox
from tickets.models import Queue
from tickets.workflow import ensure_default_workflow


@pytest.fixture
def make_mailbox(
    dovecot: DovecotServer, queue: Queue, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Mailbox]:
    """A mailbox of ``queue`` on a fresh Dovecot account (its password in a variable)."""
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    ensure_default_workflow()

    def make(**fields: object) -> Mailbox:
        user = dovecot.add_user()
        values = {
            "queue": queue,
            "address": user,
            "host": "127.0.0.1",
            "port": dovecot.port,
            "security": Mailbox.Security.PLAIN,
            "username": user,
            "password_env": PASSWORD_ENV,
            **fields,
        }
        return Mailbox.objects.create(**values)

    return make


@pytest.fixture
def mailbox(make_mailbox: Callable[..., Mailbox]) -> Mailbox:
    return make_mailbox()
