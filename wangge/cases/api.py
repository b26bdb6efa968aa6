"""Cases in the JSON API: the queue, a case with its history, reporting (with a client id), every
workflow step, and 12345 orders pushed by the hotline's system."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from wangge.accounts.models import Department
from wangge.cases import calendar, figures, hotline
from wangge.cases import permissions as perms
from wangge.cases import services as cases
from wangge.cases.filters import CaseFilter
from wangge.cases.models import Case, WorkCalendarDay
from wangge.core import filters
from wangge.core.errors import error, invalid
from wangge.core.pagination import api_page
from wangge.core.permissions import require
from wangge.grids.models import Grid
from wangge.registry import services as registry

router = Router(tags=["事件 cases"])


class CategoryOut(Schema):
    key: str
    name: str
    group: str
    on_spot: bool
    visit_required: bool
    attributes: list[dict]


class EventOut(Schema):
    at: datetime
    action: str
    action_name: str
    actor: str
    comment: str
    to_grid: str | None
    to_department: str | None


class CaseOut(Schema):
    code: str
    status: str
    status_name: str
    category: str
    category_name: str
    description: str
    address: str
    lon: float | None
    lat: float | None
    grid: str | None
    handler: str | None
    channel: str
    hotline_number: str | None
    stage_due_at: datetime | None
    due_at: datetime | None
    light: str
    outcome: str
    answer: str
    rating: str
    created: datetime


class CaseDetailOut(CaseOut):
    events: list[EventOut]
    repeat_of: str | None  # the 12345 repeat group's first case (if the caller may see it)
    repeats: list[str]  # the repeated calls grouped under that first case, that the caller may see


class CasePage(Schema):
    count: int
    page: int
    items: list[CaseOut]


def _out(c: Case) -> dict:
    handler = (
        c.handler_department.name
        if c.handler_department
        else (c.handler_grid.code if c.handler_grid else None)
    )
    return {
        "code": c.code,
        "status": c.status,
        "status_name": c.get_status_display(),
        "category": c.category.key,
        "category_name": c.category.name,
        "description": c.description,
        "address": c.address,
        "lon": c.lon,
        "lat": c.lat,
        "grid": c.grid.code if c.grid else None,
        "handler": handler,
        "channel": c.channel,
        "hotline_number": c.hotline_number,
        "stage_due_at": c.stage_due_at,
        "due_at": c.due_at,
        "light": cases.light(c),
        "outcome": c.outcome,
        "answer": c.answer,
        "rating": c.rating,
        "created": c.created,
    }


@router.get("/cases/categories", response=list[CategoryOut], summary="可上报的事件类别")
def categories(request):
    return [
        {
            "key": c.key,
            "name": c.name,
            "group": c.parent.name if c.parent else "",
            "on_spot": c.on_spot,
            "visit_required": c.visit_required,
            "attributes": c.attributes,
        }  # fmt: skip
        for c in cases.categories()
    ]


class ListFilter(Schema):
    """The queue page's filters (cases/filters.py), by the same names."""

    tab: str | None = None
    status: str | None = None
    q: str | None = None
    category: str | None = None
    channel: str | None = None
    mine: bool = False
    page: int = Field(1, ge=1)


@router.get("/cases", response=CasePage, summary="我能看到的事件（按辖区或本部门）")
def case_list(request, f: Query[ListFilter]):
    require(request.user, perms.VIEW)
    data = f.dict(exclude={"page"}, exclude_none=True)
    qs = filters.rows(CaseFilter(data, queryset=cases.visible_cases(request.user), request=request))
    return api_page(qs.order_by("-created", "pk"), f.page, out=_out)


class ReturnCallOut(CaseOut):
    reporter_phone: str  # masked; the full number only through the page's audited "显示号码"
    calls: int


class ReturnCallPage(Schema):
    count: int
    page: int
    items: list[ReturnCallOut]


@router.get(
    "/cases/return-calls", response=ReturnCallPage, summary="待电话回访的事件（结果用 return_call 记录）"
)
def return_call_list(request, page: int = 1):
    require(request.user, perms.RETURN_CALL)
    return api_page(cases.return_calls_due(request.user), page, out=_return_call_out)


def _return_call_out(c: Case) -> dict:
    return _out(c) | {"reporter_phone": registry.mask_phone(c.reporter_phone), "calls": c.calls}


class FigureOut(Schema):
    key: str
    name: str
    formula: str
    numerator: int
    denominator: int
    value: float | None


class FiguresOut(Schema):
    start: date
    end: date
    grid: str | None
    figures: list[FigureOut]
    hotline_score: float | None  # 响应率×30% + 解决率×35% + 满意率×35%


