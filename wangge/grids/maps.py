"""What the grid map can show besides the grids. The platform knows no module, so each module adds its
figures (open cases, visits due: a map coloured by one, per grid) and its layers (the buildings) here,
from its AppConfig.ready, as the home page's panels are added."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import Count, QuerySet
from django.urls import reverse

from wangge.grids.models import Grid


@dataclass(frozen=True)
class Figure:
    """A count per grid, for colouring the map: `counts(user)` gives {grid id: count} of the things that
    sit in each grid the user sees; the map adds each grid's subtree up."""

    key: str
    label: object  # a lazy translation
    counts: Callable[[object], dict[int, int]]
    permission: str = ""


@dataclass(frozen=True)
class Layer:
    """Points drawn over the grids (the buildings): a URL name taking a grid's code, GeoJSON points."""

    key: str
    label: object
    url_name: str
    permission: str = ""


_FIGURES: dict[str, Figure] = {}
_LAYERS: dict[str, Layer] = {}


def register_figure(figure: Figure) -> None:
    _FIGURES[figure.key] = figure


def register_layer(layer: Layer) -> None:
    _LAYERS[layer.key] = layer


def figures_for(user) -> list[Figure]:
    return [f for f in _FIGURES.values() if not f.permission or user.has_perm(f.permission)]


def layer_urls(user, grid: Grid) -> list[str]:
    return [
        reverse(layer.url_name, args=[grid.code])
        for layer in _LAYERS.values()
        if not layer.permission or user.has_perm(layer.permission)
    ]


def count_by_grid(qs: QuerySet, grid_field: str = "grid", distinct: str = "") -> dict[int, int]:
    """{grid id: how many} of a queryset already scoped to the user, one GROUP BY."""
    counted = Count(distinct, distinct=True) if distinct else Count("pk")
    rows = qs.order_by().values(grid_field).annotate(n=counted).values_list(grid_field, "n")
    return {grid_id: n for grid_id, n in rows if grid_id is not None}


def subtree_totals(counts: dict[int, int], grids: Iterable[Grid]) -> dict[str, int]:
    """Each grid's total over its subtree ({code: total}), from counts per grid id: every count is added
    to the grid it sits in and to each of its ancestors, so a town's map costs one pass."""
    wanted = {g.path: g.code for g in grids}
    totals = dict.fromkeys(wanted.values(), 0)
    if not counts:
        return totals
    paths = Grid.objects.filter(pk__in=list(counts)).values_list("pk", "path")
    step = Grid.steplen
    for pk, path in paths:
        for end in range(step, len(path) + 1, step):
            code = wanted.get(path[:end])
            if code is not None:
                totals[code] += counts[pk]
    return totals


def figure_totals(key: str, user, grids: Iterable[Grid]) -> dict[str, int] | None:
    """The chosen figure over each of these grids' subtrees, or None when there is no such figure for the
    user (the map then colours by level)."""
    figure = next((f for f in figures_for(user) if f.key == key), None)
    if figure is None:
        return None
    return subtree_totals(figure.counts(user), grids)
