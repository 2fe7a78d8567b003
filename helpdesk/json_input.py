"""JSON sent by clients (API bodies, the pages' fetch calls, WebSocket messages).

Python's parser recurses once per nesting level, so a body like ``[[[[…]]]]`` a thousand
levels deep raises ``RecursionError``, which is no ``ValueError`` and would end as a server
error. Nothing Helpdesk accepts is nested more than a few levels, so anything deeper than
``MAX_JSON_DEPTH`` is refused as bad input, however deep the stack was when it was read.
"""

import json
from collections.abc import Iterable
from typing import Any

from django.utils.translation import ngettext

MAX_JSON_DEPTH = 32


class JSONTooDeep(ValueError):
    """Raised for JSON nested deeper than ``MAX_JSON_DEPTH``; a ``ValueError`` like any
    other malformed JSON."""

    def __init__(self) -> None:
        super().__init__(
            ngettext(
                "The JSON is nested too deeply (more than %(limit)d level).",
                "The JSON is nested too deeply (more than %(limit)d levels).",
                MAX_JSON_DEPTH,
            )
            % {"limit": MAX_JSON_DEPTH}
        )


def json_depth_exceeds(data: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``data`` (parsed JSON) has arrays or objects nested deeper than ``limit``.
    Walks without recursion, so any depth can be measured."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        children: Iterable[Any]
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def check_json_depth(data: Any) -> Any:
    """``data`` itself, or ``JSONTooDeep``."""
    if json_depth_exceeds(data):
        raise JSONTooDeep
    return data


def json_loads(text: str | bytes) -> Any:
    """``json.loads`` that refuses JSON nested too deeply with ``JSONTooDeep`` (a
    ``ValueError``) instead of ``RecursionError``."""
    try:
        data = json.loads(text)
    except RecursionError:
        raise JSONTooDeep from None
    return check_json_depth(data)
