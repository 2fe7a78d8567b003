"""Factories for tickets. Tickets and comments are made through the services, so keys,
history and the search index are those of real use."""

import factory
from django.utils.text import slugify

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from tickets import services
from tickets.models import Priority, Queue, Source, Status
from tickets.workflow import ensure_default_workflow


def status(code: str) -> Status:
    ensure_default_workflow()
    return Status.objects.get(code=code)


def priority(code: str) -> Priority:
    ensure_default_workflow()
    return Priority.objects.get(code=code)


class QueueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Queue
        django_get_or_create = ("key_prefix",)
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Очередь {n}")
    key_prefix = factory.Sequence(lambda n: f"Q{n}")
    slug = factory.LazyAttribute(lambda queue: slugify(queue.key_prefix))

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        if create and extracted:
            self.members.add(*extracted)


class TicketFactory(factory.Factory):
    """``TicketFactory(queue=..., requester=...)``; extra keywords go to ``ticket_create``."""

    class Meta:
        model = dict

    queue = factory.SubFactory(QueueFactory)
    title = factory.Sequence(lambda n: f"Заявка {n}")
    description = "Не печатает принтер в бухгалтерии."
    requester = factory.SubFactory(UserFactory, roles=[Role.REQUESTER])
    source = Source.WEB

    @classmethod
    def _create(cls, model_class, *, actor=None, **kwargs):
        ensure_default_workflow()
        return services.ticket_create(actor=actor, **kwargs)

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        raise NotImplementedError("tickets are only made through ticket_create")


def comment(ticket, author, body="Спасибо, проверяем.", **kwargs):
    return services.comment_add(actor=author, ticket=ticket, body=body, **kwargs)