@router.get("/cases/figures", response=FiguresOut, summary="办理指标（与页面同一公式）")
def case_figures(
    request,
    start: date | None = None,
    end: date | None = None,
    grid: str = "",
    leave_out_suspended: bool = False,
):
    """The figures page's figures for the caller's cases (a grid's subtree with `grid`), this month by
    default; each with its formula, numerator and denominator."""
    require(request.user, perms.VIEW_FIGURES)
    today = timezone.localdate()
    start, end = start or today.replace(day=1), end or today
    if end < start:
        start, end = end, start
    qs, unit = cases.figure_cases(request.user, grid)
    rows = figures.compute(qs, figures.Period(start, end), leave_out_suspended=leave_out_suspended)
    return {
        "start": start, "end": end, "grid": unit.code if unit else None,
        "hotline_score": figures.hotline_score(rows),
        "figures": [{"key": f.key, "name": f.name, "formula": f.formula, "numerator": f.num,
                     "denominator": f.den, "value": f.value} for f in rows],
    }  # fmt: skip


class CalendarDayOut(Schema):
    day: date
    is_workday: bool
    name: str
    source: str  # holidays (seeded) / admin (an administrator's word, kept when reseeding)


class CalendarOut(Schema):
    year: int
    days: list[CalendarDayOut]  # the days that are not ordinary (Monday–Friday work, weekend off)
    missing_years: list[int]  # of this year and the next, those with no holiday schedule yet


class CalendarDayIn(Schema):
    is_workday: bool
    name: str = Field("", max_length=64)


@router.get("/cases/calendar", response=CalendarOut, summary="工作日历（节假日与调休）")
def work_calendar(request, year: int | None = None):
    require(request.user, perms.VIEW)
    year = year or timezone.localdate().year
    if not 2000 <= year <= 2100:
        raise invalid("year", "年份应在 2000 到 2100 之间", "out_of_range")
    days = WorkCalendarDay.objects.filter(day__year=year).order_by("day")
    return {"year": year, "days": list(days), "missing_years": calendar.years_without_data([year, year + 1])}


@router.put("/cases/calendar/{day}", response=CalendarDayOut, summary="设定某天是否工作日")
def set_calendar_day(request, day: date, body: CalendarDayIn):
    require(request.user, perms.MANAGE_CALENDAR)
    return calendar.set_day(day, is_workday=body.is_workday, name=body.name)


@router.delete("/cases/calendar/{day}", response={204: None}, summary="恢复为普通日")
def clear_calendar_day(request, day: date):
    require(request.user, perms.MANAGE_CALENDAR)
    calendar.clear_day(day)
    return Status(204, None)


class BulkDispatchIn(Schema):
    cases: list[Annotated[str, Field(max_length=32)]] = Field(min_length=1, max_length=200)


class BulkDispatchOut(Schema):
    dispatched: list[str]
    refused: dict[str, str]


@router.post(
    "/cases/dispatch", response=BulkDispatchOut, summary="批量按派单目录派遣（逐件办理，逐件说明未派原因）"
)
def bulk_dispatch(request, body: BulkDispatchIn):
    done, refused = [], {}
    for code in dict.fromkeys(body.cases):
        try:
            cases.dispatch(cases.get_case_or_404(request.user, code), by=request.user)
        except Http404:
            refused[code] = "未找到"
        except (ValidationError, PermissionDenied) as exc:
            refused[code] = "；".join(getattr(exc, "messages", None) or [str(exc) or "您没有此操作的权限"])
        else:
            done.append(code)
    return {"dispatched": done, "refused": refused}


@router.get("/cases/{case_code}", response=CaseDetailOut, summary="事件详情与办理记录")
def case_detail(request, case_code: str):
    case = cases.get_case_or_404(request.user, case_code)
    events = [
        {
            "at": e.at,
            "action": e.action,
            "action_name": e.get_action_display(),
            "actor": e.shown_actor,
            "comment": e.shown_comment,
            "to_grid": e.to_grid.code if e.to_grid else None,
            "to_department": e.to_department.key if e.to_department else None,
        }  # fmt: skip
        for e in case.events.select_related("to_grid", "to_department")
    ]
    group = cases.repeat_group(case, request.user)
    first = group.first.code if group and group.first and group.first.pk != case.pk else None
    return {**_out(case), "events": events, "repeat_of": first,
            "repeats": [r.code for r in group.repeats] if group else []}  # fmt: skip


class ReportSchema(Schema):
    category: str
    description: str
    lon: float | None = None
    lat: float | None = None
    crs: str = "wgs84"
    address: str = ""
    attributes: dict = {}
    client_id: str | None = None
    on_spot: bool = False


@router.post("/cases", response={201: CaseOut}, summary="上报事件（随手拍；client_id 防重复提交）")
def case_report(request, body: ReportSchema):
    require(request.user, perms.HANDLE)
    data = cases.ReportIn(
        category=body.category,
        description=body.description,
        lon=body.lon,
        lat=body.lat,
        crs=body.crs,
        address=body.address,
        attributes=body.attributes,
        client_id=body.client_id or "",
        channel=Case.Channel.WORKER,
        on_spot=body.on_spot,
    )
    return Status(201, _out(cases.report(data, by=request.user)))


class ActionSchema(Schema):
    comment: str = ""
    reason: str = ""
    to_grid: str | None = None
    to_department: str | None = None
    until: datetime | None = None
    of: str | None = None
    lon: float | None = None
    lat: float | None = None


