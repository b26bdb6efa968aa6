import json

import pytest
import shapely

from testkit import square
from wangge.core.excel import read_rows, write_workbook
from wangge.grids import importing
from wangge.grids import services as grids
from wangge.grids.models import Grid

pytestmark = pytest.mark.django_db


def _feature(name, geometry, code=None, parent_code=None):
    props = {"name": name}
    if code:
        props["code"] = code
    if parent_code:
        props["parent_code"] = parent_code
    return {"type": "Feature", "properties": props, "geometry": geometry}


def _split_unit(unit, n=2):
    minx, miny, maxx, maxy = shapely.geometry.shape(unit.boundary).bounds
    step = (maxx - minx) / n
    return [
        shapely.geometry.mapping(shapely.box(minx + i * step, miny, minx + (i + 1) * step, maxy))
        for i in range(n)
    ]


def test_dry_run_lists_every_problem_and_writes_nothing(town):
    third = town.thirds[0]
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[119.5, 27.45], [119.51, 27.46], [119.51, 27.45], [119.5, 27.46], [119.5, 27.45]]],
    }
    far_away = square(100.0, 30.0, 0.01)
    a, b = _split_unit(town.units[0])
    fc = {
        "type": "FeatureCollection",
        "features": [
            _feature("", a, parent_code=third.code),  # 0: no name
            _feature("重号甲", a, code="999", parent_code=third.code),  # 1
            _feature("重号乙", b, code="999", parent_code=third.code),  # 2: duplicate code; overlaps nothing
            _feature("孤儿", b, parent_code="000000"),  # 3: missing parent
            _feature("自交", bowtie, parent_code=third.code),  # 4: self-intersecting
            _feature("出界", far_away, parent_code=third.code),  # 5: outside its parent
            _feature("已有编码", b, code=town.units[0].code, parent_code=third.code),  # 6: code taken
        ],
    }
    before = Grid.objects.count()
    report = importing.import_rows(importing.rows_from_geojson(fc), dry_run=True)
    text = "\n".join(f"{p.where}：{p.message}" for p in report.problems)
    # each feature named by its name (the count only tells twins apart), in Chinese throughout
    assert "第 1 个要素（无名称） 属性 name：缺少名称" in text
    assert "“重号乙”（第 3 个要素） 属性 code：编码 999 与“重号甲”（第 2 个要素）重复" in text
    assert "“孤儿”（第 4 个要素） 属性 parent_code：找不到上级网格 000000" in text
    assert "“自交”（第 5 个要素） 边界：边界无效：自相交（位置 119.505000, 27.455000）" in text
    assert "“出界”（第 6 个要素） 边界：有 100.0% 的面积在上级网格之外" in text
    unit = town.units[0]
    assert f"“已有编码”（第 7 个要素）：已是系统中的网格“{unit.name}”（{unit.code}，按编码识别）" in text
    assert "重叠" in text  # features 0 and 1 are the same square
    assert not report.ok and not report.committed
    # Committing the same file writes nothing either.
    report = importing.import_rows(importing.rows_from_geojson(fc), dry_run=False)
    assert not report.committed and Grid.objects.count() == before


def test_repair_fixes_invalid_shapes_and_reports_the_area_change(town):
    third = town.thirds[0]
    minx, miny, maxx, maxy = shapely.geometry.shape(third.boundary).bounds
    # A bow-tie inside the parent: two triangles meeting in the middle.
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[minx, miny], [maxx, maxy], [maxx, miny], [minx, maxy], [minx, miny]]],
    }
    fc = {"type": "FeatureCollection", "features": [_feature("修复格", bowtie, parent_code=third.code)]}
    refused = importing.import_rows(importing.rows_from_geojson(fc), dry_run=True)
    assert "可用 --repair 自动修复" in refused.problems[0].message
    for unit in town.units[:2]:  # the third's own unit grids would overlap the new one
        grids.close_grid(unit)
    # made whole, the bow-tie's area is not what the file's ring encloses: shown, and waits for a yes
    unconfirmed = importing.import_rows(importing.rows_from_geojson(fc), dry_run=False, repair=True)
    assert not unconfirmed.committed
    [problem] = unconfirmed.problems
    assert "修复后面积变化" in problem.message and "--accept-area-change" in problem.message
    report = importing.import_rows(
        importing.rows_from_geojson(fc), dry_run=False, repair=True, accept_area_change=True
    )
    assert report.committed, report.problems
    [repair] = report.repairs
    assert repair["area_after_m2"] > 0 and "自相交" in repair["problems"][0]
    grid = Grid.objects.get(name="修复格")
    assert shapely.geometry.shape(grid.boundary).is_valid


