"""The sections registry: the pages a person can open from the navigation, and who may open each.

A page module registers its section once, at import (``SECTION = register(Section(...))``); the header's
navigation and the landing page list the registered sections the signed-in principal may open. A new
section (the ward board, say) plugs in by registering: nothing else lists sections.
"""

from __future__ import annotations

from dataclasses import dataclass

from engraft.access import Permission, Principal


@dataclass(frozen=True, slots=True)
class Section:
    """One entry of the navigation.

    ``title`` is an English msgid (mark it with :func:`engraft.web.i18n.N_` so the catalogue test sees it;
    templates translate it). ``summary`` (optional, also a msgid) is the line the landing page shows under
    the title. ``path`` is where the section starts; ``permission`` is what opening it needs; ``order`` sorts
    the navigation (smaller first, then by key).
    """

    key: str
    title: str
    path: str
    permission: Permission
    order: int = 100
    summary: str = ""

    def __post_init__(self) -> None:
        if not self.key or not self.key.replace("_", "").replace("-", "").isalnum():
            raise ValueError(f"section key {self.key!r}: expected letters, digits, '-' or '_'")
        if not self.path.startswith("/") or self.path.startswith("/api"):
            raise ValueError(f"section {self.key!r} path {self.path!r}: expected a page path starting with '/'")

    @property
    def catalogue(self) -> str:
        """The section's own message catalogue: ``locale/<language>/LC_MESSAGES/<catalogue>.po``."""
        return self.key.replace("-", "_")

    def open_to(self, principal: Principal | None) -> bool:
        """Whether ``principal`` (``None``: nobody signed in) may open this section."""
        if self.permission is Permission.PUBLIC:
            return True
        return principal is not None and principal.may(self.permission)


_SECTIONS: dict[str, Section] = {}


def register(section: Section) -> Section:
    """Add ``section`` to the navigation (again with the same definition: no change) and return it.

    Raises :class:`ValueError` when another section already has its key or its path.
    """
    existing = _SECTIONS.get(section.key)
    if existing is not None and existing != section:
        raise ValueError(f"section key {section.key!r} is registered already, as {existing}")
    for other in _SECTIONS.values():
        if other.key != section.key and other.path == section.path:
            raise ValueError(f"section {section.key!r}: path {section.path!r} belongs to section {other.key!r}")
    _SECTIONS[section.key] = section
    return section


def registered_sections() -> tuple[Section, ...]:
    """Every registered section, in navigation order."""
    return tuple(sorted(_SECTIONS.values(), key=lambda s: (s.order, s.key)))


def sections_for(principal: Principal | None) -> tuple[Section, ...]:
    """The sections ``principal`` may open, in navigation order."""
    return tuple(s for s in registered_sections() if s.open_to(principal))


def section_at(path: str) -> Section | None:
    """The section a page path belongs to (the longest section path that is a prefix of it), if any."""
    best: Section | None = None
    for section in _SECTIONS.values():
        base = section.path.rstrip("/")
        inside = path == section.path or (bool(base) and (path == base or path.startswith(base + "/")))
        if inside and (best is None or len(section.path) > len(best.path)):
            best = section
    return best
