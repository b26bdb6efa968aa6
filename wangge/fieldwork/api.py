"""Field work in the JSON API: the worker's due list, recording a visit (with a client id, for phone apps
and the offline queue), and reading visits; all within the caller's jurisdiction."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Field, Query, Router, Schema, Status

from wangge.core import filters
from wangge.core.pagination import api_page
from wangge.core.permissions import require
from wangge.fieldwork import permissions as perms
from wangge.fieldwork import services
from wangge.fieldwork.filters import VisitFilter

router = Router(tags=["走访 fieldwork"])


class DueOut(Schema):
    household: int
    number: str
    address: str
    building: str
    due_on: date
    overdue: bool
    rules: list[str]
    campaigns: list[str]


class VisitIn(Schema):
    household: int
    client_id: str
    mode: str = "in_person"
    visited_at: datetime | None = None
    answers: dict[str, str] = {}
    notes: str = ""
    lon: float | None = None
    lat: float | None = None
    crs: str = "wgs84"
    case_code: str = ""
    persons: list[int] = []
    hazard_kind: str = ""
    hazard_grade: str = ""
    hazard_note: str = ""
    problem_category: str = ""
    problem_description: str = ""


class VisitOut(Schema):
    id: int
    client_id: str
    household: int
    grid: str
    worker: str
    mode: str
    persons: list[int]
    visited_at: datetime
    answers: dict
    notes: str
    distance_m: int | None
    findings: list[dict]


def _out(v) -> dict:
    return {
        "id": v.pk,
        "client_id": v.client_id,
        "household": v.household_id,
        "grid": v.grid.code,
        "worker": str(v.worker),
        "mode": v.mode,
        "persons": v.persons,
        "visited_at": v.visited_at,
        "answers": v.answers,
        "notes": v.notes,
        "distance_m": v.distance_m,
        "findings": [
            {"kind": f.kind, "summary": f.summary, "case": f.case_code or None} for f in v.findings.all()
        ],
    }


class DueFilter(Schema):
    tab: str = "today"


@router.get("/fieldwork/due", response=list[DueOut], summary="我的应访户（overdue / today / week）")
def due(request, f: Query[DueFilter]):
    require(request.user, perms.VIEW)
    tab = f.tab if f.tab in ("overdue", "today", "week") else "today"
    return [
        {
            "household": s.household.pk,
            "number": s.household.number,
            "address": s.household.house.address if s.household.house else "",
            "building": s.building,
            "due_on": s.due_on,
            "overdue": s.overdue,
            "rules": [d.rule.name for d in s.duties],
            "campaigns": [c.name for c in s.campaigns],
        }
        for s in services.round_for(request.user, tab)
    ]


@router.post("/fieldwork/visits", response={201: VisitOut}, summary="登记走访（client_id 防重复提交）")
def record(request, body: VisitIn):
    require(request.user, perms.RECORD)
    visit = services.record_visit(services.VisitIn(**body.dict()), by=request.user)
    return Status(201, _out(visit))


class VisitQuery(Schema):
    """The visit list page's filters (fieldwork/filters.py), by the same names."""

    q: str | None = None
    mode: str | None = None
    household: int | None = None
    start: date | None = Field(None, alias="from")
    end: date | None = Field(None, alias="to")
    page: int = Field(1, ge=1)


class VisitPage(Schema):
    count: int
    page: int
    items: list[VisitOut]


@router.get("/fieldwork/visits", response=VisitPage, summary="走访记录（本辖区）")
def visits(request, f: Query[VisitQuery]):
    require(request.user, perms.VIEW)
    data = f.dict(exclude={"page"}, exclude_none=True)
    qs = services.visits_for(request.user).prefetch_related("findings")
    return api_page(filters.rows(VisitFilter(data, queryset=qs)), f.page, out=_out)


@router.get("/fieldwork/visits/{visit_id}", response=VisitOut, summary="一次走访")
def visit(request, visit_id: int):
    require(request.user, perms.VIEW)
    return _out(services.get_visit_or_404(request.user, visit_id))