def test_a_layer_overlapping_open_grids_is_refused_and_a_clean_one_commits(town):
    unit, third = town.units[0], town.thirds[0]
    pieces = _split_unit(unit)
    fc = {"type": "FeatureCollection", "features": [_feature(f"新格{i}", g) for i, g in enumerate(pieces)]}
    clash = importing.import_rows(importing.rows_from_geojson(fc), parent=third, dry_run=False)
    assert not clash.committed
    assert f"与现有网格“{unit.name}”（{unit.code}）重叠 100.0%" in clash.problems[0].message
    grids.close_grid(unit)  # redraw: the old grid closes, the new ones take its place
    report = importing.import_rows(importing.rows_from_geojson(fc), parent=third, dry_run=False)
    assert report.committed, report.problems
    assert len(report.created) == 2
    assert all(code.startswith(third.code) and len(code) == len(unit.code) for code in report.created)
    assert unit.code not in report.created  # codes are never reused
    assert Grid.objects.get(code=report.created[0]).level == unit.level


def test_export_then_import_round_trips_a_subtree_under_a_new_parent(town, tmp_path):
    second = town.seconds[1]
    exported = grids.subtree_geojson(second)
    assert {f["properties"]["code"] for f in exported["features"]} == {g.code for g in grids.subtree(second)}
    # Re-import the same file: every grid is recognised, nothing is written and every row says so.
    report = importing.import_rows(importing.rows_from_geojson(exported), dry_run=False)
    assert not report.committed
    assert sum("已是系统中的网格" in p.message for p in report.problems) == len(exported["features"])
    assert len(report.existing) == len(exported["features"])


def test_reimporting_a_layer_updates_the_grids_it_holds_instead_of_duplicating_them(town):
    third = town.thirds[0]
    kids = list(grids.children(third))
    fc = grids.feature_collection(kids)
    for f in fc["features"]:  # an amended layer: new names, no codes (recognised by name)
        f["properties"] = {"name": f["properties"]["name"], "households": 77}
    fc["features"][0]["properties"]["name"] = kids[0].name
    before = Grid.objects.count()
    report = importing.import_rows(importing.rows_from_geojson(fc), parent=third, dry_run=False, update=True)
    assert report.committed, report.problems
    assert report.created == [] and sorted(report.updated) == sorted(g.code for g in kids)
    assert Grid.objects.count() == before
    assert {g.households for g in grids.children(third)} == {77}
    assert {e["by"] for e in report.existing} == {"同一上级下的名称"}


def test_excel_grid_list_errors_name_row_and_column(town):
    third = town.thirds[1]
    a, b = _split_unit(town.units[2])
    data = write_workbook(
        ["名称", "编码", "上级编码", "户数", "边界"],
        [
            ["好格", "", third.code, 120, json.dumps(a)],
            ["", "", third.code, "很多", json.dumps(b)],
            ["坏边界", "", third.code, 3, "POLYGON((0 0, 1 1"],
        ],
    )
    rows = importing.rows_from_xlsx(data)
    report = importing.import_rows(rows, dry_run=True)
    text = [f"{p.where}：{p.message}" for p in report.problems]
    assert "第 3 行 A 列（名称）：缺少名称" in text
    assert "第 3 行 D 列（户数）：户数必须是非负整数" in text
    assert any(t.startswith("第 4 行 E 列（边界）：") for t in text)


def test_excel_export_reads_back(town):
    data = importing.export_xlsx(town.thirds[0])
    header, rows = read_rows(data)
    assert header[:3] == ["名称", "编码", "上级编码"]
    assert [r[1] for r in rows] == [g.code for g in grids.subtree(town.thirds[0]).order_by("path")]
    assert json.loads(rows[1][8])["type"] == "Polygon"


def test_not_a_feature_collection_is_refused():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        importing.rows_from_geojson({"type": "Feature"})
    assert "FeatureCollection" in str(exc.value)


def test_api_file_import_dry_runs_then_commits_and_export_round_trips(client, town):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from testkit import staff
    from wangge.accounts.models import User

    client.force_login(staff(User.Role.CENTRE_STAFF, scope=town.root))
    unit, third = town.units[0], town.thirds[0]
    grids.close_grid(unit)
    data = write_workbook(
        ["名称", "边界"], [[f"新格{i}", json.dumps(g)] for i, g in enumerate(_split_unit(unit))]
    )
    upload = SimpleUploadedFile("grids.xlsx", data)
    dry = client.post("/api/grids/import-file", {"file": upload, "parent_code": third.code})
    assert dry.status_code == 200 and dry.json()["ok"] and not dry.json()["committed"]
    upload = SimpleUploadedFile("grids.xlsx", data)
    done = client.post(
        "/api/grids/import-file", {"file": upload, "parent_code": third.code, "dry_run": "false"}
    )
    assert done.json()["committed"] and len(done.json()["created"]) == 2
    exported = client.get(f"/api/grids/{third.code}/export", {"format": "xlsx"})
    header, rows = read_rows(exported.content)
    assert set(done.json()["created"]) <= {r[1] for r in rows}
    assert client.get(f"/api/grids/{third.code}/export", {"format": "pdf"}).status_code == 422
