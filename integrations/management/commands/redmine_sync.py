"""Run the Redmine pull now (and send the pushes that are due), with a progress bar."""

from argparse import ArgumentParser
from typing import Any

from integrations.management.runs import RunCommand
from integrations.redmine.pull import pull


class Command(RunCommand):
    help = (
        "Pull changed Redmine issues of the mapped projects into their queues. Incremental "
        "from each project's cursor unless --full, which reads every issue and looks for "
        "deleted and moved ones."
    )
    unit = "issues"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--full", action="store_true", help="read every issue")
        parser.add_argument(
            "--project", type=int, metavar="ID", help="only this Redmine project (its id)"
        )

    def handle(self, *args: Any, full: bool, project: int | None, **options: Any) -> None:
        self.report(
            pull(
                full=full,
                project_id=project,
                trigger="redmine_sync command",
                progress=self.progress,
            )
        )
