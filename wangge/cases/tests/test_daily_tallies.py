"""The daily tallies give the same figures as counting the cases (one definition, `figures.py`), stay right
as cases change through the services (a past day marked and recounted, not the whole history), and a
rebuild from the cases gives the same rows."""

from datetime import timedelta

import pytest
import shapely
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from wangge.cases import figures, tallies
from wangge.cases import services as cases
from wangge.cases.models import Case, CaseTally, TallyDay
from wangge.cases.tests.helpers import Cast, report
from wangge.core.excel import read_rows
from wangge.grids import services as grids
from wangge.grids.geometry import to_geojson
from wangge.grids.models import Grid

pytestmark = pytest.mark.django_db


def back(case: Case, days: int) -> None:
    """Move a case's dates back as if it had come in `days` ago (a bulk write: it marks nothing)."""
    shift = timedelta(days=days)
    changes = {f: getattr(case, f) - shift for f in ("created", "due_at", "dispatched_at", "closed_at")
               if getattr(case, f) is not None}  # fmt: skip
    Case.objects.filter(pk=case.pk).update(**changes)


def counted(where, period) -> dict:
    return {f.key: (f.num, f.den) for f in figures.compute(Case.objects.filter(where), period)}


def from_tallies(grid, period) -> dict:
    return {f.key: (f.num, f.den) for f in tallies.summed(grid, period)}


def rows() -> list[tuple]:
    found = CaseTally.objects.values_list("day", "grid_id", "category_id", "key", "num", "den")
    return sorted(found, key=lambda r: (r[0], r[1], r[2] or 0, r[3]))


def test_the_tallies_give_the_counted_figures_and_follow_changes(town):
    cast = Cast(town)
    made = []
    for n, (unit, channel) in enumerate([(0, "hotline"), (0, "resident"), (7, "hotline"), (0, "hotline")]):
        case = report(town.units[unit], "street_lamp" if unit == 7 else "garbage_dumping", channel=channel,
                      description=f"问题{n}")  # fmt: skip
        cases.accept(case, by=cast.worker if unit == 0 else cast.centre)
        cases.dispatch(case, by=cast.centre)
        made.append(case)
    cases.handle(made[0], by=cast.worker, comment="办了")
    cases.verify(made[0], by=cast.worker, passed=True)
    cases.rate(made[0], rating="satisfied")
    for days, case in zip([20, 12, 12, 3], made, strict=True):
        back(case, days)
    tallies.rebuild()
    today = timezone.localdate()
    month = figures.Period(today - timedelta(days=30), today)
    town_cases = tallies.in_subtree(town.root.path)
    assert from_tallies(town.root, month) == counted(town_cases, month)
    assert from_tallies(town.root, month)["acceptance"] == (4, 4)
    # every grid's rows count its whole subtree: unit 7 (a street lamp) and each grid above it
    lineage = [*Grid.objects.get_ancestors(town.units[7]), town.units[7]]
    assert town.seconds[1] in lineage
    for grid in lineage:
        assert from_tallies(grid, month) == counted(tallies.in_subtree(grid.path), month), grid
    assert from_tallies(town.units[7], month)["acceptance"] == (1, 1)

    # changes through the services mark the past days they touch; the refresh recounts only those
    late = Case.objects.get(pk=made[1].pk)  # came in 12 days ago, its deadline long past
    cases.handle(late, by=cast.worker, comment="终于办了")
    cases.verify(late, by=cast.worker, passed=True)
    assert TallyDay.objects.filter(day=timezone.localtime(late.due_at).date()).exists()
    first = Case.objects.get(pk=made[0].pk)
    cases.verify(
        first, by=cast.worker, passed=False, comment="群众不满意"
    ) if first.status == "handled" else None
    assert from_tallies(town.root, month) != counted(town_cases, month)  # stale until the refresh
    tallies.refresh()
    assert from_tallies(town.root, month) == counted(town_cases, month)
    assert not TallyDay.objects.exists()

    kept = rows()
    call_command("rebuild_case_tallies", stdout=open("/dev/null", "w"))
    assert rows() == kept  # recounting every day from the cases gives the same rows


def test_a_new_report_marks_no_day_and_today_is_recounted(town):
    report(town.units[0], description="刚刚上报")
    assert not TallyDay.objects.exists()  # nothing on the intake path
    tallies.refresh()
    today = timezone.localdate()
    got = from_tallies(town.root, figures.Period(today, today))
    assert got["acceptance"] == (0, 1)


