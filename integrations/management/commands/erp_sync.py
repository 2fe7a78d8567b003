"""Run the ERP directory sync now, with a progress bar."""

from argparse import ArgumentParser
from typing import Any

from integrations.erp.sync import sync_directory
from integrations.management.runs import RunCommand


class Command(RunCommand):
    help = (
        "Refresh ERP-backed users from Oracle E-Business Suite and deactivate ended ones. "
        "Incremental from the last successful run unless --full."
    )
    unit = "users"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--full", action="store_true", help="ask the ERP about every ERP-backed user"
        )

    def handle(self, *args: Any, full: bool, **options: Any) -> None:
        self.report(sync_directory(full=full, trigger="erp_sync command", progress=self.progress))
