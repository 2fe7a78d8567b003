"""The demo personas: admin, manager, agents and requesters (``manage.py seed_demo``)."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User
from accounts.roles import Role
from accounts.services import user_set_roles

DEFAULT_PASSWORD = "demo"  # noqa: S105 - demo-only, refused when DEBUG is off


class DemoPasswordRefused(Exception):
    """The password may not protect demo accounts on this site; the message says why."""


@dataclass(frozen=True)
class Persona:
    username: str
    first_name: str
    last_name: str
    department: str
    role: Role | None
    superuser: bool = False


PERSONAS = [
    Persona("admin", "Ольга", "Администраторова", "ИТ-департамент", None, superuser=True),
    Persona("manager", "Михаил", "Руководителев", "ИТ-департамент", Role.MANAGER),
    Persona("agent1", "Анна", "Смирнова", "Служба поддержки", Role.AGENT),
    Persona("agent2", "Дмитрий", "Кузнецов", "Служба поддержки", Role.AGENT),
    Persona("agent3", "Елена", "Попова", "Служба поддержки", Role.AGENT),
    Persona("requester1", "Иван", "Петров", "Бухгалтерия", Role.REQUESTER),
    Persona("requester2", "Мария", "Соколова", "Отдел кадров", Role.REQUESTER),
    Persona("requester3", "Сергей", "Васильев", "Склад", Role.REQUESTER),
]


def demo_password_check(*, password: str | None) -> str:
    """The password to give the personas; raises ``DemoPasswordRefused`` when unsafe."""
    if settings.DEBUG:
        return password or DEFAULT_PASSWORD
    # Demo accounts on a real site must not share a guessable password.
    if not password or password == DEFAULT_PASSWORD:
        raise DemoPasswordRefused(
            "DEBUG is off: the default demo password is refused. Pass a strong one with --password."
        )
    try:
        validate_password(password)
    except ValidationError as exc:
        raise DemoPasswordRefused("--password is too weak: " + " ".join(exc.messages)) from exc
    return password


def _persona_upsert(*, persona: Persona, password: str) -> tuple[User, bool]:
    user, created = User.objects.get_or_create(username=persona.username)
    user.first_name = persona.first_name
    user.last_name = persona.last_name
    user.email = f"{persona.username}@example.com"
    user.department = persona.department
    user.is_active = True
    user.is_superuser = persona.superuser
    user.is_staff = persona.superuser or persona.role == Role.MANAGER
    user.set_password(password)
    user.save()
    user_set_roles(user=user, roles={persona.role} if persona.role else set())
    return user, created


@transaction.atomic
def demo_personas_ensure(*, password: str) -> list[tuple[User, bool]]:
    """Create or refresh every persona with ``password``; returns (user, created) pairs."""
    return [_persona_upsert(persona=persona, password=password) for persona in PERSONAS]


# Colleagues who file tickets in the demo data. They cannot sign in (no usable password):
# they exist so that lists and filters show more than three requesters.
EMPLOYEES = [
    ("a.orlova", "Анастасия", "Орлова", "Бухгалтерия"),
    ("d.volkov", "Денис", "Волков", "Отдел продаж"),
    ("e.fedorova", "Екатерина", "Фёдорова", "Юридический отдел"),
    ("i.morozov", "Игорь", "Морозов", "Склад"),
    ("k.nikitina", "Ксения", "Никитина", "Отдел кадров"),
    ("m.zaitsev", "Максим", "Зайцев", "Проектный отдел"),
    ("n.pavlova", "Наталья", "Павлова", "Приёмная"),
    ("p.semenov", "Павел", "Семёнов", "Отдел продаж"),
    ("t.golubeva", "Татьяна", "Голубева", "Бухгалтерия"),
]


@transaction.atomic
def demo_employees_ensure() -> list[User]:
    """Create the demo employees that are missing (requesters without a usable password)."""
    employees = []
    for username, first_name, last_name, department in EMPLOYEES:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first_name,
                "last_name": last_name,
                "department": department,
                "email": f"{username}@example.com",
            },
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
            user_set_roles(user=user, roles={Role.REQUESTER})
        employees.append(user)
    return employees
