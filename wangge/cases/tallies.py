"""Daily tallies (日汇总) of the loop's figures per grid and category, so that a screen over a city sums a
few thousand rows instead of counting a million cases.

A tally row is one figure's numerator and denominator for the cases of one grid's whole subtree and one
category dated on one day (by the figure's own date: received, due, closed, dispatched), from the
definitions in `figures.py`. Every grid above a case's grid has its row too, so that a district's month is
the district's own 30 rows and not the sum of its 10,000 micro-grids' (1.4 s at city size, measured). A
split or a merge that moves grids under a new parent marks every day their cases count on (`grids_moved`),
and the refresh recounts those days under the new tree.

Rows are kept down to the deepest level where someone holds a grid with its jurisdiction (a town's unit
grid, a city's 网格); below it (a city's micro-grids, a few cases a day each) a grid's figures are counted
from its cases. At city size the micro-grids' rows were two thirds of the table (113,072 of 172,654 a day,
measured).

Saving a case marks the days it counts on, before and after the change (`TallyDay`); the periodic refresh
recounts those days whole, with today and yesterday always, so the work follows the changes, not the size
of the history. `rebuild` recounts every day from the cases and their events, and
gives the same rows (tested)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Count, Max, Min, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from wangge.cases import figures as fig
from wangge.cases.models import TALLY_DATES, Case, CaseTally, TallyDay
from wangge.core.bulk import insert_rows, rows_where_in
from wangge.grids import services as grids
from wangge.grids.models import Grid, GridLevel, GridRole


def _day(value) -> date | None:
    if value is None:
        return None
    return timezone.localtime(value).date() if isinstance(value, datetime) else value


def mark_saved(sender, instance: Case, created: bool = False, **kwargs) -> None:
    """post_save: the days the case counted on before and counts on now, past ones marked for the refresh
    (today and yesterday are recounted anyway: a new report marks nothing)."""
    days = {_day(getattr(instance, f)) for f in TALLY_DATES}
    days |= {_day(v) for v in getattr(instance, "_loaded_days", ())}
    today = timezone.localdate()
    # today and yesterday are recounted anyway, and a day to come when it comes: a new report marks nothing
    stale = sorted(d for d in days if d is not None and d < today - timedelta(days=1))
    if stale:
        TallyDay.objects.bulk_create([TallyDay(day=d) for d in stale], ignore_conflicts=True)
    # as if loaded now: a second save of the same instance marks from here
    setattr(instance, "_loaded_days", tuple(getattr(instance, f) for f in TALLY_DATES))  # noqa: B010


def kept_depth() -> int | None:
    """The deepest level whose grids keep tally rows: the deepest where a role with jurisdiction is held
    (None: every level, as when a role may be held at any level)."""
    held = list(GridRole.objects.filter(grants_jurisdiction=True).values_list("levels", flat=True))
    if not held or any(not levels for levels in held):
        return None
    depths = GridLevel.objects.filter(key__in={k for levels in held for k in levels}).values_list(
        "depth", flat=True
    )
    return max(depths, default=None)


def kept_for(grid: Grid) -> bool:
    deepest = kept_depth()
    return deepest is None or grid.depth <= deepest


def mark_moved(sender, paths, **kwargs) -> None:
    """grids_moved: every day the cases under the moved grids count on, for the refresh (their rows now
    belong under other grids above them)."""
    if not paths:
        return
    under = Q(pk__in=[])
    for path in paths:
        under |= in_subtree(path)
    days: set[date] = set()
    for f in TALLY_DATES:
        found = Case.objects.filter(under, **{f"{f}__isnull": False}).datetimes(f, "day")
        days |= {d.date() for d in found}  # already in the local time zone
    TallyDay.objects.bulk_create([TallyDay(day=d) for d in sorted(days)], ignore_conflicts=True)


# what is reckoned by category (what came in: hot topics, reports by category); the other figures by grid
# only, which keeps the table to a few rows per grid and day instead of a dozen per category
BY_CATEGORY = ("acceptance", "response")


COLUMNS = ("day", "grid_id", "category_id", "key", "num", "den")


def count_day(day: date) -> list[tuple]:
    """Every figure's rows for one day, from the cases (a query per date a figure is counted by, and per
    grouping: by grid and category for what came in, by grid for the rest), each case's grid's counts
    added to that grid's row and to the row of every grid above it."""
    period = fig.Period(day, day)
    groups: dict[tuple[str, bool], list[fig.Definition]] = defaultdict(list)
    for d in fig.definitions():
        groups[(d.field, d.key in BY_CATEGORY)].append(d)
    totals: dict[tuple[str, int | None, str], list[int]] = defaultdict(lambda: [0, 0])
    step = Grid.steplen
    deepest = kept_depth()
    for (field, by_category), defs in groups.items():
        counts = {}
        for d in defs:
            counts[f"{d.key}__den"] = Count("pk", filter=d.den)
            counts[f"{d.key}__num"] = Count("pk", filter=d.den & d.num)
        columns = ("grid__path", "category_id") if by_category else ("grid__path",)
        # no "grid is not null" in the query: it can lead a planner off the date's index; skipped below
        found = fig.dated(Case.objects.all(), field, period).values(*columns).annotate(**counts).order_by()
        for r in found:
            path = r["grid__path"]
            if path is None:
                continue
            for d in defs:
                num, den = r[f"{d.key}__num"], r[f"{d.key}__den"]
                if num or den:
                    kept = len(path) if deepest is None else min(len(path), deepest * step)
                    for end in range(step, kept + 1, step):  # the grid and each one above it
                        total = totals[(path[:end], r.get("category_id"), d.key)]
                        total[0] += num
                        total[1] += den
    ids = dict(rows_where_in(Grid, "path", {path for path, _, _ in totals}, ("path", "id")))
    return [(day, ids[path], category, key, num, den) for (path, category, key), (num, den) in totals.items()]


