"""Benchmark tickets by e-mail against a private Dovecot on loopback.

    .venv/bin/python scripts/bench_mail.py [--mails 1000] [--runs 5]

Starts Dovecot (Debian's dovecot-imapd; helpdesk/testing/dovecot.py) under a temporary
directory, puts ``--mails`` mails (UTF-8, KOI8-R and Windows-1251 in turn, every tenth with
a small attachment) into a fresh account with IMAP APPEND, and in a fresh Helpdesk SQLite
database in that directory times:

1. the poll that turns them into tickets (messages per second; target >= 50/s);
   The notifications' fan-out a new ticket starts is queued (an in-memory broker), as a
   worker runs it in production, not timed here;
2. a poll with nothing new (median of ``--runs``; target <= 200 ms).

Everything it started is stopped and removed at the end.
"""

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import bench_erp  # noqa: E402 - scripts/ is on the path of a script run from it

from helpdesk.testing import free_port  # noqa: E402
from helpdesk.testing.dovecot import PASSWORD, PASSWORD_ENV, DovecotServer  # noqa: E402
from integrations.mail.tests.mails import raw_mail  # noqa: E402

CHARSETS = ("utf-8", "koi8-r", "windows-1251")


def setup_django(directory: Path) -> None:
    """A fresh SQLite database in ``directory`` (as bench_erp.py), tasks queued not run."""
    bench_erp.setup_django(directory)
    # As in production, the tasks a new ticket starts (the notifications' fan-out) are
    # queued for a worker, here into an in-memory broker, not run inside the poll.
    from helpdesk.celery import app

    app.conf.task_always_eager = False
    app.conf.broker_url = "memory://"
    logging.getLogger().setLevel(logging.WARNING)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mails", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5, help="repetitions of the empty poll")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-mail-") as tmp:
        directory = Path(tmp)
        os.chmod(directory, 0o755)  # noqa: S103 - Dovecot's own users read its files
        server = DovecotServer(directory / "dovecot", free_port())
        server.start()
        try:
            run(server, directory, args)
        finally:
            server.stop()


def run(server: DovecotServer, directory: Path, args: argparse.Namespace) -> None:
    setup_django(directory)
    from accounts.roles import Role
    from accounts.tests.factories import UserFactory
    from integrations.mail.fetch import fetch_mail
    from integrations.models import Mailbox
    from tickets.models import Ticket
    from tickets.tests.factories import QueueFactory
    from tickets.workflow import ensure_default_workflow

    ensure_default_workflow()
    os.environ[PASSWORD_ENV] = PASSWORD
    agent = UserFactory(username="bench-agent", roles=[Role.AGENT])
    queue = QueueFactory(name="Почта", key_prefix="ML", slug="ml", members=[agent])
    senders = [UserFactory(username=f"sender{n}", roles=[Role.REQUESTER]).email for n in range(100)]
    account = server.add_user()
    mailbox = Mailbox.objects.create(
        queue=queue,
        address=account,
        host="127.0.0.1",
        port=server.port,
        security=Mailbox.Security.PLAIN,
        username=account,
        password_env=PASSWORD_ENV,
    )
    started = time.perf_counter()
    mails = [
        raw_mail(
            sender=senders[n % len(senders)],
            subject=f"Заявка номер {n}: не работает принтер",
            body="Здравствуйте!\n\nПринтер в кабинете 305 не печатает.\n\nС уважением,\nИван",
            charset=CHARSETS[n % len(CHARSETS)],
            attachment=("Фото.png", b"\x89PNG" + bytes(2000)) if n % 10 == 0 else None,
        )
        for n in range(args.mails)
    ]
    for start in range(0, len(mails), 200):
        server.append(account, *mails[start : start + 200])
    print(f"{args.mails} mails put into Dovecot in {time.perf_counter() - started:.1f} s")

    from django.conf import settings

    settings.MAIL_SENDER_MAX_PER_HOUR = args.mails  # 100 senders, 10 mails each
    started = time.perf_counter()
    first = fetch_mail(mailbox=mailbox, trigger="bench")
    elapsed = time.perf_counter() - started
    tickets = Ticket.objects.count()
    if (first.outcome, first.created, tickets) != ("success", args.mails, args.mails):
        sys.exit(f"unexpected: {first.outcome} created {first.created}, {tickets} tickets")
    rate = args.mails / elapsed
    print(f"Poll into tickets: {elapsed:.1f} s, {rate:.0f} mails/s (target >= 50/s)")

    times = []
    for _ in range(args.runs):
        started = time.perf_counter()
        empty = fetch_mail(mailbox=mailbox, trigger="bench")
        times.append(time.perf_counter() - started)
        if empty.created or empty.outcome != "success":
            sys.exit(f"the empty poll did something: {empty.outcome}, created {empty.created}")
    print(
        f"Empty poll: median {statistics.median(times) * 1000:.0f} ms, "
        f"max {max(times) * 1000:.0f} ms over {args.runs} (target <= 200 ms)"
    )


if __name__ == "__main__":
    main()
