"""The verbs of the grid tree: create, edit, split, merge, close, locate, import, export, roles."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

import shapely
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from rapidfuzz import fuzz, process

from wangge.audit import services as audit
from wangge.core.errors import flat, invalid
from wangge.grids import coords
from wangge.grids.geometry import area_m2, check_shape, to_geojson, to_shape
from wangge.grids.index import IndexCache, Located, build_index
from wangge.grids.models import (
    BoundaryVersion,
    Grid,
    GridBoundary,
    GridKind,
    GridLevel,
    GridParentHistory,
    GridRole,
    RoleAssignment,
)
from wangge.grids.signals import grids_moved

# Tolerances for import checks, as shares of the child's area.
OUTSIDE_PARENT_TOLERANCE = 0.01
SIBLING_OVERLAP_TOLERANCE = 0.01
# A repair (make_valid) that changes a boundary's area by more than this share is shown and waits for the
# importer's confirmation: a bow-tie made whole can grow a district by several per cent (郫都区: +4.5%).
REPAIR_AREA_TOLERANCE = 0.01


PATH_MAX_LENGTH = 255  # treebeard's MP_Node.path


def today() -> date:
    return timezone.localdate()


# --- the tree as data ---------------------------------------------------------------------------


def subtree_bounds(path: str) -> tuple[str, str]:
    """Lower and upper bound of every path in the subtree at `path` (an index range, not LIKE)."""
    return path, path + "Z" * (PATH_MAX_LENGTH - len(path))


def subtree_q(path: str, prefix: str = "") -> Q:
    low, high = subtree_bounds(path)
    return Q(**{f"{prefix}path__gte": low, f"{prefix}path__lte": high})


def is_only_root(grid: Grid) -> bool:
    """The grid is the one root: its subtree is every row placed in a grid, which a count can take
    without a join on the paths (a city's 300,000 open cases: 268 ms with it, 115 without, measured)."""
    return grid.depth == 1 and not Grid.objects.filter(depth=1).exclude(pk=grid.pk).exists()


def subtree_q_of_code(code: str, prefix: str = "") -> Q:
    """subtree_q of the grid with this code, or a filter that finds nothing (a list's "grid=" filter: the
    list is already the user's, so another's grid, or an unknown code, shows nothing)."""
    path = Grid.objects.filter(code=code).values_list("path", flat=True).first()
    return subtree_q(path, prefix) if path else Q(pk__in=[])


def active_q(on: date | None = None, prefix: str = "") -> Q:
    """Grids valid on a day: valid_from <= day < valid_to (valid_to is the first day closed)."""
    on = on or today()
    return Q(**{f"{prefix}valid_from__lte": on}) & (
        Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gt": on})
    )


def open_grid(code: str, on: date | None = None) -> Grid | None:
    """The grid of this code if it is valid on the day (today): the one rule for "an open grid"."""
    return Grid.objects.filter(active_q(on), code=code).first() if code else None


def root_path(grid: Grid) -> str:
    """The tree path of the root of the grid's chain (its street or town)."""
    return grid.path[: Grid.steplen]


def parent_path(grid: Grid) -> str:
    """The tree path of the grid one level up ("" for a root)."""
    return grid.path[: (grid.depth - 1) * Grid.steplen]


def active_grids(on: date | None = None) -> QuerySet[Grid]:
    return Grid.objects.filter(active_q(on))


def subtree(grid: Grid, *, on: date | None = None, include_closed: bool = False) -> QuerySet[Grid]:
    qs = Grid.objects.filter(subtree_q(grid.path))
    return qs if include_closed else qs.filter(active_q(on))


def subtree_ids(grid: Grid) -> QuerySet:
    """Ids of every grid in the subtree, open or closed (records of redrawn grids stay in it)."""
    return Grid.objects.filter(subtree_q(grid.path)).values("id")


def leaf_grids(*, on: date | None = None) -> QuerySet[Grid]:
    """Grids valid on a day that have no children (the ones households live in)."""
    return active_grids(on).filter(numchild=0).select_related("level", "kind").order_by("code")


def children(grid: Grid, *, on: date | None = None) -> QuerySet[Grid]:
    """The grids under this one on a day (today): a grid moved by a split or a merge stands under its old
    parent before the day it moved (GridParentHistory) and under its new one from then."""
    under = Q(subtree_q(grid.path), depth=grid.depth + 1)
    if on is not None and on < today():
        held = GridParentHistory.objects.filter(valid_from__lte=on).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gt=on)
        )
        under = (under & ~Q(pk__in=held.exclude(parent=grid).values("grid_id"))) | Q(
            pk__in=held.filter(parent=grid).values("grid_id")
        )
    return Grid.objects.filter(under).filter(active_q(on)).select_related("level", "kind").order_by("code")


