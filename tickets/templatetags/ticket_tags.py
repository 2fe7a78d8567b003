"""Template helpers for tickets: coloured badges, initials, Markdown, list URLs."""

from django import template
from django.utils.html import format_html

from tickets.markdown import render_markdown

register = template.Library()


def _text_colour(background: str) -> str:
    """Black or white, whichever reads better on ``background`` (#rrggbb)."""
    try:
        red, green, blue = (int(background[i : i + 2], 16) for i in (1, 3, 5))
    except (TypeError, ValueError):
        return "#fff"
    luminance = 0.299 * red + 0.587 * green + 0.114 * blue
    return "#000" if luminance > 150 else "#fff"


@register.simple_tag
def status_badge(status):
    return format_html(
        '<span class="badge hd-badge" style="background:{};color:{}" data-status="{}">{}</span>',
        status.colour,
        _text_colour(status.colour),
        status.code,
        status.name,
    )


@register.simple_tag
def priority_badge(priority):
    return format_html(
        '<span class="badge hd-badge" style="background:{};color:{}" data-priority="{}">{}</span>',
        priority.colour,
        _text_colour(priority.colour),
        priority.code,
        priority.name,
    )


@register.filter
def initials(user) -> str:
    if user is None:
        return ""
    first, last = (user.first_name or "").strip(), (user.last_name or "").strip()
    if first or last:
        return f"{first[:1]}{last[:1]}".upper()
    return (user.username or "?")[:2].upper()


@register.simple_tag
def avatar(user, size: str = ""):
    """A round badge with the person's initials; the full name is its tooltip."""
    if user is None:
        return ""
    return format_html(
        '<span class="hd-avatar{}" title="{}" data-bs-toggle="tooltip">{}</span>',
        f" hd-avatar-{size}" if size else "",
        user.get_display_name(),
        initials(user),
    )


@register.filter
def markdown(text: str):
    return render_markdown(text)


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
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
