"""考核 by outcomes: a grid (and the workers who hold it) is assessed on what already happened to the
cases, visits, disputes, hazards and reports of its subtree in the period, each part with its formula,
numerator, denominator and the list behind it; the weights and the period are the scene's. No activity
is counted (log-ins, time online, mileage, check-ins, numbers of cases reported): see command/scene.py.

A part with nothing to count in the period (no case due, no dispute closed) is left out of the score and
said so, rather than counted as full or as nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from wangge.cases import services as cases
from wangge.command import scene
from wangge.fieldwork import services as fieldwork
from wangge.mediation import services as mediation
from wangge.registry import services as registry

# key: (name, formula, lower is better)
PARTS = {
    "on_time": (_("按期办结率"), _("按期结案数 ÷ 期内应结案数（本网格的事件）"), False),
    "rework": (_("返工率"), _("重办过的已结案数 ÷ 期内结案数；得分 = 1 − 返工率"), True),
    "satisfied": (_("群众满意率"), _("评价满意与基本满意的结案数 ÷ 有评价的结案数"), False),
    "visits_in_time": (_("按时走访率"), _("期内到期的走访中按时完成的 ÷ 期内到期的走访"), False),
    "disputes_settled": (_("纠纷化解率"), _("调解成功或部分达成的纠纷 ÷ 期内办结的纠纷"), False),
    "hazards_fixed": (_("隐患整改率"), _("期内整改的隐患 ÷ 期内存在过的隐患"), False),
    "reports_on_time": (_("月报按时报送率"), _("按时报送的调解月报 ÷ 期内到期的月报"), False),
}  # fmt: skip


@dataclass
class Part:
    key: str
    name: str
    formula: str
    num: int
    den: int
    weight: int
    link: str
    lower_is_better: bool = False

    @property
    def rate(self) -> float | None:
        return self.num / self.den if self.den else None

    @property
    def score(self) -> float | None:
        """0–1: the rate, or one less the rate where less is better (返工率)."""
        if self.rate is None:
            return None
        return 1 - self.rate if self.lower_is_better else self.rate


@dataclass
class Assessment:
    grid: object
    start: date
    end: date
    parts: list[Part] = field(default_factory=list)

    @property
    def counted(self) -> list[Part]:
        return [p for p in self.parts if p.weight and p.score is not None]

    @property
    def left_out(self) -> list[Part]:
        """Weighed parts with nothing to count in the period: out of the score, named on the page."""
        return [p for p in self.parts if p.weight and p.score is None]

    @property
    def score(self) -> float | None:
        """Σ weight × part score ÷ Σ weight, over the parts that had something to count (0–100)."""
        weights = sum(p.weight for p in self.counted)
        if not weights:
            return None
        return 100 * sum(p.weight * (p.score or 0) for p in self.counted) / weights


def period_of(on: date, kind: str | None = None) -> tuple[date, date]:
    """The assessment period that holds `on` (the scene's month or quarter), up to `on`."""
    kind = kind or scene.settings().period
    if kind == "quarter":
        first = on.replace(month=3 * ((on.month - 1) // 3) + 1, day=1)
    else:
        first = on.replace(day=1)
    return first, on


def whole_period(month: date, kind: str | None = None) -> tuple[date, date]:
    """The whole period starting at a month (a past one, shown whole)."""
    kind = kind or scene.settings().period
    months = 3 if kind == "quarter" else 1
    first = month.replace(day=1)
    nxt = first
    for _n in range(months):
        nxt = (nxt.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first, nxt - timedelta(days=1)


def assess(user, grid, start: date, end: date) -> Assessment:
    weights = scene.settings().weights
    period = cases.Period(start, end)
    figures = cases.outcome_figures(grid, period)
    scope = {"grid": grid.code, "from": start.isoformat(), "to": end.isoformat()}

    def case_part(key: str, figure_key: str) -> Part:
        f = figures[figure_key]
        link = f"{reverse('cases:figure_cases', args=[figure_key, 'den'])}?{urlencode(scope)}"
        return _part(key, f.num, f.den, weights, link)

    parts = [
        case_part("on_time", "on_time"),
        case_part("rework", "rework"),
        case_part("satisfied", "satisfied"),
    ]
    for key, (num, den, link) in (
        ("visits_in_time", fieldwork.visits_in_time(user, grid, start, end)),
        ("disputes_settled", mediation.settled_in(user, grid, start, end)),
        ("hazards_fixed", registry.hazards_fixed(user, grid, start, end)),
        ("reports_on_time", mediation.reports_on_time(user, grid, start, end)),
    ):
        parts.append(_part(key, num, den, weights, link))
    return Assessment(grid, start, end, parts)


def _part(key: str, num: int, den: int, weights: dict[str, int], link: str) -> Part:
    name, formula, lower = PARTS[key]
    return Part(key, str(name), str(formula), num, den, weights.get(key, 0), link, lower)


@dataclass
class RecordLine:
    text: str
    n: int


def worker_record(worker) -> list[RecordLine]:
    """A worker's record from what they recorded, never typed: matters handled for residents, disputes
    mediated, hazards and problems found (as the seeds describe a micro-grid leader: "为群众办理事项 38 件、
    化解矛盾纠纷 86 起、排查隐患 33 处"). Lines of a record, not part of any score."""
    work = fieldwork.worker_record(worker)
    handled = cases.worker_record(worker)
    return [
        RecordLine(str(_("为群众办理事项（办结事件与帮办代办）")), handled + work["services_done"]),
        RecordLine(str(_("参与调解矛盾纠纷")), mediation.worker_record(worker)),
        RecordLine(str(_("走访发现房屋隐患")), work["hazards_found"]),
        RecordLine(str(_("走访发现并上报问题")), work["problems_found"]),
    ]