def children_all(parent_pk: int) -> QuerySet[Grid]:
    """Every grid directly under a grid, open or closed (its tree children, as the paths have them)."""
    parent = Grid.objects.get(pk=parent_pk)
    return Grid.objects.filter(subtree_q(parent.path), depth=parent.depth + 1)


def mark_children(grids: Iterable[Grid], *, on: date | None = None) -> list[Grid]:
    """The grids with `has_children` set for that day (the tree's ▸): today's count, or the day's."""
    out = list(grids)
    for g in out:
        g.has_children = children(g, on=on).exists() if on is not None and on < today() else g.numchild > 0
    return out


def chain(grid: Grid) -> list[Grid]:
    """The grid's ancestors from the root down, ending with the grid itself."""
    step = Grid.steplen
    paths = [grid.path[:k] for k in range(step, len(grid.path) + 1, step)]
    by_path = {g.path: g for g in Grid.objects.filter(path__in=paths).select_related("level")}
    return [by_path[p] for p in paths if p in by_path]


NAME_PATH_SEPARATORS = re.compile(r"\s*[/／\\>＞]\s*")


@dataclass(frozen=True)
class NamedGrid:
    """What a grid written in a ledger stands for: the grid, or why none (in Chinese)."""

    grid: Grid | None
    problem: str = ""


def grids_named(texts: Iterable[str], among: QuerySet[Grid]) -> dict[str, NamedGrid]:
    """Grids as a clerk writes them, among the given grids (the importing user's open ones): by code, by
    name (第一网格), or by names down the tree (敖东社区/第一网格: each an ancestor's name, in order; the
    last the grid's own). A name that fits several asks for its community; an unknown one offers the
    closest names."""
    texts = {t for t in texts if t}
    out: dict[str, NamedGrid] = {}
    codes = {t for t in texts if t.isdigit()}
    if codes:
        found = {g.code: g for g in among.filter(code__in=codes)}
        for code in codes:
            out[code] = NamedGrid(
                found.get(code), "" if code in found else f"网格编码 {code} 不存在或不在您的辖区内"
            )
    names = texts - codes
    if not names:
        return out
    grids = list(among.only("id", "code", "name", "path", "depth"))
    step = Grid.steplen
    ancestors = {g.path[:k] for g in grids for k in range(step, len(g.path), step)}
    name_of = dict(Grid.objects.filter(path__in=ancestors).values_list("path", "name"))
    name_of.update((g.path, g.name) for g in grids)

    def chain_names(g: Grid) -> list[str]:
        return [name_of.get(g.path[:k], "") for k in range(step, len(g.path) + 1, step)]

    def shown(g: Grid) -> str:
        return "/".join(n for n in chain_names(g)[1:] if n) + f"（{g.code}）"

    by_name: dict[str, list[Grid]] = {}
    for g in grids:
        by_name.setdefault(g.name, []).append(g)
    for text in names:
        *above, own = NAME_PATH_SEPARATORS.split(text)
        fits = [g for g in by_name.get(own, []) if _in_order(above, chain_names(g)[:-1])]
        if len(fits) == 1:
            out[text] = NamedGrid(fits[0])
        elif fits:
            listed = "、".join(shown(g) for g in fits[:5])
            example = "/".join(chain_names(fits[0])[-2:])
            out[text] = NamedGrid(
                None,
                f"网格“{text}”对应 {len(fits)} 个网格：{listed}；请写明上级，如“{example}”，或填网格编码",
            )
        else:
            close = process.extract(own, list(by_name), scorer=fuzz.ratio, limit=3, score_cutoff=50)
            hint = f"，是否为：{'、'.join(name for name, _score, _i in close)}" if close else ""
            out[text] = NamedGrid(None, f"找不到网格“{text}”（或不在您的辖区内）{hint}")
    return out


def _in_order(wanted: list[str], names: list[str]) -> bool:
    """Whether the wanted names appear among the ancestors' names, in order (levels may be skipped)."""
    it = iter(names)
    return all(any(w == n for n in it) for w in wanted)


