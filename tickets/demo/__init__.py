"""Demo data: the demo queues and realistic tickets (``manage.py seed_demo``, the benchmark).

Tickets are written in bulk here, not through ``tickets.services``. The services are the
only writers of real tickets, one ticket per transaction with row locks, per-ticket key
and rank queries and domain signals; 20,000 demo tickets that way take far too long and
would wake every signal receiver (notifications, Redmine) for invented data. ``load``
writes the same rows the services would have written (keys and the key counter, ranks,
the ``created``, status and comment history, tags, watchers and the search index) in
batches, one transaction per batch, so an interrupted run leaves whole batches only.
It is for demo and benchmark data only.

Everything is drawn from ``random.Random`` generators seeded with ``--seed`` and the
ticket's number in the demo set (``plans``), so a seed always gives the same tickets,
whatever the batch size, and a larger count adds tickets without changing the existing
ones. The words come from ``text``.
"""

from tickets.demo.load import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_COMMENTS_PER_TICKET,
    BatchReport,
    LoadResult,
    demo_tickets_load,
)
from tickets.demo.plans import comment_counts, demo_anchor, ticket_plan
from tickets.demo.queues import DEMO_PREFIXES, DEMO_QUEUES, demo_queues_ensure, demo_ticket_count
from tickets.demo.text import RARE_WORD

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_COMMENTS_PER_TICKET",
    "DEMO_PREFIXES",
    "DEMO_QUEUES",
    "RARE_WORD",
    "BatchReport",
    "LoadResult",
    "comment_counts",
    "demo_anchor",
    "demo_queues_ensure",
    "demo_ticket_count",
    "demo_tickets_load",
    "ticket_plan",
]
