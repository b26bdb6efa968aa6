"""Import a grid layer (GeoJSON FeatureCollection or an Excel grid list): dry run first, then all or nothing.

A dry run names every problem: missing parent, duplicate code, invalid or self-intersecting polygon,
a child not inside its parent, siblings that overlap. With `repair`, invalid shapes are fixed by
make_valid and the report says what changed (area before and after).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date

import shapely
from django.core.exceptions import ValidationError
from django.db import transaction

from wangge.audit import services as audit
from wangge.core.errors import error
from wangge.core.excel import column_letter, read_rows, write_workbook
from wangge.grids import jurisdiction
from wangge.grids import services as grids
from wangge.grids.geometry import area_m2, check_shape, to_geojson, to_shape
from wangge.grids.models import Grid, GridKind, GridLevel
from wangge.grids.services import (
    OUTSIDE_PARENT_TOLERANCE,
    REPAIR_AREA_TOLERANCE,
    SIBLING_OVERLAP_TOLERANCE,
    ImportProblem,
    ImportReport,
)

EXCEL_COLUMNS = {
    "name": ("名称", "name"),
    "code": ("编码", "code"),
    "parent_code": ("上级编码", "parent_code"),
    "kind": ("类型", "kind"),
    "households": ("户数", "households"),
    "boundary": ("边界", "boundary"),
}


@dataclass
class Row:
    where: str  # "要素 3" / "第 5 行"
    name: str
    code: str
    parent_code: str
    boundary: object
    kind: str = ""
    households: int = 0
    columns: dict | None = None  # field -> "要素 3 属性 name" / "第 5 行 B 列（编码）"

    def at(self, field: str) -> str:
        if self.columns and field in self.columns:
            return self.columns[field]
        return self.where


class ImportFormatError(ValidationError):
    pass


def rows_from_geojson(
    data: object,
    *,
    name_property: str = "name",
    code_property: str | None = "code",
    parent_code_property: str | None = "parent_code",
) -> list[Row]:
    if (
        not isinstance(data, dict)
        or data.get("type") != "FeatureCollection"
        or not isinstance(data.get("features"), list)
    ):
        raise ImportFormatError({"geojson": "文件不是 GeoJSON FeatureCollection（需要 type 与 features）"})
    rows = []
    for i, feat in enumerate(data["features"]):
        props = (feat or {}).get("properties") or {}

        def prop(p: str | None, props=props) -> str:
            value = props.get(p) if p else None
            return "" if value is None else str(value).strip()

        # named as the person who drew the map knows it (its name), the count only to tell twins apart
        own = prop(name_property)
        where = f"“{own}”（第 {i + 1} 个要素）" if own else f"第 {i + 1} 个要素（无名称）"

        rows.append(
            Row(
                where=where,
                name=prop(name_property),
                code=prop(code_property),
                parent_code=prop(parent_code_property),
                boundary=(feat or {}).get("geometry"),
                kind=prop("kind"),
                households=_int(props.get("households")),
                columns={
                    "name": f"{where} 属性 {name_property}",
                    "code": f"{where} 属性 {code_property}",
                    "parent_code": f"{where} 属性 {parent_code_property}",
                    "boundary": f"{where} 边界",
                    "kind": f"{where} 属性 kind",
                },
            )
        )
    return rows


def rows_from_xlsx(content: bytes) -> list[Row]:
    try:
        header, body = read_rows(content)
    except Exception as exc:  # calamine raises its own error types for broken files
        raise ImportFormatError({"file": f"无法读取 Excel 文件：{exc}"}) from exc
    index: dict[str, int] = {}
    for field, names in EXCEL_COLUMNS.items():
        for i, h in enumerate(header):
            if h in names:
                index[field] = i
    missing = [EXCEL_COLUMNS[f][0] for f in ("name",) if f not in index]
    if missing:
        raise ImportFormatError(
            {"file": f"缺少表头：{'、'.join(missing)}（第 1 行应有：名称、编码、上级编码、类型、户数、边界）"}
        )
    rows = []
    for r, values in enumerate(body, start=2):

        def cell(field: str, values=values) -> str:
            i = index.get(field)
            if i is None or i >= len(values) or values[i] is None:
                return ""
            v = values[i]
            if isinstance(v, float) and v.is_integer():
                v = int(v)
            return str(v).strip()

        columns = {f: f"第 {r} 行 {column_letter(i)} 列（{EXCEL_COLUMNS[f][0]}）" for f, i in index.items()}
        boundary_text = cell("boundary")
        boundary: object = None
        if boundary_text:
            boundary = _parse_boundary_text(boundary_text)
        rows.append(
            Row(
                where=f"第 {r} 行",
                name=cell("name"),
                code=cell("code"),
                parent_code=cell("parent_code"),
                boundary=boundary,
                kind=cell("kind"),
                households=_int(cell("households")),
                columns=columns,
            )
        )
    return rows


def _parse_boundary_text(text: str) -> object:
    text = text.strip()
    if text.startswith("{"):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return {"invalid": text[:40]}
    try:
        return shapely.geometry.mapping(shapely.from_wkt(text))
    except Exception:  # shapely raises GEOSException on bad WKT
        return {"invalid": text[:40]}


def _int(value: object) -> int:
    try:
        return max(0, int(float(str(value)))) if value not in (None, "") else 0
    except ValueError:
        return -1


def import_rows(
    rows: list[Row],
    *,
    parent: Grid | None = None,
    level: GridLevel | None = None,
    dry_run: bool = True,
    repair: bool = False,
    accept_area_change: bool = False,
    update: bool = False,
    on: date | None = None,
    by=None,
) -> ImportReport:
    """Check every row; unless dry_run and if nothing is wrong, create them all in one transaction.

    A row that is a grid the system has (its code, or without one its name under the same parent) is
    recognised: with `update` its name, boundary and household count are brought up to the file's, else
    it is a problem that says so. A repair that changes an area by more than REPAIR_AREA_TOLERANCE is a
    problem unless `accept_area_change`."""
    layer = _Layer(
        rows, parent=parent, level=level, repair=repair, on=on, accept_area_change=accept_area_change
    )
    layer.check_fields()
    layer.place_rows()
    layer.recognise_existing(update=update, by=by)
    layer.find_levels()
    layer.check_codes()
    layer.check_within_parents()
    layer.check_sibling_overlaps()
    if not layer.report.problems and not dry_run:
        layer.commit(by=by)
    return layer.report


class _Layer:
    """One grid layer being imported: its rows, where each belongs, and what is wrong with them."""

    def __init__(
        self,
        rows: list[Row],
        *,
        parent: Grid | None,
        level: GridLevel | None,
        repair: bool,
        on,
        accept_area_change: bool = False,
    ):
        self.rows, self.parent, self.level, self.repair, self.on = rows, parent, level, repair, on
        self.accept_area_change = accept_area_change
        self.existing: dict[int, Grid] = {}  # row index -> the open grid it is
        self.report = ImportReport(rows=[{"where": r.where, "name": r.name, "code": r.code} for r in rows])
        self.problems = self.report.problems
        self.kinds = {k.key: k for k in GridKind.objects.all()} | {k.name: k for k in GridKind.objects.all()}
        self.file_codes: dict[str, Row] = {}
        self.row_index = {id(r): i for i, r in enumerate(rows)}
        self.shapes: dict[int, object] = {}  # row index -> its (repaired) shape
        self.parent_of: dict[int, tuple[str, object]] = {}  # row index -> ("file", Row) or ("db", Grid)
        self.row_levels: dict[int, GridLevel] = {}

    def problem(self, where: str, message: str) -> None:
        self.problems.append(ImportProblem(where, message))

    def check_fields(self) -> None:
        """Names, household counts, kinds and codes: unique in the file and new to the system."""
        for r in self.rows:
            if not r.name:
                self.problem(r.at("name"), "缺少名称")
            if r.households < 0:
                self.problem(r.at("households"), "户数必须是非负整数")
            if r.kind and r.kind not in self.kinds:
                self.problem(r.at("kind"), f"未知的网格类型：{r.kind}")
            if r.code:
                if not r.code.isdigit():
                    self.problem(r.at("code"), f"编码 {r.code} 只能由数字组成")
                if r.code in self.file_codes:
                    self.problem(r.at("code"), f"编码 {r.code} 与{self.file_codes[r.code].where}重复")
                self.file_codes.setdefault(r.code, r)
        self.open_by_code = {
            g.code: g for g in grids.active_grids(self.on).filter(code__in=list(self.file_codes))
        }
        closed = set(
            Grid.objects.filter(code__in=list(self.file_codes)).exclude(code__in=list(self.open_by_code))
            .values_list("code", flat=True)
        )  # fmt: skip
        for code in (c for c in self.file_codes if c in closed):  # codes are never reused
            self.problem(self.file_codes[code].at("code"), f"编码 {code} 属于已停用的网格，不能再用")

    def recognise_existing(self, *, update: bool, by=None) -> None:
        """Rows that are grids already open: by code, or (without one) by name under the same parent.
        One outside the importer's jurisdiction is neither named nor updated."""
        children: dict[int, dict[str, Grid]] = {}
        for i, r in enumerate(self.rows):
            grid = self.open_by_code.get(r.code) if r.code else None
            how = "编码"
            if grid is None and not r.code and r.name:
                kind, p = self.parent_of.get(i, (None, None))
                if kind == "file":  # a parent in the file that is itself a grid already
                    p = self.existing.get(self.row_index[id(p)])
                if isinstance(p, Grid):
                    if p.pk not in children:
                        children[p.pk] = {g.name: g for g in grids.children(p, on=self.on)}
                    grid, how = children[p.pk].get(r.name), "同一上级下的名称"
            if grid is None:
                continue
            if (
                by is not None
                and not jurisdiction.visible(Grid.objects.filter(pk=grid.pk), by, grid_field="").exists()
            ):
                self.problem(r.at("code"), f"编码 {r.code} 已被其他网格使用（不在您的辖区内）")
                continue
            self.existing[i] = grid
            self.report.existing.append({"where": r.where, "name": grid.name, "code": grid.code, "by": how})
            if not update:
                self.problem(
                    r.where,
                    f"已是系统中的网格“{grid.name}”（{grid.code}，按{how}识别）：要用本文件更新它的名称、"
                    "边界和户数，请选择“更新已有网格”（命令行 --update）",
                )

    def place_rows(self) -> None:
        """Each row's shape (repaired where allowed) and its parent: a file row, a grid or --parent."""
        rows, file_codes = self.rows, self.file_codes
        parent_codes = {r.parent_code for r in rows if r.parent_code and r.parent_code not in file_codes}
        db_parents = {g.code: g for g in Grid.objects.filter(code__in=parent_codes).select_related("level")}
        for i, r in enumerate(rows):
            self._take_shape(i, r)
            if r.parent_code:
                if r.parent_code in file_codes:
                    self.parent_of[i] = ("file", file_codes[r.parent_code])
                elif r.parent_code in db_parents:
                    self.parent_of[i] = ("db", db_parents[r.parent_code])
                else:
                    self.problem(r.at("parent_code"), f"找不到上级网格 {r.parent_code}")
            elif self.parent is not None:
                self.parent_of[i] = ("db", self.parent)
            elif self.level is not None and self.level.depth != 1:
                self.problem(r.at("parent_code"), "缺少上级编码（或用 --parent 指定上级网格）")

    def _take_shape(self, i: int, r: Row) -> None:
        if not r.boundary:  # a grid list before its map: the boundary can follow later, by code
            return
        check = check_shape(r.boundary)
        if check.ok:
            self.shapes[i] = check.repaired
            return
        fixable = check.repaired is not None and (self.repair or check.only_orientation)
        if not fixable:
            hint = "（可用 --repair 自动修复）" if check.repaired is not None else ""
            self.problem(r.at("boundary"), "；".join(check.problems) + hint)
            return
        self.shapes[i] = check.repaired
        if not check.only_orientation:
            change = (check.area_after - check.area_before) / check.area_before if check.area_before else 1.0
            self.report.repairs.append(
                {
                    "where": r.at("boundary"),
                    "problems": check.problems,
                    "area_before_m2": round(check.area_before, 1),
                    "area_after_m2": round(check.area_after, 1),
                    "area_change": round(change, 4),
                }
            )
            if abs(change) > REPAIR_AREA_TOLERANCE and not self.accept_area_change:
                self.problem(
                    r.at("boundary"),
                    f"修复后面积变化 {change:+.1%}"
                    f"（{check.area_before:,.0f} → {check.area_after:,.0f} 平方米），"
                    f"超过 {REPAIR_AREA_TOLERANCE:.0%}：请对照原图核对，"
                    "确认无误后选择“接受面积变化”（命令行 --accept-area-change）",
                )

    def _depth_of(self, i: int, seen: frozenset = frozenset()) -> int | None:
        if i in seen:
            return None  # a loop of parent codes
        if i not in self.parent_of:
            return self.level.depth if self.level else 1
        kind, p = self.parent_of[i]
        if kind == "db":
            return p.level.depth + 1  # type: ignore[union-attr]
        pd = self._depth_of(self.row_index[id(p)], seen | {i})
        return pd + 1 if pd else None

    def find_levels(self) -> None:
        """Each row's level: one below its parent's, which the scene must have."""
        levels_by_depth = {lv.depth: lv for lv in GridLevel.objects.all()}
        for i, r in enumerate(self.rows):
            d = self.level.depth if self.level else self._depth_of(i)
            if d is None:
                self.problem(r.at("parent_code"), "上级编码形成了循环")
            elif d not in levels_by_depth:
                self.problem(r.where, f"场景中没有第 {d} 级网格")
            else:
                self.row_levels[i] = levels_by_depth[d]

    def check_codes(self) -> None:
        """Each new row's code is its parent's code plus its level's digits (as create_grid requires),
        said in the dry run at the row's own cell; a parent that is closed, or opened after the day of
        the import, is named too."""
        on = self.on or grids.today()
        for i, r in enumerate(self.rows):
            level = self.row_levels.get(i)
            if level is None or i in self.existing:
                continue
            kind, p = self.parent_of.get(i, (None, None))
            if kind == "db":
                if not p.is_active:  # type: ignore[union-attr]
                    self.problem(r.at("parent_code"), f"上级网格 {p.code} 已停用")  # type: ignore[union-attr]
                elif p.valid_from > on:  # type: ignore[union-attr]
                    self.problem(r.at("parent_code"), f"上级网格 {p.code} 的启用日期晚于本次导入的生效日期")  # type: ignore[union-attr]
            if not r.code or not r.code.isdigit():
                continue
            base = p.code if kind == "db" else (p.code if kind == "file" else "")  # type: ignore[union-attr]
            if kind == "file" and not base:
                continue  # its parent gets a code only when created: checked then
            if not r.code.startswith(base) or len(r.code) != len(base) + level.code_digits:
                expected = (
                    f"上级编码 {base} 加 {level.code_digits} 位数字"
                    if base
                    else f"{level.code_digits} 位数字"
                )
                self.problem(r.at("code"), f"编码 {r.code} 应为{expected}")

    def _parent_shape(self, i: int):
        kind, p = self.parent_of.get(i, (None, None))
        if kind == "db":
            return to_shape(p.boundary)  # type: ignore[union-attr]
        if kind == "file":
            return self.shapes.get(self.row_index[id(p)])
        return None

    def check_within_parents(self) -> None:
        for i, child in self.shapes.items():
            ps = self._parent_shape(i)
            if ps is None or child is None or child.area <= 0:  # type: ignore[attr-defined]
                continue
            outside = child.difference(ps).area / child.area  # type: ignore[attr-defined]
            if outside > OUTSIDE_PARENT_TOLERANCE:
                self.problem(
                    self.rows[i].at("boundary"),
                    f"有 {outside:.1%} 的面积在上级网格之外（容差 {OUTSIDE_PARENT_TOLERANCE:.0%}）",
                )

    def check_sibling_overlaps(self) -> None:
        """Rows under one parent, and the grids already open there, overlap by no more than the tolerance."""
        siblings: dict[str, list[int]] = {}
        for i in self.shapes:
            kind, p = self.parent_of.get(i, (None, None))
            siblings.setdefault(f"{kind}:{getattr(p, 'code', '') or getattr(p, 'where', '')}", []).append(i)
        for key, members in siblings.items():
            geoms = [self.shapes[i] for i in members]
            names = [self.rows[i].where for i in members]
            if key.startswith("db:"):
                _kind, p = self.parent_of[members[0]]
                redrawn = {g.pk for g in self.existing.values()}  # their old shapes give way to the file's
                for g in grids.children(p, on=self.on):  # type: ignore[arg-type]
                    if g.boundary and g.pk not in redrawn:
                        geoms.append(to_shape(g.boundary))
                        names.append(f"现有网格“{g.name}”（{g.code}）")
            tree = shapely.STRtree(geoms)
            for a in range(len(members)):
                ga = geoms[a]
                for b in (int(b) for b in tree.query(ga, predicate="intersects")):
                    if b == a or (b < len(members) and b < a):
                        continue  # each pair of rows once
                    gb = geoms[b]
                    share = ga.intersection(gb).area / max(min(ga.area, gb.area), 1e-18)  # type: ignore[attr-defined]
                    if share > SIBLING_OVERLAP_TOLERANCE:
                        self.problem(
                            self.rows[members[a]].at("boundary"),
                            f"与{names[b]}重叠 {share:.1%}（容差 {SIBLING_OVERLAP_TOLERANCE:.0%}）",
                        )

    def commit(self, *, by) -> None:
        """Create every row, parents first, in one transaction; a refusal there undoes them all. New
        grids under a parent with no children yet (a whole tree, a new level) are written in bulk, a
        level at a time (44,703 nodes: bench/tree_import.py); the rest one by one, where treebeard keeps
        siblings in code order."""
        rows, report = self.rows, self.report
        try:
            with transaction.atomic():
                created: dict[int, Grid] = dict(self.existing)
                order = sorted(range(len(rows)), key=lambda i: self.row_levels[i].depth)
                bulk = self._bulk_rows(order)
                for depth in sorted({self.row_levels[i].depth for i in bulk}):
                    self._create_level([i for i in order if i in bulk and self.row_levels[i].depth == depth],
                                       created)  # fmt: skip
                for i in order:
                    if i in bulk:
                        continue
                    r = rows[i]
                    if i in self.existing:
                        grids.update_grid(
                            self.existing[i],
                            name=r.name or None,
                            boundary=to_geojson(self.shapes[i]) if i in self.shapes else None,
                            households=r.households or None,
                            kind=self.kinds.get(r.kind) if r.kind else None,
                            by=by,
                        )
                        report.updated.append(self.existing[i].code)
                        continue
                    kind, p = self.parent_of.get(i, (None, None))
                    parent_grid = created[self.row_index[id(p)]] if kind == "file" else p
                    created[i] = grids.create_grid(
                        name=r.name,
                        level=self.row_levels[i],
                        parent=parent_grid,  # type: ignore[arg-type]
                        kind=self.kinds.get(r.kind)
                        if r.kind
                        else (parent_grid.kind if isinstance(parent_grid, Grid) else None),
                        code=r.code,
                        boundary=to_geojson(self.shapes[i]) if i in self.shapes else None,
                        households=r.households,
                        valid_from=self.on,
                        repair=self.repair,
                        by=by,
                        audited=False,
                    )
                if self.shapes:
                    grids.boundaries_changed()
                report.created = [created[i].code for i in range(len(rows)) if i not in self.existing]
                audit.record(
                    audit.Action.IMPORT,
                    actor=by,
                    object_type="grids.grid",
                    object_repr=f"导入网格：新建 {len(report.created)} 个，更新 {len(report.updated)} 个",
                    detail={"codes": report.created[:200], "updated": report.updated[:200]},
                )
        except ValidationError as exc:
            for field, msgs in getattr(exc, "message_dict", {"__all__": exc.messages}).items():
                self.problem(field, "；".join(msgs))
            report.created = []
            return
        report.committed = True

    def _bulk_rows(self, order: list[int]) -> set[int]:
        """The new rows that can be written in bulk: under a parent that is new in this file, or under an
        open grid (or at the top) whose new children all come after its present ones in code order (a
        whole tree, a new level, the next county): siblings stay in code order, as treebeard keeps them."""
        new_under: dict[int | None, list[str]] = {}
        for i in order:
            kind, p = self.parent_of.get(i, (None, None))
            if i not in self.existing and kind != "file":
                new_under.setdefault(p.pk if kind == "db" else None, []).append(self.rows[i].code)  # type: ignore[union-attr]
        self.append_after: dict[int | None, tuple[int, int]] = {}  # parent pk -> (children now, last step)
        for pk, codes in new_under.items():
            present = Grid.objects.filter(depth=1) if pk is None else grids.children_all(pk)
            last = present.order_by("-path").values_list("path", "code").first()
            if last is None:
                self.append_after[pk] = (0, 0)
            elif all(codes) and min(codes) > max(present.values_list("code", flat=True)):
                self.append_after[pk] = (present.count(), int(last[0][-Grid.steplen :], len(Grid.alphabet)))
        out: set[int] = set()
        for i in order:
            if i in self.existing:
                continue
            kind, p = self.parent_of.get(i, (None, None))
            if kind == "file":
                if self.row_index[id(p)] in out:
                    out.add(i)
            elif (p.pk if kind == "db" else None) in self.append_after:  # type: ignore[union-attr]
                out.add(i)
        return out

    def _create_level(self, members: list[int], created: dict[int, Grid]) -> None:
        """One level of new grids in bulk: codes and tree paths worked out here (siblings in code order,
        as treebeard keeps them), one INSERT per batch, each parent's child count set once."""
        on = self.on or grids.today()
        by_parent: dict[object, list[int]] = {}
        for i in members:
            kind, p = self.parent_of.get(i, (None, None))
            parent = created[self.row_index[id(p)]] if kind == "file" else p
            by_parent.setdefault(parent, []).append(i)
        new: list[tuple[int, Grid]] = []
        counts: dict[int, int] = {}
        for parent, kids in by_parent.items():
            level = self.row_levels[kids[0]]
            base = parent.code if isinstance(parent, Grid) else ""
            codes = self._codes_for(kids, base, level)
            kids = sorted(kids, key=lambda i: codes[i])
            present, last = self.append_after.get(parent.pk if isinstance(parent, Grid) else None, (0, 0))
            for n, i in enumerate(kids, start=last + 1):
                r = self.rows[i]
                if isinstance(parent, Grid) and parent.valid_from > on:
                    raise ValidationError(
                        {
                            r.at("parent_code"): error(
                                "上级网格的启用日期晚于本次导入的生效日期", "out_of_range"
                            )
                        }
                    )
                shape = self.shapes.get(i)
                point = shape.representative_point() if shape is not None else None  # type: ignore[attr-defined]
                kind_obj = (
                    self.kinds.get(r.kind) if r.kind else (parent.kind if isinstance(parent, Grid) else None)
                )
                grid = Grid(
                    path=(parent.path if isinstance(parent, Grid) else "") + _step(n),
                    depth=(parent.depth if isinstance(parent, Grid) else 0) + 1,
                    numchild=0, name=r.name, code=codes[i], level=level, kind=kind_obj,
                    boundary=to_geojson(shape) if shape is not None else None,
                    area_m2=area_m2(shape) if shape is not None else 0.0,
                    center_lon=point.x if point is not None else None,
                    center_lat=point.y if point is not None else None,
                    households=r.households, valid_from=on,
                )  # fmt: skip
                new.append((i, grid))
            if isinstance(parent, Grid):
                counts[parent.pk] = present + len(kids)
        Grid.objects.bulk_create([g for _i, g in new], batch_size=2000)
        saved = dict(Grid.objects.filter(code__in=[g.code for _i, g in new]).values_list("code", "pk"))
        for i, grid in new:
            grid.pk = saved[grid.code]
            created[i] = grid
        by_count: dict[int, list[int]] = {}
        for pk, n in counts.items():
            by_count.setdefault(n, []).append(pk)
        for n, pks in by_count.items():  # one UPDATE per distinct count, not one per parent
            for start in range(0, len(pks), 900):
                Grid.objects.filter(pk__in=pks[start : start + 900]).update(numchild=n)
        for g in created.values():  # the parents written in this import: their count, for the next level
            if g.pk in counts:
                g.numchild = counts[g.pk]

    def _codes_for(self, kids: list[int], base: str, level: GridLevel) -> dict[int, str]:
        """The file's codes, and for rows without one the next free ones under the parent."""
        codes = {i: self.rows[i].code for i in kids if self.rows[i].code}
        width = level.code_digits
        used = {c for c in codes.values()}
        taken = Grid.objects.filter(code__startswith=base) if base else Grid.objects.all()
        if len(codes) < len(kids):
            used |= set(taken.filter(depth=level.depth).values_list("code", flat=True))
        n = 0
        for i in kids:
            if i in codes:
                continue
            while True:
                n += 1
                candidate = f"{base}{n:0{width}d}"
                if candidate not in used:
                    break
            if n >= 10**width:
                raise ValidationError(
                    {self.rows[i].at("code"): error(f"本级编码已用完（{width} 位）", "too_many")}
                )
            codes[i] = candidate
            used.add(candidate)
        return codes