def roots(*, on: date | None = None) -> QuerySet[Grid]:
    return Grid.objects.filter(depth=1).filter(active_q(on))


def by_codes(codes) -> QuerySet[Grid]:
    return Grid.objects.filter(code__in=list(codes))


def get_by_code(code: str) -> Grid:
    return Grid.objects.select_related("level", "kind").get(code=code)


# --- the boundary index ----------------------------------------------------------------------


def _boundary_version() -> int:
    row = BoundaryVersion.objects.filter(pk=1).values_list("counter", flat=True).first()
    return int(row or 0)


def _load_index(on: date):
    fields = ("id", "path", "code", "name", "depth", "boundary")
    held = boundaries_on(on)  # a grid redrawn since: the line of that day
    rows: list[dict] = [
        {**r, "level": r["level_name"], "boundary": held.get(r["id"], r["boundary"])}
        for r in active_grids(on).values(*fields, level_name=F("level__name"), level_key=F("level__key"))
    ]
    return build_index(rows, on)


_index = IndexCache(_load_index, _boundary_version)


def warm_index(on: date | None = None) -> int:
    """Build the day's point index in this process now (a server's master does, before its workers fork
    and share it); how many leaf grids it holds."""
    return len(_index.get(on or today()))


def boundaries_changed() -> None:
    """Call inside the writing transaction: every process drops its index once this commits."""
    updated = BoundaryVersion.objects.filter(pk=1).update(counter=F("counter") + 1)
    if not updated:
        BoundaryVersion.objects.create(pk=1, counter=1)
    transaction.on_commit(_index.invalidate)


@dataclass
class LocateAnswer:
    found: bool
    leaf: dict | None
    chain: list[dict]
    lon: float
    lat: float
    message: str = ""


def locate(lon: float, lat: float, crs: str = "wgs84", on: date | None = None) -> Located | None:
    """The leaf grid containing the point and its chain to the root, or None when outside every grid."""
    if crs != "wgs84":
        lon, lat = coords.to_wgs84(lon, lat, crs)
    return _index.get(on or today()).find(lon, lat)


def leaves_touching(area, on: date | None = None) -> list[tuple[Located, bool]]:
    """The leaf grids an area (a shapely geometry, WGS-84) touches, from the in-process index, each with
    whether the area covers it whole; the caller keeps to the user's jurisdiction."""
    return _index.get(on or today()).touching(area)


def locate_answer(lon: float, lat: float, crs: str = "wgs84", on: date | None = None) -> LocateAnswer:
    """locate() as plain data for the API and the command line, with the Chinese 'outside' message."""
    if crs not in coords.CRS_CHOICES:
        raise invalid("crs", _("坐标系必须是 wgs84、gcj02 或 bd09"), "unknown")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise invalid("lon", _("经度须在 -180 到 180 之间，纬度须在 -90 到 90 之间"), "out_of_range")
    wlon, wlat = coords.to_wgs84(lon, lat, crs)
    hit = _index.get(on or today()).find(wlon, wlat)
    if hit is None:
        return LocateAnswer(False, None, [], wlon, wlat, _("该位置不在任何网格内"))
    return LocateAnswer(True, hit.leaf.as_dict(), [g.as_dict() for g in hit.chain], wlon, wlat)


# --- writing the tree ----------------------------------------------------------------------------


def _check_level(level: GridLevel, parent: Grid | None) -> None:
    if parent is None:
        if level.allowed_parent_levels:
            raise invalid("level", _("“%(level)s”级网格必须有上级网格") % {"level": level.name}, "required")
        if level.depth != 1:
            raise invalid("level", _("只有最高层级的网格可以没有上级"), "wrong_state")
        return
    allowed = level.allowed_parent_levels
    if allowed:
        if parent.level.key not in allowed:
            names = "、".join(GridLevel.objects.filter(key__in=allowed).values_list("name", flat=True))
            raise invalid(
                "level",
                _("“%(level)s”级网格只能设在%(names)s之下，不能直属“%(parent)s”")
                % {"level": level.name, "names": names, "parent": parent.level.name},
                "invalid",
            )
    elif level.depth != parent.level.depth + 1:
        raise invalid(
            "level",
            _("“%(parent)s”的下级应为第 %(depth)s 级网格，而不是“%(level)s”")
            % {"parent": parent.level.name, "depth": parent.level.depth + 1, "level": level.name},
            "invalid",
        )


