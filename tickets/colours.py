"""Statuses and priorities carry colours that operators pick in the admin. Pages show
them through classes (``hd-status-<id>``, ``hd-priority-<id>``) defined in a stylesheet
built here, because the Content-Security-Policy allows no inline style.

Each class sets ``--hd-colour`` (the colour) and ``--hd-on-colour`` (black or white,
whichever reads better on it); static CSS decides where they are used (badges, dots,
card edges). The stylesheet's address carries a digest of its text, so browsers may keep
it for good and fetch a new one as soon as a colour changes.
"""

import hashlib

from django.core.exceptions import ValidationError

from tickets.models import colour_validator
from tickets.workflow import workflow


def on_colour(background: str) -> str:
    """Black or white, whichever reads better on ``background`` (#rrggbb)."""
    try:
        red, green, blue = (int(background[i : i + 2], 16) for i in (1, 3, 5))
    except (TypeError, ValueError):
        return "#fff"
    luminance = 0.299 * red + 0.587 * green + 0.114 * blue
    return "#000" if luminance > 150 else "#fff"


def status_class(status_id: int) -> str:
    return f"hd-status-{int(status_id)}"


def priority_class(priority_id: int) -> str:
    return f"hd-priority-{int(priority_id)}"


def _rule(selector: str, colour: str) -> str:
    try:
        colour_validator(colour)  # the model checks it; a row written around it is skipped
    except ValidationError:
        return ""
    return f".{selector}{{--hd-colour:{colour};--hd-on-colour:{on_colour(colour)}}}\n"


def stylesheet() -> tuple[str, str]:
    """``(css, digest)`` for the current statuses and priorities."""
    current = workflow()
    css = "".join(
        [_rule(status_class(s.pk), s.colour) for s in current.statuses]
        + [_rule(priority_class(p.pk), p.colour) for p in current.priorities]
    )
    return css, hashlib.sha256(css.encode()).hexdigest()[:16]
