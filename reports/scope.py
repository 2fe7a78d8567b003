"""What the dashboard counts for one viewer (see ``reports.dashboard.build_scope``)."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from tickets.models import Queue, Ticket


@dataclass
class Scope:
    """What the dashboard counts for one viewer: their tickets, the chosen queues and
    period (``start``..``end`` inclusive, local days)."""

    user: User
    tickets: QuerySet[Ticket]
    queues: list[Queue]
    queue_slugs: list[str]
    start: date
    end: date
    # Figures two sections share (the medians' durations), worked out once per page.
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def since(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def until(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))

    def list_url(self, **params: Any) -> str:
        """The ticket list narrowed to this scope's queues and ``params``."""
        query: list[tuple[str, str]] = [("queue", slug) for slug in self.queue_slugs]
        for name, value in params.items():
            query.extend((name, str(item)) for item in _as_list(value))
        return f"{reverse('tickets:list')}?{urlencode(query)}"


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]
