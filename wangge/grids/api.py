import json
from datetime import date

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.shortcuts import get_object_or_404
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from wangge.audit import services as audit
from wangge.core import permissions as perms
from wangge.core.downloads import download
from wangge.core.errors import invalid
from wangge.core.pagination import api_page
from wangge.core.permissions import require
from wangge.grids import importing
from wangge.grids import services as grids
from wangge.grids.jurisdiction import get_visible_or_404, visible
from wangge.grids.models import Grid, GridKind, GridLevel, GridRole, RoleAssignment

router = Router(tags=["网格 grids"])


class GridOut(Schema):
    id: int
    code: str
    name: str
    level: str = Field(..., alias="level.key")
    level_name: str = Field(..., alias="level.name")
    kind: str | None = Field(None, alias="kind.key")
    kind_name: str | None = Field(None, alias="kind.name")
    households: int
    area_m2: float
    center_lon: float | None
    center_lat: float | None
    valid_from: date
    valid_to: date | None
    depth: int


class GridPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[GridOut]


class GridDetailOut(GridOut):
    chain: list[GridOut]
    children: list[GridOut]
    roles: list["AssignmentOut"]


class AssignmentOut(Schema):
    id: int
    role: str = Field(..., alias="role.key")
    role_name: str = Field(..., alias="role.name")
    person_name: str
    duty_phone: str
    valid_from: date
    valid_to: date | None


GridDetailOut.model_rebuild()


class GridCreateIn(Schema):
    parent_code: str | None = None
    name: str
    level: str
    kind: str | None = None
    code: str = ""
    boundary: dict | None = None
    households: int = 0
    valid_from: date | None = None
    repair: bool = False


class GridUpdateIn(Schema):
    name: str | None = None
    kind: str | None = None
    boundary: dict | None = None
    households: int | None = None
    repair: bool = False
    boundary_from: date | None = Field(
        None, description="新边界生效日期（不填为今天；此前的边界保留为历史版本）"
    )


class CloseIn(Schema):
    on: date | None = None


class PieceIn(Schema):
    name: str
    boundary: dict
    kind: str | None = None
    households: int = 0


class SplitIn(Schema):
    pieces: list[PieceIn]
    on: date | None = None


class MergeIn(Schema):
    codes: list[str]
    name: str
    on: date | None = None


class AssignIn(Schema):
    role: str
    person_name: str = ""
    username: str | None = None
    duty_phone: str = ""
    valid_from: date | None = None


class LocateOut(Schema):
    found: bool
    leaf: dict | None
    chain: list[dict]
    lon: float
    lat: float
    message: str


class CoverageOut(Schema):
    parent_area_m2: float
    covered_share: float
    gap_area_m2: float
    overlap_area_m2: float
    outside_area_m2: float
    children: int
    undrawn: int = Field(description="下级中尚无边界的网格数")
    gaps: dict | None
    overlaps: dict | None


class ImportIn(Schema):
    geojson: dict
    parent_code: str | None = None
    level: str | None = None
    name_property: str = "name"
    code_property: str | None = "code"
    parent_code_property: str | None = "parent_code"
    dry_run: bool = True
    repair: bool = False
    accept_area_change: bool = False  # a repair that changes an area by more than 1%
    update: bool = False  # rows that are grids already there: update them (else each is a problem)


class ImportOut(Schema):
    ok: bool
    committed: bool
    rows: int
    problems: list[dict]
    repairs: list[dict]
    created: list[str]
    existing: list[dict]
    updated: list[str]


def _visible_grid(request, code: str) -> Grid:
    return get_visible_or_404(
        Grid.objects.select_related("level", "kind"), request.user, grid_field="", code=code
    )


def _kind(key: str | None) -> GridKind | None:
    if not key:
        return None
    kind = GridKind.objects.filter(key=key).first()
    if kind is None:
        raise invalid("kind", f"未知的网格类型：{key}", "unknown")
    return kind


# Fixed paths first: /grids/{code} would otherwise swallow them.
@router.post("/grids/merge", response={201: GridOut}, summary="合并网格")
def merge_grids(request, body: MergeIn):
    require(request.user, perms.EDIT_GRIDS)
    targets = [_visible_grid(request, c) for c in body.codes]
    merged = grids.merge_grids(targets, name=body.name, on=body.on, by=request.user)
    return Status(201, Grid.objects.select_related("level", "kind").get(pk=merged.pk))


