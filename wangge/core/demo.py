"""The demo town: Aoyang-sized (鳌阳镇, Shouning county, Fujian), generated deterministically.

1 town, 11 second-level grids, 42 third-level, 170 unit grids, 16,970 households. Boundaries
are Voronoi cells clipped to their parent, so each level tiles its parent without gaps or
overlaps. Later modules add their own steps (people, cases...) with `register_step`.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import shapely
from django.db import transaction

from wangge.core.scenes import apply_scene

SCENE = "rural-town"
CENTER = (119.5105, 27.4600)  # Shouning county town
SEED = 20261124
DEMO_PASSWORD = "Demo@2026"
HOUSEHOLDS = 16970
VALID_FROM = date(2024, 1, 1)

# The communities and villages of Aoyang town (鳌阳镇, Shouning) as the seed articles name them: 敖东社区,
# whose 第四网格 and 广场新村 they describe, first.
SECOND_LEVEL = [
    ("敖东社区", "residential"),
    ("胜利街社区", "residential"),
    ("茗溪社区", "residential"),
    ("蟾溪社区", "residential"),
    ("仙岩社区", "residential"),
    ("南阳社区", "residential"),
    ("北门村", "rural_settlement"),
    ("溪口村", "rural_settlement"),
    ("龙虎村", "rural_settlement"),
    ("大韩村", "rural_settlement"),
    ("后洋村", "rural_settlement"),
]
# 42 third-level grids (第一网格, 第二网格 … in each community, as clerks number them) over 11 second-level
# ones, 170 unit grids over 42 third-level ones.
THIRD_PER_SECOND = [4, 4, 4, 4, 4, 4, 4, 4, 4, 3, 3]
NUMBERS = "一二三四五六七八九十"
# unit grids named after the estate they cover, where the seeds name one
ESTATES = {("敖东社区", 0, 0): "广场新村网格"}
UNITS_PER_THIRD = [5, 5] + [4] * 40


@dataclass
class DemoLogin:
    username: str
    role: str
    title: str
    where: str


Step = Callable[[random.Random], "list[DemoLogin] | None"]
_STEPS: list[tuple[int, str, Step]] = []


def register_step(name: str, fn: Step, *, order: int = 50) -> None:
    _STEPS.append((order, name, fn))


@dataclass(frozen=True)
class CitySize:
    """`wangge demo city`: how big a city to generate. Each level below the districts splits its grid into
    `fanout` parts (streets, communities, grids, micro-grids), so 20 districts and 200,000 micro-grids
    give 10 a level."""

    districts: int = 20
    micro_grids: int = 200_000
    persons: int = 2_000_000
    days: int = 365
    cases_per_day: int = 60_000
    seed_cases: int = 3_000  # taken in and handled through the services; the rest copies their history

    @property
    def fanout(self) -> int:
        return max(1, round((self.micro_grids / self.districts) ** 0.25))

    @property
    def cases(self) -> int:
        return self.days * self.cases_per_day


CityStep = Callable[[CitySize, random.Random], str]
_CITY_STEPS: list[tuple[int, str, CityStep]] = []


def register_city_step(name: str, fn: CityStep, *, order: int) -> None:
    """A module's part of the generated city: fn(size, rng) writes it through the module's bulk paths and
    returns a line saying what it wrote."""
    _CITY_STEPS.append((order, name, fn))


def load_city(size: CitySize, *, stdout=None) -> None:
    """Every registered city step in order, each in transactions of its own (a city is written for hours
    on a big machine: a step that fails leaves the ones before it)."""
    rng = random.Random(SEED)
    for _order, name, fn in sorted(_CITY_STEPS, key=lambda s: s[0]):
        started = time.perf_counter()
        said = fn(size, rng)
        if stdout:
            stdout.write(f"{name}：{said}（{time.perf_counter() - started:.1f} 秒）")


def town_outline(rng: random.Random) -> shapely.Polygon:
    """A lumpy town boundary about 11 km across."""
    cx, cy = CENTER
    pts = []
    n = 48
    phase = [rng.uniform(0, 2 * math.pi) for _ in range(3)]
    for i in range(n):
        a = 2 * math.pi * i / n
        r = (
            1
            + 0.12 * math.sin(3 * a + phase[0])
            + 0.07 * math.sin(5 * a + phase[1])
            + 0.04 * math.sin(7 * a + phase[2])
        )
        pts.append((cx + 0.058 * r * math.cos(a), cy + 0.050 * r * math.sin(a)))
    return shapely.Polygon(pts)


def tile(parent: shapely.Geometry, n: int, rng: random.Random) -> list[shapely.Geometry]:
    """Cut a polygon into n cells (Voronoi of n random points inside it, clipped)."""
    minx, miny, maxx, maxy = parent.bounds
    inner = parent.buffer(-min(maxx - minx, maxy - miny) * 0.05)
    inner = inner if not inner.is_empty else parent
    seeds: list[tuple[float, float]] = []
    tries = 0
    while len(seeds) < n:
        tries += 1
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if not inner.contains(shapely.Point(x, y)):
            continue
        # Keep seeds apart so cells have a reasonable size.
        spacing = math.sqrt(inner.area / n) * (0.55 if tries < 5000 else 0.2)
        if all((x - a) ** 2 + (y - b) ** 2 > spacing**2 for a, b in seeds):
            seeds.append((x, y))
    cells = shapely.voronoi_polygons(shapely.MultiPoint(seeds), extend_to=parent, ordered=True)
    out = []
    for cell in cells.geoms:
        piece = cell.intersection(parent)
        if piece.geom_type == "GeometryCollection":
            piece = shapely.union_all([g for g in piece.geoms if g.area > 0])
        out.append(shapely.orient_polygons(piece))
    # Sort cells north-west to south-east so codes read like a map.
    out.sort(key=lambda g: (-round(g.centroid.y, 3), g.centroid.x))
    return out


def split_total(total: int, n: int, rng: random.Random, low: float = 0.85, high: float = 1.15) -> list[int]:
    weights = [rng.uniform(low, high) for _ in range(n)]
    s = sum(weights)
    counts = [int(total * w / s) for w in weights]
    for i in range(total - sum(counts)):
        counts[i % n] += 1
    return counts


@transaction.atomic
def load(*, stdout=None) -> list[DemoLogin]:
    """Apply the rural-town scene and run every registered step in order (the platform's town and staff
    first); returns the demo logins the steps made."""

    def say(msg: str) -> None:
        if stdout:
            stdout.write(msg)

    rng = random.Random(SEED)  # one generator through every step: the same town each time
    apply_scene(SCENE)
    logins: list[DemoLogin] = []
    for _order, name, fn in sorted(_STEPS, key=lambda s: s[0]):
        started = time.perf_counter()
        logins += fn(rng) or []
        say(f"加载：{name}（{time.perf_counter() - started:.1f} 秒）")
    return logins
