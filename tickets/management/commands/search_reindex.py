"""Rebuild the full-text search documents of every ticket (or of some), with a progress bar."""

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from tickets.models import Ticket
from tickets.search import index_tickets

BATCH = 500
BAR_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Rebuild the search index (after a bulk import written outside the services). "
        "Each batch of tickets is rebuilt in its own transaction."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("keys", nargs="*", help="ticket keys (default: every ticket)")

    def handle(self, *args: Any, keys: list[str], **options: Any) -> None:
        tickets = Ticket.objects.order_by("pk")
        if keys:
            tickets = tickets.filter(key__in=[key.upper() for key in keys])
        ids = list(tickets.values_list("pk", flat=True))
        started = time.monotonic()
        written = 0
        for start in range(0, len(ids), BATCH):
            with transaction.atomic():
                written += index_tickets(ids[start : start + BATCH])
            self._progress(min(start + BATCH, len(ids)), len(ids), started)
        self.stdout.write("")
        seconds = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"Indexed {written} tickets in {seconds:.1f} s."))

    def _progress(self, done: int, total: int, started: float) -> None:
        filled = BAR_WIDTH * done // total
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        elapsed = time.monotonic() - started
        self.stdout.write(f"\r  [{bar}] {done}/{total} tickets, {elapsed:.0f} s", ending="")
        self.stdout.flush()