def refresh_days(days) -> int:
    """Recount these days (each in its own transaction); returns the rows written."""
    written = 0
    for day in sorted(set(days)):
        with transaction.atomic():
            # the mark first: a save after this point marks the day again, for the next refresh
            TallyDay.objects.filter(day=day).delete()
            rows = count_day(day)
            CaseTally.objects.filter(day=day).delete()
            # plain rows in one statement (COPY on PostgreSQL): a rebuild writes millions of them
            insert_rows(CaseTally, COLUMNS, rows)
        written += len(rows)
    return written


def refresh() -> int:
    """The periodic refresh: today, yesterday and every day marked since."""
    today = timezone.localdate()
    marked = list(TallyDay.objects.values_list("day", flat=True)[:400])
    return refresh_days([today, today - timedelta(days=1), *marked])


def rebuild() -> tuple[int, int]:
    """Every day any case counts on, recounted from the cases; (days, rows)."""
    bounds = Case.objects.aggregate(
        **{f"lo_{f}": Min(f) for f in TALLY_DATES}, **{f"hi_{f}": Max(f) for f in TALLY_DATES}
    )
    lows = [d for k, v in bounds.items() if k.startswith("lo_") and (d := _day(v)) is not None]
    highs = [d for k, v in bounds.items() if k.startswith("hi_") and (d := _day(v)) is not None]
    if not lows or not highs:
        CaseTally.objects.all().delete()
        return 0, 0
    first, last = min(lows), max(highs)
    with transaction.atomic():
        CaseTally.objects.filter(Q(day__lt=first) | Q(day__gt=last)).delete()
        TallyDay.objects.all().delete()
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    written = refresh_days(days)
    with connection.cursor() as cur:  # a table rewritten whole: plan the screens' sums on its new size
        cur.execute(f"ANALYZE {connection.ops.quote_name(CaseTally._meta.db_table)}")
    return len(days), written


# --- reading ----------------------------------------------------------------------------------------