def next_code(parent: Grid | None, level: GridLevel) -> str:
    """The next free code under a parent: the parent's code plus the level's own digits."""
    base = parent.code if parent else ""
    width = level.code_digits
    taken = Grid.objects.filter(code__startswith=base) if base else Grid.objects.all()
    used = {c[len(base) :] for c in taken.values_list("code", flat=True) if len(c) == len(base) + width}
    n = 1
    while f"{n:0{width}d}" in used:
        n += 1
    if n >= 10**width:
        raise invalid("code", _("本级编码已用完（%(width)s 位）") % {"width": width}, "too_many")
    return f"{base}{n:0{width}d}"


def _check_code(code: str, parent: Grid | None, level: GridLevel, *, exclude: int | None = None) -> None:
    if not code.isdigit():
        raise invalid("code", _("编码只能由数字组成"), "invalid")
    if parent is not None:
        if not code.startswith(parent.code) or len(code) != len(parent.code) + level.code_digits:
            raise invalid(
                "code",
                _("编码应为上级编码 %(parent)s 加 %(digits)s 位数字")
                % {"parent": parent.code, "digits": level.code_digits},
                "invalid",
            )
    elif len(code) != level.code_digits:
        raise invalid(
            "code", _("顶级网格编码应为 %(digits)s 位数字") % {"digits": level.code_digits}, "invalid"
        )
    qs = Grid.objects.filter(code=code)
    if exclude:
        qs = qs.exclude(pk=exclude)
    if qs.exists():
        raise invalid("code", _("编码 %(code)s 已被使用") % {"code": code}, "taken")


def _clean_boundary(boundary: dict | None, *, repair: bool = False) -> tuple[dict | None, dict]:
    """Validated GeoJSON and its derived area/centre; invalid shapes are refused unless repaired."""
    if not boundary:
        return None, {"area_m2": 0.0, "center_lon": None, "center_lat": None}
    check = check_shape(boundary)
    if not check.ok:
        if not ((repair or check.only_orientation) and check.repaired is not None):
            raise invalid("boundary", "；".join(check.problems), "invalid")
    geom = check.repaired
    assert geom is not None
    point = geom.representative_point()
    return to_geojson(geom), {"area_m2": area_m2(geom), "center_lon": point.x, "center_lat": point.y}


@transaction.atomic
def create_grid(
    *,
    name: str,
    level: GridLevel,
    parent: Grid | None = None,
    kind: GridKind | None = None,
    code: str = "",
    boundary: dict | None = None,
    households: int = 0,
    valid_from: date | None = None,
    repair: bool = False,
    by=None,
    audited: bool = True,
) -> Grid:
    """Open a new grid under a parent (or a new root)."""
    name = (name or "").strip()
    if not name:
        raise invalid("name", _("请填写网格名称"), "required")
    _check_level(level, parent)
    if parent is not None and not parent.is_active:
        raise invalid("parent", _("上级网格已停用"), "closed")
    code = code.strip() if code else next_code(parent, level)
    _check_code(code, parent, level)
    shape_json, derived = _clean_boundary(boundary, repair=repair)
    valid_from = valid_from or today()
    if parent is not None and parent.valid_from > valid_from:
        raise invalid("valid_from", _("启用日期不能早于上级网格的启用日期"), "out_of_range")
    fields = dict(
        name=name,
        code=code,
        level=level,
        kind=kind,
        boundary=shape_json,
        households=households,
        valid_from=valid_from,
        **derived,
    )
    if parent is None:
        grid = Grid.objects.add_root(fields)
    else:
        grid = Grid.objects.add_child(Grid.objects.get(pk=parent.pk), fields)
    if shape_json:
        boundaries_changed()
    if audited:
        audit.record(
            audit.Action.CREATE, actor=by, obj=grid, detail={"parent": parent.code if parent else None}
        )
    return grid


