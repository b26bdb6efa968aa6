"""The loop's figures for a unit and a period, computed from the cases and their event log, never typed
in. Each has its formula, numerator and denominator (querysets: every figure drills down to its cases).

Outcomes, not activity: nothing here counts log-ins, time online or cases per worker."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet

from wangge.cases.models import Case, CaseEvent
from wangge.grids.models import Grid

A = CaseEvent.Action
S = Case.Status


@dataclass
class Period:
    start: date
    end: date  # inclusive

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        zone = ZoneInfo(settings.TIME_ZONE)
        return (
            datetime.combine(self.start, time.min, tzinfo=zone),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone),
        )


@dataclass
class Figure:
    key: str
    name: str
    formula: str
    numerator: QuerySet[Case]
    denominator: QuerySet[Case]
    num: int = 0
    den: int = 0

    @property
    def value(self) -> float | None:
        return self.num / self.den if self.den else None


def _has(action: str, *, within: tuple[datetime, datetime] | None = None) -> Exists:
    q = CaseEvent.objects.filter(case=OuterRef("pk"), action=action)
    if within:
        q = q.filter(at__gte=within[0], at__lt=within[1])
    return Exists(q)


@dataclass(frozen=True)
class Definition:
    """One figure: the date a period applies to, which of the cases dated in the period count below the
    line (den) and which of those above it (num). `compute` and the daily tallies (`cases/tallies.py`)
    both read these, so a figure has one formula wherever it is shown."""

    key: str
    name: str
    formula: str
    field: str  # created, due_at, closed_at or dispatched_at
    den: Q
    num: Q


def _late_accept() -> Exists:
    return Exists(CaseEvent.objects.filter(case=OuterRef("pk"), action=A.ACCEPT, late=True))


def definitions(*, leave_out_suspended: bool = False) -> list[Definition]:
    due = ~Q(status=S.REJECTED)
    if leave_out_suspended:
        due &= ~Q(status=S.SUSPENDED)
    closed = Q(status=S.CLOSED)
    hotline = Q(channel=Case.Channel.HOTLINE)
    content = Q(rating__in=[Case.Rating.SATISFIED, Case.Rating.BASIC])
    return [
        Definition("acceptance", "立案率", "立案数 ÷ 受理（上报）数", "created", Q(),
                   Q(accepted_at__isnull=False)),
        Definition("closure", "结案率", "期内应结案件中已结案数 ÷ 期内应结案数", "due_at", due, closed),
        Definition("on_time", "按期结案率", "按期结案数 ÷ 期内应结案数", "due_at", due,
                   Q(status=S.CLOSED, closed_at__lte=F("due_at"))),
        Definition("rework", "返工率", "核查不通过或群众不满意而重办的已结案数 ÷ 期内结案数", "closed_at",
                   closed, Q(reopened__gt=0)),
        Definition("extension", "延期率", "获批延期的派遣数 ÷ 期内派遣数", "dispatched_at", Q(),
                   Q(_has(A.EXTEND_APPROVE))),
        Definition("returned", "回退率", "被部门退回的派遣数 ÷ 期内派遣数", "dispatched_at", Q(),
                   Q(_has(A.RETURN))),
        Definition("in_grid", "网格内解决率", "由所在网格办结（未升级）的结案数 ÷ 期内结案数", "closed_at",
                   closed, Q(handler_grid=F("grid"), escalation_level=0)),
        Definition("repeat", "重复率", "重复反映（重复件、热线重复来电）数 ÷ 受理数", "created", Q(),
                   Q(outcome=Case.Outcome.DUPLICATE) | Q(repeat_of__isnull=False)),
        Definition("response", "响应率（12345）", "按时受理的热线工单数 ÷ 热线工单数", "created", hotline,
                   Q(accepted_at__isnull=False) & ~Q(_late_accept())),
        Definition("resolution", "解决率（12345）", "已解决的热线工单数 ÷ 已办结的热线工单数", "closed_at",
                   closed & hotline, Q(outcome__in=[Case.Outcome.SOLVED, Case.Outcome.ON_SPOT])),
        Definition("satisfaction", "满意率（12345）", "满意与基本满意数 ÷ 参评数", "closed_at",
                   hotline & ~Q(rating=""), content),
        Definition("satisfied", "群众满意率", "评价满意与基本满意的结案数 ÷ 有评价的结案数（各渠道）",
                   "closed_at", closed & ~Q(rating=""), content),
    ]  # fmt: skip


def dated(cases: QuerySet[Case], field: str, period: Period) -> QuerySet[Case]:
    lo, hi = period.bounds
    return cases.filter(**{f"{field}__gte": lo, f"{field}__lt": hi})


def compute(
    cases: QuerySet[Case], period: Period, *, leave_out_suspended: bool = False, only: tuple[str, ...] = ()
) -> list[Figure]:
    """Every figure over `cases` (already limited to the unit and the user's jurisdiction), or those
    named in `only`; one definition each, wherever it is shown."""
    figures = []
    for d in definitions(leave_out_suspended=leave_out_suspended):
        if only and d.key not in only:
            continue
        below = dated(cases, d.field, period).filter(d.den)
        figures.append(Figure(d.key, d.name, d.formula, below.filter(d.num), below))
    for f in figures:  # COUNT(DISTINCT id): a DISTINCT over every column sorted a million rows
        f.num = f.numerator.aggregate(n=Count("pk", distinct=True))["n"]
        f.den = f.denominator.aggregate(n=Count("pk", distinct=True))["n"]
    return figures


def by_grid(cases: QuerySet[Case], period: Period, grids: list[Grid], key: str) -> list[tuple[Grid, Figure]]:
    """One figure for each of these grids (the cases in its subtree): 重复率 per grid, and the like."""
    return [(g, compute(cases.filter(grid__path__startswith=g.path), period, only=(key,))[0]) for g in grids]


def hotline_score(figures: list[Figure]) -> float | None:
    """12345's weighted score of response, resolution and satisfaction (weights: settings, 30/35/35)."""
    by_key = {f.key: f.value for f in figures}
    found = [by_key.get("response"), by_key.get("resolution"), by_key.get("satisfaction")]
    parts = [p for p in found if p is not None]
    if len(parts) < len(found):
        return None
    weights: list[float] = list(settings.HOTLINE_WEIGHTS)
    return sum(w * p for w, p in zip(weights, parts, strict=True)) / sum(weights)