@router.post("/grids/import", response=ImportOut, summary="导入网格图层（GeoJSON；默认试运行）")
def import_grids(request, body: ImportIn):
    require(request.user, perms.IMPORT_GRIDS)
    parent = _visible_grid(request, body.parent_code) if body.parent_code else None
    level = get_object_or_404(GridLevel, key=body.level) if body.level else None
    rows = importing.rows_from_geojson(
        body.geojson,
        name_property=body.name_property,
        code_property=body.code_property,
        parent_code_property=body.parent_code_property,
    )
    report = importing.import_rows(
        rows,
        parent=parent,
        level=level,
        dry_run=body.dry_run,
        repair=body.repair,
        accept_area_change=body.accept_area_change,
        update=body.update,
        by=request.user,
    )
    return importing.report_dict(report)


@router.post("/grids/import-file", response=ImportOut, summary="导入网格文件（GeoJSON 或 Excel；默认试运行）")
def import_grid_file(
    request,
    file: UploadedFile = File(...),
    parent_code: str = Form(""),
    level: str = Form(""),
    name_property: str = Form("name"),
    code_property: str = Form("code"),
    parent_code_property: str = Form("parent_code"),
    dry_run: bool = Form(True),
    repair: bool = Form(False),
    accept_area_change: bool = Form(False),
    update: bool = Form(False),
):
    require(request.user, perms.IMPORT_GRIDS)
    parent = _visible_grid(request, parent_code) if parent_code else None
    level_obj = get_object_or_404(GridLevel, key=level) if level else None
    content = file.read()
    if (file.name or "").lower().endswith(".xlsx"):
        rows = importing.rows_from_xlsx(content)
    else:
        try:
            data = json.loads(content.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise invalid("file", f"文件不是有效的 GeoJSON：{exc}", "invalid") from exc
        rows = importing.rows_from_geojson(
            data,
            name_property=name_property,
            code_property=code_property or None,
            parent_code_property=parent_code_property or None,
        )
    report = importing.import_rows(
        rows,
        parent=parent,
        level=level_obj,
        dry_run=dry_run,
        repair=repair,
        accept_area_change=accept_area_change,
        update=update,
        by=request.user,
    )
    return importing.report_dict(report)


@router.get("/grids/{code}/export", summary="导出网格及其下级（GeoJSON 或 Excel）")
def export_grids(request, code: str, format: str = "geojson"):
    require(request.user, perms.VIEW_GRIDS)
    grid = _visible_grid(request, code)
    audit.record(audit.Action.EXPORT, actor=request.user, obj=grid, detail={"format": format, "via": "api"})
    if format == "xlsx":
        return download(importing.export_xlsx(grid), f"grids-{grid.code}.xlsx")
    if format != "geojson":
        raise invalid("format", "格式应为 geojson 或 xlsx", "invalid")
    return grids.subtree_geojson(grid)


@router.get("/grids", response=GridPage, summary="网格列表（限本人辖区）")
def list_grids(
    request,
    q: str = "",
    level: str = "",
    active_on: date | None = None,
    page: int = Query(1, ge=1),
    page_size: int = Query(50, ge=1, le=500),
):
    require(request.user, perms.VIEW_GRIDS)
    qs = visible(grids.active_grids(active_on), request.user, grid_field="").select_related("level", "kind")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__startswith=q))
    if level:
        qs = qs.filter(level__key=level)
    return {**api_page(qs.order_by("path"), page, size=page_size), "page_size": page_size}


@router.get("/grids/{code}", response=GridDetailOut, summary="网格详情")
def grid_detail(request, code: str):
    require(request.user, perms.VIEW_GRIDS)
    grid = _visible_grid(request, code)
    grid.chain = grids.chain(grid)
    grid.children = list(grids.children(grid))
    grid.roles = list(grids.active_assignments(grid))
    return grid


@router.get("/grids/{code}/geojson", summary="网格及下级边界（GeoJSON）")
def grid_geojson(request, code: str, depth: int = Query(1, ge=0, le=8), on: date | None = None):
    require(request.user, perms.VIEW_GRIDS)
    grid = _visible_grid(request, code)
    return grids.subtree_geojson(grid, on=on, max_depth=depth)


@router.get("/grids/{code}/coverage", response=CoverageOut, summary="下级网格覆盖检查（缝隙与重叠）")
def grid_coverage(request, code: str):
    require(request.user, perms.VIEW_GRIDS)
    return grids.coverage(_visible_grid(request, code))