@transaction.atomic
def update_grid(
    grid: Grid,
    *,
    name: str | None = None,
    kind: GridKind | None = None,
    boundary: dict | None = None,
    households: int | None = None,
    repair: bool = False,
    boundary_from: date | None = None,
    by=None,
) -> Grid:
    """Change a grid's name, kind, household count or boundary (its code never changes). A new boundary
    holds from `boundary_from` (today): the one before is kept as a version with its dates, so that a
    point located on an earlier day, and the map of that day, use the line that held then."""
    grid = Grid.objects.select_for_update().get(pk=grid.pk)
    if not grid.is_active:
        raise invalid("valid_to", _("已停用的网格不能修改"), "closed")
    changes: dict[str, object] = {}
    if name is not None:
        name = name.strip()
        if not name:
            raise invalid("name", _("请填写网格名称"), "required")
        if name != grid.name:
            changes["name"] = [grid.name, name]
            grid.name = name
    if kind is not None and kind != grid.kind:
        changes["kind"] = [str(grid.kind or ""), str(kind)]
        grid.kind = kind
    if households is not None and households != grid.households:
        if households < 0:
            raise invalid("households", _("户数不能为负数"), "out_of_range")
        changes["households"] = [grid.households, households]
        grid.households = households
    if boundary is not None:
        shape_json, derived = _clean_boundary(boundary, repair=repair)
        if shape_json != grid.boundary:
            changes["boundary"] = [round(grid.area_m2), round(derived["area_m2"])]
            since = _new_boundary_version(grid, shape_json, derived["area_m2"], boundary_from or today(), by)
            changes["boundary_from"] = since.isoformat()
            grid.boundary = shape_json
            for k, v in derived.items():
                setattr(grid, k, v)
            boundaries_changed()
    if changes:
        grid.save()
        audit.record(audit.Action.UPDATE, actor=by, obj=grid, detail=changes)
    return grid


def _new_boundary_version(grid: Grid, boundary: dict | None, area: float, since: date, by) -> date:
    """Close the boundary that held and open the new one from `since` (a redraw on the same day as the
    last one corrects it in place). Never before the last version's start, never in the future."""
    versions = GridBoundary.objects.filter(grid=grid)
    current = versions.filter(valid_to__isnull=True).first()
    start = current.valid_from if current else grid.valid_from
    if since < start or since > today():
        raise invalid(
            "boundary_from",
            _("边界生效日期应在 %(a)s 与今天之间") % {"a": start.isoformat()},
            "out_of_range",
        )
    who = (str(by) if by else "")[:64]
    if current is None:  # the first redraw: the line it opened with becomes the first version
        current = GridBoundary.objects.create(grid=grid, boundary=grid.boundary, area_m2=grid.area_m2,
                                              valid_from=grid.valid_from)  # fmt: skip
    if since == current.valid_from:
        GridBoundary.objects.filter(pk=current.pk).update(boundary=boundary, area_m2=area, changed_by=who)
    else:
        GridBoundary.objects.filter(pk=current.pk).update(valid_to=since)
        GridBoundary.objects.create(
            grid=grid, boundary=boundary, area_m2=area, valid_from=since, changed_by=who
        )
    return since


def boundaries_on(on: date, grid_ids=None) -> dict[int, dict | None]:
    """The boundaries that held on a day, for the grids redrawn since (the others: their own)."""
    qs = GridBoundary.objects.filter(valid_from__lte=on).filter(Q(valid_to__isnull=True) | Q(valid_to__gt=on))
    if grid_ids is not None:
        qs = qs.filter(grid_id__in=grid_ids)
    return dict(qs.values_list("grid_id", "boundary"))


def boundary_history(grid: Grid) -> QuerySet[GridBoundary]:
    return GridBoundary.objects.filter(grid=grid).order_by("-valid_from")


@transaction.atomic
def close_grid(grid: Grid, *, on: date | None = None, by=None) -> Grid:
    """Stop using a grid from a date; its records stay readable and point to it."""
    grid = Grid.objects.select_for_update().get(pk=grid.pk)
    on = on or today()
    if not grid.is_active:
        raise invalid("valid_to", _("该网格已于 %(day)s 停用") % {"day": grid.valid_to}, "closed")
    if on < grid.valid_from:
        raise invalid(
            "valid_to", _("停用日期不能早于启用日期 %(day)s") % {"day": grid.valid_from}, "out_of_range"
        )
    open_children = Grid.objects.filter(subtree_q(grid.path), depth=grid.depth + 1, valid_to__isnull=True)
    if open_children.exists():
        raise invalid(
            "valid_to",
            _("该网格还有 %(n)s 个在用的下级网格，请先停用或合并它们") % {"n": open_children.count()},
            "wrong_state",
        )
    grid.valid_to = on
    grid.save(update_fields=["valid_to", "last_updated"])
    RoleAssignment.objects.filter(grid=grid, valid_to__isnull=True).update(valid_to=on)
    boundaries_changed()
    audit.record(audit.Action.CLOSE, actor=by, obj=grid, detail={"valid_to": on.isoformat()})
    return grid


