"""The loop's part of an analysis report (日报告/周研判/月分析) of a unit: what came in by category and by
grid, the figures against the period before, the categories rising against their average, and the
places where cases of one kind cluster (a spatial hot spot). Summed from the daily tallies where the
tallies hold it; hot spots from the cases' points. Plain data: the report keeps it as issued."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.db.models import Count, Q

from wangge.cases import figures as fig
from wangge.cases import tallies
from wangge.cases.models import Case, Category
from wangge.cases.services.states import OPEN_NOW
from wangge.grids import services as grids

SPOT_METRES = 300  # cases of one kind within about this distance make a hot spot
SPOT_AT_LEAST = 3


@dataclass
class Received:
    by_category: list[dict]  # {key, group, name, received, hotline}
    by_grid: list[dict]  # {code, name, received, hotline}: the unit's children


def received(grid, period: fig.Period) -> Received:
    """Cases and 12345 orders that came in, by category and by the unit's child grids."""
    children = list(grids.children(grid)) or [grid]
    rows = tallies.den_by_category(list({grid, *children}), period, ["acceptance", "response"])
    by_cat: dict[int, Counter] = defaultdict(Counter)
    by_grid: dict[int, Counter] = defaultdict(Counter)
    what = {"acceptance": "received", "response": "hotline"}
    for r in rows:  # the unit's own rows (its whole subtree) by category, its children's by grid
        if r["grid_id"] == grid.pk:
            by_cat[r["category_id"]][what[r["key"]]] += r["n"]
        if r["grid_id"] != grid.pk or children == [grid]:
            by_grid[r["grid_id"]][what[r["key"]]] += r["n"]
    cats = {c.pk: c for c in Category.objects.filter(pk__in=list(by_cat)).select_related("parent")}
    categories: list[dict] = []
    for k, v in sorted(by_cat.items(), key=lambda kv: (-kv[1]["received"], cats[kv[0]].name)):
        parent = cats[k].parent
        categories.append({"key": cats[k].key, "group": parent.key if parent else "", "name": cats[k].name,
                           "received": v["received"], "hotline": v["hotline"]})  # fmt: skip
    grid_rows = [{"code": c.code, "name": c.name, "received": by_grid[c.pk]["received"],
                  "hotline": by_grid[c.pk]["hotline"]} for c in children]  # fmt: skip
    return Received(categories, grid_rows)


def figures_against(grid, period: fig.Period, before: fig.Period) -> list[dict]:
    """Each figure of the period beside the period before (num, den, value)."""
    now = tallies.summed(grid, period)
    then = {f.key: f for f in tallies.summed(grid, before)}
    return [{"key": f.key, "name": f.name, "formula": f.formula, "num": f.num, "den": f.den, "value": f.value,
             "before": then[f.key].value, "before_num": then[f.key].num, "before_den": then[f.key].den}
            for f in now]  # fmt: skip


def category_counts(grid, start, end) -> dict[str, int]:
    """Cases received per category key in [start, end] (the tallies)."""
    rows = tallies.den_by_category([grid], fig.Period(start, end), ["acceptance"])
    keys = dict(Category.objects.filter(pk__in={r["category_id"] for r in rows}).values_list("pk", "key"))
    counts: Counter = Counter()
    for r in rows:
        counts[keys[r["category_id"]]] += r["n"]
    return dict(counts)


def hot_spots(grid, period: fig.Period) -> list[dict]:
    """Places where SPOT_AT_LEAST or more cases of one category came in within about SPOT_METRES: cases
    snapped to cells of that size, a cell and its neighbours counted together. Each spot: the category,
    how many, the middle point, and the address most of them give (to say "集中在胜利街3号附近")."""
    lo, hi = period.bounds
    cases = Case.objects.filter(
        tallies.in_subtree(grid.path), created__gte=lo, created__lt=hi, lon__isnull=False, lat__isnull=False
    ).values_list("category__key", "category__name", "lon", "lat", "address")  # fmt: skip
    cells: dict[tuple[str, int, int], list] = defaultdict(list)
    names: dict[str, str] = {}
    for key, name, lon, lat, address in cases:
        if lon is None or lat is None:
            continue
        dy = SPOT_METRES / 111_320
        dx = dy / max(math.cos(math.radians(lat)), 0.01)
        cells[(key, int(lon // dx), int(lat // dy))].append((lon, lat, address))
        names[key] = name
    spots, taken = [], set()
    for (key, x, y), _found in sorted(cells.items(), key=lambda kv: -len(kv[1])):
        if (key, x, y) in taken:
            continue
        around = [(key, x + i, y + j) for i in (-1, 0, 1) for j in (-1, 0, 1)]
        near = [c for cell in around if cell not in taken for c in cells.get(cell, [])]
        if len(near) < SPOT_AT_LEAST:
            continue
        taken.update(around)
        addresses = Counter(a for _x, _y, a in near if a)
        spots.append({
            "category": key, "name": names[key], "n": len(near),
            "lon": round(sum(p[0] for p in near) / len(near), 6),
            "lat": round(sum(p[1] for p in near) / len(near), 6),
            "place": addresses.most_common(1)[0][0] if addresses else "",
        })  # fmt: skip
    return sorted(spots, key=lambda s: -s["n"])[:10]


def open_now(grid) -> dict[str, int]:
    """Open cases of the unit now: overdue, escalated, supervised, and groups of open repeated calls."""
    cases = Case.objects.filter(tallies.in_subtree(grid.path)).filter(OPEN_NOW)
    counts = cases.aggregate(
        open=Count("pk"),
        overdue=Count("pk", filter=Q(overdue=True)),
        escalated=Count("pk", filter=Q(escalation_level__gt=0)),
        supervised=Count("pk", filter=Q(supervised=True)),
    )
    counts["repeat_groups"] = cases.filter(repeat_of__isnull=False).values("repeat_of").distinct().count()
    return counts
