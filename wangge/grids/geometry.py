"""Boundary helpers: GeoJSON in and out, areas in square metres, problems and repairs."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import shapely
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity, make_valid


def to_shape(geojson: dict | None) -> BaseGeometry | None:
    if not geojson:
        return None
    return shape(geojson)


def to_geojson(geom: BaseGeometry | None, precision: int = 7) -> dict | None:
    if geom is None or geom.is_empty:
        return None
    geom = shapely.set_precision(geom, 10**-precision) if precision else geom
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        geom = shapely.orient_polygons(geom)
    return mapping(geom)  # type: ignore[return-value]


def area_m2(geom: BaseGeometry | None) -> float:
    """Area on the ground: degrees scaled to metres at the shape's latitude (good to <0.1% at town size)."""
    if geom is None or geom.is_empty:
        return 0.0
    lat = geom.centroid.y
    kx = 111320.0 * math.cos(math.radians(lat))
    ky = 110574.0
    return float(geom.area * kx * ky)


def polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Keep only the polygon parts (make_valid may return lines and points beside them)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


@dataclass
class ShapeCheck:
    ok: bool
    problems: list[str]
    repaired: BaseGeometry | None = None
    area_before: float = 0.0
    area_after: float = 0.0

    @property
    def only_orientation(self) -> bool:
        """Clockwise rings are a harmless mistake: fixed without asking."""
        return bool(self.problems) and all(p.startswith("外环方向") for p in self.problems)


def check_shape(geojson: object) -> ShapeCheck:
    """Name what is wrong with a boundary and what make_valid would make of it."""
    problems: list[str] = []
    if not isinstance(geojson, dict) or "type" not in geojson:
        return ShapeCheck(False, ["边界不是 GeoJSON 几何对象"])
    try:
        geom = shape(geojson)
    except Exception:  # shapely raises several kinds (in English) for malformed input
        return ShapeCheck(False, ["边界无法解析：坐标须为 [经度, 纬度] 数对组成的闭合环"])
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        return ShapeCheck(False, [f"边界必须是面（Polygon/MultiPolygon），而不是 {geom.geom_type}"])
    if geom.is_empty:
        return ShapeCheck(False, ["边界为空"])
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        return ShapeCheck(False, ["坐标超出经纬度范围，边界须为 WGS-84 经纬度（经度在前）"])
    before = area_m2(geom) if geom.is_valid else abs(area_m2(shapely.Polygon(_exterior(geom))))
    if not geom.is_valid:
        problems.append(f"边界无效：{_explain_zh(explain_validity(geom))}")
    if geom.is_valid and not _is_ccw(geom):
        problems.append("外环方向为顺时针（GeoJSON 规定逆时针）")
    if not problems:
        return ShapeCheck(True, [], geom, before, before)
    fixed = polygonal(make_valid(geom))
    fixed = shapely.orient_polygons(fixed)
    if fixed.is_empty:
        return ShapeCheck(False, [*problems, "修复后边界为空"], None, before, 0.0)
    return ShapeCheck(False, problems, fixed, before, area_m2(fixed))


def _exterior(geom: BaseGeometry):
    if geom.geom_type == "Polygon":
        return geom.exterior
    return max(geom.geoms, key=lambda g: g.envelope.area).exterior


def _is_ccw(geom: BaseGeometry) -> bool:
    polys = [geom] if geom.geom_type == "Polygon" else list(geom.geoms)
    return all(p.exterior.is_ccw for p in polys)


_REASONS = (  # GEOS's reasons, longest first (Ring Self-intersection before Self-intersection)
    ("Ring Self-intersection", "环自相交"),
    ("Self-intersection", "自相交"),
    ("Too few points", "点数太少"),
    ("Hole lies outside shell", "洞在外环之外"),
    ("Holes are nested", "洞相互嵌套"),
    ("Interior is disconnected", "内部不连通"),
    ("Nested shells", "外环嵌套"),
    ("Duplicate Rings", "环重复"),
    ("Invalid Coordinate", "坐标无效"),
    ("Ring is not closed", "环未闭合"),
)
_AT = re.compile(r"\[\s*(-?[\d.eE+-]+)\s+(-?[\d.eE+-]+)\s*\]")


def _explain_zh(reason: str) -> str:
    """GEOS's reason in Chinese, with the place it found it (explain_validity: "Too few points in
    geometry component[119.5 27.4]" → "点数太少（位置 119.5, 27.4）")."""
    said = next((zh for en, zh in _REASONS if reason.startswith(en)), "边界几何无效")
    at = _AT.search(reason)
    return f"{said}（位置 {float(at.group(1)):.6f}, {float(at.group(2)):.6f}）" if at else said
