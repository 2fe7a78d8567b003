"""The demo queues and their agents."""

from dataclasses import dataclass

from django.db import transaction

from accounts.models import User
from tickets.models import Queue, Ticket, WipLimit
from tickets.workflow import workflow


@dataclass(frozen=True)
class DemoQueue:
    prefix: str
    name: str
    slug: str
    description: str
    members: tuple[str, ...]
    default_assignee: str | None = None
    wip_limits: tuple[tuple[str, int], ...] = ()


DEMO_QUEUES = (
    DemoQueue(
        "HD",
        "Служба поддержки",
        "servicedesk",
        "Учётные записи, почта, доступы, программы и всё, что не нашло другой очереди.",
        members=("agent1", "agent2"),
        wip_limits=(("in_progress", 10),),
    ),
    DemoQueue(
        "NET",
        "Сеть и связь",
        "network",
        "Локальная сеть, Wi-Fi, VPN и телефония.",
        members=("agent2", "agent3"),
    ),
    DemoQueue(
        "ERP",
        "1С и учёт",
        "erp",
        "Базы 1С: ошибки, права, обновления и отчёты.",
        members=("agent1", "agent3"),
    ),
    DemoQueue(
        "HW",
        "Оборудование",
        "hardware",
        "Принтеры, ноутбуки, мониторы и прочая техника.",
        members=("agent3", "agent1"),
        default_assignee="agent3",
    ),
)
DEMO_PREFIXES = tuple(queue.prefix for queue in DEMO_QUEUES)

# --- Queues ---------------------------------------------------------------------------


@transaction.atomic
def demo_queues_ensure() -> dict[str, Queue]:
    """Create the demo queues that are missing and give them their agents (idempotent).

    Existing queues keep what operators changed in the admin; only missing members and
    WIP limits are added.
    """
    users = {user.username: user for user in User.objects.filter(username__startswith="agent")}
    statuses = {status.code: status for status in workflow().statuses}
    queues = {}
    for spec in DEMO_QUEUES:
        queue, _created = Queue.objects.get_or_create(
            key_prefix=spec.prefix,
            defaults={
                "name": spec.name,
                "slug": spec.slug,
                "description": spec.description,
                "default_assignee": users.get(spec.default_assignee or ""),
            },
        )
        queue.members.add(*(users[name] for name in spec.members if name in users))
        for code, limit in spec.wip_limits:
            if code in statuses:
                WipLimit.objects.get_or_create(
                    queue=queue, status=statuses[code], defaults={"limit": limit}
                )
        queues[spec.prefix] = queue
    return queues


def demo_ticket_count() -> int:
    """Tickets in the demo queues, whoever made them."""
    return Ticket.objects.filter(queue__key_prefix__in=DEMO_PREFIXES).count()
