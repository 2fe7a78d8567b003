"""The dashboard's sections: a small registry other apps add to from ``AppConfig.ready()``.

    register_section("sla", build=lambda scope: Table(...) or None, order=60)

``build(scope)`` gets the dashboard's ``Scope`` (the viewer, the tickets they may count,
the period) and returns a ``Table`` (drawn as a chart with its table, and exported), or
None to leave the section out for this viewer. Sections are drawn lowest ``order``
first; their ``Table.name`` must be the registered name (it names the export).
"""

from collections.abc import Callable
from dataclasses import dataclass

from reports.scope import Scope
from reports.tables import Table

SectionBuilder = Callable[[Scope], Table | None]


@dataclass(frozen=True)
class Section:
    name: str
    build: SectionBuilder
    order: int = 100


_sections: dict[str, Section] = {}


def register_section(name: str, *, build: SectionBuilder, order: int = 100) -> Section:
    """Add (or replace) the section called ``name``."""
    section = Section(name=name, build=build, order=order)
    _sections[name] = section
    return section


def unregister_section(name: str) -> None:
    _sections.pop(name, None)


def sections() -> list[Section]:
    return sorted(_sections.values(), key=lambda s: (s.order, s.name))


def section(name: str) -> Section | None:
    return _sections.get(name)
