"""Redmine's database is read-only to us: its models read from the ``redmine`` alias,
nothing is ever written there and nothing is migrated there."""

from typing import Any

from django.db.models import Model


def _is_redmine(model: type[Model]) -> bool:
    return getattr(model, "redmine_table", False)


class RedmineDatabaseWriteRefused(RuntimeError):
    pass


class RedmineRouter:
    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        return "redmine" if _is_redmine(model) else None

    def db_for_write(self, model: type[Model], **hints: Any) -> str | None:
        if _is_redmine(model):
            raise RedmineDatabaseWriteRefused("Redmine's database is read-only")
        return None

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        if _is_redmine(type(obj1)) or _is_redmine(type(obj2)):
            return _is_redmine(type(obj1)) and _is_redmine(type(obj2))
        return None

    def allow_migrate(
        self, db: str, app_label: str, model_name: str | None = None, **hints: Any
    ) -> bool | None:
        if db == "redmine":
            return False
        if "model" in hints and _is_redmine(hints["model"]):
            return False
        return None
