"""Fetch the mail of the mailboxes now, with a progress bar."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError

from integrations.mail.fetch import fetch_mail
from integrations.management.runs import RunCommand
from integrations.models import Mailbox


class Command(RunCommand):
    help = (
        "Fetch new mail of every active mailbox (or of --mailbox): new tickets, comments "
        "from replies, refusals recorded. Waits for no lock: a poll already running means "
        "this one is skipped."
    )
    unit = "mails"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--mailbox", metavar="ADDRESS", help="only this mailbox (its address)")

    def handle(self, *args: Any, mailbox: str | None, **options: Any) -> None:
        box = None
        if mailbox:
            box = Mailbox.objects.filter(address__iexact=mailbox).first()
            if box is None:
                raise CommandError(f"No mailbox {mailbox}.")
        self.report(fetch_mail(mailbox=box, trigger="mail_fetch command", progress=self.progress))
