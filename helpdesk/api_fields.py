"""Input fields of the REST API that take exactly what the OpenAPI schema says.

DRF's own fields are lenient: ``CharField`` turns ``0`` into ``"0"``, ``IntegerField``
reads ``"5"`` and ``5.0``, ``BooleanField`` reads ``"yes"`` and ``1``, ``DateField`` reads
``"20240131"``. The schema promises JSON types and formats, so anything else is a 400 with
the field's message, and the schema says the rest of what is refused: no NUL characters,
and text that must not be blank needs a character other than white space.
"""

import re
from datetime import date
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.utils import html

# What str.strip() removes (every character whose str.isspace() is true), spelled out so a
# pattern means the same in the schema's regular expressions as in Python's.
WHITESPACE = (
    "\\t\\n\\u000b\\f\\r\\u001c-\\u001f \\u0085\\u00a0\\u1680\\u2000-\\u200a"
    "\\u2028\\u2029\\u202f\\u205f\\u3000"
)
# How the schema says what text may not be, as ``not`` rather than one anchored pattern:
# tools that turn a pattern and a maxLength of 100,000 into ``[^…]{0,99999}`` take seconds
# to compile that, per operation.
CONTAINS_NUL = {"pattern": "\\u0000"}
ONLY_WHITESPACE = {"pattern": f"^[{WHITESPACE}]*$"}
NO_NUL = {"not": CONTAINS_NUL}
NOT_BLANK = {"not": {"anyOf": [CONTAINS_NUL, ONLY_WHITESPACE]}}
# Whole numbers in query strings: ASCII digits, no sign, no leading zero.
WHOLE_NUMBER = re.compile(r"0|[1-9][0-9]*")
# Whole numbers sent in a form: an optional minus, then as above.
FORM_INTEGER = re.compile(r"-?(?:0|[1-9][0-9]*)")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class FormBlankRefused(serializers.Field):
    """In a form, DRF reads an optional field sent empty as not sent at all. The schema
    does not list "" among the field's values, so it is refused like any other wrong
    value: a client that meant "no change" leaves the field out. Fields that take null
    keep DRF's reading of "" as null, the only way a form can say it."""

    def get_value(self, dictionary: Any) -> Any:
        if (
            html.is_html_input(dictionary)
            and dictionary.get(self.field_name) == ""
            and not self.allow_null
            and not getattr(self, "allow_blank", False)
        ):
            return ""
        return super().get_value(dictionary)


class StrictCharField(FormBlankRefused, serializers.CharField):
    """Text, and only text. ``max_length`` counts what was sent, before white space is
    trimmed, as the schema's ``maxLength`` does."""

    default_error_messages = {"invalid": _("Give text.")}

    def to_internal_value(self, data: object) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)

    @property
    def schema_refusals(self) -> dict:
        """What the schema adds: no NUL, and no blank text where text is needed."""
        return NOT_BLANK if self.trim_whitespace and not self.allow_blank else NO_NUL


class StrictIntegerField(FormBlankRefused, serializers.IntegerField):
    """A JSON integer: not ``"5"``, ``5.0`` or ``true``. In a form (where every value is
    text) the text of a whole number, digits only."""

    default_error_messages = {"invalid": _("Give a whole number.")}

    def to_internal_value(self, data: object) -> int:
        from_form = html.is_html_input(getattr(self.root, "initial_data", None))
        if from_form and isinstance(data, str) and FORM_INTEGER.fullmatch(data):
            data = int(data)
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(FormBlankRefused, serializers.BooleanField):
    """JSON ``true`` or ``false`` only: "yes", 1 or "on" are refused, not guessed. In a
    form (where every value is text) the text ``true`` or ``false``."""

    default_error_messages = {"invalid": _("Give true or false.")}

    def to_internal_value(self, data: object) -> bool:
        if isinstance(data, bool):
            return data
        from_form = html.is_html_input(getattr(self.root, "initial_data", None))
        if from_form and data in ("true", "false"):
            return data == "true"
        self.fail("invalid")


class StrictDateField(FormBlankRefused, serializers.DateField):
    """A date as ``YYYY-MM-DD``, nothing else Python's parser would also read."""

    default_error_messages = {"invalid": _("Give the date as YYYY-MM-DD.")}

    def to_internal_value(self, data: object) -> date:
        if not isinstance(data, str) or not ISO_DATE.fullmatch(data):
            self.fail("invalid")
        try:
            return date.fromisoformat(data)
        except ValueError:
            self.fail("invalid")
