"""The board's card, ``{% board_card card %}`` (``{% load board_tags %}``).

A board shows hundreds of cards. Rendered through an included template a card costs
about 0.2 ms (two dozen variable lookups, escapes and localizations each); built here
from the ``BoardCard`` values ``tickets.board`` prepared, it costs a tenth of that, which keeps the
board page within its time budget. The markup is the same a template would produce;
every value is escaped (with the standard library's ``html.escape``, which is what
Django's ``escape`` calls, minus its lazy-string wrapper).
"""

from html import escape

from django import template
from django.template import Context
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from tickets.board import BoardCard
from tickets.colours import priority_class
from tickets.templatetags.ticket_tags import avatar

register = template.Library()

_LABELS_KEY = "board_card_labels"
_AVATARS_KEY = "board_card_avatars"


def _labels(context: Context) -> dict[str, str]:
    """The texts every card shares, translated once per page."""
    labels = context.render_context.get(_LABELS_KEY)
    if labels is None:
        labels = {
            "menu": escape(gettext("Move this card")),
            "due": escape(gettext("Due date")),
            "overdue": escape(gettext("(overdue)")),
            "unassigned": escape(gettext("Unassigned")),
        }
        context.render_context[_LABELS_KEY] = labels
    return labels


def _avatar(context: Context, card: BoardCard) -> str:
    """The assignee's initials badge, rendered once per person and page."""
    # django-stubs types setdefault() for Django's own render-context values only.
    avatars: dict[int | None, SafeString]
    avatars = context.render_context.setdefault(_AVATARS_KEY, {})  # type: ignore[arg-type, assignment]
    if card.assignee_id not in avatars:
        avatars[card.assignee_id] = avatar(card.assignee, "sm")
    return avatars[card.assignee_id]


def _bool(value: bool) -> str:
    return "true" if value else "false"


def render_card(
    card: BoardCard, *, labels: dict[str, str], show_queue: bool, avatar_html: str = ""
) -> SafeString:
    movable = card.viewer_can_move
    key = escape(card.key)
    title = escape(card.title)
    priority_label = escape(card.priority_label)
    # The priority's colour (edge and dot) comes from its class (tickets.colours).
    classes = f"card board-card {priority_class(card.priority.pk)}"
    if movable:
        classes += " board-card-movable"
    if card.overdue:
        classes += " board-card-overdue"
    # Announced by screen readers: the keyboard alternative to dragging (board.js).
    shortcuts = (
        ' aria-keyshortcuts="Alt+ArrowLeft Alt+ArrowRight Alt+ArrowUp Alt+ArrowDown"'
        if movable
        else ""
    )
    parts = [
        f'<article class="{classes}" id="ticket-card-{card.pk:d}" role="listitem" tabindex="0"'
        f' data-ticket-id="{card.pk:d}" data-key="{key}" data-version="{card.version:d}"'
        f' data-status="{escape(card.status.code)}" data-status-id="{card.status.pk:d}"'
        f' data-assignee="{card.assignee_id or ""}"'
        f' data-assignee-name="{escape(card.assignee_name)}"'
        f' data-priority-high="{_bool(card.priority.is_high)}"'
        f' data-queue="{card.queue.pk:d}" data-due="{card.due_iso}"'
        f' data-can-move="{_bool(movable)}"'
        f"{shortcuts}"
        f' aria-label="{key}: {title}">',
        '<div class="card-body"><div class="d-flex align-items-center gap-1">',
    ]
    if movable:
        parts.append('<i class="bi bi-grip-vertical board-card-handle" aria-hidden="true"></i>')
    # The dot and the "unassigned" glyph are decoration with a tooltip for the mouse; the
    # hidden text beside them is what assistive technology reads (without aria-hidden,
    # Bootstrap's tooltip gives the bare element an aria-label, which a span may not have).
    parts.append(
        f'<span class="board-priority-dot" data-bs-toggle="tooltip" title="{priority_label}"'
        ' aria-hidden="true">'
        f'</span><span class="visually-hidden">{priority_label}</span>'
        f'<a class="board-card-key small fw-semibold text-decoration-none text-nowrap"'
        f' href="{escape(card.url)}">{key}</a>'
    )
    if movable:
        # The tooltip sits on the glyph: Bootstrap keeps one component per element, and the
        # button's is the dropdown (a tooltip there stops it closing on an outside click).
        parts.append(
            '<div class="dropdown board-card-menu ms-auto">'
            '<button type="button" class="btn btn-sm btn-link board-card-menu-button"'
            ' data-bs-toggle="dropdown" data-bs-popper-config=\'{"strategy":"fixed"}\''
            f' aria-expanded="false" aria-label="{escape(card.menu_label)}">'
            f'<span data-bs-toggle="tooltip" title="{labels["menu"]}" aria-hidden="true">⋮</span>'
            '</button><ul class="dropdown-menu dropdown-menu-end" data-card-menu></ul></div>'
        )
    parts.append(
        f'</div><div class="board-card-title">{title}</div>'
        '<div class="d-flex flex-wrap align-items-center column-gap-2 row-gap-1 small mt-1">'
    )
    if show_queue:
        parts.append(
            # The name is cut to the card's width; the title shows all of it.
            '<span class="badge border board-card-queue text-truncate"'
            f' title="{escape(card.queue.name)}">{escape(card.queue.name)}</span>'
        )
    if card.due_date:
        parts.append(
            f'<span class="board-card-due" data-bs-toggle="tooltip" title="{labels["due"]}">'
            '<i class="bi bi-calendar-event" aria-hidden="true"></i> '
            f"{escape(card.due_display)}"
            f'<span class="board-overdue-label"> {labels["overdue"]}</span></span>'
        )
    parts.extend(
        f'<span class="badge rounded-pill text-bg-secondary board-card-tag">{escape(tag)}</span>'
        for tag in card.tags
    )
    parts.extend(card.badges)  # rendered (and escaped) by their apps
    parts.append('<span class="ms-auto">')
    if card.assignee_id:
        parts.append(avatar_html)
    else:
        parts.append(
            '<i class="bi bi-person-dash text-body-secondary" data-bs-toggle="tooltip"'
            f' title="{labels["unassigned"]}" aria-hidden="true"></i>'
            f'<span class="visually-hidden">{labels["unassigned"]}</span>'
        )
    parts.append("</span></div></div></article>")
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


@register.simple_tag(takes_context=True)
def board_card(context: Context, card: BoardCard) -> SafeString:
    board = context.get("board")
    show_queue = board is not None and board.queue is None
    return render_card(
        card,
        labels=_labels(context),
        show_queue=show_queue,
        avatar_html=_avatar(context, card) if card.assignee_id else "",
    )
