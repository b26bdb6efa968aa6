"""Each role's home page (首页): the to-dos the user has, built from what is already there, every number a
link to its list. The platform knows no module, so each module adds its panels here (`register_panel`,
from its AppConfig.ready) and the home page shows those that have something for the user."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Item:
    """One figure of a panel: a label, its count (or None for a plain link) and where it leads."""

    label: str
    count: int | None = None
    url: str = ""
    tone: str = ""  # "warn", "bad" or "": how the count is coloured when it is not zero
    unit: str = ""  # "%" for a rate


@dataclass
class Line:
    """One row of a panel's short list (the cases nearest their deadline, my reports)."""

    text: str
    url: str = ""
    tag: str = ""
    tone: str = ""


@dataclass
class Panel:
    title: str
    items: list[Item] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    more: str = ""  # the full list
    action: Item | None = None  # one button (我要反映)
    wide: bool = False
    map_grids: str = ""  # a small map: the grids' GeoJSON URL and the points' (today's cases)
    map_points: str = ""


PanelFn = Callable[[object], "Panel | None"]
_PANELS: list[tuple[int, PanelFn]] = []


def register_panel(fn: PanelFn, *, order: int = 50) -> None:
    if all(f is not fn for _o, f in _PANELS):
        _PANELS.append((order, fn))


def panels_for(user) -> list[Panel]:
    """The panels that have something for this user, in their order."""
    return [p for _order, fn in sorted(_PANELS, key=lambda x: x[0]) if (p := fn(user)) is not None]


# A role may land on a module's page instead of the panels (the leader on the command screen); the home
# page with "?panels" still shows the panels.
_LANDINGS: dict[str, str] = {}


def register_landing(role: str, url_name: str) -> None:
    _LANDINGS[role] = url_name


def landing_for(user) -> str | None:
    return _LANDINGS.get(getattr(user, "role", ""))
