"""日报告 / 周研判 / 月分析: written from the data, never typed. For a unit and a period: what came in (cases
and 12345 orders) by category and by grid, open cases now (overdue, escalated, supervised, repeated calls),
the figures against the period before, the categories rising against their average of the four periods
before (热点), the places where cases of one kind cluster (热点区域), and risk notices (风险提示) written
from the scene's rules — rules, not a language model. Each report is kept as it was issued; generating one
again adds a new version.

Reports are generated on schedule (the worker's `generate_reports`, hourly: yesterday's daily report,
last week's review on Mondays, last month's analysis on the 1st, for the grids of the scene's levels) and
on demand from the reports page."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from wangge.cases import services as cases
from wangge.command import scene
from wangge.command.models import AnalysisReport
from wangge.grids import services as grids
from wangge.grids.models import Grid

K = AnalysisReport.Kind
PERIOD_WORDS = {K.DAILY: "当日", K.WEEKLY: "本周", K.MONTHLY: "本月"}


def _month_start(d: date) -> date:
    return d.replace(day=1)


def _next_month(d: date) -> date:
    return (d.replace(day=28) + timedelta(days=4)).replace(day=1)


def period_for(kind: str, on: date) -> tuple[date, date]:
    """The last whole period before `on`: yesterday, last week (Monday to Sunday), last month."""
    if kind == K.DAILY:
        day = on - timedelta(days=1)
        return day, day
    if kind == K.WEEKLY:
        monday = on - timedelta(days=on.weekday() + 7)
        return monday, monday + timedelta(days=6)
    first = _month_start(_month_start(on) - timedelta(days=1))
    return first, _month_start(on) - timedelta(days=1)


def shifted(kind: str, start: date, back: int) -> tuple[date, date]:
    """The period `back` periods before the one starting at `start`."""
    if kind == K.MONTHLY:
        first = start
        for _n in range(back):
            first = _month_start(first - timedelta(days=1))
        return first, _next_month(first) - timedelta(days=1)
    days = 1 if kind == K.DAILY else 7
    first = start - timedelta(days=days * back)
    return first, first + timedelta(days=days - 1)


def title_of(kind: str, grid, start: date, end: date) -> str:
    if kind == K.DAILY:
        return f"{grid.name} {start:%Y年%m月%d日} 日报告"
    if kind == K.WEEKLY:
        return f"{grid.name} {start:%m月%d日}—{end:%m月%d日} 周研判"
    return f"{grid.name} {start:%Y年%m月} 月分析"


def build(grid, kind: str, start: date, end: date) -> dict:
    """The report's content as plain data (kept as issued)."""
    period = cases.Period(start, end)
    before = cases.Period(*shifted(kind, start, 1))
    received = cases.analysis.received(grid, period)
    counts = cases.analysis.category_counts(grid, start, end)
    base_start, _e = shifted(kind, start, 4)
    base = cases.analysis.category_counts(grid, base_start, start - timedelta(days=1))
    spots = cases.analysis.hot_spots(grid, period)
    groups = {c["key"]: c["group"] for c in received.by_category}
    names = {c["key"]: c["name"] for c in received.by_category}
    hot = []
    for key, n in counts.items():
        average = base.get(key, 0) / 4
        if n >= 3 and n >= 1.5 * average:
            hot.append({"key": key, "name": names.get(key, key), "n": n, "average": round(average, 1),
                        "rise": round((n / average - 1) * 100) if average else None})  # fmt: skip
    hot.sort(key=lambda h: -(h["n"] - h["average"]))
    content = {
        "kind": kind, "grid": grid.code, "grid_name": grid.name,
        "start": start.isoformat(), "end": end.isoformat(),
        "previous": [before.start.isoformat(), before.end.isoformat()],
        "totals": {"received": sum(c["received"] for c in received.by_category),
                   "hotline": sum(c["hotline"] for c in received.by_category)},
        "by_category": received.by_category, "by_grid": received.by_grid,
        "open_now": cases.analysis.open_now(grid),
        "figures": cases.analysis.figures_against(grid, period, before),
        "hot_topics": hot[:10], "hot_spots": spots,
    }  # fmt: skip
    content["notices"] = notices(kind, counts, base, groups, spots)
    return content


def notices(kind: str, counts: dict, base: dict, groups: dict, spots: list[dict]) -> list[str]:
    """风险提示 from the scene's rules: the categories of a rule (keys or groups) reaching its count and rise
    over their average of the four periods before, with the place they cluster if they do."""
    said = []
    for rule in scene.analysis_settings().risk_rules:
        wanted = set(rule.categories)
        keys = {k for k in set(counts) | set(base) if k in wanted or groups.get(k) in wanted}
        n = sum(counts.get(k, 0) for k in keys)
        average = sum(base.get(k, 0) for k in keys) / 4
        if n < rule.at_least or (average and n < (1 + rule.rise) * average):
            continue
        spot = next((s for s in spots if s["category"] in keys and s["place"]), None)
        place = f"，集中在{spot['place']}附近" if spot else ""
        rise = round((n / average - 1) * 100) if average else 100
        compared = f"比前四期平均（{average:.1f}件）增加{rise}%" if average else "前四期没有此类事件"
        said.append(rule.text.format(name=rule.name, n=n, average=round(average, 1), rise=rise, place=place,
                                     period=PERIOD_WORDS[kind], compared=compared))  # fmt: skip
    return said


def generate(grid, kind: str, start: date, end: date, *, by=None) -> AnalysisReport:
    """Write the report of a unit and period: version 1, or the next one when it was issued before."""
    content = build(grid, kind, start, end)
    for _attempt in range(3):
        last = AnalysisReport.objects.filter(kind=kind, grid=grid, start=start).aggregate(v=Max("version"))[
            "v"
        ]
        try:
            with transaction.atomic():
                return AnalysisReport.objects.create(
                    kind=kind, grid=grid, start=start, end=end, version=(last or 0) + 1,
                    title=title_of(kind, grid, start, end), content=content, generated_by=by,
                )  # fmt: skip
        except IntegrityError:  # generated at the same moment elsewhere: take the next version
            continue
    raise RuntimeError("could not number the report")


def units() -> list[Grid]:
    """The grids reports are generated for on schedule (the scene's levels)."""
    levels = scene.analysis_settings().levels
    return list(grids.active_grids().filter(level__key__in=levels).order_by("path"))


def generate_due(on: date | None = None) -> int:
    """The reports whose period has ended and that were not generated yet (idempotent: run hourly)."""
    on = on or timezone.localdate()
    made = 0
    for grid in units():
        for kind in (K.DAILY, K.WEEKLY, K.MONTHLY):
            start, end = period_for(kind, on)
            if not AnalysisReport.objects.filter(kind=kind, grid=grid, start=start).exists():
                generate(grid, kind, start, end)
                made += 1
    return made
