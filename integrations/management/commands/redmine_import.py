"""The first import of a large Redmine, from its database, with a progress bar."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError

from integrations.management.runs import RunCommand
from integrations.redmine.importer import import_from_db


class Command(RunCommand):
    help = (
        "Import the issues of the mapped Redmine projects straight from Redmine's database "
        "(REDMINE_DATABASE_URL, read-only); the REST sync then continues from there."
    )
    unit = "issues"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--from-db",
            action="store_true",
            required=True,
            help="read Redmine's database (the only source this command has)",
        )
        parser.add_argument(
            "--project", type=int, metavar="ID", help="only this Redmine project (its id)"
        )

    def handle(self, *args: Any, from_db: bool, project: int | None, **options: Any) -> None:
        if not from_db:
            raise CommandError("--from-db is required")
        self.report(
            import_from_db(
                project_id=project, trigger="redmine_import command", progress=self.progress
            )
        )
