"""Mediation in the JSON API: disputes within the caller's jurisdiction, recording one (with a client id),
and the month's reports (who filed, the figures)."""

from __future__ import annotations

from datetime import date, datetime

from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from wangge.core import filters
from wangge.core.errors import invalid
from wangge.core.pagination import api_page
from wangge.core.permissions import require
from wangge.grids import services as grids
from wangge.mediation import permissions as perms
from wangge.mediation import services
from wangge.mediation.filters import DisputeFilter

router = Router(tags=["矛盾纠纷 mediation"])


class DisputeOut(Schema):
    id: int
    grid: str
    kind: str
    summary: str
    parties: list[str]
    risk: str
    level: str
    level_due: date
    status: str
    found_on: date
    closed_on: date | None
    outcome: str


def _out(d) -> dict:
    return {
        "id": d.pk,
        "grid": d.grid.code,
        "kind": d.kind.key,
        "summary": d.summary,
        "parties": [p["name"] for p in d.parties],
        "risk": d.risk,
        "level": d.level,
        "level_due": d.level_due,
        "status": d.status,
        "found_on": d.found_on,
        "closed_on": d.closed_on,
        "outcome": d.outcome,
    }


class DisputeIn(Schema):
    grid: str
    kind: str
    summary: str
    parties: list[str] = []
    party_id_numbers: list[str] = []
    place: str = ""
    risk: str = "low"
    found_on: date | None = None
    mediator: str = ""
    client_id: str = ""


class DisputeQuery(Schema):
    """The dispute list page's filters (mediation/filters.py), by the same names."""

    q: str | None = None
    status: str | None = None
    kind: str | None = None
    follow_up: bool = False
    page: int = Field(1, ge=1)


class DisputePage(Schema):
    count: int
    page: int
    items: list[DisputeOut]


@router.get("/mediation/disputes", response=DisputePage, summary="矛盾纠纷（本辖区）")
def disputes(request, f: Query[DisputeQuery]):
    require(request.user, perms.VIEW)
    data = f.dict(exclude={"page"}, exclude_none=True)
    qs = filters.rows(DisputeFilter(data, queryset=services.disputes_for(request.user), request=request))
    return api_page(qs, f.page, out=_out)


@router.get("/mediation/disputes/{dispute_id}", response=DisputeOut, summary="一件矛盾纠纷")
def dispute(request, dispute_id: int):
    require(request.user, perms.VIEW)
    return _out(get_object_or_404(services.disputes_for(request.user), pk=dispute_id))


@router.post(
    "/mediation/disputes", response={201: DisputeOut}, summary="登记矛盾纠纷（client_id 防重复提交）"
)
def record(request, body: DisputeIn):
    require(request.user, perms.RECORD)
    grid = grids.active_grids().filter(code=body.grid).first()
    data = services.DisputeIn(**{**body.dict(), "grid": grid.pk if grid else 0})
    return Status(201, _out(services.record(data, by=request.user)))


class FilingOut(Schema):
    grid: str
    name: str
    state: str
    zero: bool
    figures: dict


class MonthFilter(Schema):
    month: str = ""


@router.get(
    "/mediation/monthly",
    response=list[FilingOut],
    summary="月报报送情况（state: filed/late/waiting/overdue）",
)
def monthly(request, f: Query[MonthFilter]):

    require(request.user, perms.VIEW)
    try:
        month = datetime.strptime(f.month, "%Y-%m").date() if f.month else services.today()
    except ValueError:
        raise invalid("month", "月份格式应为 2026-01", "invalid") from None
    return [
        {
            "grid": x.grid.code,
            "name": x.grid.name,
            "state": x.state,
            "zero": bool(x.report and x.report.zero),
            "figures": x.report.figures if x.report else services.figures(x.grid, month),
        }
        for x in services.filings(request.user, month)
    ]
