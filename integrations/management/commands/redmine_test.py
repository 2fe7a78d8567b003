"""Check the Redmine connection: API, key, projects, what is mapped."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from integrations.connection_advice import redmine_advice
from integrations.redmine.check import check
from integrations.redmine.client import RedmineError


class Command(BaseCommand):
    help = "Check that Redmine answers, the key is valid and the mapped projects are visible."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = check()
        except RedmineError as exc:
            raise CommandError(f"{redmine_advice(exc)}\n({exc.message})") from exc
        for line in report.lines:
            self.stdout.write(line)
        for problem in report.problems:
            self.stdout.write(self.style.WARNING(problem))
        if not report.ok:
            raise CommandError(f"{len(report.problems)} problem(s), see above")
        self.stdout.write(self.style.SUCCESS("OK"))