@router.post(
    "/cases/{case_code}/actions/{action}", response=CaseOut, summary="办理一步（受理、派遣、处置、核查……）"
)
def case_action(request, case_code: str, action: str, body: ActionSchema):
    case = cases.get_case_or_404(request.user, case_code)
    step = cases.StepIn(
        comment=body.comment,
        reason=body.reason,
        to_grid=get_object_or_404(Grid, code=body.to_grid) if body.to_grid else None,
        to_department=get_object_or_404(Department, key=body.to_department) if body.to_department else None,
        until=body.until,
        of=cases.get_case_or_404(request.user, body.of) if body.of else None,
        lon=body.lon,
        lat=body.lat,
    )
    return _out(cases.perform(case, action, by=request.user, step=step))


class PhoneOut(Schema):
    phone: str


@router.post("/cases/{case_code}/phone", response=PhoneOut, summary="电话回访：反映人的完整电话（记入审计）")
def case_phone(request, case_code: str):
    case = cases.get_case_or_404(request.user, case_code)
    return {"phone": cases.phone_to_call(case, by=request.user)}


class DisputeOpenIn(Schema):
    parties: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(default=[], max_length=20)
    party_id_numbers: list[Annotated[str, Field(max_length=18)]] = Field(default=[], max_length=20)
    risk: str = Field(default="low", description="low 一般 / medium 较大 / high 重大")


class DisputeLinkIn(Schema):
    dispute: int = Field(ge=1, le=2**63 - 1, description="矛盾纠纷台账中的纠纷编号")


class DisputeRef(Schema):
    dispute: int
    case: str
    status: str


@router.post("/cases/{case_code}/dispute", response={201: DisputeRef},
             summary="纠纷类事件转入矛盾纠纷调解（调解结果办结事件）")  # fmt: skip
def case_dispute_open(request, case_code: str, body: DisputeOpenIn):
    case = cases.get_case_or_404(request.user, case_code)
    dispute = cases.open_dispute(
        case, by=request.user, parties=body.parties, risk=body.risk, party_id_numbers=body.party_id_numbers
    )
    return Status(201, {"dispute": dispute.pk, "case": case.code, "status": dispute.status})


@router.post(
    "/cases/{case_code}/dispute/link", response=DisputeRef, summary="纠纷类事件关联台账中已登记的纠纷"
)
def case_dispute_link(request, case_code: str, body: DisputeLinkIn):
    case = cases.get_case_or_404(request.user, case_code)
    dispute = cases.link_dispute(case, by=request.user, dispute_id=body.dispute)
    return {"dispute": dispute.pk, "case": case.code, "status": dispute.status}


class OrderSchema(Schema):
    工单编号: str
    来电时间: datetime | None = None
    诉求人: str = ""
    电话: str = ""
    地址: str
    诉求内容: str
    诉求类型: str = ""
    办理时限: datetime | None = None


class HotlineAnswer(Schema):
    工单编号: str
    办理结果: str
    办理情况: str
    答复时间: datetime | None
    是否联系诉求人: str
    承办单位: str


class HotlineAnswerPage(Schema):
    count: int
    page: int
    items: list[HotlineAnswer]


@router.get(
    "/cases/hotline/answers",
    response=HotlineAnswerPage,
    summary="12345 工单的答复（热线系统拉取）",
)
def hotline_answers(request, since: datetime | None = None, page: int = 1):
    """Answered orders (closed or not accepted), oldest answer first, from `since` (ISO 8601, any zone)."""
    require(request.user, perms.IMPORT_HOTLINE)
    qs = cases.visible_cases(request.user).filter(
        hotline_number__isnull=False, status__in=[Case.Status.CLOSED, Case.Status.REJECTED]
    )
    if since is not None:
        qs = qs.filter(closed_at__gte=since)
    return api_page(qs.order_by("closed_at", "pk"), page, out=cases.hotline_answer)


class HotlineResult(Schema):
    imported: list[str]
    matched: int
    unmatched: list[str]


@router.post(
    "/cases/hotline/orders", response={201: HotlineResult}, summary="推送 12345 工单（全部无误才导入）"
)
def hotline_push(request, orders: list[OrderSchema]):
    require(request.user, perms.IMPORT_HOTLINE)
    # times as sent, with their zones (an offset is never dropped on the way)
    body = [
        [o.工单编号, o.来电时间, o.诉求人, o.电话, o.地址, o.诉求内容, o.诉求类型, o.办理时限] for o in orders
    ]
    checked, errors = hotline.check_orders(hotline.COLUMNS, body)
    if errors:
        raise ValidationError({f"{e.row - 2}.{e.header}": [error(e.message, "invalid")] for e in errors})
    report = hotline.import_checked(checked, by=request.user)
    return Status(201, {"imported": [c.hotline_number for c in report.imported], "matched": report.matched,
                 "unmatched": [n for n, _a, _w in report.unmatched]})  # fmt: skip
