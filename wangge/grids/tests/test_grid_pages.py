import json

import pytest
from django.urls import reverse

from testkit import grid_worker, staff
from wangge.accounts.models import User
from wangge.grids.models import Grid

pytestmark = pytest.mark.django_db


def test_worker_sees_own_grid_pages(client, town):
    unit = town.units[0]
    client.force_login(grid_worker(unit))
    for name in ["grid_detail", "grid_map", "board", "coverage"]:
        response = client.get(reverse(f"grids:{name}", args=[unit.code]))
        assert response.status_code == 200, name
    detail = client.get(unit.get_absolute_url())
    assert unit.name in detail.content.decode()
    fc = client.get(reverse("grids:grid_geojson", args=[unit.code]) + "?depth=0").json()
    assert [f["properties"]["code"] for f in fc["features"]] == [unit.code]
    assert fc["features"][0]["geometry"]["type"] == "Polygon"


def test_tree_lists_only_the_users_subtree_and_search_paginates(client, town):
    leader = staff(User.Role.COMMUNITY_STAFF, scope=town.seconds[0])
    client.force_login(leader)
    page = client.get(reverse("grids:tree")).content.decode()
    assert town.seconds[0].name in page and town.seconds[1].name not in page
    found = client.get(reverse("grids:tree"), {"q": "格"}).content.decode()
    visible_units = [u for u in town.units if u.path.startswith(town.seconds[0].path)]
    assert all(u.name in found for u in visible_units)
    assert not any(u.name in found for u in town.units if u not in visible_units)
    children = client.get(reverse("grids:tree_children", args=[town.seconds[0].code]), HTTP_HX_REQUEST="true")
    assert children.status_code == 200 and "<html" not in children.content.decode()
    assert town.thirds[0].name in children.content.decode()


def test_grid_list_exports_excel_of_the_search(client, town):
    from wangge.core.excel import read_rows

    client.force_login(staff(User.Role.ADMIN))
    response = client.get(reverse("grids:list_xlsx"), {"level": "unit"})
    header, rows = read_rows(response.content)
    assert header[:2] == ["名称", "编码"]
    assert sorted(r[1] for r in rows) == sorted(u.code for u in town.units)


def test_board_shows_role_holders_and_a_qr_code_to_the_reporting_page(client, town):
    unit = town.units[1]
    worker = grid_worker(unit, full_name="王小明")
    client.force_login(worker)
    page = client.get(reverse("grids:board", args=[unit.code])).content.decode()
    assert "王小明" in page and "13900000000" in page
    assert "<svg" in page and f"/report/?grid={unit.code}" in page
    placeholder = client.get(f"/report/?grid={unit.code}").content.decode()
    assert unit.name in placeholder


def test_create_child_grid_form_shows_chinese_errors_and_creates(client, town):
    client.force_login(staff(User.Role.CENTRE_STAFF, scope=town.root))
    third = town.thirds[0]
    url = reverse("grids:grid_create", args=[third.code])
    bad = client.post(url, {"name": "", "level": third.level.pk + 1, "households": 0, "boundary": "{oops"})
    assert bad.status_code == 200
    text = bad.content.decode()
    assert "边界不是有效的 JSON" in text
    before = Grid.objects.count()
    ok = client.post(
        url, {"name": "新格", "level": Grid.objects.get(code=town.units[0].code).level.pk, "households": 5}
    )
    assert ok.status_code == 302
    new = Grid.objects.get(name="新格")
    assert new.code.startswith(third.code) and len(new.code) == len(third.code) + 3
    assert Grid.objects.count() == before + 1


def test_closing_a_grid_with_open_children_is_refused(client, town):
    client.force_login(staff(User.Role.ADMIN))
    response = client.post(reverse("grids:grid_close", args=[town.thirds[0].code]), {"on": "2026-01-01"})
    assert "还有 2 个在用的下级网格" in response.content.decode()
    assert Grid.objects.get(pk=town.thirds[0].pk).valid_to is None


def test_worker_cannot_edit_grids(client, town):
    unit = town.units[0]
    client.force_login(grid_worker(unit))
    assert client.get(reverse("grids:grid_edit", args=[unit.code])).status_code == 403
    response = client.post(
        "/api/grids",
        json.dumps({"parent_code": unit.code, "name": "x", "level": "unit"}),
        content_type="application/json",
    )
    assert response.status_code in (401, 403)


def test_english_is_available(client, town):
    unit = town.units[0]
    client.force_login(grid_worker(unit))
    client.post(reverse("set_language"), {"language": "en", "next": "/grids/"})
    page = client.get(unit.get_absolute_url()).content.decode()
    assert "Households" in page and "户数" not in page


def test_pages_are_chinese_whatever_the_browser_asks_and_scene_names_follow_the_language(client, town):
    unit = town.units[0]
    client.force_login(grid_worker(unit))
    page = client.get(unit.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "户数" in page and "四级网格" in page
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(unit.get_absolute_url()).content.decode()
    assert "Unit grid" in page and "四级网格" not in page


def test_api_docs_work_offline(client):
    docs = client.get("/api/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in docs and "cdn." not in docs
    schema = client.get("/api/openapi.json").json()
    assert "/api/locate" in schema["paths"]
