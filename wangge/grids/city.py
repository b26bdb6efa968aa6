"""The generated city's grid tree (`wangge demo city`): the city scene's six levels over a rectangle about
70 km by 55 km, each grid split into a near-square block of its children, written through the grid
importer (`importing.import_rows`: every row checked, within its parent, apart from its siblings, then
written level by level in one transaction), the path a city's GIS office takes with its own map."""

from __future__ import annotations

import math
import random

import shapely
from shapely.geometry import mapping

from wangge.core.demo import VALID_FROM, CitySize, register_city_step
from wangge.core.scenes import apply_scene
from wangge.grids.importing import Row, import_rows

CITY_CODE = "990100"
BOUNDS = (103.70, 30.40, 104.42, 30.90)  # lon/lat: a plain about 70 km by 55 km
NAMES = ("区", "街道", "社区", "网格", "微网格")


def _blocks(box: tuple[float, float, float, float], n: int) -> list[tuple[float, float, float, float]]:
    """n cells of the box in a near-square block, row by row (the last row may be short)."""
    west, south, east, north = box
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    w, h = (east - west) / cols, (north - south) / rows
    return [
        (
            west + (i % cols) * w,
            south + (i // cols) * h,
            west + (i % cols + 1) * w,
            south + (i // cols + 1) * h,
        )
        for i in range(n)
    ]


def _row(n: int, name: str, code: str, parent: str, box, kind: str = "") -> Row:
    return Row(
        where=f"第 {n} 个网格",
        name=name,
        code=code,
        parent_code=parent,
        boundary=mapping(shapely.box(*box)),
        kind=kind,
    )


def load(size: CitySize, rng: random.Random) -> str:
    apply_scene("city")
    rows = [_row(1, "示范市", CITY_CODE, "", BOUNDS)]
    level: list[tuple[str, tuple[float, float, float, float]]] = [(CITY_CODE, BOUNDS)]
    counts = []
    for depth, label in enumerate(NAMES):
        n = size.districts if depth == 0 else size.fanout
        below = []
        for code, box in level:
            for k, cell in enumerate(_blocks(box, n), start=1):
                child = f"{code}{k:03d}"
                kind = "businesses" if depth >= 3 and rng.random() < 0.05 else "residential"
                rows.append(
                    _row(len(rows) + 1, f"第{k}{label}", child, code, cell, kind if depth >= 3 else "")
                )
                below.append((child, cell))
        counts.append(len(below))
        level = below
    report = import_rows(rows, dry_run=False, on=VALID_FROM)  # in force over the years of cases
    if report.problems:
        raise RuntimeError(f"the generated tree was refused: {report.problems[:3]}")
    return "，".join(f"{n:,} 个{label}" for n, label in zip(counts, NAMES, strict=True))


def register() -> None:
    register_city_step("网格（六级）", load, order=10)
