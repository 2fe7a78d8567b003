"""Rebuild the full-text search index of every ticket (or of some), with progress."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from tickets.models import Ticket
from tickets.search import index_tickets

BATCH = 500


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
        rows = 0
        for start in range(0, len(ids), BATCH):
            with transaction.atomic():
                rows += index_tickets(ids[start : start + BATCH])
            done = min(start + BATCH, len(ids))
            self.stdout.write(f"\r  {done}/{len(ids)} tickets", ending="")
            self.stdout.flush()
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Indexed {len(ids)} tickets ({rows} terms)."))
