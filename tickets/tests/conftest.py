"""Fixtures shared by the tickets tests."""

import pytest

from tickets.tests.factories import TicketFactory


@pytest.fixture
def make(queue, requester):
    """Make a ticket of the shared queue, filed by the requester: ``make(title,
    description, **fields)``."""

    def make(title, description="", **kwargs):
        return TicketFactory(
            queue=queue,
            requester=requester,
            actor=requester,
            title=title,
            description=description,
            **kwargs,
        )

    return make
