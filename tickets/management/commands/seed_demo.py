"""Demo data: the personas, the demo queues and as many demo tickets as asked for."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accounts.demo import (
    DEFAULT_PASSWORD,
    PERSONAS,
    DemoPasswordRefused,
    demo_password_check,
    demo_personas_ensure,
)
from tickets.demo import (
    DEFAULT_BATCH_SIZE,
    DEMO_QUEUES,
    BatchReport,
    demo_queues_ensure,
    demo_tickets_load,
)


class Command(BaseCommand):
    help = (
        "Create or refresh the demo users (admin, manager, agent1-3, requester1-3) and the "
        "demo queues (HD, NET, ERP, HW), then add demo tickets with comments and history "
        "until the demo queues hold at least --tickets of them. Idempotent: the same "
        "--tickets twice adds nothing, a larger one tops up. The same --seed gives the same "
        "tickets. Demo tickets are written in bulk, not through tickets.services, so that "
        "thousands load in minutes and no notifications are sent for invented data; this "
        "is for demo and benchmark data only."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--password",
            default=None,
            help=f"password for every demo user (default '{DEFAULT_PASSWORD}', "
            "only allowed with DEBUG on)",
        )
        parser.add_argument(
            "--tickets",
            type=int,
            default=0,
            metavar="N",
            help="make sure the demo queues hold at least N tickets (default 0: users and "
            "queues only; make run uses 60)",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=1,
            help="random seed of the demo tickets (default 1)",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            help=f"tickets written per transaction (default {DEFAULT_BATCH_SIZE})",
        )

    def handle(
        self,
        *args: Any,
        password: str | None,
        tickets: int,
        seed: int,
        batch_size: int,
        **options: Any,
    ) -> None:
        if tickets < 0 or batch_size < 1:
            raise CommandError("--tickets must be 0 or more and --batch-size at least 1.")
        try:
            password = demo_password_check(password=password)
        except DemoPasswordRefused as exc:
            raise CommandError(str(exc)) from exc
        for user, created in demo_personas_ensure(password=password):
            self.stdout.write(f"  {'created' if created else 'updated'} {user.username}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo users ready: {', '.join(p.username for p in PERSONAS)} "
                f"(password: {'as given' if password != DEFAULT_PASSWORD else DEFAULT_PASSWORD})"
            )
        )
        demo_queues_ensure()
        self.stdout.write(
            f"Demo queues ready: {', '.join(f'{q.prefix} {q.name}' for q in DEMO_QUEUES)}"
        )
        if tickets == 0:
            return
        result = demo_tickets_load(
            total=tickets, seed=seed, batch_size=batch_size, progress=self._progress
        )
        if result.created == 0:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo tickets ready: {result.existing} already there, none added."
                )
            )
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo tickets ready: {result.total} in the demo queues "
                f"({result.created} added with {result.comments} comments, "
                f"{result.events} history entries and {result.search_documents} search documents "
                f"in {result.seconds:.1f} s)."
            )
        )

    def _progress(self, report: BatchReport) -> None:
        self.stdout.write(
            f"  batch {report.batch}/{report.batches}: {report.tickets} tickets, "
            f"{report.comments} comments, {report.events} history entries, "
            f"{report.search_documents} search documents ({report.seconds:.1f} s)"
        )
