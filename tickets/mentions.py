"""@mentions in comments: ``@login`` is the stable reference kept in the text (the reply
box's completion inserts it); pages show the person's display name instead, linking to
nothing. The notifications app reads the same ``@login`` to tell the people named."""

import re

from django.utils.html import format_html

from accounts.models import User

# Not after a word character, ``@`` or ``.``: ``ivan@example.com`` mentions nobody.
MENTION = re.compile(r"(?<![\w@.])@([\w.\-]{1,150})", re.UNICODE)


def mentioned_logins(text: str) -> set[str]:
    """The logins ``text`` mentions, lower-cased (a trailing full stop is the sentence's)."""
    return {name.rstrip(".-").lower() for name in MENTION.findall(text or "")}


def mentioned_people(texts: list[str]) -> dict[str, User]:
    """The active people the texts mention, by lower-cased login: one query, none when no
    text mentions anyone."""
    logins = set().union(*(mentioned_logins(text) for text in texts)) if texts else set()
    if not logins:
        return {}
    people = User.objects.filter(username__in=logins, is_active=True).only(
        "pk", "is_active", *User.NAME_FIELDS
    )
    return {user.username.lower(): user for user in people}


def render_mentions(html: str, people: dict[str, User]) -> str:
    """The rendered (already sanitised) comment with each known ``@login`` shown as the
    person's name; unknown ones stay as written."""

    def name(match: re.Match[str]) -> str:
        login = match.group(1)
        trail = login[len(login.rstrip(".-")) :]
        user = people.get(login.rstrip(".-").lower())
        if user is None:
            return match.group(0)
        return format_html(
            '<span class="hd-mention" title="@{}">@{}</span>{}',
            user.username,
            user.get_display_name(),
            trail,
        )

    return MENTION.sub(name, html)