def test_a_grids_figures_page_reads_its_tallies(client, town):
    cast = Cast(town)
    first = report(town.units[0], description="第一件")
    cases.accept(first, by=cast.worker)
    tallies.refresh()
    client.force_login(cast.centre)
    today = timezone.localdate().isoformat()
    scope = {"grid": town.seconds[0].code, "from": today, "to": today, "format": "xlsx"}

    def acceptance() -> list:
        _header, rows = read_rows(client.get(reverse("cases:figures"), scope).content)
        return rows[0][:4]

    assert acceptance() == ["立案率", "立案数 ÷ 受理（上报）数", 1, 1]
    report(town.units[0], description="第二件")
    assert acceptance()[2:] == [1, 1]  # as the screens: until the refresh (every minute)
    tallies.refresh()
    assert acceptance()[2:] == [1, 2]
    counted_now = counted(
        tallies.in_subtree(town.seconds[0].path), figures.Period(timezone.localdate(), timezone.localdate())
    )
    assert counted_now["acceptance"] == (1, 2)
    # the whole reach (no grid chosen) is counted from the cases at once
    scope.pop("grid")
    report(town.units[0], description="第三件")
    assert acceptance()[2:] == [1, 3]


def test_grids_moved_by_a_split_take_their_cases_figures_along(town):
    cast = Cast(town)
    third = town.thirds[0]
    made = [
        report(u, description=f"问题{n}") for n, u in enumerate(town.units) if u.path.startswith(third.path)
    ]
    assert made
    for case in made:
        cases.accept(case, by=cast.centre)
        back(case, 12)
    tallies.rebuild()
    month = figures.Period(timezone.localdate() - timedelta(days=30), timezone.localdate())
    assert from_tallies(third, month)["acceptance"] == (len(made), len(made))
    minx, miny, maxx, maxy = shapely.geometry.shape(third.boundary).bounds
    mid = (minx + maxx) / 2
    pieces = [
        {"name": "西片", "boundary": to_geojson(shapely.box(minx, miny, mid, maxy))},
        {"name": "东片", "boundary": to_geojson(shapely.box(mid, miny, maxx, maxy))},
    ]
    new = grids.split_grid(third, pieces=pieces)
    assert TallyDay.objects.exists()  # the moved units' past days, marked
    tallies.refresh()
    moved = 0
    for piece in new:
        piece.refresh_from_db()
        assert from_tallies(piece, month) == counted(tallies.in_subtree(piece.path), month)
        moved += from_tallies(piece, month)["acceptance"][1]
    assert moved == len(made)  # every case now counts under the piece its unit moved to
    third.refresh_from_db()
    assert from_tallies(third, month)["acceptance"] == (0, 0)
    assert from_tallies(town.root, month) == counted(tallies.in_subtree(town.root.path), month)


def test_grids_below_the_kept_levels_are_counted_from_their_cases(town, monkeypatch):
    from wangge.cases import analysis

    assert tallies.kept_depth() in (None, 4)  # the town's unit grids are held with jurisdiction: all kept
    cast = Cast(town)
    for n, unit in enumerate(town.units[:6]):
        for k in range(n % 3 + 1):
            case = report(unit, "street_lamp" if k else "garbage_dumping", description=f"问题{n}-{k}")
            cases.accept(case, by=cast.centre)
            back(case, 3 + k)
    monkeypatch.setattr(tallies, "kept_depth", lambda: 3)  # as a city's micro-grids: no one holds them
    tallies.rebuild()
    assert set(CaseTally.objects.values_list("grid__depth", flat=True)) == {1, 2, 3}
    month = figures.Period(timezone.localdate() - timedelta(days=30), timezone.localdate())
    for grid in (town.root, town.thirds[0], *town.units[:6]):
        assert from_tallies(grid, month) == counted(tallies.in_subtree(grid.path), month), grid
    by_grid = dict(tallies.summed_by_grid([town.thirds[0], *town.units[:6]], month, "acceptance"))
    for grid, f in by_grid.items():
        assert (f.num, f.den) == counted(tallies.in_subtree(grid.path), month)["acceptance"], grid
    third = Grid.objects.get_parent(town.units[0])
    got = {r["code"]: r["received"] for r in analysis.received(third, month).by_grid}
    expected = {
        u.code: Case.objects.filter(grid=u).count() for u in town.units if u.path.startswith(third.path)
    }
    assert got == expected and sum(got.values()) > 0
    unit = town.units[2]  # three cases: a garbage report and two street lamps
    assert analysis.category_counts(unit, month.start, month.end) == {"garbage_dumping": 1, "street_lamp": 2}
    days = {
        (r["category_id"], r["day"]): r["n"]
        for r in tallies.received_by_category_day(unit, month.start, month.end)
    }
    assert sum(days.values()) == 3 and len(days) == 3  # each on the day it came in