@router.post("/grids", response={201: GridOut}, summary="新建网格")
def create_grid(request, body: GridCreateIn):
    require(request.user, perms.EDIT_GRIDS)
    parent = _visible_grid(request, body.parent_code) if body.parent_code else None
    if parent is None and not request.user.is_superuser:
        raise invalid("parent_code", "请指定上级网格", "required")
    level = GridLevel.objects.filter(key=body.level).first()
    if level is None:
        raise invalid("level", f"未知的网格层级：{body.level}", "unknown")
    grid = grids.create_grid(
        name=body.name,
        level=level,
        parent=parent,
        kind=_kind(body.kind),
        code=body.code,
        boundary=body.boundary,
        households=body.households,
        valid_from=body.valid_from,
        repair=body.repair,
        by=request.user,
    )
    return Status(201, Grid.objects.select_related("level", "kind").get(pk=grid.pk))


@router.patch("/grids/{code}", response=GridOut, summary="修改网格")
def update_grid(request, code: str, body: GridUpdateIn):
    require(request.user, perms.EDIT_GRIDS)
    grid = _visible_grid(request, code)
    grids.update_grid(
        grid,
        name=body.name,
        kind=_kind(body.kind),
        boundary=body.boundary,
        households=body.households,
        repair=body.repair,
        boundary_from=body.boundary_from,
        by=request.user,
    )
    return _visible_grid(request, code)


class BoundaryVersionOut(Schema):
    valid_from: date
    valid_to: date | None
    area_m2: float
    boundary: dict | None


@router.get("/grids/{code}/boundaries", response=list[BoundaryVersionOut],
            summary="边界变更记录（每次重划一版，含起止日期；从未重划的网格为空）")  # fmt: skip
def boundary_versions(request, code: str):
    require(request.user, perms.VIEW_GRIDS)
    return list(grids.boundary_history(_visible_grid(request, code)))


@router.post("/grids/{code}/close", response=GridOut, summary="停用网格")
def close_grid(request, code: str, body: CloseIn):
    require(request.user, perms.EDIT_GRIDS)
    grids.close_grid(_visible_grid(request, code), on=body.on, by=request.user)
    return _visible_grid(request, code)


@router.post("/grids/{code}/split", response={201: list[GridOut]}, summary="拆分网格")
def split_grid(request, code: str, body: SplitIn):
    require(request.user, perms.EDIT_GRIDS)
    grid = _visible_grid(request, code)
    pieces = [{**p.dict(), "kind": _kind(p.kind)} for p in body.pieces]
    new = grids.split_grid(grid, pieces=pieces, on=body.on, by=request.user)
    return Status(201, list(Grid.objects.select_related("level", "kind").filter(pk__in=[g.pk for g in new])))


@router.post("/grids/{code}/roles", response={201: AssignmentOut}, summary="任命网格角色")
def assign_role(request, code: str, body: AssignIn):
    require(request.user, perms.ASSIGN_ROLES)
    grid = _visible_grid(request, code)
    role = GridRole.objects.filter(key=body.role).first()
    if role is None:
        raise invalid("role", f"未知的角色：{body.role}", "unknown")
    user = None
    if body.username:
        user = get_user_model().objects.filter(username=body.username).first()
        if user is None:
            raise invalid("username", f"找不到用户 {body.username}", "not_found")
    assignment = grids.assign_role(
        grid,
        role=role,
        person_name=body.person_name,
        user=user,
        duty_phone=body.duty_phone,
        valid_from=body.valid_from,
        by=request.user,
    )
    return Status(201, RoleAssignment.objects.select_related("role").get(pk=assignment.pk))


@router.post("/roles/{assignment_id}/end", response=AssignmentOut, summary="结束任职")
def end_role(request, assignment_id: int):
    require(request.user, perms.ASSIGN_ROLES)
    assignment = get_visible_or_404(
        RoleAssignment.objects.select_related("role", "grid"), request.user, pk=assignment_id
    )
    return grids.end_assignment(assignment, by=request.user)


@router.get("/locate", response=LocateOut, auth=None, summary="定位：坐标所在的最末级网格及其上级链")
def locate(request, lon: float, lat: float, crs: str = "wgs84", on: date | None = None):
    """Public: the resident reporting page needs it before login. Answers grid names and codes only."""
    return grids.locate_answer(lon, lat, crs=crs, on=on)