def _move_children(old: Grid, new_grids: Sequence[Grid], on: date) -> None:
    """Open children follow the new grid that holds their representative point (or the largest overlap),
    from the day of the change; where they stood before is kept (GridParentHistory) for the past's tree."""
    kids = list(Grid.objects.filter(subtree_q(old.path), depth=old.depth + 1, valid_to__isnull=True))
    if not kids:
        return
    shapes = [(g, s) for g in new_grids if (s := to_shape(g.boundary)) is not None] or [(new_grids[0], None)]
    moved = []
    for kid in kids:
        target = new_grids[0]
        kid_shape = to_shape(kid.boundary)
        if kid_shape is not None:
            best = max(
                shapes, key=lambda gs: gs[1].intersection(kid_shape).area if gs[1] is not None else -1.0
            )
            target = best[0]
        history = GridParentHistory.objects.filter(grid=kid)
        if not history.exists():
            GridParentHistory.objects.create(grid=kid, parent=old, valid_from=kid.valid_from, valid_to=on)
        else:
            history.filter(valid_to__isnull=True).update(valid_to=on)
        GridParentHistory.objects.create(grid=kid, parent_id=target.pk, valid_from=on)
        Grid.objects.move(kid, Grid.objects.get(pk=target.pk), "sorted-child")
        moved.append(kid.pk)
    # their new paths (treebeard rewrote them and their subtrees' in the database)
    paths = list(Grid.objects.filter(pk__in=moved).values_list("path", flat=True))
    grids_moved.send(sender="grids", paths=paths)


@transaction.atomic
def split_grid(grid: Grid, *, pieces: Sequence[dict], on: date | None = None, by=None) -> list[Grid]:
    """Close a grid and open its pieces in its place; each piece: name, boundary, optional kind/households."""
    grid = Grid.objects.select_for_update(of=("self",)).select_related("level", "kind").get(pk=grid.pk)
    on = on or today()
    if not grid.is_active:
        raise invalid("grid", _("已停用的网格不能拆分"), "closed")
    if len(pieces) < 2:
        raise invalid("pieces", _("拆分至少需要两个新网格"), "too_many")
    parent = Grid.objects.get_parent(grid)
    new: list[Grid] = []
    for i, piece in enumerate(pieces, start=1):
        try:
            new.append(
                create_grid(
                    name=piece.get("name", ""),
                    level=grid.level,
                    parent=parent,
                    kind=piece.get("kind") or grid.kind,
                    boundary=piece.get("boundary"),
                    households=int(piece.get("households") or 0),
                    valid_from=on,
                    by=by,
                    audited=False,
                )
            )
        except ValidationError as exc:
            raise ValidationError({f"pieces[{i}]": flat(exc)}) from exc
    for g in new:
        g.predecessors.add(grid)
    _move_children(grid, new, on)
    _close_without_checks(grid, on)
    audit.record(audit.Action.SPLIT, actor=by, obj=grid, detail={"into": [g.code for g in new]})
    return new


@transaction.atomic
def merge_grids(grids: Sequence[Grid], *, name: str, on: date | None = None, by=None) -> Grid:
    """Close several sibling grids and open one grid covering them all."""
    on = on or today()
    grids = list(
        Grid.objects.select_for_update(of=("self",))
        .select_related("level", "kind")
        .filter(pk__in=[g.pk for g in grids])
    )
    if len(grids) < 2:
        raise invalid("grids", _("合并至少需要两个网格"), "too_many")
    if any(not g.is_active for g in grids):
        raise invalid("grids", _("已停用的网格不能合并"), "closed")
    parents = {g.path[: -Grid.steplen] for g in grids}
    if len(parents) != 1 or len({g.level_id for g in grids}) != 1:
        raise invalid("grids", _("只能合并同一上级、同一层级的网格"), "wrong_state")
    shapes = [to_shape(g.boundary) for g in grids]
    union = shapely.union_all([s for s in shapes if s is not None]) if any(shapes) else None
    merged = create_grid(
        name=name,
        level=grids[0].level,
        parent=Grid.objects.get_parent(grids[0]),
        kind=grids[0].kind,
        boundary=to_geojson(union) if union is not None else None,
        households=sum(g.households for g in grids),
        valid_from=on,
        repair=True,
        by=by,
        audited=False,
    )
    merged.predecessors.add(*grids)
    for g in grids:
        _move_children(g, [merged], on)
        _close_without_checks(g, on)
    audit.record(audit.Action.MERGE, actor=by, obj=merged, detail={"from": [g.code for g in grids]})
    return merged


