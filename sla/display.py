"""How clocks read to people: compact durations, badge colours, the panel's lines."""

import datetime as dt
from functools import lru_cache
from typing import Any

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from sla.models import ClockState, Target


def duration(minutes: int) -> str:
    """``35 min``, ``3 h 20 min``, ``2 d 4 h``: short enough for a card."""
    minutes = abs(minutes)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": mins}
    return _("%(minutes)d min") % {"minutes": mins}


def level(
    state: str | None, due: dt.datetime | None, warn: dt.datetime | None, now: dt.datetime
) -> str:
    """``breached``, ``at_risk``, ``running``, ``paused``, ``met`` or ``""`` (no clock)."""
    if state is None:
        return ""
    if state == ClockState.BREACHED or (
        state == ClockState.RUNNING and due is not None and due <= now
    ):
        return "breached"
    if state == ClockState.RUNNING and warn is not None and warn <= now:
        return "at_risk"
    return state


COLOURS = {
    "breached": "text-bg-danger",
    "at_risk": "text-bg-warning",
    "running": "text-bg-light border",
    "paused": "text-bg-secondary",
}


def badge(values: dict[str, Any], now: dt.datetime) -> SafeString | str:
    """The badge of a list row or board card (``tickets.extensions``)."""
    state = level(
        values["sla_clock__state"], values["sla_clock__due_at"], values["sla_clock__warn_at"], now
    )
    if state not in COLOURS:
        return ""
    due = values["sla_clock__due_at"]
    if state == "paused":
        text, title = _("paused"), _("SLA: paused")
    elif due is None or values["sla_clock__state"] == ClockState.BREACHED:
        # A target already breached; ``due`` may be another one's, still running.
        text, title = _("breached"), _("SLA breached")
    else:
        left = int((due - now).total_seconds() // 60)
        text = duration(left) if left >= 0 else "−" + duration(left)
        if state == "breached":
            title = _("SLA breached %(time)s ago") % {"time": duration(left)}
        else:
            title = _("SLA: %(time)s left") % {"time": duration(left)}
            return _counting_badge_html(state, title, text, due, values["sla_clock__warn_at"])
    return _badge_html(state, title, text)


def _counting_badge_html(
    state: str, title: str, text: str, due: dt.datetime, warn: dt.datetime | None
) -> SafeString:
    """A running target's badge, with its times for ``sla/badges.js``, which turns it amber
    and red while the page stays open."""
    return format_html(
        '<span class="badge {} sla-badge" data-sla="{}" data-testid="sla-badge" title="{}" '
        'data-sla-due="{}" data-sla-warn="{}" data-label-breached="{}" '
        'data-title-breached="{}" data-title-left="{}">'
        '<i class="bi bi-stopwatch" aria-hidden="true"></i> '
        '<span data-sla-text>{}</span><span class="visually-hidden"> {}</span></span>',
        COLOURS[state],
        state,
        title,
        due.isoformat(),
        warn.isoformat() if warn else "",
        _("breached"),
        _("SLA breached"),
        _("SLA: %(time)s left") % {"time": "{time}"},
        text,
        title,
    )


@lru_cache(maxsize=2048)
def _badge_html(state: str, title: str, text: str) -> SafeString:
    """A board shows hundreds of cards, most with one of a few badges: built once each."""
    return format_html(
        '<span class="badge {} sla-badge" data-sla="{}" data-testid="sla-badge" title="{}">'
        '<i class="bi bi-stopwatch" aria-hidden="true"></i> {}'
        '<span class="visually-hidden"> {}</span></span>',
        COLOURS[state],
        state,
        title,
        text,
        title,
    )


def panel_lines(clock: Any, now: dt.datetime) -> list[dict]:
    """One line per target for the ticket page, in the reader's language and zone."""
    lines = []
    for target in clock.targets:
        due = dt.datetime.fromisoformat(target["due"]) if target["due"] else None
        warn = dt.datetime.fromisoformat(target["warn"]) if target["warn"] else None
        state = level(target["state"], due, warn, now)
        label = str(Target(target["target"]).label)
        if state == "breached" and target["stopped"] is None and due is not None:
            text = _("overdue by %(time)s") % {
                "time": duration(int((now - due).total_seconds() // 60))
            }
        elif state == "breached":
            text = _("breached")
        elif state in ("running", "at_risk") and due is not None:
            text = _("%(time)s left") % {"time": duration(int((due - now).total_seconds() // 60))}
        elif state == "paused":
            text = _("paused, %(time)s left") % {"time": duration(max(target["left"], 0))}
        else:
            text = _("met")
        lines.append(
            {
                "label": label,
                "state": state,
                "text": text,
                "target": duration(target["minutes"]),
                "due": date_format(timezone.localtime(due), "SHORT_DATETIME_FORMAT") if due else "",
                "colour": COLOURS.get(state, "text-bg-success"),
            }
        )
    return lines
