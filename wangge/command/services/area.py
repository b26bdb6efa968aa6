"""应急排查: in the first hour of a typhoon, a flood, a fire or a gas leak, every vulnerable person and every
dangerous house in an area, with their household, address, masked phone and the grid's people on duty.
("第一时间根据花名册排查危房及弱势群体，及时疏散重点人群", Shanghu during 贝碧嘉.)

An area is a drawn polygon, chosen grids, or a radius round a point. The grids it touches come from the
in-process grid index; the people and houses of those grids from the registry's services (in the user's
jurisdiction, masked); which of them lie inside is decided on their points at once (shapely, vectorised).
A person without a point is inside when the area covers their grid whole, and otherwise listed apart as
"位置未标注" for the worker to check."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import numpy as np
import shapely
import shapely.affinity
from django.utils.translation import gettext as _

from wangge.accounts import services as accounts
from wangge.audit import services as audit
from wangge.core.errors import invalid
from wangge.grids import services as grids
from wangge.grids.models import Grid
from wangge.registry import services as registry

MIN_RADIUS_M, MAX_RADIUS_M = 10, 50_000
MOST_GRIDS = 500  # grids chosen by hand at once
METRES_PER_DEGREE = 111_320.0


@dataclass
class Area:
    shape: object  # a shapely geometry, WGS-84
    described: str  # "半径 500 米（119.51, 27.46）", "3 个网格", "多边形"

    def as_geojson(self) -> dict:
        return json.loads(shapely.to_geojson(self.shape))


@dataclass
class Found:
    area: Area
    people: list[registry.AtRisk] = field(default_factory=list)
    unplaced: list[registry.AtRisk] = field(default_factory=list)  # no point, in a grid partly inside
    houses: list[registry.HouseAtRisk] = field(default_factory=list)
    grid_names: dict[int, str] = field(default_factory=dict)
    on_duty: dict[int, list[str]] = field(default_factory=dict)


def area_from(user, *, polygon=None, grid_codes=(), lon=None, lat=None, radius_m=None) -> Area:
    """The area a caller gave, one of three ways, or a Chinese error naming what is wrong."""
    given = [
        polygon is not None,
        bool(grid_codes),
        radius_m is not None or lon is not None or lat is not None,
    ]
    if sum(given) != 1:
        raise invalid("area", _("请给出一种范围：在地图上画多边形、选择网格，或给出中心点和半径"), "required")
    if polygon is not None:
        return _polygon(polygon)
    if grid_codes:
        return _grids(user, list(grid_codes))
    return _circle(lon, lat, radius_m)


def _polygon(raw) -> Area:
    geometry = raw.get("geometry", raw) if isinstance(raw, dict) else raw
    try:
        shape = shapely.from_geojson(json.dumps(geometry) if not isinstance(geometry, str) else geometry)
    except (shapely.errors.GEOSException, ValueError, TypeError):
        shape = None
    if shape is None or shape.geom_type not in ("Polygon", "MultiPolygon"):
        raise invalid("polygon", _("范围不是有效的多边形（需要 GeoJSON Polygon，至少三个点）"), "invalid")
    if not shape.is_valid or shape.area == 0:
        raise invalid("polygon", _("多边形的边自相交或面积为零，请重新绘制"), "invalid")
    minx, miny, maxx, maxy = shape.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise invalid("polygon", _("多边形的坐标应为经度、纬度（WGS-84）"), "out_of_range")
    return Area(shape, _("多边形"))


def _grids(user, codes: list[str]) -> Area:
    if len(codes) > MOST_GRIDS:
        raise invalid("grids", _("一次最多选择 %(n)s 个网格") % {"n": MOST_GRIDS}, "too_many")
    chosen = {
        g.code: g for g in accounts.visible(Grid.objects.all(), user, grid_field="").filter(code__in=codes)
    }
    missing = [c for c in codes if c not in chosen]
    if missing:
        raise invalid(
            "grids", _("找不到或不在您辖区内的网格：%(c)s") % {"c": "、".join(missing[:10])}, "outside"
        )
    undrawn = [g.name for g in chosen.values() if not g.boundary]
    if undrawn:
        raise invalid("grids", _("网格尚未绘制边界：%(g)s") % {"g": "、".join(undrawn[:10])}, "invalid")
    shapes = shapely.from_geojson([json.dumps(g.boundary) for g in chosen.values()])
    return Area(shapely.union_all(shapes), _("%(n)s 个网格") % {"n": len(chosen)})


def _circle(lon, lat, radius_m) -> Area:
    try:
        lon, lat, radius_m = float(lon), float(lat), float(radius_m)
    except (TypeError, ValueError):
        raise invalid("radius_m", _("请给出中心点的经度、纬度和半径（米）"), "required") from None
    if not (-180 <= lon <= 180 and -85 <= lat <= 85):
        raise invalid("lon", _("中心点的经纬度超出范围"), "out_of_range")
    if not (MIN_RADIUS_M <= radius_m <= MAX_RADIUS_M):
        raise invalid(
            "radius_m",
            _("半径应在 %(lo)s 米到 %(hi)s 公里之间") % {"lo": MIN_RADIUS_M, "hi": MAX_RADIUS_M // 1000},
            "out_of_range",
        )
    # a circle on the ground: an ellipse in degrees (a degree of longitude shrinks with the latitude)
    unit = shapely.Point(lon, lat).buffer(1.0, quad_segs=32)
    dy = radius_m / METRES_PER_DEGREE
    dx = dy / max(math.cos(math.radians(lat)), 0.01)
    shape = shapely.affinity.scale(unit, xfact=dx, yfact=dy, origin=(lon, lat))
    return Area(
        shape, _("半径 %(r)s 米（%(lon).5f, %(lat).5f）") % {"r": int(radius_m), "lon": lon, "lat": lat}
    )


def find_in_area(user, area: Area) -> Found:
    """Everyone vulnerable and every dangerous house in the area that the user may see; the search is
    audited (who looked, the area, how many people it found)."""
    touched = grids.leaves_touching(area.shape)
    ids = [located.leaf.id for located, _whole in touched]
    visible = set(
        accounts.visible(Grid.objects.filter(pk__in=ids), user, grid_field="").values_list("pk", flat=True)
    )
    whole = {located.leaf.id for located, covered in touched if covered and located.leaf.id in visible}
    found = Found(
        area, grid_names={loc.leaf.id: loc.leaf.name for loc, _w in touched if loc.leaf.id in visible}
    )
    shapely.prepare(area.shape)
    people = registry.people_at_risk(user, visible)
    inside = _inside(area.shape, [p.point for p in people])
    for person, hit in zip(people, inside, strict=True):
        if hit or (person.point is None and person.grid_id in whole):
            found.people.append(person)
        elif person.point is None:
            found.unplaced.append(person)
    houses = registry.houses_at_risk(user, visible)
    found.houses = [h for h, hit in zip(houses, _inside(area.shape, [h.point for h in houses]), strict=True)
                    if hit or (h.point is None and h.grid_id in whole)]  # fmt: skip
    found.on_duty = grids.people_on_duty({p.grid_id for p in found.people + found.unplaced})
    audit.record(
        audit.Action.VIEW_SENSITIVE,
        actor=user,
        object_repr=_("应急排查：%(a)s") % {"a": area.described},
        detail={"area": area.described, "people": len(found.people), "unplaced": len(found.unplaced),
                "houses": len(found.houses), "grids": sorted(visible)},
    )  # fmt: skip
    return found


def _inside(shape, points: list[tuple[float, float] | None]) -> list[bool]:
    if not points:
        return []
    xs = np.array([p[0] if p else np.nan for p in points], dtype=float)
    ys = np.array([p[1] if p else np.nan for p in points], dtype=float)
    hits = shapely.contains_xy(shape, xs, ys)
    return [bool(h) and p is not None for h, p in zip(hits, points, strict=True)]
