"""What every REST endpoint shares: errors, throttling, pagination and filters.

Errors are answered, never raised as a 500: field problems are 400 with messages per
field, a stale ``version`` 409, an upload over the size limit 413, a refused file type
415, an object the user may not see 404, a user over the rate limit 429 with
``Retry-After``. Query parameters are read as strictly as the schema describes them: a
page number is a whole number, a parameter given once is not given twice, and no value
holds a NUL character.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, TYPE_CHECKING, Any

import django_filters
from django import forms
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django_filters import MultipleChoiceFilter
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions, parsers, status, throttling
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import ApiToken
from helpdesk.api_fields import WHOLE_NUMBER
from helpdesk.json_input import JSONTooDeep, check_json_depth

if TYPE_CHECKING:
    # Only for the type checker: rest_framework.views reads this module at import.
    from django.core.paginator import Paginator
    from rest_framework.request import Request
    from rest_framework.views import APIView

# Codes of refused uploads (tickets.uploads) and the status each deserves.
UPLOAD_STATUS = {
    "too_large": status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    "type_refused": status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
}


def validation_errors(exc: DjangoValidationError) -> dict:
    """A Django ValidationError as DRF's ``{"field": ["message", ...]}``."""
    if hasattr(exc, "error_dict"):
        return {
            ("non_field_errors" if field == "__all__" else field): messages
            for field, messages in exc.message_dict.items()
        }
    return {"non_field_errors": exc.messages}


def _upload_status(exc: DjangoValidationError) -> int | None:
    groups = exc.error_dict.values() if hasattr(exc, "error_dict") else [exc.error_list]
    codes = {error.code for errors in groups for error in errors}
    return next((UPLOAD_STATUS[code] for code in UPLOAD_STATUS if code in codes), None)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus Django's own errors and the tickets' typed errors."""
    # Imported here: rest_framework.views reads these settings (and so this module) at import.
    from rest_framework.views import exception_handler as drf_exception_handler

    from tickets.services import TicketConflict, TicketStateConflict, TransitionNotAllowed

    if isinstance(exc, TicketConflict | TicketStateConflict):
        ticket = exc.ticket
        changed_by = exc.changed_by if isinstance(exc, TicketConflict) else None
        return Response(
            {
                "detail": exc.message,
                "changed_by": (
                    {"id": changed_by.pk, "name": changed_by.get_display_name()}
                    if changed_by
                    else None
                ),
                "version": ticket.version,
            },
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, TransitionNotAllowed):
        return Response({"status": [exc.message]}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoValidationError):
        code = _upload_status(exc) or status.HTTP_400_BAD_REQUEST
        return Response(validation_errors(exc), status=code)
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    return drf_exception_handler(exc, context)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing JSON nested too deeply with a 400 instead of failing
    with ``RecursionError`` (see ``helpdesk.json_input``)."""

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(str(JSONTooDeep())) from None
        try:
            return check_json_depth(data)
        except JSONTooDeep as exc:
            raise exceptions.ParseError(str(exc)) from None


class ApiPagination(PageNumberPagination):
    """``?page=`` and ``?page_size=`` (at most 100, larger sizes give 100); every list has
    a stable order. Either is a whole number of at least 1, else a 400; a page past the
    last is a 404."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 100
    last_page_strings = ()  # "last" is not a number
    # Longer numbers are past any page or size, and too long for int() to read.
    _LONGEST = 18

    def _number(self, request: Request, name: str) -> int | None:
        values = request.query_params.getlist(name)
        if not values:
            return None
        value = values[0]
        if len(values) > 1 or not WHOLE_NUMBER.fullmatch(value) or value == "0":
            raise exceptions.ValidationError({name: [_("Give a whole number of at least 1.")]})
        return int(value) if len(value) <= self._LONGEST else 10**self._LONGEST

    def get_page_size(self, request: Request) -> int:
        size = self._number(request, self.page_size_query_param)
        return self.page_size if size is None else min(size, self.max_page_size)

    def get_page_number(self, request: Request, paginator: Paginator) -> int:
        return self._number(request, self.page_query_param) or 1

    def get_schema_operation_parameters(self, view: APIView) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        descriptions = {
            self.page_query_param: "A page number (from 1); past the last page: 404.",
            self.page_size_query_param: (
                f"Results per page, {self.page_size} by default; "
                f"more than {self.max_page_size} give {self.max_page_size}."
            ),
        }
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            parameter["description"] = descriptions[parameter["name"]]
        return parameters


class _RateThrottle(SimpleRateThrottle):
    """Rates are read when used (DRF reads them once at import), so settings apply."""

    def get_rate(self) -> str | None:
        if self.scope is None:
            return None  # no scope, no rate: not throttled
        # The stubs type the rates as numbers; they are strings ("60/min") or None.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)  # type: ignore[return-value]


class UserRateThrottle(_RateThrottle, throttling.UserRateThrottle):
    """Requests per signed-in user, whatever the credentials (session or any token):
    DRF's, with the rate read when used."""


class TokenRateThrottle(_RateThrottle):
    """Requests per API token, so one runaway script does not use up its owner's rate."""

    scope = "token"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if not isinstance(request.auth, ApiToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


class StrictBooleanFormField(forms.Field):
    """A query parameter that is ``true`` or ``false`` (or absent), as the schema's
    boolean: "1", "on" or "yes" are refused, not guessed."""

    default_error_messages = {"invalid": _("Give true or false.")}

    def to_python(self, value: str | None) -> bool | None:
        if value is None:
            return None
        if value not in ("true", "false"):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return value == "true"

    def validate(self, value: bool | None) -> None:
        if value is None and self.required:
            super().validate(value)


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanFormField


def takes_several_values(filter_: django_filters.Filter) -> bool:
    """Whether a filter's parameter may be repeated (``?status=a&status=b``)."""
    return isinstance(filter_, MultipleChoiceFilter) or getattr(filter_, "several", False)


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend whose 400 carries the form's messages as they are, and
    that refuses a filter given twice (unless it takes several values), holding NUL, or
    empty where it is no text.

    django-filter re-formats each message with its params, which breaks on messages that
    already quote a client's value containing ``%``.
    """

    def filter_queryset(
        self, request: Request, queryset: QuerySet[Model], view: APIView
    ) -> QuerySet[Model]:
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        errors: dict[str, list] = {}
        for name, filter_ in filterset.filters.items():
            values = request.query_params.getlist(name)
            if any("\x00" in value for value in values):
                errors[name] = [_("Null characters are not allowed.")]
            elif len(values) > 1 and not takes_several_values(filter_):
                errors[name] = [_("Give this parameter once.")]
            elif "" in values and not isinstance(filter_, django_filters.CharFilter):
                # Only text may be empty; a choice, a date or true/false needs a value.
                errors[name] = [_("Give a value.")]
        if errors:
            raise exceptions.ValidationError(errors)
        if not filterset.is_valid():
            errors = filterset.form.errors.get_json_data()
            raise exceptions.ValidationError(
                {field: [error["message"] for error in items] for field, items in errors.items()}
            )
        return filterset.qs
