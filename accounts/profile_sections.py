"""Sections other apps add to the profile page, so accounts imports none of them.

An app registers its section once, from its ``AppConfig.ready()``::

    register_section(
        "notifications",
        "notifications/profile_section.html",
        context=lambda request: {"matrix": preference_matrix(request.user)},
        order=10,
    )

The profile page renders every registered section, lowest ``order`` first, each from its
own template with what ``context(request)`` returns plus the usual request context
(``user``, ``request``, ``csrf_token``...). A section's template draws its own card.
``context`` may return ``None`` to leave the section out for this request (for example,
a section only agents need).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

SectionContext = Callable[[HttpRequest], dict | None]


@dataclass(frozen=True)
class ProfileSection:
    name: str
    template_name: str
    context: SectionContext | None = None
    order: int = 100


@dataclass
class BoundSection:
    """A section ready for one request; ``html`` renders it once, when the page asks."""

    section: ProfileSection
    request: HttpRequest
    context: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.section.name

    @cached_property
    def html(self) -> SafeString:
        return render_to_string(self.section.template_name, self.context, request=self.request)


_sections: dict[str, ProfileSection] = {}


def register_section(
    name: str,
    template_name: str,
    *,
    context: SectionContext | None = None,
    order: int = 100,
) -> ProfileSection:
    """Add (or replace) the section called ``name``."""
    section = ProfileSection(name=name, template_name=template_name, context=context, order=order)
    _sections[name] = section
    return section


def unregister_section(name: str) -> None:
    _sections.pop(name, None)


def sections_for(request: HttpRequest) -> list[BoundSection]:
    """The registered sections to show to this request's user, in order."""
    bound = []
    for section in sorted(_sections.values(), key=lambda s: (s.order, s.name)):
        context = section.context(request) if section.context is not None else {}
        if context is not None:
            bound.append(BoundSection(section=section, request=request, context=context))
    return bound
