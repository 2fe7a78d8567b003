"""Template helpers for tickets: coloured badges, initials, Markdown, list URLs."""

from typing import TYPE_CHECKING, Any

from django import template
from django.template import Context
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from tickets.colours import priority_class, status_class, stylesheet
from tickets.markdown import render_markdown

if TYPE_CHECKING:
    from accounts.models import User
    from tickets.models import Priority, Status

register = template.Library()


@register.simple_tag
def colours_stylesheet() -> SafeString:
    """The stylesheet of the status and priority colours (see tickets.colours)."""
    _css, digest = stylesheet()
    return format_html('<link rel="stylesheet" href="{}?v={}">', reverse("tickets:colours"), digest)


@register.filter
def status_colour(status: "Status") -> str:
    """The class that colours an element like ``status``."""
    return status_class(status.pk)


@register.filter
def priority_colour(priority: "Priority") -> str:
    return priority_class(priority.pk)


@register.simple_tag
def status_badge(status: "Status") -> SafeString:
    return format_html(
        '<span class="badge hd-badge {}" data-status="{}">{}</span>',
        status_class(status.pk),
        status.code,
        status.name,
    )


@register.simple_tag
def priority_badge(priority: "Priority") -> SafeString:
    return format_html(
        '<span class="badge hd-badge {}" data-priority="{}">{}</span>',
        priority_class(priority.pk),
        priority.code,
        priority.name,
    )


@register.filter
def initials(user: "User | None") -> str:
    if user is None:
        return ""
    first, last = (user.first_name or "").strip(), (user.last_name or "").strip()
    if first or last:
        return f"{first[:1]}{last[:1]}".upper()
    return (user.username or "?")[:2].upper()


@register.simple_tag
def avatar(user: "User | None", size: str = "") -> SafeString:
    """A round badge with the person's initials; the full name is its tooltip."""
    if user is None:
        return SafeString("")
    return format_html(
        '<span class="hd-avatar{}" title="{}" data-bs-toggle="tooltip">{}</span>',
        f" hd-avatar-{size}" if size else "",
        user.get_display_name(),
        initials(user),
    )


@register.filter
def markdown(text: str) -> SafeString:
    return render_markdown(text)


@register.simple_tag(takes_context=True)
def query_with(context: Context, **changes: Any) -> str:
    """The current query string with some parameters replaced (None removes one).

    Changing anything but the page goes back to the first page.
    """
    params = context["request"].GET.copy()
    if "page" not in changes:
        params.pop("page", None)
    for name, value in changes.items():
        if value is None or value == "":
            params.pop(name, None)
        else:
            params[name] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"
