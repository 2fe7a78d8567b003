"""Tickets work on their own: without the notifications, integrations, sla and reports
apps installed."""

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import os, sys
    os.environ["DJANGO_ENV_FILE"] = ""
    os.environ["DATABASE_URL"] = "sqlite:///" + sys.argv[1]
    from django.conf import settings
    import helpdesk.settings.test as base
    values = {name: getattr(base, name) for name in dir(base) if name.isupper()}
    values["INSTALLED_APPS"] = [
        app for app in base.INSTALLED_APPS if app not in sys.argv[2].split(",")
    ]
    settings.configure(**values)
    import django
    django.setup()
    from django.core.management import call_command
    from django.test import Client
    call_command("migrate", verbosity=0)
    from accounts.roles import Role
    from accounts.services import user_set_roles
    from accounts.models import User
    from tickets import services
    from tickets.models import Queue
    from tickets.workflow import workflow
    agent = User.objects.create_user("agent", password="x")
    user_set_roles(user=agent, roles={Role.AGENT})
    queue = Queue.objects.create(name="HD", key_prefix="HD", slug="hd")
    queue.members.add(agent)
    ticket = services.ticket_create(actor=agent, queue=queue, title="Принтер", requester=agent)
    services.comment_add(actor=agent, ticket=ticket, body="Проверяем")
    moved = workflow().statuses[1]
    services.ticket_move(actor=agent, ticket=ticket, status=moved, version=ticket.version)
    client = Client()
    client.force_login(agent)
    for url in (
        "/", "/tickets/", "/tickets/HD-1/", "/board/", "/tickets/?q=принтера",
        "/api/v1/tickets/",
    ):
        assert client.get(url).status_code == 200, url
    client.force_login(User.objects.create_superuser("root", password="x"))
    assert client.get("/admin/").status_code == 200
    print("ok", ticket.key)
    """
)


def test_tickets_run_without_the_other_apps(tmp_path):
    removed = "notifications,integrations,sla,reports"
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "alone.sqlite3"), removed],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("ok HD-1")
