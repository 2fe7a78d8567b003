"""Factories for tickets. Tickets and comments are made through the services, so keys,
history and the search index are those of real use."""

from collections.abc import Iterable
from typing import Any

import factory
from django.utils.text import slugify

from accounts.models import User
from accounts.roles import Role
from accounts.tests.factories import UserFactory, typed_factory
from tickets import services
from tickets.models import Comment, Priority, Queue, Source, Status, Ticket
from tickets.workflow import ensure_default_workflow


def status(code: str) -> Status:
    ensure_default_workflow()
    return Status.objects.get(code=code)


def priority(code: str) -> Priority:
    ensure_default_workflow()
    return Priority.objects.get(code=code)


class _QueueFactory(factory.django.DjangoModelFactory[Queue]):
    class Meta:
        model = Queue
        django_get_or_create = ("key_prefix",)
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Очередь {n}")
    key_prefix = factory.Sequence(lambda n: f"Q{n}")
    slug = factory.LazyAttribute(lambda queue: slugify(queue.key_prefix))

    @factory.post_generation
    def members(
        queue: Queue, create: bool, extracted: Iterable[User] | None, **kwargs: Any
    ) -> None:
        if create and extracted:
            queue.members.add(*extracted)


QueueFactory = typed_factory(_QueueFactory)


class _TicketFactory(factory.Factory[Ticket]):
    """``TicketFactory(queue=..., requester=...)``; extra keywords go to ``ticket_create``."""

    class Meta:
        model = dict

    queue = factory.SubFactory(QueueFactory)
    title = factory.Sequence(lambda n: f"Заявка {n}")
    description = "Не печатает принтер в бухгалтерии."
    requester = factory.SubFactory(UserFactory, roles=[Role.REQUESTER])
    source = Source.WEB

    @classmethod
    def _create(cls, model_class: type[Any], *, actor: User | None = None, **kwargs: Any) -> Ticket:
        ensure_default_workflow()
        return services.ticket_create(actor=actor, **kwargs)

    @classmethod
    def _build(cls, model_class: type[Any], *args: Any, **kwargs: Any) -> Ticket:
        raise NotImplementedError("tickets are only made through ticket_create")


TicketFactory = typed_factory(_TicketFactory)


def comment(
    ticket: Ticket, author: User, body: str = "Спасибо, проверяем.", **kwargs: Any
) -> Comment:
    return services.comment_add(actor=author, ticket=ticket, body=body, **kwargs)
