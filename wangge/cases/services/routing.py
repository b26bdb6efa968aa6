"""Where a case goes: the grid level or department the catalogue names for its place."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from wangge.cases.models import Category
from wangge.core.phrases import Phrase, phrase
from wangge.grids import services as grids

log = logging.getLogger(__name__)


@dataclass
class Route:
    grid_id: int | None  # the located leaf grid (None: outside every grid)
    handler_grid_id: int | None
    handler_department_id: int | None
    reason: Phrase  # shown in the reader's language on the case's timeline


def route(category: Category, lon: float | None, lat: float | None) -> Route:
    """谁主管谁负责: the category's level in the place's grid chain, or its department; 属地兜底: the
    place's own grid when the catalogue names nobody; outside every grid: the centre's intake queue.
    Answered from the in-process point index, without a query."""
    hit = grids.locate(lon, lat) if lon is not None and lat is not None else None
    if hit is None:
        top = grids.roots().order_by("path").values_list("pk", flat=True).first()
        return Route(None, top, None, phrase("位置不在任何网格内，转街镇中心受理"))
    leaf = hit.leaf.id
    if category.handler_department_id:
        return Route(leaf, None, category.handler_department_id, phrase("按派单目录由部门办理"))
    if category.handler_level:
        for ref in reversed(hit.chain):
            if ref.level_key == category.handler_level:
                return Route(leaf, ref.id, None, phrase("按派单目录由%(level)s办理", level=ref.level))
    return Route(leaf, leaf, None, phrase("属地兜底：由所在网格办理"))
