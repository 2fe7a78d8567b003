"""What the integration commands share: a progress bar and the run's summary."""

from django.core.management.base import BaseCommand, CommandError

from integrations.models import SyncRun

BAR_WIDTH = 30


class RunCommand(BaseCommand):
    unit = "items"

    def progress(self, done: int, total: int) -> None:
        filled = BAR_WIDTH * done // total if total else BAR_WIDTH
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        self.stdout.write(f"\r  [{bar}] {done}/{total} {self.unit}", ending="")
        self.stdout.flush()

    def report(self, run: SyncRun) -> None:
        """Print the run's counts and errors; a failed or skipped run is a CommandError."""
        self.stdout.write("")
        counts = [
            f"{name} {getattr(run, name)}"
            for name in ("created", "updated", "unchanged", "deactivated", "failed")
            if getattr(run, name) or name in ("updated", "unchanged", "failed")
        ]
        summary = f"{run.get_outcome_display()}: {', '.join(counts)} in {run.duration}."
        for error in run.errors:
            self.stderr.write(f"  {error['item']}: {error['error']}")
        if run.outcome in (SyncRun.Outcome.FAILED, SyncRun.Outcome.SKIPPED):
            raise CommandError(f"{summary} {run.message}")
        style = self.style.WARNING if run.failed else self.style.SUCCESS
        self.stdout.write(style(summary))
