"""The rest of field work in the JSON API, every verb its pages have: campaigns (走访活动) and their
progress, the monthly joint patrol (联动巡查) and its findings, and 帮办代办 records. All within the
caller's jurisdiction; a record outside it is not found."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status

from wangge.accounts import services as accounts
from wangge.core.errors import invalid
from wangge.core.pagination import api_page
from wangge.core.permissions import require
from wangge.fieldwork import permissions as perms
from wangge.fieldwork import services
from wangge.grids import services as grids

router = Router(tags=["走访 fieldwork"])
Short = Annotated[str, Field(max_length=64)]


def _grid(code: str):
    grid = grids.active_grids().filter(code=code).first()
    if grid is None:
        raise invalid("grid", "找不到该网格编码", "not_found")
    return grid


# --- campaigns ------------------------------------------------------------------------------------------


class CampaignIn(Schema):
    name: str = Field(max_length=64)
    grid: str = Field(description="范围（网格编码）")
    start: date
    end: date
    groups: list[Short] = Field(default=[], max_length=50, description="特殊人群（键）")
    residences: list[Short] = Field(default=[], max_length=10, description="户别（键）")
    hazards: bool = Field(False, description="仅选有未整改隐患的户")
    checklist: list[Annotated[str, Field(max_length=128)]] = Field(default=[], max_length=50)


class CampaignOut(Schema):
    id: int
    name: str
    grid: str
    start: date
    end: date
    targets: int


def _campaign_out(c) -> dict:
    return {"id": c.pk, "name": c.name, "grid": c.grid.code, "start": c.start, "end": c.end,
            "targets": c.targets.count()}  # fmt: skip


class CampaignPage(Schema):
    count: int
    page: int
    items: list[CampaignOut]


@router.get("/fieldwork/campaigns", response=CampaignPage, summary="走访活动（本辖区）")
def campaigns(request, page: int = 1):
    require(request.user, perms.VIEW)
    return api_page(services.campaigns_for(request.user).order_by("-start", "-pk"), page, out=_campaign_out)


@router.post("/fieldwork/campaigns", response={201: CampaignOut}, summary="发起走访活动（按条件选定的户）")
def create_campaign(request, body: CampaignIn):
    c = services.create_campaign(
        name=body.name, grid=_grid(body.grid), start=body.start, end=body.end, groups=body.groups,
        residences=body.residences, hazards=body.hazards, checklist=body.checklist, by=request.user,
    )  # fmt: skip
    return Status(201, _campaign_out(c))


class ProgressOut(Schema):
    grid: str
    name: str
    targets: int
    visited: int
    share: float


@router.get("/fieldwork/campaigns/{campaign_id}/progress", response=list[ProgressOut],
            summary="走访活动进度（按下级网格：应访户、已入户走访）")  # fmt: skip
def campaign_progress(request, campaign_id: int):
    require(request.user, perms.VIEW)
    c = get_object_or_404(services.campaigns_for(request.user), pk=campaign_id)
    return [{"grid": r["grid"].code, "name": r["grid"].name, "targets": r["targets"], "visited": r["visited"],
             "share": round(r["share"], 4)} for r in services.campaign_progress(c, request.user)]  # fmt: skip


# --- coverage -------------------------------------------------------------------------------------------


class CoverageRow(Schema):
    grid: str
    name: str
    due: int
    in_time: int
    late: int
    open_late: int
    share: float | None


@router.get("/fieldwork/coverage", response=list[CoverageRow],
            summary="走访按时率（按下级网格：应访、按时、逾期完成、逾期未访）")  # fmt: skip
def coverage(request, grid: str, month: str = ""):
    require(request.user, perms.VIEW_COVERAGE)
    found = accounts.visible(grids.active_grids(), request.user, grid_field="").filter(code=grid).first()
    if found is None:
        raise Http404
    try:
        day = date.fromisoformat(f"{month}-01") if month else services.today()
    except ValueError:
        raise invalid("month", "月份格式应为 2026-01", "invalid") from None
    start, end = services.month_bounds(day)
    return [{"grid": r["grid"].code, "name": r["grid"].name, "due": r["due"], "in_time": r["in_time"],
             "late": r["late"], "open_late": r["open_late"],
             "share": round(r["share"], 4) if r["share"] is not None else None}
            for r in services.coverage(request.user, found, start, end)]  # fmt: skip


# --- joint patrols --------------------------------------------------------------------------------------


class Member(Schema):
    name: str = Field(max_length=64)
    role: str = Field("", max_length=32)


class PatrolIn(Schema):
    grid: str = Field(description="社区（网格编码）")
    planned_on: date
    members: list[Member] = Field(max_length=50)


class FindingOut(Schema):
    id: int
    area: str
    item: str
    description: str
    place: str
    handling: str
    assigned_to: str
    case: str


class PatrolOut(Schema):
    id: int
    grid: str
    month: date
    planned_on: date
    walked_on: date | None
    members: list[Member]
    checklist: dict[str, list[str]]
    findings: list[FindingOut]


def _finding_out(f) -> dict:
    return {"id": f.pk, "area": f.area, "item": f.item, "description": f.description, "place": f.place,
            "handling": f.handling, "assigned_to": f.assigned_to, "case": f.case_code}  # fmt: skip


def _patrol_out(p) -> dict:
    return {"id": p.pk, "grid": p.grid.code, "month": p.month, "planned_on": p.planned_on,
            "walked_on": p.walked_on, "members": p.members, "checklist": p.checklist,
            "findings": [_finding_out(f) for f in p.findings.order_by("pk")]}  # fmt: skip


class PatrolPage(Schema):
    count: int
    page: int
    items: list[PatrolOut]


@router.get("/fieldwork/patrols", response=PatrolPage, summary="联动巡查（本辖区，每社区每月一次）")
def patrols(request, page: int = 1):
    require(request.user, perms.VIEW)
    return api_page(services.plans_for(request.user).order_by("-month", "pk"), page, out=_patrol_out)


@router.get("/fieldwork/patrols/{patrol_id}", response=PatrolOut, summary="一次联动巡查及其发现")
def patrol(request, patrol_id: int):
    require(request.user, perms.VIEW)
    return _patrol_out(get_object_or_404(services.plans_for(request.user), pk=patrol_id))


@router.post("/fieldwork/patrols", response={201: PatrolOut}, summary="安排本月联动巡查")
def plan_patrol(request, body: PatrolIn):
    p = services.plan_patrol(grid=_grid(body.grid), planned_on=body.planned_on,
                             members=[m.dict() for m in body.members], by=request.user)  # fmt: skip
    return Status(201, _patrol_out(p))


class FindingIn(Schema):
    area: str = Field(max_length=32, description="巡查类别（巡查事项的键）")
    item: str = Field(max_length=64)
    description: str = Field(max_length=255)
    handling: str = Field(
        description="on_spot 现场解决 / recorded 记录在案 / case 转交办理 / escalated 提交社区党委"
    )
    place: str = Field("", max_length=128)
    category: str = Field("", max_length=64, description="转交办理时的事件类别")
    department: str = Field("", max_length=64)
    client_id: str = Field(min_length=1, max_length=64, description="重试时不重复登记")


@router.post("/fieldwork/patrols/{patrol_id}/findings", response={201: FindingOut},
             summary="登记巡查发现（转交办理即成事件；client_id 防重复提交）")  # fmt: skip
def record_finding(request, patrol_id: int, body: FindingIn):
    require(request.user, perms.VIEW)
    p = get_object_or_404(services.plans_for(request.user), pk=patrol_id)
    f = services.record_patrol_finding(p, by=request.user, **body.dict())
    return Status(201, _finding_out(f))


# --- 帮办代办 ----------------------------------------------------------------------------------------------


class ServiceIn(Schema):
    person: int = Field(ge=1, le=2**63 - 1, description="居民（档案中的人员编号）")
    kind: str = Field(max_length=64, description="办理事项")
    mode: str = Field("help", description="help 帮办 / proxy 代办 / at_home 上门办")
    note: str = Field("", max_length=255)
    client_id: str = Field("", max_length=64)


class ServiceOut(Schema):
    id: int
    person: str
    grid: str
    kind: str
    mode: str
    state: str
    result: str
    started_on: date
    finished_on: date | None
    steps: list[dict]


def _service_out(r) -> dict:
    return {"id": r.pk, "person": r.person.name, "grid": r.grid.code, "kind": r.kind, "mode": r.mode,
            "state": r.state, "result": r.result, "started_on": r.started_on, "finished_on": r.finished_on,
            "steps": r.steps}  # fmt: skip


class ServicePage(Schema):
    count: int
    page: int
    items: list[ServiceOut]


@router.get("/fieldwork/services", response=ServicePage, summary="帮办代办（本辖区）")
def service_records(request, state: str = "", page: int = 1):
    require(request.user, perms.VIEW)
    qs = services.service_records_for(request.user).order_by("-started_on", "-pk")
    return api_page(qs.filter(state=state) if state else qs, page, out=_service_out)


@router.post(
    "/fieldwork/services", response={201: ServiceOut}, summary="受理帮办代办（client_id 防重复提交）"
)
def start_service(request, body: ServiceIn):
    r = services.start_service(person_id=body.person, kind=body.kind, mode=body.mode, note=body.note,
                               by=request.user, client_id=body.client_id)  # fmt: skip
    return Status(201, _service_out(r))


class StepIn(Schema):
    note: str = Field(max_length=255)


class FinishIn(Schema):
    state: str = Field(description="done 已办结 / refused 未能办成")
    result: str = Field(max_length=255)


def _service(request, record_id: int):
    require(request.user, perms.VIEW)
    return get_object_or_404(services.service_records_for(request.user), pk=record_id)


@router.post("/fieldwork/services/{record_id}/steps", response=ServiceOut, summary="记录办理进展")
def service_step(request, record_id: int, body: StepIn):
    return _service_out(
        services.add_service_step(_service(request, record_id), note=body.note, by=request.user)
    )


@router.post("/fieldwork/services/{record_id}/finish", response=ServiceOut, summary="办结帮办代办")
def finish_service(request, record_id: int, body: FinishIn):
    r = services.finish_service(
        _service(request, record_id), state=body.state, result=body.result, by=request.user
    )
    return _service_out(r)
