from datetime import date

import pytest
import shapely
from django.core.exceptions import ValidationError
from django.urls import reverse

from testkit import staff
from wangge.accounts.models import User
from wangge.grids import services as grids
from wangge.grids.geometry import to_geojson
from wangge.grids.models import Grid

pytestmark = pytest.mark.django_db
D = date(2026, 6, 1)


def _halves(grid):
    minx, miny, maxx, maxy = shapely.geometry.shape(grid.boundary).bounds
    mid = (minx + maxx) / 2
    return [to_geojson(shapely.box(minx, miny, mid, maxy)), to_geojson(shapely.box(mid, miny, maxx, maxy))]


def test_split_closes_the_old_grid_and_keeps_it_readable(town):
    third = town.thirds[0]
    left, right = _halves(third)
    a, b = grids.split_grid(
        third, pieces=[{"name": "西片", "boundary": left}, {"name": "东片", "boundary": right}], on=D
    )
    third.refresh_from_db()
    assert third.valid_to == D
    assert set(third.successors.all()) == {a, b}
    # Its unit grids moved under the new piece they lie in.
    for unit in town.units[:2]:
        unit.refresh_from_db()
        assert unit.valid_to is None
        assert Grid.objects.get_parent(unit) in (a, b)
    assert grids.children(third).count() == 0


def test_tree_as_of_a_past_date_shows_the_old_grid(client, town):
    third = town.thirds[0]
    left, right = _halves(third)
    grids.split_grid(
        third, pieces=[{"name": "西片", "boundary": left}, {"name": "东片", "boundary": right}], on=D
    )
    client.force_login(staff(User.Role.ADMIN))
    before = client.get(
        reverse("grids:tree_children", args=[town.seconds[0].code]), {"on": "2026-05-31"}
    ).content.decode()
    after = client.get(
        reverse("grids:tree_children", args=[town.seconds[0].code]), {"on": "2026-06-01"}
    ).content.decode()
    assert third.name in before and "西片" not in before
    assert "西片" in after and third.name not in after
    # The closed grid's page still opens.
    assert client.get(third.get_absolute_url()).status_code == 200


def test_merge_makes_one_grid_of_siblings(town):
    a, b = town.units[0], town.units[1]
    merged = grids.merge_grids([a, b], name="合并格", on=D)
    assert merged.households == a.households + b.households
    expected = shapely.union_all([shapely.geometry.shape(a.boundary), shapely.geometry.shape(b.boundary)])
    assert abs(shapely.geometry.shape(merged.boundary).area - expected.area) < 1e-12
    assert set(merged.predecessors.all()) == {a, b}
    a.refresh_from_db()
    assert a.valid_to == D


def test_merge_refuses_grids_under_different_parents(town):
    with pytest.raises(ValidationError) as exc:
        grids.merge_grids([town.units[0], town.units[-1]], name="x")
    assert exc.value.message_dict["grids"] == ["只能合并同一上级、同一层级的网格"]


def test_split_with_a_bad_piece_writes_nothing(town):
    unit = town.units[0]
    count = Grid.objects.count()
    with pytest.raises(ValidationError) as exc:
        grids.split_grid(
            unit,
            pieces=[{"name": "好", "boundary": _halves(unit)[0]}, {"name": "", "boundary": _halves(unit)[1]}],
        )
    assert "pieces[2]" in exc.value.message_dict
    assert Grid.objects.count() == count
    unit.refresh_from_db()
    assert unit.valid_to is None


def test_scene_level_rule_forbids_a_grid_directly_under_a_street(empty_database):
    from wangge.core.scenes import apply_scene
    from wangge.grids.models import GridLevel

    apply_scene("urban-street")
    lv = {x.key: x for x in GridLevel.objects.all()}
    street = grids.create_grid(name="晋原街道", level=lv["street"], code="510129001")
    with pytest.raises(ValidationError) as exc:
        grids.create_grid(name="某小区", level=lv["estate"], parent=street)
    assert "只能设在社区之下" in exc.value.message_dict["level"][0]
    community = grids.create_grid(name="某社区", level=lv["community"], parent=street)
    # An exclusive micro-grid (a school) may sit directly under a community.
    school = grids.create_grid(name="某小学", level=lv["micro"], parent=community)
    assert school.code == community.code + "001"
    building = grids.create_grid(
        name="1栋",
        level=lv["building"],
        parent=grids.create_grid(name="某小区", level=lv["estate"], parent=community),
    )
    assert len(building.code) == len(community.code) + 3 + 5  # buildings get 5 digits


