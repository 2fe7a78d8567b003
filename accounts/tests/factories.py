from collections.abc import Iterable
from typing import Any, Protocol, TypeVar, cast

import factory
from django.contrib.auth.models import Group

from accounts.models import User

TEST_PASSWORD = "correct horse battery staple"

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class ModelFactory(Protocol[T_co]):
    """What the tests use of a factory: calling it makes one object. factory_boy types
    ``create()`` and ``build()`` but leaves the call, which the tests use, untyped."""

    def __call__(self, **kwargs: Any) -> T_co: ...


def typed_factory(factory_class: type[factory.Factory[T]]) -> ModelFactory[T]:
    """The factory class itself, seen by the type checker as making ``T``."""
    return cast("ModelFactory[T]", factory_class)


class _UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="ru_RU")
    last_name = factory.Faker("last_name", locale="ru_RU")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def roles(user: User, create: bool, extracted: Iterable[str] | None, **kwargs: Any) -> None:
        if create and extracted:
            user.groups.add(*(Group.objects.get_or_create(name=role)[0] for role in extracted))

    @classmethod
    def _after_postgeneration(
        cls, instance: User, create: bool, results: dict[str, Any] | None = None
    ) -> None:
        if create:
            instance.save()


UserFactory = typed_factory(_UserFactory)
