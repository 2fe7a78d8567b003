"""Run the ERP directory sync now, with a progress bar."""

from django.core.management.base import BaseCommand, CommandError

from integrations.erp.sync import sync_directory
from integrations.models import SyncRun

BAR_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Refresh ERP-backed users from Oracle E-Business Suite and deactivate ended ones. "
        "Incremental from the last successful run unless --full."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--full", action="store_true", help="ask the ERP about every ERP-backed user"
        )

    def _progress(self, done: int, total: int) -> None:
        filled = BAR_WIDTH * done // total if total else BAR_WIDTH
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        self.stdout.write(f"\r  [{bar}] {done}/{total} users", ending="")
        self.stdout.flush()

    def handle(self, *args, full: bool, **options):
        run = sync_directory(full=full, trigger="erp_sync command", progress=self._progress)
        self.stdout.write("")
        summary = (
            f"{run.get_outcome_display()}: updated {run.updated}, unchanged {run.unchanged}, "
            f"deactivated {run.deactivated}, failed {run.failed} in {run.duration}."
        )
        for error in run.errors:
            self.stderr.write(f"  {error['item']}: {error['error']}")
        if run.outcome in (SyncRun.Outcome.FAILED, SyncRun.Outcome.SKIPPED):
            raise CommandError(f"{summary} {run.message}")
        style = self.style.WARNING if run.failed else self.style.SUCCESS
        self.stdout.write(style(summary))