def _step(n: int) -> str:
    """The n-th sibling's step in a treebeard path (Grid.alphabet, Grid.steplen digits)."""
    alphabet, digits = Grid.alphabet, ""
    while n:
        n, d = divmod(n, len(alphabet))
        digits = alphabet[d] + digits
    return digits.rjust(Grid.steplen, alphabet[0])


def report_dict(report: ImportReport) -> dict:
    return {
        "ok": report.ok,
        "committed": report.committed,
        "rows": len(report.rows),
        "problems": [asdict(p) for p in report.problems],
        "repairs": report.repairs,
        "created": report.created,
        "existing": report.existing,
        "updated": report.updated,
    }


def export_xlsx(grid: Grid) -> bytes:
    """A subtree as an Excel grid list that imports back (boundary as GeoJSON text)."""
    fc = grids.subtree_geojson(grid)
    headers = ["名称", "编码", "上级编码", "层级", "类型", "户数", "面积（平方米）", "启用日期", "边界"]
    rows = []
    for f in fc["features"]:
        p = f["properties"]
        geom = f["geometry"]
        rows.append(
            [
                p["name"],
                p["code"],
                p["parent_code"] or "",
                p["level_name"],
                p["kind"] or "",
                p["households"],
                round(area_m2(to_shape(geom)), 1) if geom else 0,
                p["valid_from"],
                json.dumps(geom, ensure_ascii=False) if geom else "",
            ]
        )
    return write_workbook(headers, rows, sheet="网格", widths=[22, 22, 20, 10, 14, 8, 14, 12, 60])