def _close_without_checks(grid: Grid, on: date) -> None:
    Grid.objects.filter(pk=grid.pk).update(valid_to=on)
    RoleAssignment.objects.filter(grid=grid, valid_to__isnull=True).update(valid_to=on)
    boundaries_changed()


# --- roles ----------------------------------------------------------------------------------------


def active_assignments(grid: Grid, on: date | None = None) -> QuerySet[RoleAssignment]:
    on = on or today()
    return (
        RoleAssignment.objects.filter(grid=grid, valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=on))
        .select_related("role", "user")
    )


def people_on_duty(grid_ids, on: date | None = None) -> dict[int, list[str]]:
    """Who holds a role in each of these grids today ("网格员 张伟 13900000000"), in one query: the grid's
    public board names them, so an emergency list may too."""
    on = on or today()
    held = (
        RoleAssignment.objects.filter(grid_id__in=list(grid_ids), valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=on))
        .select_related("role")
        .order_by("role__order", "pk")
    )
    found: dict[int, list[str]] = {}
    for a in held:
        found.setdefault(a.grid_id, []).append(
            " ".join(x for x in (a.role.name, a.person_name, a.duty_phone) if x)
        )
    return found


@transaction.atomic
def assign_role(
    grid: Grid,
    *,
    role: GridRole,
    person_name: str = "",
    user=None,
    duty_phone: str = "",
    valid_from: date | None = None,
    by=None,
    audited: bool = True,
) -> RoleAssignment:
    """Put someone in a role in a grid (a person may hold several roles in several grids)."""
    if role.levels and grid.level.key not in role.levels:
        raise invalid(
            "role",
            _("“%(role)s”不设在“%(level)s”级网格") % {"role": role.name, "level": grid.level.name},
            "invalid",
        )
    person_name = (person_name or (str(user) if user else "")).strip()
    if not person_name:
        raise invalid("person_name", _("请填写姓名"), "required")
    duty_phone = duty_phone.strip()
    if duty_phone and not (duty_phone.replace("-", "").isdigit() and 7 <= len(duty_phone) <= 20):
        raise invalid("duty_phone", _("值班电话格式不正确"), "invalid")
    assignment = RoleAssignment.objects.create(
        grid=grid,
        role=role,
        user=user,
        person_name=person_name,
        duty_phone=duty_phone,
        valid_from=valid_from or today(),
    )
    if audited:
        audit.record(audit.Action.CREATE, actor=by, obj=assignment)
    return assignment


@transaction.atomic
def end_assignment(assignment: RoleAssignment, *, on: date | None = None, by=None) -> RoleAssignment:
    on = on or today()
    if assignment.valid_to is not None:
        raise invalid("valid_to", _("该任职已结束"), "closed")
    assignment.valid_to = max(on, assignment.valid_from)
    assignment.save(update_fields=["valid_to", "last_updated"])
    audit.record(audit.Action.CLOSE, actor=by, obj=assignment)
    return assignment


def paths_held_by(user, on: date | None = None) -> list[str]:
    """Tree paths of the grids where a user holds a role that grants jurisdiction."""
    on = on or today()
    return list(
        RoleAssignment.objects.filter(user=user, role__grants_jurisdiction=True, valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=on))
        .values_list("grid__path", flat=True)
    )


# --- coverage -------------------------------------------------------------------------------------


@dataclass
class Coverage:
    parent_area_m2: float
    covered_share: float
    gaps: dict | None
    overlaps: dict | None
    gap_area_m2: float
    overlap_area_m2: float
    children: int = 0
    outside_area_m2: float = 0.0
    undrawn: int = 0  # grids below it without a boundary yet (a grid list imported before its map)


