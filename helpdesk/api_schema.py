"""How the REST API describes itself (drf-spectacular): every answer it can give.

``ApiAutoSchema`` adds to each operation the refusals every endpoint shares, each with
its JSON body: 401 (a wrong or revoked token), 403 (not signed in, or not allowed), 429
(over a rate); with a body, 400 (bad input) and 415 (a type other than the one
documented); with query parameters, 400; with path parameters or pages, 404. Query
strings are documented without NUL characters, which every filter refuses.

The extensions describe the strict input fields (``helpdesk.api_fields``) and the
filters: a choice taken from the workflow is an enum of its codes, as it is now.
"""

import copy
from typing import Any

from django.db.models import Model
from django_filters import Filter, FilterSet
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ComponentRegistry
from drf_spectacular.utils import Direction

from helpdesk.api import takes_several_values
from helpdesk.api_fields import NO_NUL

DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
FIELD_ERRORS = {
    "type": "object",
    "description": 'Messages by field, e.g. {"title": ["…"]}, or {"detail": "…"}.',
    "additionalProperties": True,
}
# The one conflict body (``helpdesk.api.exception_handler``): who changed the ticket, and
# the version to send next time.
CONFLICT = {
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "changed_by": {
            "type": "object",
            "nullable": True,
            "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
            "required": ["id", "name"],
        },
        "version": {"type": "integer"},
    },
    "required": ["detail", "changed_by", "version"],
}
ERROR_BODIES = {"400": FIELD_ERRORS, "409": CONFLICT}

SHARED_ERRORS = {
    "401": "A wrong or revoked API token (WWW-Authenticate: Token).",
    "403": "Not signed in, or not allowed to do this.",
    "429": "Over a rate limit (Retry-After says when to try again).",
}
BAD_INPUT = "Bad input: messages by field."
UNSUPPORTED_TYPE = "A body of another media type than documented."
NOT_FOUND = "No such object, or you may not see it (or a page past the last)."


def _no_nul(schema: dict) -> None:
    if schema.get("type") == "array":
        _no_nul(schema.get("items", {}))
    elif schema.get("type") == "string" and not ({"enum", "format", "pattern"} & set(schema)):
        schema.update(copy.deepcopy(NO_NUL))


class ApiAutoSchema(AutoSchema):
    def get_operation(
        self,
        path: str,
        path_regex: str,
        path_prefix: str,
        method: str,
        registry: ComponentRegistry,
    ) -> dict[str, Any] | None:
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        parameters = operation.get("parameters", [])
        places = {parameter["in"] for parameter in parameters}
        for parameter in parameters:
            if parameter["in"] == "query":
                _no_nul(parameter["schema"])
        errors = dict(SHARED_ERRORS)
        if "requestBody" in operation:
            errors |= {"400": BAD_INPUT, "415": UNSUPPORTED_TYPE}
        if "query" in places:
            errors["400"] = BAD_INPUT
        if "path" in places or self._is_paginated():
            errors["404"] = NOT_FOUND
        responses = operation["responses"]
        for code, description in errors.items():
            responses.setdefault(code, {"description": description})
        for code, response in responses.items():
            if code.startswith("4") and "content" not in response:
                schema = ERROR_BODIES.get(code, DETAIL)
                response["content"] = {"application/json": {"schema": schema}}
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _is_paginated(self) -> bool:
        return self.method == "GET" and self._is_list_view() and bool(self._get_paginator())


class StrictCharFieldExtension(OpenApiSerializerFieldExtension):
    """Text fields say what they refuse: NUL, and blank text where text is needed."""

    target_class = "helpdesk.api_fields.StrictCharField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema: AutoSchema, direction: Direction) -> dict[str, Any]:
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        return {**schema, **copy.deepcopy(self.target.schema_refusals)}


class FilterExtension(DjangoFilterExtension):
    """django-filter's parameters, with the choices the filters read from the workflow
    (drf-spectacular leaves callable choices out), their lengths, and repeatable
    parameters as arrays."""

    target_class = "helpdesk.api.FilterBackend"
    priority = 1

    def _get_explicit_filter_choices(self, filter_field: Filter) -> list[Any] | None:
        choices = filter_field.extra.get("choices")
        if callable(choices):  # ours come from the cached workflow: no query
            # None when nothing is set up yet: an enum may not be empty.
            return [value for value, _label in choices()] or None
        return super()._get_explicit_filter_choices(filter_field)

    def resolve_filter_field(
        self,
        auto_schema: AutoSchema,
        model: type[Model],
        filterset_class: type[FilterSet],
        field_name: str,
        filter_field: Filter,
    ) -> list[dict[str, Any]]:
        parameters = super().resolve_filter_field(
            auto_schema, model, filterset_class, field_name, filter_field
        )
        for parameter in parameters:
            schema = parameter["schema"]
            items = schema.get("items", schema)
            if callable(filter_field.extra.get("choices")):
                items["type"] = "string"  # workflow codes, whatever model field they name
            max_length = filter_field.extra.get("max_length")
            if max_length and items.get("type") == "string" and "enum" not in items:
                items["maxLength"] = max_length
            if takes_several_values(filter_field) and schema.get("type") != "array":
                parameter["schema"] = {"type": "array", "items": schema}
                if getattr(filter_field, "max_values", None):
                    parameter["schema"]["maxItems"] = filter_field.max_values
                parameter["style"], parameter["explode"] = "form", True
        return parameters