def test_codes_are_stable_and_never_reused(town):
    third = town.thirds[0]
    unit = town.units[0]
    grids.close_grid(unit)
    level = unit.level
    new = grids.create_grid(name="新格", level=level, parent=third)
    assert new.code != unit.code and new.code == third.code + "003"


def test_the_tree_of_a_past_day_shows_each_grid_under_the_parent_it_had_then(client, town):
    """A split moves the old grid's children to the new pieces from the day of the split; before that day
    they stand under the old grid (seen: a unit shown under a grid that only started later)."""
    third = town.thirds[0]
    units = [u for u in town.units if u.path.startswith(third.path)]
    left, right = _halves(third)
    pieces = [{"name": "西片", "boundary": left}, {"name": "东片", "boundary": right}]
    a, b = grids.split_grid(third, pieces=pieces, on=D)
    before, after = date(2026, 5, 31), D
    assert set(grids.children(third, on=before)) == set(units)
    assert not grids.children(a, on=before).exists() and not grids.children(b, on=before).exists()
    assert set(grids.children(a, on=after)) | set(grids.children(b, on=after)) == set(units)
    assert not grids.children(third, on=after).exists()
    client.force_login(staff(User.Role.ADMIN))
    old_day = client.get(
        reverse("grids:tree_children", args=[third.code]), {"on": "2026-05-31"}
    ).content.decode()
    assert all(u.name in old_day for u in units)
    tree = client.get(reverse("grids:tree_children", args=[town.seconds[0].code]), {"on": "2026-05-31"})
    toggle = reverse("grids:tree_children", args=[third.code])
    assert f'hx-get="{toggle}?on=2026-05-31"' in tree.content.decode()
    # and a second change keeps both spans: merged back on 1 September
    merged = grids.merge_grids([a, b], name="合并片", on=date(2026, 9, 1))
    assert set(grids.children(third, on=before)) == set(units)
    assert set(grids.children(a, on=date(2026, 7, 1))) | set(grids.children(b, on=date(2026, 7, 1))) == set(
        units
    )
    assert set(grids.children(merged, on=date(2026, 9, 1))) == set(units) == set(grids.children(merged))


def test_a_redrawn_boundary_keeps_the_old_line_for_the_days_it_held(client, town):
    unit = town.units[0]
    old = shapely.geometry.shape(unit.boundary)
    minx, miny, maxx, maxy = old.bounds
    smaller = to_geojson(shapely.box(minx, miny, (minx + maxx) / 2, maxy))
    east_point = (minx + 0.9 * (maxx - minx), (miny + maxy) / 2)  # inside the old line only
    redrawn = date(2026, 9, 1)
    grids.update_grid(unit, boundary=smaller, boundary_from=redrawn, by=staff(User.Role.ADMIN))
    assert grids.locate(*east_point, on=date(2026, 8, 31)).leaf.code == unit.code
    now = grids.locate(*east_point, on=redrawn)
    assert now is None or now.leaf.code != unit.code
    versions = list(grids.boundary_history(unit))
    assert [(v.valid_from, v.valid_to) for v in versions] == [(redrawn, None), (unit.valid_from, redrawn)]
    client.force_login(staff(User.Role.ADMIN))
    then = client.get(
        reverse("grids:grid_geojson", args=[unit.code]), {"depth": 0, "on": "2026-08-31"}
    ).json()
    assert shapely.geometry.shape(then["features"][0]["geometry"]).equals(old)
    assert len(client.get(f"/api/grids/{unit.code}/boundaries").json()) == 2
    assert "边界变更记录" in client.get(unit.get_absolute_url()).content.decode()
    # a redraw on the same day corrects it in place; before the last one, or in the future, is refused
    grids.update_grid(unit, boundary=to_geojson(shapely.box(minx, miny, (minx + maxx) / 3, maxy)),
                      boundary_from=redrawn)  # fmt: skip
    assert grids.boundary_history(unit).count() == 2
    for day in (date(2026, 8, 1), date(2099, 1, 1)):
        with pytest.raises(ValidationError, match="边界生效日期"):
            grids.update_grid(unit, boundary=smaller, boundary_from=day)
    assert grids.boundary_history(unit).count() == 2
