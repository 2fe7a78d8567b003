"""Create the demo personas (idempotent): admin, manager, agents and requesters."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import User
from accounts.roles import Role
from accounts.services import user_set_roles

DEFAULT_PASSWORD = "demo"  # noqa: S105 - demo-only, refused when DEBUG is off


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


class Command(BaseCommand):
    help = "Create or refresh the demo users (admin, manager, agent1-3, requester1-3)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            default=None,
            help=f"password for every demo user (default '{DEFAULT_PASSWORD}', "
            "only allowed with DEBUG on)",
        )

    def handle(self, *args, password: str | None, **options):
        password = self._checked_password(password)
        with transaction.atomic():
            for persona in PERSONAS:
                created = self._upsert(persona, password)
                verb = "created" if created else "updated"
                self.stdout.write(f"  {verb} {persona.username}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo users ready: {', '.join(p.username for p in PERSONAS)} "
                f"(password: {'as given' if password != DEFAULT_PASSWORD else DEFAULT_PASSWORD})"
            )
        )

    def _checked_password(self, password: str | None) -> str:
        if settings.DEBUG:
            return password or DEFAULT_PASSWORD
        # Demo accounts on a real site must not share a guessable password.
        if not password or password == DEFAULT_PASSWORD:
            raise CommandError(
                "DEBUG is off: the default demo password is refused. "
                "Pass a strong one with --password."
            )
        try:
            validate_password(password)
        except ValidationError as exc:
            raise CommandError("--password is too weak: " + " ".join(exc.messages)) from exc
        return password

    def _upsert(self, persona: Persona, password: str) -> bool:
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
        return created