def in_subtree(path: str) -> Q:
    """Cases of a grid's subtree."""
    return grids.subtree_q(path, prefix="grid__")


def summed(grid: Grid, period: fig.Period) -> list[fig.Figure]:
    """Every figure of a grid's subtree over a period from the tallies (as `figures.compute` over the
    subtree's cases gives them; counted so for a grid below the kept levels); the numerator and
    denominator querysets stay for the drill-down."""
    if not kept_for(grid):
        return fig.compute(Case.objects.filter(in_subtree(grid.path)), period)
    totals = {
        r["key"]: (r["num"] or 0, r["den"] or 0)
        for r in CaseTally.objects.filter(grid=grid, day__gte=period.start, day__lte=period.end)
        .values("key")
        .annotate(num=Sum("num"), den=Sum("den"))
        .order_by()
    }
    result = []
    for d in fig.definitions():
        num, den = totals.get(d.key, (0, 0))
        result.append(
            fig.Figure(d.key, d.name, d.formula, Case.objects.none(), Case.objects.none(), num, den)
        )
    return result


def summed_by_grid(grids_: list[Grid], period: fig.Period, key: str) -> list[tuple[Grid, fig.Figure]]:
    """One figure for each of these grids (its subtree) from the tallies, as `figures.by_grid` counts it
    (and counted so for grids below the kept levels)."""
    unkept = [g for g in grids_ if not kept_for(g)]
    below = {g.pk: f for g, f in fig.by_grid(Case.objects.all(), period, unkept, key)}
    totals = {
        r["grid_id"]: (r["num"] or 0, r["den"] or 0)
        for r in CaseTally.objects.filter(
            grid__in=grids_, key=key, day__gte=period.start, day__lte=period.end
        )
        .values("grid_id")
        .annotate(num=Sum("num"), den=Sum("den"))
        .order_by()
    }
    d = next(d for d in fig.definitions() if d.key == key)
    none = Case.objects.none()
    return [
        (g, below.get(g.pk) or fig.Figure(d.key, d.name, d.formula, none, none, *totals.get(g.pk, (0, 0))))
        for g in grids_
    ]


def den_by_category(grids_: list[Grid], period: fig.Period, keys: list[str]) -> list[dict]:
    """Rows of {key, category_id, grid_id, n}: each figure's denominator by category for each grid's
    subtree, from the tallies (counted from the cases for a grid below the kept levels)."""
    kept = [g for g in grids_ if kept_for(g)]
    rows = list(
        CaseTally.objects.filter(grid__in=kept, day__gte=period.start, day__lte=period.end, key__in=keys)
        .values("key", "category_id", "grid_id")
        .annotate(n=Sum("den"))
        .order_by()
    )
    definitions = {d.key: d for d in fig.definitions() if d.key in keys}
    for g in grids_:
        if g in kept:
            continue
        for key, d in definitions.items():
            counted = (
                fig.dated(Case.objects.filter(in_subtree(g.path)), d.field, period)
                .filter(d.den)
                .values("category_id")
                .annotate(n=Count("pk"))
                .order_by()
            )
            rows += [
                {"key": key, "category_id": r["category_id"], "grid_id": g.pk, "n": r["n"]} for r in counted
            ]
    return rows


def received_by_category_day(grid: Grid, start: date, end: date) -> QuerySet:
    """(category id, day, cases received) rows of a grid's subtree: what hot topics are reckoned from."""
    if not kept_for(grid):
        received = next(d for d in fig.definitions() if d.key == "acceptance")
        return (
            fig.dated(Case.objects.filter(in_subtree(grid.path)), received.field, fig.Period(start, end))
            .filter(received.den)
            .values("category_id", day=TruncDate(received.field))
            .annotate(n=Count("pk"))
            .order_by()
        )
    return (
        CaseTally.objects.filter(grid=grid, key="acceptance", day__gte=start, day__lte=end)
        .values("category_id", "day")
        .annotate(n=Sum("den"))
        .order_by()
    )