def undrawn(grid: Grid, *, on: date | None = None) -> QuerySet[Grid]:
    """The grids below this one that have no boundary yet: to draw, or to import by code."""
    return (
        subtree(grid, on=on)
        .filter(boundary__isnull=True)
        .exclude(pk=grid.pk)
        .select_related("level")
        .order_by("path")
    )


def coverage(grid: Grid, *, on: date | None = None) -> Coverage:
    """How much of a parent its children cover, where the gaps and overlaps are, and how many grids
    below it have no boundary yet."""
    result = _coverage(grid, on=on)
    result.undrawn = undrawn(grid, on=on).count()
    return result


def _coverage(grid: Grid, *, on: date | None = None) -> Coverage:
    parent_shape = to_shape(grid.boundary)
    kids = [k for g in children(grid, on=on) if (k := to_shape(g.boundary)) is not None]
    if parent_shape is None:
        return Coverage(0.0, 0.0, None, None, 0.0, 0.0, len(kids))
    if not kids:
        return Coverage(
            area_m2(parent_shape), 0.0, to_geojson(parent_shape), None, area_m2(parent_shape), 0.0, 0
        )
    union = shapely.union_all(kids)
    gaps = parent_shape.difference(union)
    overlaps = []
    tree = shapely.STRtree(kids)
    for i, k in enumerate(kids):
        for j in tree.query(k, predicate="intersects"):
            if j > i:
                inter = k.intersection(kids[int(j)])
                if inter.area > 0:
                    overlaps.append(inter)
    overlap = shapely.union_all(overlaps) if overlaps else None
    parent_area = area_m2(parent_shape)
    covered = area_m2(parent_shape.intersection(union))
    return Coverage(
        parent_area_m2=parent_area,
        covered_share=covered / parent_area if parent_area else 0.0,
        gaps=to_geojson(gaps),
        overlaps=to_geojson(overlap) if overlap is not None else None,
        gap_area_m2=area_m2(gaps),
        overlap_area_m2=area_m2(overlap) if overlap is not None else 0.0,
        children=len(kids),
        outside_area_m2=area_m2(union.difference(parent_shape)),
    )


# --- GeoJSON for maps and export -----------------------------------------------------------------


def feature(grid: Grid) -> dict:
    return {
        "type": "Feature",
        "geometry": grid.boundary,
        "properties": {
            "id": grid.pk,
            "code": grid.code,
            "name": grid.name,
            "level": grid.level.key,
            "level_name": grid.level.label,
            "depth": grid.level.depth,
            "kind": grid.kind.key if grid.kind else None,
            "kind_name": grid.kind.label if grid.kind else None,
            "color": grid.kind.color if grid.kind else None,
            "parent_code": None,
            "households": grid.households,
            "valid_from": grid.valid_from.isoformat(),
            "valid_to": grid.valid_to.isoformat() if grid.valid_to else None,
            "url": grid.get_absolute_url(),
        },
    }


def feature_collection(grids: Iterable[Grid]) -> dict:
    grids = list(grids)
    by_path = {g.path: g.code for g in grids}
    features = []
    for g in grids:
        f = feature(g)
        parent_path = g.path[: -Grid.steplen]
        f["properties"]["parent_code"] = by_path.get(parent_path)
        features.append(f)
    return {"type": "FeatureCollection", "features": features}


def subtree_geojson(grid: Grid, *, on: date | None = None, max_depth: int | None = None) -> dict:
    qs = subtree(grid, on=on).select_related("level", "kind").order_by("path")
    if max_depth is not None:
        qs = qs.filter(depth__lte=grid.depth + max_depth)
    rows = list(qs)
    if on is not None and on < today():  # the map of a past day: the lines that held then
        held = boundaries_on(on, [g.pk for g in rows])
        for g in rows:
            if g.pk in held:
                g.boundary = held[g.pk]
    result = feature_collection(rows)
    if result["features"]:
        # The exported root keeps its real parent's code, so the file can be imported back under it.
        parent = Grid.objects.get_parent(grid)
        result["features"][0]["properties"]["parent_code"] = parent.code if parent else None
    return result


@dataclass
class ImportProblem:
    where: str
    message: str


@dataclass
class ImportReport:
    rows: list[dict] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    repairs: list[dict] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    # rows that are grids the system has already (by code, or by name under the same parent): updated
    # with `update`, else each a problem that says so
    existing: list[dict] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    committed: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems
