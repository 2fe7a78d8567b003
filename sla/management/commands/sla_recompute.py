"""Recompute the service-level clocks from the tickets' history (after a policy or
calendar change), with a progress bar."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sla.services import clocks_recompute
from tickets.models import Queue

BAR_WIDTH = 30


class Command(BaseCommand):
    help = "Recompute the service-level clocks of every ticket (or of one queue)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--queue", help="Only this queue (its slug or key prefix).")

    def progress(self, done: int, total: int) -> None:
        filled = BAR_WIDTH * done // total if total else BAR_WIDTH
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        self.stdout.write(f"\r  [{bar}] {done}/{total} tickets", ending="")
        self.stdout.flush()

    def handle(self, *args: Any, queue: str | None = None, **options: Any) -> None:
        queue_id = None
        if queue:
            found = (
                Queue.objects.filter(slug=queue).first()
                or Queue.objects.filter(key_prefix=queue.upper()).first()
            )
            if found is None:
                raise CommandError(f"No queue {queue!r}.")
            queue_id = found.pk
        written = clocks_recompute(queue_id=queue_id, progress=self.progress)
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"{written} clocks computed."))
