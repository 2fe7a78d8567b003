"""Statuses and priorities carry colours that operators pick in the admin. Pages show
them through classes (``hd-status-<id>``, ``hd-priority-<id>``) defined in a stylesheet
built here, because the Content-Security-Policy allows no inline style.

Each class sets ``--hd-colour`` (the colour) and ``--hd-on-colour`` (black or white,
whichever has the higher WCAG contrast ratio on it); static CSS decides where they are
used (badges, dots, card edges). The stylesheet's address carries a digest of its text,
so browsers may keep it for good and fetch a new one as soon as a colour changes.
"""

import hashlib

from django.core.exceptions import ValidationError

from tickets.models import colour_validator
from tickets.workflow import workflow


def _channels(colour: str) -> tuple[int, int, int]:
    """``(red, green, blue)`` of ``#rrggbb`` or ``#rgb``; ValueError for anything else."""
    digits = colour[1:] if colour.startswith("#") else ""
    if len(digits) == 3:
        digits = "".join(digit * 2 for digit in digits)
    if len(digits) != 6:
        raise ValueError(colour)
    red, green, blue = (int(digits[i : i + 2], 16) for i in (0, 2, 4))
    return red, green, blue


def _linear(channel: int) -> float:
    value = channel / 255
    return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance of ``colour``: 0 for black to 1 for white."""
    red, green, blue = (_linear(channel) for channel in _channels(colour))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2.1 contrast ratio of two colours, from 1 (none) to 21 (black on white)."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def on_colour(background: str) -> str:
    """Black or white, whichever has the higher contrast ratio on ``background`` (#rrggbb)."""
    try:
        on_black = contrast_ratio(background, "#000")
    except (TypeError, ValueError):
        return "#fff"
    return "#000" if on_black > contrast_ratio(background, "#fff") else "#fff"


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
