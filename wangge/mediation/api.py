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
    referred_to: str
    agreement: str
    follow_up_due: date | None
    case: str | None = Field(None, description="来源事件编号（由事件转入时）")


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
        "referred_to": d.referred_to,
        "agreement": d.agreement,
        "follow_up_due": d.follow_up_due,
        "case": d.case_code,
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


def _dispute(request, dispute_id: int):
    """A dispute of the caller's jurisdiction, or 404 (the same for one that is not there at all)."""
    require(request.user, perms.VIEW)
    return get_object_or_404(services.disputes_for(request.user), pk=dispute_id)


class SessionIn(Schema):
    notes: str = Field(max_length=5000)
    mediator: str = Field("", max_length=64)
    held_on: date | None = None


class SessionOut(Schema):
    id: int
    held_on: date
    mediator: str
    notes: str


@router.get("/mediation/disputes/{dispute_id}/sessions", response=list[SessionOut], summary="调解记录")
def sessions(request, dispute_id: int):
    dispute = _dispute(request, dispute_id)
    return [{"id": s.pk, "held_on": s.held_on, "mediator": s.mediator, "notes": s.notes}
            for s in dispute.sessions.order_by("held_on", "pk")]  # fmt: skip


@router.post("/mediation/disputes/{dispute_id}/sessions", response={201: SessionOut}, summary="记录一次调解")
def add_session(request, dispute_id: int, body: SessionIn):
    dispute = _dispute(request, dispute_id)
    s = services.add_session(dispute, by=request.user, notes=body.notes, mediator=body.mediator,
                             held_on=body.held_on)  # fmt: skip
    return Status(201, {"id": s.pk, "held_on": s.held_on, "mediator": s.mediator, "notes": s.notes})


class EscalateIn(Schema):
    reason: str = Field(max_length=1000)


@router.post("/mediation/disputes/{dispute_id}/escalate", response=DisputeOut, summary="提交上一级调解")
def escalate(request, dispute_id: int, body: EscalateIn):
    return _out(services.escalate(_dispute(request, dispute_id), by=request.user, reason=body.reason))


class CloseIn(Schema):
    status: str = Field(description="agreed 调解成功 / partly 部分达成 / failed 调解不成，已引导")
    outcome: str = Field(max_length=5000)
    agreement: str = Field("", max_length=5000, description="达成协议时的协议内容")
    referred_to: str = Field("", max_length=255, description="调解不成时引导至何处")
    closed_on: date | None = None


@router.post("/mediation/disputes/{dispute_id}/close", response=DisputeOut,
             summary="调解办结（由事件转入的纠纷同时办结该事件）")  # fmt: skip
def close(request, dispute_id: int, body: CloseIn):
    dispute = services.close(
        _dispute(request, dispute_id), by=request.user, status=body.status, outcome=body.outcome,
        agreement=body.agreement, referred_to=body.referred_to, on=body.closed_on,
    )  # fmt: skip
    return _out(dispute)


class SignatureIn(Schema):
    party: str = Field(max_length=64)
    drawn: str = Field(
        max_length=2_000_000, description="手写签名，PNG 的 data URL（data:image/png;base64,…）"
    )


@router.post(
    "/mediation/disputes/{dispute_id}/signatures", response={201: dict}, summary="当事人在协议书上签名"
)
def sign(request, dispute_id: int, body: SignatureIn):
    sig = services.sign(_dispute(request, dispute_id), by=request.user, party=body.party, drawn=body.drawn)
    return Status(201, {"id": sig.pk, "party": sig.party})


class FollowUpIn(Schema):
    kept: bool
    note: str = Field("", max_length=5000)
    visited_on: date | None = None


@router.post("/mediation/disputes/{dispute_id}/follow-ups", response={201: dict}, summary="回访协议履行情况")
def follow_up(request, dispute_id: int, body: FollowUpIn):
    f = services.follow_up(_dispute(request, dispute_id), by=request.user, kept=body.kept, note=body.note,
                           on=body.visited_on)  # fmt: skip
    return Status(201, {"id": f.pk, "kept": f.kept, "visited_on": f.visited_on})


class FileIn(Schema):
    grid: str = Field(description="社区（二级网格）编码")
    month: str = Field(pattern=r"^\d{4}-\d{2}$", description="2026-11")
    zero: bool = Field(False, description="零报告（本月无纠纷）")


@router.post("/mediation/monthly", response={201: FilingOut}, summary="报送社区矛盾纠纷月报（或零报告）")
def file_report(request, body: FileIn):
    require(request.user, perms.FILE_REPORT)
    grid = services.communities_for(request.user).filter(code=body.grid).first()
    if grid is None:
        raise invalid("grid", "在您可报送的社区中找不到该编码", "not_found")
    try:
        month = datetime.strptime(body.month, "%Y-%m").date()
    except ValueError:
        raise invalid("month", "月份格式应为 2026-01", "invalid") from None
    report = services.file_report(grid, month, by=request.user, zero=body.zero)
    state = "late" if report.late else "filed"
    return Status(201, {"grid": grid.code, "name": grid.name, "state": state, "zero": report.zero,
                        "figures": report.figures})  # fmt: skip


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
