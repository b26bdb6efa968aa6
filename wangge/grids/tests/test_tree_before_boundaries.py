"""A county's grid list comes in Excel long before its map: the tree is imported without boundaries (in
bulk, all or nothing, every problem by row and column), the boundaries follow later by code, locating a
point falls back to the deepest grid drawn, and the coverage page lists what is still undrawn."""

import pytest
import shapely
from django.urls import reverse

from testkit import square, staff
from wangge.accounts.models import User
from wangge.core.excel import write_workbook
from wangge.grids import importing
from wangge.grids import services as grids
from wangge.grids.geometry import to_geojson
from wangge.grids.models import Grid

pytestmark = pytest.mark.django_db
ROOT = "350924902"  # after the test town's 350924901


def grid_list(units_per_third: int = 2) -> bytes:
    rows = [["新镇", ROOT, ""]]
    for s in range(1, 3):
        second = f"{ROOT}{s:03d}"
        rows.append([f"第{s}社区", second, ROOT])
        for t in range(1, 3):
            third = f"{second}{t:03d}"
            rows.append([f"第{s}社区{t}片", third, second])
            rows += [
                [f"第{s}社区{t}片{u}格", f"{third}{u:03d}", third] for u in range(1, units_per_third + 1)
            ]
    return write_workbook(["名称", "编码", "上级编码"], rows)


def test_a_grid_list_without_boundaries_comes_in_whole_in_bulk(client, town):  # the scene and the town
    rows = importing.rows_from_xlsx(grid_list())
    report = importing.import_rows(rows, dry_run=False)
    assert report.committed and not report.problems and len(report.created) == 15
    assert Grid.find_problems() == ([], [], [], [], [])  # treebeard's own check of paths and counts
    root = Grid.objects.get(code=ROOT)
    assert root.depth == 1 and root.numchild == 2 and root.boundary is None
    assert [g.code for g in grids.children(root)] == [f"{ROOT}001", f"{ROOT}002"]
    assert [g.name for g in grids.children(Grid.objects.get(code=f"{ROOT}001001"))] == [
        "第1社区1片1格",
        "第1社区1片2格",
    ]
    # the next county appended after it, also in bulk, and a grid created one by one still fits in
    more = write_workbook(["名称", "编码", "上级编码"], [["又一镇", "350924903", ""]])
    assert importing.import_rows(importing.rows_from_xlsx(more), dry_run=False).committed
    grids.create_grid(name="补建格", level=root.level.__class__.objects.get(depth=2), parent=root)
    assert Grid.find_problems() == ([], [], [], [], [])
    client.force_login(staff(User.Role.ADMIN))
    cover = client.get(reverse("grids:coverage", args=[ROOT])).content.decode()
    assert 'id="undrawn-count">15<' in cover and "第1社区1片1格" in cover


def test_wrong_codes_are_named_by_row_and_column_and_nothing_is_written(town):
    content = write_workbook(["名称", "编码", "上级编码"], [
        ["新镇", ROOT, ""],
        ["错号社区", "12345", ROOT],  # not the parent's code plus 3 digits
        ["孤儿", f"{ROOT}009001", "999999999999"],
    ])  # fmt: skip
    before = Grid.objects.count()
    report = importing.import_rows(importing.rows_from_xlsx(content), dry_run=False)
    problems = {(p.where, p.message) for p in report.problems}
    assert ("第 3 行 B 列（编码）", f"编码 12345 应为上级编码 {ROOT} 加 3 位数字") in problems
    assert ("第 4 行 C 列（上级编码）", "找不到上级网格 999999999999") in problems
    assert not report.committed and Grid.objects.count() == before


def test_boundaries_follow_by_code_and_locating_falls_back_to_the_deepest_drawn(
    town, django_capture_on_commit_callbacks
):
    importing.import_rows(importing.rows_from_xlsx(grid_list()), dry_run=False)
    x0, y0 = 119.80, 27.80  # away from the test town
    county = square(x0, y0, 0.04)
    west = to_geojson(shapely.box(x0, y0, x0 + 0.02, y0 + 0.04))
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "新镇", "code": ROOT}, "geometry": county},
    ]}  # fmt: skip
    report = importing.import_rows(importing.rows_from_geojson(fc), dry_run=False, update=True)
    assert report.committed and report.updated == [ROOT]
    assert grids.locate(x0 + 0.03, y0 + 0.01).leaf.code == ROOT  # no child drawn: the county itself
    fc["features"] = [
        {"type": "Feature", "properties": {"name": "第1社区", "code": f"{ROOT}001"}, "geometry": west}
    ]
    with django_capture_on_commit_callbacks(execute=True):  # as after a commit: every index rebuilt
        assert importing.import_rows(importing.rows_from_geojson(fc), dry_run=False, update=True).committed
    assert grids.locate(x0 + 0.01, y0 + 0.01).leaf.code == f"{ROOT}001"  # the drawn community
    assert grids.locate(x0 + 0.03, y0 + 0.01).leaf.code == ROOT  # elsewhere: still the county
    assert grids.coverage(Grid.objects.get(code=ROOT)).undrawn == 13


def test_a_level_with_many_children_opens_a_page_at_a_time(client, town):  # the scene and the town
    rows = [["大镇", ROOT, ""], ["大社区", f"{ROOT}001", ROOT]]
    rows += [[f"片{n}", f"{ROOT}001{n:03d}", f"{ROOT}001"] for n in range(1, 206)]
    assert importing.import_rows(importing.rows_from_xlsx(write_workbook(["名称", "编码", "上级编码"], rows)),
                                 dry_run=False).committed  # fmt: skip
    client.force_login(staff(User.Role.ADMIN))
    url = reverse("grids:tree_children", args=[f"{ROOT}001"])
    first = client.get(url).content.decode()
    assert first.count('class="toggle"') == 200 and "还有 5 个" in first
    rest = client.get(url, {"offset": 200}).content.decode()
    assert "片205" in rest and "还有" not in rest
