"""Fixtures the notifications tests borrow: the sla app's calendar and urgent policy."""

from sla.tests.conftest import moscow_office, urgent_policy

__all__ = ["moscow_office", "urgent_policy"]
