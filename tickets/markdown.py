"""User Markdown to safe HTML: rendered by Python-Markdown, then cleaned by nh3 (ammonia).

Whatever the text contains, only the tags and attributes below survive; links get
``rel="noopener noreferrer nofollow"`` and only http(s) and mailto addresses.

Windows paths (``\\\\print01\\HP-LJ-305``, ``C:\\Users\\_old``) are shown as written:
Markdown would read their ``\\\\`` or ``\\_`` as escapes and drop a backslash.
"""

import hashlib
import re
import threading
from collections.abc import Sequence

import markdown as markdown_lib
import nh3
from django.core.cache import cache
from django.utils.safestring import SafeString, mark_safe
from markdown.inlinepatterns import InlineProcessor

EXTENSIONS = ["extra", "sane_lists", "nl2br"]
# A UNC path (\\server\share\...) or a drive path (C:\...): parts of a name are what
# Windows allows in one, less Markdown's brackets and backticks; the path ends at a space.
_NAME = r"[^\s\\/:*?\"<>|`\[\]]"
WINDOWS_PATH = (
    rf"(?<![\w\\])(?:\\\\{_NAME}+|[A-Za-z]:(?=\\))(?:\\{_NAME}*)*"
    # A full stop, a comma or a closing bracket after a path belongs to the sentence.
    r"(?<![.,;!)])"
)

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre",
    "s", "span", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title"},
    "td": {"align"},
    "th": {"align"},
}
URL_SCHEMES = {"http", "https", "mailto"}


# Rendered HTML is cached by the text's digest: a page of 50 comments renders none again.
CACHE_PREFIX = "md:3:"
CACHE_SECONDS = 7 * 24 * 3600
# Building a Markdown converter costs more than using one: one per thread, reset per text.
_local = threading.local()


class WindowsPathProcessor(InlineProcessor):
    """A Windows path as plain text, before Markdown's escapes take its backslashes."""

    def handleMatch(self, m: re.Match[str], data: str) -> tuple[str, int, int]:
        return m.group(0), m.start(0), m.end(0)


def _converter() -> markdown_lib.Markdown:
    converter = getattr(_local, "converter", None)
    if converter is None:
        converter = _local.converter = markdown_lib.Markdown(
            extensions=EXTENSIONS, output_format="html"
        )
        # After code spans (190), which keep their text anyway, before escapes (180).
        converter.inlinePatterns.register(
            WindowsPathProcessor(WINDOWS_PATH, converter), "windows_path", 185
        )
    return converter


def _same_site_images(element: str, attribute: str, value: str) -> str | None:
    """Images load from this site only: a remote image would tell its owner who read the
    ticket and when, and could make every reader's browser call an internal address."""
    if element == "img" and attribute == "src":
        return value if value.startswith("/") and not value.startswith("//") else None
    return value


def _render(text: str) -> str:
    html = _converter().reset().convert(text or "")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        attribute_filter=_same_site_images,
    )


def _key(text: str) -> str:
    return CACHE_PREFIX + hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def render_markdown(text: str) -> SafeString:
    """Safe HTML for one text (from the cache when it was rendered before)."""
    return render_markdown_many([text])[0]


def render_markdown_many(texts: Sequence[str]) -> list[SafeString]:
    """Safe HTML for many texts with one cache round trip."""
    keys = [_key(text or "") for text in texts]
    cached = cache.get_many(keys)
    missing = {}
    rendered = []
    for key, text in zip(keys, texts, strict=True):
        html = cached.get(key)
        if html is None:
            html = missing[key] = _render(text)
        rendered.append(mark_safe(html))  # noqa: S308 - sanitised by nh3 in _render
    if missing:
        cache.set_many(missing, CACHE_SECONDS)
    return rendered
